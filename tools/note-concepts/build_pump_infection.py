"""Builds cds_service/data/note-concepts/{empty-pump,infection}.json: the regexes are composed here.

Edit this file, not the JSON; `--check` (run by the tests) fails when the JSON is stale.
"""

import json
import re
import sys
from pathlib import Path

DIR = Path(__file__).resolve().parents[2] / "cds_service" / "data" / "note-concepts"


def rx(*parts: str, guard: str = "", first: str = "") -> str:
    """The parts joined; with a guard, the guard (lookarounds) applies to every alternative.

    ``first`` is a cheap lookahead for the words the alternatives start with: the guards scan
    up to 80 characters, so they must run only where a match can start (linear, and fast).
    """
    s = "".join(parts)
    if guard:
        s = f"{first}{guard}(?:{s})"
    re.compile(s, re.IGNORECASE)
    return s


COLON_NO = r"(?<!:\sno\s)(?<!:\sno,\s)(?<!:\sno\sactive\s)(?<!:\sno\scurrent\s)(?<!:\sno\snew\s)(?<!:\sno\sobvious\s)(?<!:\sno\sacute\s)(?<!:\sno\slow\s)(?<!:\sno\scritical\s)(?<!:\sno\spump\s)"  # ": no" (BACKWARD) prunes the FORWARD "no" after it


def words(alternatives: str, start: bool = False, also: str = "") -> str:
    """A cheap lookahead for where a match can start: a first-character class, then the words.

    The character class rejects most positions in one step; the guards after it scan up to 80
    characters, so they must run only at these positions (the text is read in linear time).
    """
    chars = set()
    for alt in alternatives.split("|"):
        if alt.startswith("\\d"):
            chars.add("0-9")
        else:
            chars.update({alt[0].lower(), alt[0].upper()})
    head = f"(?=\\b[{''.join(sorted(chars))}])(?=\\b(?:{alternatives})\\b)"
    options = [head] + ([f"(?={also})"] if also else [])
    return "(?:" + "|".join((["^"] if start else []) + options) + ")"


def one(*patterns: str) -> str:
    """One regex per category (medspaCy rebuilds the Doc text for every pattern it runs)."""
    # every alternative starts at a word boundary, a line or cell start, or "n't": one cheap
    # check rejects the other positions before any alternative is tried
    return rx("(?:(?=\\b)|^|(?<=[|\\n])|(?=n't))(?:" + "|".join(f"(?:{p})" for p in patterns) + ")")


# A gap that cannot swallow a negation (a modifier inside a target span does not modify it).
def gap(n: int, stop: str = r".;\n") -> str:
    return rf"(?:(?!\b(?:no|not|non|none|never|without|denies|denied|negative|neg)\b|n't)[^{stop}]){{0,{n}}}?"


def aside_gap(n: int) -> str:
    """gap(n), where a parenthesis of up to 60 characters is one step."""
    return (
        r"(?:(?!\b(?:no|not|non|none|never|without|denies|denied|negative|neg)\b|n't)"
        rf"(?:\([^()\n]{{0,60}}\)|[^.;\n])){{0,{n}}}?"
    )


# A remote year soon after the mention ("ran empty 2019", "pocket infection (MRSA) s/p explant
# 3/2024"): a bare year or month/year, not a full date (which may be this week's).
# Only years before 2026 (when this was written): a mention dated this year may be current, and
# as years pass the guard excludes fewer mentions, never more (the safe direction).
# Where a table cell starts: the start of a chunk, or a value after "label: " (a two-cell
# row as the reader writes it).
CELL = r"(?:^|(?<=:\s))"
# (The full stop of an organism's initial, "(E. faecalis) 2/2023", does not end the gap.)
REMOTE_YEAR = (
    r"(?!(?:[^.;\n]|(?<=\b[A-Z])\.){0,45}?(?<![\d/-])(?:\d{1,2}/)?(?:19\d\d|20[01]\d|202[0-5])\b"
    r"(?![/-]\d))"
)

# The categories an earlier device's history may modify.
PUMP_AND_INFECTION_CATEGORIES = (
    "EMPTY_PUMP", "MISSED_REFILL", "SITE_INFECTION", "CNS_INFECTION", "SYSTEMIC_INFECTION",
)  # fmt: skip

# ---------------------------------------------------------------------------------- empty pump
RULED_OUT = r"(?![^.;\n]{0,40}?(?<!not\s)(?<!n't\s)(?<!be\s)(?<!been\s)\b(?:ruled\sout|excluded|not\sthe\scause)\b)"
NOT_FUTURE = r"(?<!would\sbe\s)(?<!will\sbe\s)(?<!could\sbe\s)(?<!may\sbe\s)(?<!might\sbe\s)(?<!fear\sof\s)(?<!afraid\sof\s)(?<!risk\sof\s)(?<!chance\sof\s)(?<!worried\sabout\s)(?<!concerned\sabout\s)(?<!anxious\sabout\s)(?<!worry\sabout\s)(?<!avoid\s)(?<!prevent\s)(?<!without\s)(?<!will\s)(?<!would\s)(?<!could\s)(?<!might\s)(?<!may\s)(?<!to\s)(?<!not\s)(?<!never\s)(?<!can\s)(?<!won't\s)"
RAN_OUT = rx(
    first=words(r"ran|run|runs|running|gone|had|has|went|going|goes|go"),
    guard=RULED_OUT + COLON_NO + REMOTE_YEAR + NOT_FUTURE,
    *(
        r"\b(?:(?:ran|run|runs|running|gone|had\srun|has\srun)\s(?:completely\s|totally\s|all\sthe\sway\s)?(?:dry|empty|out)"
        r"|(?:went|going|goes|go|gone)\s(?:completely\s|totally\s)?(?:dry|empty))\b",
        r"(?!\sof\s(?:(?:her|his|the|their|my)\s)?(?:oral|po\b|pills?|tablets?|time|money|patience|gas|options|town|breath|steam|room|oxycodone|hydrocodone|norco|percocet|vicodin|tramadol|gabapentin|pregabalin|tizanidine|methadone|suboxone|buprenorphine|patch(?:es)?|prescriptions?|scripts?|rx\b|fentanyl\spatch))",
        r"(?!\s(?:of\s)?(?:the\s)?(?:house|room|door|hospital|clinic|town))",
    ),
)
SUBJECT = r"(?:pump|reservoir|ITP|ITB|IDDS|device|res\.?|RV)"
LINK = r"(?:was|is|were|has|had|been|being|be|found|noted|now|completely|totally|essentially|nearly|almost|basically|virtually|reportedly|apparently|confirmed|to|on|arrival|interrogation|at|refill|today|\(|\)|:|-|\u2013|ran|went|gone|run)"
PUMP_EMPTY = rx(
    first=words(r"pump|reservoir|ITP|ITB|IDDS|device|res|RV"),
    guard=RULED_OUT + COLON_NO + REMOTE_YEAR,
    *(
        rf"\b{SUBJECT}\b(?:\s?{LINK}){{0,4}}\s?(?<!not\s)(?<!clean\s)(?<!clean\sand\s)(?<!clean,\s)(?:empty|dry|depleted|emptied)\b",
        r"(?!\s?(?:and|&|,|/)\s?(?:intact|clean)|\s(?:mouth|eyes|skin|cough|stomach|weight|needle))",
    ),
)
EMPTY_PUMP = rx(
    first=words(
        r"empty|emptied|depleted|dry|found|essentially|nearly|almost|basically|virtually|completely|totally|bone|aspirated|aspirate|aspiration|asp|nothing|no|residual|pump|reservoir|ITP|ITB|baclofen|drug|medication|got|obtained|withdrew|recovered|returned|drew|out",
        start=True,
    ),
    guard=RULED_OUT + COLON_NO + REMOTE_YEAR,
    *(
        r"\b(?:empty|emptied|depleted|dry)[- ](?:(?:IT|ITB|intrathecal|baclofen|morphine|drug|medication|SynchroMed|Prometra)[- ])?(?:pump|reservoir|ITP|device)\b",
        r"|\b(?:empty|dry)\s(?:on|at|upon)\s(?:arrival|interrogation|aspiration|access|refill|presentation|the\svisit|today)",
        # "after reservoir depletion discovered 2024-04-02", "pump depletion"
        r"|\b(?:reservoir|pump|drug|ITB|baclofen)\s(?:depletion|exhaustion)\b",
        r"|\bfound\s(?:to\sbe\s)?(?:completely\s|essentially\s|totally\s)?(?:empty|dry)\b",
        r"|\b(?:essentially|nearly|almost|basically|virtually|completely|totally|bone)\s(?:dry|empty)\b(?!\s(?:mouth|eyes|skin|cough|stomach))",
        r"|\b(?:aspirated|aspirate|aspiration|asp)\b[^.;\n\d]{0,15}?\b(?:dry|empty|nothing|none)\b",
        r"|\bnothing\s(?:was\s|could\sbe\s)?(?:aspirated|withdrawn|recovered|obtained|returned)\b",
        r"|\b(?:got|obtained|aspirated|withdrew|recovered|returned|drew)\s(?:back\s)?(?:nothing|no\s(?:fluid|drug|volume|medication))\b",
        r"|\bnothing\s(?:back\s)?(?:from|out\sof)\s(?:the\s)?(?:reservoir|pump)\b",
        r"|\bpump\s(?:is\s|was\s|has\sbeen\s)?[\"'\u2018\u201c]\s?(?:out|dry|empty)\s?[\"'\u2019\u201d]",
        rf"|{CELL}\s{{0,4}}(?:empty|dry|depleted)\s{{0,4}}$",
        r"|\bno\s(?:residual\s)?(?:residual|fluid|drug|medication|volume)\s(?:volume\s)?(?:was\s|could\sbe\s)?(?:aspirated|withdrawn|recovered|obtained|returned|remaining|left|in\sthe\sreservoir)\b",
        r"|\bresidual\s?(?:volume)?\s?:\s?none\b",
        r"|\b(?:pump|reservoir|ITP|drug|medication)\s(?:is\s|was\s|has\sbeen\s)?(?:running|ran|getting|got)\slow\b",
        r"|\b(?:completely\s|totally\s)?out\sof\s(?:(?:IT|intrathecal|pump)\s)?(?:medication|drug|baclofen|morphine|hydromorphone|ziconotide|bupivacaine)\b(?!\s(?:for\b|refills?|prescriptions?|bottles?))",
    ),
)
ZERO = (
    r"(?<![\d.,+\u00b1-])(?:0(?:\.[0-4]\d?)?|\.[0-4]\d?)(?![\d,]|\.\d)\s?(?:mls?\b|cc\b|cm3\b)?"
    r"(?!\s?(?:mg|mcg|%|/|-\s?\d|x\b|times|out\sof))"
)
VOLKEY = (
    r"(?:residual(?:\svolume)?|reservoir(?:\svolume)?|res\.?\svol(?:ume)?|RV|asp(?:irated|iration|irate)?(?:\svol(?:ume)?)?"
    r"|actual(?:\svol(?:ume)?|\sresidual)?|vol(?:ume)?\s(?:aspirated|remaining|recovered|withdrawn|returned|in\s(?:the\s)?reservoir)"
    r"|remaining(?:\svolume)?|withdrawn|recovered|returned|pump\svolume|drug\svolume|interrogat\w*|telemetry|programmer(?:\sreads)?)"
)
ZERO_VOLUME = rx(
    guard=COLON_NO,
    *(
        r"(?<!expected\s)(?<!exp\s)(?<!calc\s)(?<!calculated\s)(?<!predicted\s)(?<!projected\s)",
        # (up to 32 characters between, no digit: "reservoir aspirated by pain team at bedside: 0 mL")
        # (not a difference: "residual within 0.3 mL of expected")
        rf"\b{VOLKEY}\b(?:(?!\b(?:discrepanc|differen|diff\b|varian|error|bolus|change|delta|loss|within))[^.;\n\d]){{0,32}}?{ZERO}"
        r"(?!\s?(?:of|from)\s(?:the\s)?(?:expected|predicted|calculated|calc|projected))"
        # (CSF from the catheter is no reservoir volume: "Catheter aspirated 0.3 mL CSF - patent")
        r"(?<!catheter\saspirated\s\d\.\d\s)(?!\s?(?:mls?|cc)?\s?(?:of\s)?CSF\b)",
        rf"|\b{VOLKEY}\b[^.;\n\d]{{0,12}}?\b(?:zero|nil)\b|\bzero\s(?:residual|volume|drug|mL)\b",
        rf"|{ZERO}\s?(?:mls?|cc)\s(?:aspirated|residual|remaining|in\s(?:the\s)?reservoir|recovered|withdrawn|returned|left)\b",
        # a table cell of its own ("| 0.0 mL |", an HTML cell "0 mL")
        r"|(?<=\|)\s{0,8}0(?:\.0{1,2})?\s?(?:mL|cc)\s{0,8}(?=\|)",
        rf"|{CELL}\s{{0,8}}0(?:\.0{{1,2}})?\s?(?:mL|cc)\s{{0,8}}$|{CELL}\s{{0,8}}0\.0{{1,2}}\s{{0,8}}$",
        r"|(?:^|(?<=\n))[^|\n]{0,30}\|\s{0,8}0(?:\.0{1,2})?\s?(?:mL|cc)\s{0,8}(?=\n|$)",
    ),
)
SETTINGS = (
    r"(?!(?:\s(?:volume\s)?(?:alarms?|alerts?|alarming|warning))?\s?(?:dates?|days?|reset|resets|set\b|setting|settings|threshold|level|limit|volume\s?(?:set|of|at|:|\d)|programmed|program\b"
    r"|at\s\d|to\s\d|of\s\d|:?\s?\d|\(\s?\d|was\s(?:reset|set|programmed|silenced\sand\sreset)|has\sbeen\s(?:reset|set)|is\sset|will|would|should|when|if\b"
    r"|tones?\b|sounds?\b|test|check|teaching|education|instructions|explained|demonstrat\w*|reviewed|scheduled|due|expected|projected|history|log\b|on\s\d))"
)
RESWORD = (
    r"(?:low[- ]?(?:reservoir|res)\b(?:\s(?:volume\s)?(?:alarms?|alerts?|alarming|warning))?"
    r"|low[- ]volume\s(?:alarms?|alerts?)|critical(?:[- ]low)?(?:[- ](?:reservoir|volume))?\s(?:alarms?|alerts?)|critical[- ]low\s(?:reservoir|volume)"
    r"|(?<!low\s)(?<!low-)(?<!critical\s)(?:empty[- ])?reservoir\s(?:alarms?|alerts?)|reservoir\s(?:is\s|was\s)?low\b|LRAs?\b)"
)
NONRES = (
    r"(?![^.\n]{0,80}?\b(?:battery|batt|ERI|EOL|end[- ]of[- ]life|elective\sreplacement|motor|stall|memory|rotor|smoke|detector|glucose|CGM"
    r"|IV\spump|insulin|feeding\spump|occlusion|turned\sout|not\sthe\spump)\b)"
)
NOT_OTHER_ALARM = (
    r"(?<!insulin\s)(?<!feeding\s)(?<!IV\s)(?<!PCA\s)(?<!infusion\s)(?<!enteral\s)(?<!insulin\spump\s)(?<!feeding\spump\s)(?<!IV\spump\s)(?<!PCA\spump\s)(?<!infusion\spump\s)"
    r"(?<!battery\s)(?<!batt\s)(?<!ERI\s)(?<!EOL\s)(?<!ERI\)\s)(?<!motor\s)(?<!stall\s)(?<!memory\s)(?<!error\s)(?<!rotor\s)"
    r"(?<!smoke\s)(?<!fire\s)(?<!bed\s)(?<!car\s)(?<!clock\s)(?<!occlusion\s)(?<!replacement\s)"
    # the alarm taught, not heard: "Reviewed pump alarm with pt (played a sample tone)"
    r"(?<!reviewed\s)(?<!reviewed\sthe\s)(?<!review\sof\s)(?<!review\sof\sthe\s)(?<!taught\s)"
    r"(?<!taught\sthe\s)(?<!demonstrated\s)(?<!demonstrated\sthe\s)(?<!explained\s)(?<!explained\sthe\s)"
)
ALARM_STATE = (
    r"(?:active|activated|on\b(?!\s\d)|sounding|sounded|going\soff|went\soff|gone\soff|goes\soff|beeping|beeped|beeps|alarming|alarmed"
    r"|ringing|chirping|chirped|triggered|audible|blaring|continuous|persistent|intermittent|logged|recorded|occurred|in\sclinic|at\shome|overnight"
    r"|since\b|for\s(?:\d|two|three|several|a\sfew|the\spast|days)|x\s?\d)"
)
ALARM = rx(
    first=words(
        r"low|critical|empty|reservoir|LRAs?|pump|device|ITP|ITB|IT|intrathecal|SynchroMed|Prometra|alarms?|alarming|alarmed|audible|sounding|beeping|active|continuous",
        start=True,
    ),
    guard=RULED_OUT + COLON_NO + NONRES + REMOTE_YEAR,
    *(
        # a table cell naming the alarm alone is a label ("Low reservoir alarm | 2.0 mL")
        r"(?!^\s{0,4}(?:LRAs?|(?:low[- ]?(?:reservoir|volume)|critical(?:\slow)?(?:\sreservoir)?|(?:empty\s)?reservoir)\s(?:alarms?|alerts?))\s{0,4}$)"
        r"(?<!before\sthe\s)(?<!before\s)(?<!prior\sto\sthe\s)(?<!until\sthe\s)(?<!avoid\sthe\s)(?<!prevent\sthe\s)(?<!before\sher\s)(?<!before\shis\s)"
        rf"\b(?>{RESWORD}){SETTINGS}",
        rf"|{NOT_OTHER_ALARM}\b(?:pump|device|ITP|ITB|IT\spump|intrathecal\spump|SynchroMed|Prometra)\s(?:'s\s)?(?:alarms?|alarmed|alarming|alert|beeping|beeped|beeps|chirping|chirped|dinging|chiming|buzzing|sounding|going\soff|went\soff"
        r"|(?:has\sbeen|is|was|kept|keeps|started|began)\s(?:alarming|beeping|chirping|dinging|chiming|buzzing|going\soff|sounding|crying|ringing|screaming|squealing|whistling)|[\"'\u201c\u2018]\s?(?:(?:has\sbeen|is|was|keeps|kept)\s)?(?:beeping|alarming|chirping|dinging|chiming))",
        SETTINGS,
        rf"|{NOT_OTHER_ALARM}\balarms?\s(?:is\s|was\s|has\sbeen\s|have\sbeen\s|kept\s|keeps\s|started\s|began\s|now\s|still\s)?{ALARM_STATE}",
        r"|\balarm(?:ing|ed)\s(?:since|for\s|x\s?\d|all\s|overnight|continuously|intermittently|at\shome|in\sclinic)",
        r"|\b(?:audible|sounding|beeping|active|continuous)\s(?:pump\s)?alarms?\b",
        # "Pt's ITB pump has been emitting a repeating two-tone alert since 0900"
        rf"|{NOT_OTHER_ALARM}\b(?:pump|device|ITP|ITB|IT\spump|intrathecal\spump|SynchroMed|Prometra)\s(?:has\sbeen\s|is\s|was\s|keeps\s|kept\s|started\s)?(?:emitting|giving\soff|making|sounding|playing)\s(?:an?\s)?(?:[\w-]+\s){{0,3}}?(?:alerts?|alarms?|tones?|beeps?|beeping|chimes?|sounds?|noises?)\b",
        rf"|{CELL}\s{{0,4}}(?:sounding|alarming|beeping|going\soff|triggered)\s{{0,4}}$",
    ),
)
MISSED = rx(
    first=words(
        r"miss\w*|skip\w*|forgot\w*|cancel\w*|refills?|not|never|late|did|didn|couldn|could|unable",
        start=True,
        also="n't",
    ),
    guard=COLON_NO + REMOTE_YEAR,
    *(
        r"(?<!never\s)(?<!not\s)(?<!n't\s)(?<!no\s)(?<!without\s)(?<!of\s)(?<!about\s)(?<!avoid\s)\b(?:miss(?:ed|ing)|skip(?:ped|ping)?|forgot|forgotten|cancel(?:l)?ed)\b",
        gap(40),
        r"\brefills?\b(?!\s?[:=]\s?(?:0|none|no)\b)",
        r"|(?<!never\s)(?<!not\s)(?<!n't\s)(?<!no\s)\bmiss(?:ed|ing)\s(?:(?:his|her|their|the|a|two|2|three|several|multiple|last|scheduled|\d{1,2}/\d{1,2})\s){0,3}(?:pump|ITP|ITB|refill|pump\srefill|pump\sclinic)\s(?:appointments?|appts?|visits?)",
        r"|(?<!never\s)(?<!not\s)(?<!n't\s)(?<!no\s)\bmiss(?:ed|ing)\s(?:(?:his|her|their|the|a|two|2|three|several|multiple|last|scheduled)\s){0,3}(?:appointments?|appts?|visits?)\b(?=[^.\n]{0,60}\b(?:pump|refill|ITB|ITP|reservoir|alarm))",
        r"|(?:\bnot|n't|\bnever)\s(?:been\s)?refilled\b",
        r"|\brefills?\b",
        # (an aside counts as one step: "refill was due 2/10 (alarm date 2/8 per pump card) -
        # not done")
        aside_gap(40),
        r"(?<!not\s)(?<!never\s)(?<!n't\s)\b(?:missed|skipped|overdue|late|past\s?due|not\sdone|not\sperformed|cancel(?:l)?ed|no[- ]?showed|lapsed)\b(?!\s(?:afternoon|morning|evening|today|tomorrow|next|this)\b)",
        rf"|{CELL}\s{{0,4}}(?:late|missed|skipped|no[- ]?show)\b(?!\s(?:work|school|meals?|doses?|medications?|pills?|PT\b|therapy|class|sleep|appointment\swith|afternoon|morning|evening|night|effects?|onset|stage|complications?|entry|note|documentation|addendum|charting|\d)|\s?(?:refills?|appointments?|appts?|doses?)?\s?[:=]\s?(?:0|none|no)\b)",
        r"|\b(?:did\snot|didn't|couldn't|could\snot|unable\sto)\s(?:make|get\sto|keep|attend)\s(?:it\sto\s)?(?:(?:his|her|the|their|a)\s)?(?:pump\s)?refill",
    ),
)
OVERDUE = rx(
    first=words(
        r"overdue|past|refill|due|\d{1,3}|\d{1,3}d|one|two|three|four|five|six|seven|eight|nine|ten|few|several|couple|late|delinquent|beyond|after|exceeded|passed|alarm"
    ),
    guard=COLON_NO + REMOTE_YEAR,
    *(
        r"(?<!not\s)(?<!never\s)\b(?:overdue|past\s?due)\b(?!\s(?:for\s)?(?:a\s)?(?:colonoscopy|mammogra\w*|vaccin\w*|immuni\w*|labs?|blood\swork|psych\w*|dental|screening|bill))",
        r"|\b(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|a\sfew|several|a\scouple\sof)\s?(?:d|days?|wks?|weeks?|mos?|months?)\s(?:late|overdue|past\s(?:due|(?:the\s|her\s|his\s|their\s)?(?:low[- ]reservoir\s)?alarm))\b",
        r"|\b(?:late|delinquent)\s(?:for|with)\s(?:(?:his|her|the|a|their)\s)?(?:pump\s)?refill",
        r"|\blate\s(?:pump\s)?refill",
        r"|\b(?:past|beyond|after|exceeded|passed|overdue\spast)\s(?:(?:the|her|his|their|its|projected|scheduled)\s){0,2}(?:low[- ]reservoir\s)?alarm\s?dates?\b",
        r"|\balarm\sdates?\s(?:has\s|have\s|had\s)?(?:passed|elapsed|exceeded|come\sand\sgone)",
        r"|\brefill\sdates?\s(?:has\s|have\s|had\s)?(?:passed|elapsed|come\sand\sgone)",
        # "the refill due date passed 18 days ago and the alarm date 11 days ago"
        r"|\b(?:refill\s)?due\sdates?\s(?:has\s|have\s|had\s)?(?:passed|elapsed|come\sand\sgone)",
        r"|\balarm\sdates?\s(?:was\s)?(?:\d{1,3}|one|two|three|four|five|six|seven|a\sfew|several)\s(?:days?|wks?|weeks?)\sago\b",
        r"|\bdue\s(?:for\s(?:(?:a|her|his|the)\s)?(?:pump\s)?refill\s)?(?:\d{1,3}|one|two|three|four|a\sfew|several)\s(?:days?|wks?|weeks?|months?)\sago\b",
    ),
)
NO_SHOW = rx(
    first=words(r"no|did|didn|failed|refill|supposed"),
    guard=COLON_NO + REMOTE_YEAR,
    *(
        r"\bno[- ]?show(?:ed|s)?\b",
        r"|\b(?:did\snot|didn't|failed\sto)\s(?:show|come\sin|come|present|attend|keep|make\sit)\b[^.;\n]{0,30}?\b(?:refill|appointment|appt)",
        r"|\brefill[^.;\n]{0,60}?\b(?:did\snot|didn't|failed\sto)\s(?:show|come|attend|keep)",
        r"|\bsupposed\sto\s(?:come\sin|be\sseen|return|come\sback)\sfor\s(?:(?:his|her|a|the)\s)?(?:pump\s)?refill",
    ),
)

HEADERS = (
    "interrogation",
    "preop",
    "pre-op",
    "postop",
    "post-op",
    "exam",
    "o",
    "s",
    "a",
    "p",
    "a/p",
    "assessment",
    "impression",
    "plan",
    "events",
    "consult",
    "labs",
    "hpi",
    "ros",
    "reservoir",
    "today",
    "status",
    "screening",
)
INFECTION_HEADERS = (
    "pocket",
    "incision",
    "incisions",
    "site",
    "wound",
    "skin",
    "cultures",
    "cx",
    "bcx",
    "back",
    "abdomen",
    "lumbar",
)

# Words that after a comma always start a new clause, and subjects that do when a predicate follows.
CLAUSE_STARTS = (
    "now",
    "pt",
    "patient",
    "exam",
    "labs",
    "rv",
    "lra",
    "residual",
    "aspirated",
    "aspirate",
    "aspiration",
    "interrogation",
    "programmer",
)
INFECTION_CLAUSE_STARTS = ("csf", "bcx", "cultures", "culture", "cx", "blood")
INFECTION_CLAUSE_SUBJECTS = {
    (
        "pocket",
        "incision",
        "wound",
        "site",
        "catheter",
        "exit site",
        "pump site",
        "pump pocket",
        "lumbar incision",
        "abdominal incision",
    ): (
        "with",
        "is",
        "was",
        "has",
        "now",
        "erythematous",
        "draining",
        "drained",
        "tender",
        "swollen",
        "warm",
        "red",
        "fluctuant",
        "indurated",
        "dehisced",
        "open",
        "purulent",
        "infected",
        "culture",
        "cx",
        "grew",
        "positive",
    ),
}
CLAUSE_SUBJECTS = {
    (
        "pump",
        "reservoir",
        "device",
        "alarm",
        "pump alarm",
        "low reservoir",
        "critical alarm",
        "reservoir volume",
    ): (
        "is",
        "was",
        "has",
        "now",
        "empty",
        "dry",
        "beeping",
        "alarming",
        "sounding",
        "chirping",
        "active",
        "on",
        "going",
        "went",
        "ran",
        "triggered",
        "shows",
        "reads",
        "aspirated",
    ),
}

empty_pump = {
    "concept": "empty-pump",
    "targets": [
        {
            "category": "EMPTY_PUMP",
            "literals": [
                "pump ran out of medication",
                "reservoir was empty",
                "reservoir aspirated dry",
                "aspirated 0 mL",
                "low reservoir alarm sounding",
            ],
            "pattern": one(RAN_OUT, PUMP_EMPTY, EMPTY_PUMP, ZERO_VOLUME, ALARM),
        },
        {
            "category": "MISSED_REFILL",
            "literals": ["missed pump refill", "overdue pump refill", "no-show for refill"],
            "pattern": one(MISSED, OVERDUE, NO_SHOW),
        },
    ],
    "contextRules": [
        *(
            {"literal": lit, "category": "NEGATED_EXISTENCE", "direction": "PSEUDO"}
            for lit in ("no-show", "no-showed", "no-shows", "no show", "no showed")
        ),
        # a missed visit is not a negation ("she did not come in, and the alarm started")
        *(
            {"literal": lit, "category": "NEGATED_EXISTENCE", "direction": "PSEUDO"}
            for lit in (
                "did not show",
                "didn't show",
                "did not come in",
                "didn't come in",
                "did not attend",
                "didn't attend",
                "did not keep",
                "did not make it in",
                "did not make his",
                "did not make her",
                "did not make the",
                "didn't make",
                "not see him until",
                "not see her until",
                "not seen until",
                "not come in until",
                "not until",
                "did not come for",
                "didn't come for",
                "did not present for",
                "did not return for",
                "did not show up",
                "failed to show",
                "failed to attend",
                "failed to come in",
                "no call no show",
            )
        ),
        *(
            {"literal": lit, "category": "HYPOTHETICAL", "direction": "FORWARD"}
            for lit in (
                "unsure whether",
                "unsure if",
                "not sure whether",
                "not sure if",
                "uncertain whether",
                "uncertain if",
            )
        ),
        *(
            {
                "literal": lit,
                "category": "HISTORICAL",
                "direction": "BIDIRECTIONAL",
                # an earlier device's events, not the hospice or prognosis beside them
                "allowedTypes": [*PUMP_AND_INFECTION_CATEGORIES],
            }
            for lit in (
                "previous pump",
                "prior pump",
                "old pump",
                *(
                    f"{when} {kind} pump"
                    for when in ("previous", "prior", "old", "first", "original", "explanted")
                    for kind in ("IT", "ITB", "intrathecal", "baclofen", "morphine")
                ),
                "previous device",
                "prior device",
                "old device",
                "explanted pump",
                "first pump",
                "original pump",
                # by brand ("Prior SynchroMed (explanted 2022) had run dry twice")
                *(
                    f"{when} {brand}"
                    for when in ("prior", "previous", "old", "first", "original", "explanted")
                    for brand in ("synchromed", "prometra", "medtronic pump", "codman pump")
                ),
            )
        ),
        *(
            {"literal": lit, "category": "HISTORICAL", "direction": "PSEUDO"}
            for lit in (
                "previous pump refill",
                "prior pump refill",
                "previous pump trial",
                "prior pump trial",
            )
        ),
        *(
            {"literal": lit, "category": "HISTORICAL", "direction": "BACKWARD"}
            for lit in (
                "none since",
                "since then on time",
                "since then refills",
                "since then no",
                "since then, no",
            )
        ),
        *(
            {"literal": lit, "category": "HYPOTHETICAL", "direction": "FORWARD"}
            for lit in (
                "patient education:",
                "pt education:",
                "education:",
                "teaching:",
                "instructions:",
                "education provided",
                "educated about",
                "taught",
                "taught pt",
                "taught patient",
            )
        ),
        *(
            {"literal": lit, "category": "HYPOTHETICAL", "direction": "FORWARD"}
            for lit in ("danger of", "dangers of", "consequences of", "importance of")
        ),
        # ... nor one named after what was shown on it ("demonstrated the low-reservoir and
        # critical alarms on a training pump")
        *(
            {"literal": f"on {a} {device}", "category": "HYPOTHETICAL", "direction": "BACKWARD"}
            for a in ("a", "the")
            for device in (
                "training pump",
                "demo pump",
                "demonstration pump",
                "practice pump",
                "training device",
                "demo device",
                "demonstration device",
            )
        ),
        # a device shown in teaching is not the patient's ("the demonstration pump was set to
        # sound the low reservoir alarm so pt and wife could hear it")
        *(
            {"literal": lit, "category": "HYPOTHETICAL", "direction": "FORWARD"}
            for lit in (
                "demonstration pump",
                "demo pump",
                "demonstration device",
                "demo device",
                "training pump",
                "teaching pump",
            )
        ),
        # how the pump behaves, not what it did ("your pump beeps when it gets low")
        *(
            {"literal": lit, "category": "HYPOTHETICAL", "direction": "BACKWARD"}
            for lit in (
                "when it gets low",
                "when it is low",
                "when it's low",
                "when it runs low",
                "when the reservoir gets low",
                "when the reservoir is low",
                "when the reservoir runs low",
            )
        ),
        *(
            {"literal": lit, "category": "HYPOTHETICAL", "direction": "BACKWARD"}
            for lit in (
                "can cause",
                "could cause",
                "may cause",
                "would cause",
                "can lead to",
                "could lead to",
                "may lead to",
                "can result in",
                "could result in",
            )
        ),
        *(
            {"literal": lit, "category": "HYPOTHETICAL", "direction": "FORWARD"}
            for lit in ("to avoid", "to prevent", "in the event")
        ),
        *(
            {"literal": lit, "category": "FAMILY", "direction": "FORWARD"}
            for lit in (
                "read about",
                "reading about",
                "reading online",
                "read online",
                "heard about",
                "friend whose",
                "friend who",
                "friend's",
                "friend from",
                "friend's pump",
                "someone whose",
                "someone who",
                "another patient",
                "other patients",
                "neighbor",
                "neighbor's",
                "roommate",
                "support group",
            )
        ),
        *(
            {"literal": f"{who} {verb}", "category": "FAMILY", "direction": "PSEUDO"}
            for who in (
                "wife",
                "husband",
                "daughter",
                "son",
                "mother",
                "father",
                "parents",
                "family",
                "spouse",
                "partner",
                "sister",
                "brother",
            )
            for verb in (
                "called",
                "on phone",
                "on the phone",
                "on the line",
                "reports",
                "reported",
                "states",
                "stated",
                "says",
                "said",
                "notes",
                "noted",
            )
        ),
        # "X: no" is read by the default ": no" rule as BACKWARD (and it prunes the FORWARD "no"),
        # so "Interrogation: no low reservoir alarm" would be asserted. Section and exam headers
        # followed by "no" negate forward.
        *(
            {"literal": f"{h}: no", "category": "NEGATED_EXISTENCE", "direction": "FORWARD"}
            for h in HEADERS
        ),
        # a relative's pump named by the caller is the patient's ("daughter reports dad's pump beeping")
        *(
            {"literal": f"{rel} pump", "category": "FAMILY", "direction": "PSEUDO"}
            for rel in ("dad's", "father's", "mom's", "mother's")
        ),
        # A comma followed by a new subject starts a new clause: "afebrile, no chills, pocket
        # erythematous with purulent drainage" must not carry the negation onto the pocket.
        *(
            {"literal": f", {w}", "category": "CONJ", "direction": "TERMINATE"}
            for w in CLAUSE_STARTS
        ),
        *(
            {"literal": f", {v} {o}", "category": "CONJ", "direction": "TERMINATE"}
            for v in ("reports", "states", "says", "notes")
            for o in (
                "the pump",
                "pump",
                "beeping",
                "the alarm",
                "an alarm",
                "alarm",
                "running out",
                "she ran",
                "he ran",
            )
        ),
        *(
            {"literal": f", {w} {p}", "category": "CONJ", "direction": "TERMINATE"}
            for ws, ps in CLAUSE_SUBJECTS.items()
            for w in ws
            for p in ps
        ),
        *(
            {"literal": f"per {who}", "category": "FAMILY", "direction": "PSEUDO"}
            for who in (
                "wife",
                "husband",
                "daughter",
                "son",
                "mother",
                "father",
                "parents",
                "family",
                "spouse",
                "partner",
            )
        ),
    ],
}

# ---------------------------------------------------------------------------------- infection
ORG = (
    r"(?:MRSA|MSSA|VRE|aureus|epidermidis|faecalis|faecium|aeruginosa|marcescens|agalactiae|pyogenes|lugdunensis|albicans|cloacae|mirabilis|\b[SEPKC]\.(?=\s|$)|S\.?\s?aureus|S\.?\s?epi(?:dermidis)?|staph\w*|strep\w*|CoNS|coag(?:ulase)?[- ]neg\w*\s?staph\w*|GPC|GNR|GNB|GPB|GPR"
    r"|gram[- ]?(?:positive|negative|pos|neg)\s(?:cocci|rods|bacilli|organisms?)|E\.?\s?coli|pseudomonas|P\.?\s?aeruginosa|klebsiella|enterobacter\w*"
    r"|enterococc\w*|E\.?\s?faecalis|serratia|proteus|acinetobacter|cutibacterium|propionibacter\w*|C\.?\s?acnes|corynebacter\w*|candida|yeast|bacteroides|cocci\b|bacilli\b|organisms?\sseen)(?![a-z])"  # not "Candidacy"
)
CX_NEG = r"(?<!repeat\s)(?<!f/u\s)(?<!follow-up\s)(?<!surveillance\s)(?<!clearance\s)(?:cultures?|cx)\s(?:(?:were|was|are|is|remain(?:ed)?|x\s?\d|\d/\d)\s){0,2}(?:neg(?:ative)?|no\sgrowth|NGTD|sterile)"
NOT_INFECTION = (
    r"(?![^.;,\n]{0,20}?\b(?:not\s(?:present|seen|identified|found|evident|confirmed)|(?:is\s|was\s)?absent)\b)"
    rf"(?![^.;\n]{{0,80}}?(?:(?<!not\s)(?<!n't\s)(?<!not\sbeen\s)\bruled\sout|\br/o'd|(?<!not\s)(?<!n't\s)(?<!cannot\sbe\s)(?<!can't\sbe\s)(?<!not\sbeen\s)\bexcluded\b|\bnot\s(?:infect\w*|an\sinfection|consistent)|\bcontaminant|\bcoloni[sz]\w*|\bwithout\srecurrence|\bno\srecurrence"
    r"|\bcompleted\s(?:a\s|the\s|his\s|her\s)?(?:full\s)?(?:course|treatment|therapy|abx|antibiotics)|\bas\sa\s(?:child|kid|teen|teenager|baby|infant)"
    rf"|\b{CX_NEG}))"
)
NOT_PREVENTED = r"(?<!against\s)(?<!prevent\s)(?<!preventing\s)(?<!prevention\sof\s)(?<!prophylaxis\sfor\s)(?<!ppx\sfor\s)(?<!prophylactic\s)(?<!reduce\s)(?<!minimize\s)(?<!avoid\s)"
PAST_WORDS = (
    "prior",
    "previous",
    "remote",
    "past",
    "former",
    "old",
    "resolved",
    "treated",
    "healed",
    "hx",
    "h/o",
)
NOT_PAST = "".join(rf"(?<!{w}\s)" for w in PAST_WORDS) + "".join(
    rf"(?<!{w}\s{x}\s)"
    for w in PAST_WORDS
    for x in ("pocket", "wound", "incision", "site", "catheter", "pump", "MRSA", "MSSA")
)
GUARD = NOT_PREVENTED + NOT_PAST + NOT_INFECTION + REMOTE_YEAR
SITE_WORD = r"(?:(?:pump[- ])?pocket|pump[- ]site|pump|incision(?:al)?|wound|surgical[- ]site|catheter(?:[- ]tract)?|(?<!urinary\s)(?<!respiratory\s)tract|tunnel|exit[- ]site|insertion[- ]site|entry[- ]site|needle[- ]site|refill[- ]site|access[- ]site|port[- ]site|device|hardware|implant|stitch|suture|port|anchor[- ]site|lumbar\ssite|back\sincision)"
SITE_NAMED = rx(
    first=words(
        r"pocket|pump|incision\w*|wound|surgical|catheter|tract|tunnel|exit|insertion|entry|needle|device|hardware|implant|stitch|suture|port|anchor|lumbar|back|infected|infection|superficial|deep|incisional|organ|SSI|source|nidus"
    ),
    guard=COLON_NO + GUARD,
    *(
        rf"\b{SITE_WORD}\s(?:site\s)?(?:infections?|infx|infxn|inf\b|abscess(?:es)?|cellulitis)",
        r"|\binfected\s(?:[a-z]{2,12}\s)?(?:pump|pocket|incision|wound|catheter|device|hardware|implant|seroma|hematoma|stitch|suture|site|tract|system)\b",
        r"|\b(?:pocket|incision|wound|site|catheter|tract|device|pump|hardware)\s(?:is\s|was\s|appears\s|looks\s|now\s)?infected\b",
        r"|\binfection\s(?:of|at|involving|around|over)\s(?:the\s)?(?:pump|pocket|incision|wound|catheter|device|hardware|site|tract|lumbar|abdominal)",
        r"|\b(?:superficial|deep|incisional|organ[- ]space)\sSSI\b|\bSSI\s(?:at|of|involving)\b",
        r"|\b(?:source|nidus)\s?:?\s(?:(?:the|is|was|likely|presumed|probable|suspected|felt\sto\sbe)\s){0,2}(?:pump\s)?(?:pocket|incision|wound|catheter|device|pump|hardware)\b",
        r"|\b(?:pump\s)?(?:pocket|incision|catheter|device|pump)\s(?:(?:is|was|as|the)\s)?(?:suspected\s|likely\s|presumed\s|probable\s)?source\b",
    ),
)
NOT_DENIED = r"(?<!\bno\s)(?<!\bnot\s)(?<!without\s)(?<!w/o\s)(?<!denies\s)(?<!negative\sfor\s)"
PUS = rx(
    first=words(
        r"purulen\w*|seropurulent|pus|suppurat\w*|pyogenic|cloudy|thick|yellow\w*|green\w*|turbid|creamy|foul\w*|malodorous|opaque|milky|draining|sinus|erythema\w*|red\w*|warm\w*|indurat\w*|swollen|swelling|drainage|fluctuan\w*|fluct"
    ),
    guard=COLON_NO + GUARD,
    *(
        r"(?<!non-)(?<!non\s)\b(?:purulen(?:t|ce)|seropurulent|pus|suppurat\w*|pyogenic)\b(?!\s(?:sputum|rhinorrhea|nasal|cough|conjunctivitis))",
        r"|\b(?:cloudy|thick|yellow(?:ish)?|green(?:ish)?|turbid|creamy|foul(?:[- ]smelling)?|malodorous|opaque|milky)\s(?:[a-z-]{1,15}\s)?(?:drainage|discharge|d/c\b|exudate)",
        r"|\bdraining\s(?:sinus|tract|wound|incision|pocket)|\bsinus\stract\b",
        # a pair of signs starts at a sign that is not itself denied: in "no erythema, pocket with
        # purulent drainage" the pair would carry the "no" onto the drainage
        rf"|(?<!for\s){NOT_DENIED}\b(?:erythema(?:tous)?|red(?:ness)?|warm(?:th)?|indurat\w*|swollen|swelling)\b",
        gap(70),
        r"\b(?:fluctuan\w*|fluct\b|drainage|draining|oozing|d/c\b(?!['\u2019]d|\s(?:home|to|on|from|planning|summary|today|tomorrow|abx|antibiotics|vanc\w*|meds|sutures?|staples)))",
        rf"|(?<!for\s){NOT_DENIED}\b(?:drainage|draining|fluctuan\w*|fluct\b)",
        gap(40),
        r"\b(?:erythema(?:tous)?|redness|warmth|cellulitis|fever|febrile)\b",
    ),
)
CELLULITIS_ABSCESS = rx(
    first=words(r"cellulitis|phlegmon|abscess\w*"),
    guard=COLON_NO + GUARD,
    *(
        r"\b(?:cellulitis|phlegmon)\b",
        r"|(?<!epidural\s)(?<!spinal\s)(?<!intraspinal\s)(?<!subdural\s)(?<!brain\s)(?<!paraspinal\s)(?<!psoas\s)(?<!dental\s)(?<!tooth\s)(?<!perirectal\s)(?<!perianal\s)"
        r"(?<!peritonsillar\s)(?<!liver\s)(?<!hepatic\s)(?<!lung\s)(?<!renal\s)(?<!tubo-ovarian\s)\babscess(?:es)?\b",
    ),
)
SITE_CULTURE = rx(
    first=words(
        r"pocket|wound|incision\w*|site|tract|pump|tissue|intra\w*|operative|drainage|exudate|catheter|cath|tip|abscess|cultures?|cx",
        start=True,
        also=r"(?<=:\s)",  # an organism as a labelled value ("Blood #1: MRSA", a table cell)
    ),
    guard=COLON_NO + GUARD,
    *(
        r"\b(?:pocket|wound|incision(?:al)?|site|tract|pump|tissue|intra-?op(?:erative)?|operative|drainage|exudate|(?:catheter|cath)\s(?:tip|tract)|tip|abscess)\s(?:swab\s|fluid\s|aspirate\s|tissue\s|drainage\s)?(?:cultures?|cx|swab|aspirate|fluid|gram\sstain)s?\b",
        rf"[^.;]{{0,30}}?(?:{ORG}|\bpositive\b|\bpos\b|\bgrew\b|\bgrowing\b|\bgrows\b|\s?\+)",
        rf"|\b(?:cultures?|cx)\s?:\s?{ORG}",
        # "drainage from the pump pocket grew MSSA"
        rf"|\b(?:drainage|fluid|pus|aspirate|exudate|swab)\b[^.;\n]{{0,40}}?\b(?:grew|growing|grows|positive\sfor)\s{ORG}",
        rf"|{CELL}(?![^\n]{{0,60}}\b(?:neg|negative|screen\w*|nares|nasal|coloni\w*|carrier|carriage|no\sgrowth|none|hx|history|contaminant)\b)\s{{0,4}}(?:(?:positive|pos|growing|grew)\s?(?:for\s)?:?\s?)?{ORG}[^\d\n]{{0,30}}$",
    ),
)
SYSTEMIC_NAMED = rx(
    first=words(
        r"bacter\w*|septic\w*|sepsis|urosepsis|fungemia|candidemia|endocarditis|pneumonia|pyelonephritis|cholangitis|osteomyelitis|spondylodiscitis|discitis|empyema|necrotizing|toxic|bloodstream|CLABSI|UTIs?|active|signs?|evidence"
    ),
    guard=COLON_NO + GUARD,
    *(
        r"\b(?:bacter(?:a)?emi(?:a|c)|septic(?:a)?emia|fungemia|candidemia|endocarditis|pneumonia|pyelonephritis|cholangitis|osteomyelitis|(?:spondylo)?discitis|empyema|necrotizing\sfasciitis|toxic\sshock|bloodstream\sinfection|CLABSI)\b",
        r"(?!\s(?:screen\w*|work-?up|protocol|bundle|alert|risk|precautions|criteria|vaccin\w*|shot|immuni\w*))",
        r"|\bUTIs?\b(?!\s(?:symptoms|sx|prevention|ppx|prophylaxis|risk))",
        r"|\bactive\sinfections?\b",
        r"|(?:(?<=shows\s)|(?<=showing\s)|(?<=with\s)|(?<=has\s)|(?<=had\s)|(?<=developed\s)|(?<=early\s)|(?<=obvious\s)|(?<=clear\s)|(?<=frank\s)|(?<=definite\s))(?:signs?|evidence)\sof\s(?:an?\s)?(?:infection|infx)",
    ),
)
# Sepsis is a clinical diagnosis: negative blood cultures do not rule it out ("sepsis from
# pneumonia, blood cultures negative, on ceftriaxone"), so its guard leaves out CX_NEG.
NOT_INFECTION_BUT_CULTURES = NOT_INFECTION.replace(rf"|\b{CX_NEG}", "")
SEPSIS_NAMED = rx(
    first=words(r"sepsis|urosepsis|septic\w*"),
    guard=COLON_NO + NOT_PREVENTED + NOT_PAST + NOT_INFECTION_BUT_CULTURES + REMOTE_YEAR,
    *(
        r"\b(?:sepsis|urosepsis|septic(?!\s(?:tank|work-?up)))\b",
        r"(?!\s(?:screen\w*|work-?up|protocol|bundle|alert|risk|precautions|criteria))",
    ),
)
BLOOD_CULTURE = rx(
    first=words(r"blood|BCx|hemocultures?|\d/\d", start=True, also=rf"\b{ORG}"),
    guard=COLON_NO + GUARD,
    *(
        r"\b(?:blood\s(?:cultures?|cx)|BCx|hemocultures?|blood\sx\s?\d|blood\sbottles?)\b",
        # (a decimal, "fever 38.9", does not end the gap)
        # (nor a negative result: "BCx no growth x 48 h, CXR clear, C. diff not sent")
        rf"(?:(?!no\sgrowth|neg\b|negative|NGTD|sterile|not\b)(?:[^.;]|(?<=\d)\.(?=\d))){{0,40}}?(?:{ORG}|\bpositive\b|\bpos\b|\bgrew\b|\bgrowing\b|\bgrowth\sof\b|(?<![\d/])\b[1-9]\s?/\s?[1-9]\b|\b[1-9]\sof\s[1-9]\b)",
        rf"|{ORG}[^.;\d]{{0,15}}?(?<![\d/])[1-9]\s?/\s?[1-9]\b(?:\s(?:bottles|sets))?",
        # "2/2 bottles GPC in clusters" (one bottle of a skin organism may be a contaminant)
        rf"|(?<![\d/])[2-9]\s?/\s?[2-9]\s(?:bottles|sets)\s(?:(?:grew|growing|with|positive|pos|\+|for)\s){{0,2}}{ORG}",
        rf"|{CELL}\s{{0,4}}[1-9]\s?/\s?[1-9]\s(?:bottles\s|sets\s)?(?:positive|pos\b|\+)",
    ),
)
GENERIC = rx(
    first=words(r"infections?|infx|infxn"),
    guard=COLON_NO + GUARD,
    *(
        "".join(
            rf"(?<!{v}\sfor\s)"
            for v in (
                "monitor",
                "monitored",
                "monitoring",
                "watch",
                "watching",
                "observe",
                "check",
                "checked",
                "evaluate",
                "evaluated",
                "assess",
                "assessed",
                "screen",
                "screened",
                "wound",
                "incision",
                "site",
                "pocket",
                "closely",
                "carefully",
            )
        ),
        r"(?<!s/s\s)(?<!s/s\sof\s)(?<!signs\sof\s)(?<!sign\sof\s)(?<!symptoms\sof\s)(?<!evidence\sof\s)(?<!worried\sabout\s)(?<!concerned\sabout\s)(?<!afraid\sof\s)(?<!fear\sof\s)(?<!anxious\sabout\s)(?<!worries\sabout\s)"
        r"(?<!risk\sof\s)(?<!risks\sof\s)(?<!prevent\s)(?<!prevention\sof\s)(?<!viral\s)(?<!respiratory\s)(?<!respiratory\stract\s)",
        r"\b(?:infections?|infx|infxn)\b",
        r"(?!\s(?:risk|risks|rate|rates|precautions?|prevention|control|prophylaxis|ppx|concerns?|work-?up|screen(?:ing)?|teaching|education|surveillance|monitoring|markers?))",
    ),
)
CNS = rx(
    first=words(
        r"meningitis|ventriculitis|meningoencephalitis|encephalitis|cerebritis|CNS|intrathecal|neuraxial|epidural|spinal|intraspinal|subdural|intradural|paraspinal|brain|bacterial|infectious|infective|septic|purulent|arachnoiditis|CSF"
    ),
    guard=COLON_NO + GUARD,
    *(
        r"(?<!aseptic\s)(?<!chemical\s)(?<!drug-induced\s)(?<!carcinomatous\s)(?<!lymphomatous\s)(?<!leptomeningeal\s)",
        r"\b(?:meningitis|ventriculitis|meningoencephalitis|encephalitis|cerebritis|CNS\sinfection|intrathecal\sinfection|neuraxial\sinfection)\b",
        r"|\b(?:epidural|spinal|intraspinal|subdural|intradural|paraspinal|brain)\s(?:abscess(?:es)?|empyema|phlegmon)\b",
        r"|\b(?:bacterial|infectious|infective|septic|purulent)\sarachnoiditis\b|\barachnoiditis\s(?:from|due\sto|secondary\sto|2/2|d/t|caused\sby)\s[^.;]{0,25}?(?:infection|bacteri\w*|meningitis)",
        rf"|\bCSF\b[^.;]{{0,40}}?(?:\b(?:cx|cultures?)\s?:?\s?(?:\+|positive|pos\b|grew|growing|{ORG})|\bgram\sstain\s?:?\s?(?:positive|\+|{ORG}))",
    ),
)
infection = {
    "concept": "infection",
    "targets": [
        {
            "category": "SITE_INFECTION",
            "literals": [
                "infected pump pocket",
                "purulent drainage from the incision",
                "pump pocket abscess",
                "pocket culture positive",
            ],
            "pattern": one(SITE_NAMED, PUS, CELLULITIS_ABSCESS, SITE_CULTURE),
        },
        {
            "category": "SYSTEMIC_INFECTION",
            "literals": ["septic shock", "positive blood cultures", "active systemic infection"],
            "pattern": one(SYSTEMIC_NAMED, SEPSIS_NAMED, BLOOD_CULTURE, GENERIC),
        },
        {
            "category": "CNS_INFECTION",
            "literals": ["catheter-associated meningitis"],
            "pattern": one(CNS),
        },
    ],
    "contextRules": [
        *(
            {"literal": f"{h}: no", "category": "NEGATED_EXISTENCE", "direction": "FORWARD"}
            for h in INFECTION_HEADERS
        ),
        *(
            {"literal": f", {w}", "category": "CONJ", "direction": "TERMINATE"}
            for w in INFECTION_CLAUSE_STARTS
        ),
        *(
            {"literal": f", {v} {o}", "category": "CONJ", "direction": "TERMINATE"}
            for v in ("reports", "states", "says", "notes")
            for o in ("pus", "purulent", "drainage", "redness", "swelling", "fever", "fevers")
        ),
        *(
            {"literal": f", {w} {p}", "category": "CONJ", "direction": "TERMINATE"}
            for ws, ps in INFECTION_CLAUSE_SUBJECTS.items()
            for w in ws
            for p in ps
        ),
        *(
            {"literal": lit, "category": "HYPOTHETICAL", "direction": "FORWARD"}
            for lit in (
                "monitor for",
                "monitoring for",
                "call for",
                "call with",
                "report any",
                "watch for",
                "watching for",
                "observe for",
                "look out for",
                "warning signs",
                "return precautions",
                "educated on",
                "education on",
                "counseled on",
                "counselled on",
                *(
                    f"{taught} {about}"
                    for taught in ("counseled", "counselled", "educated")
                    for about in ("re", "re:", "about", "regarding")
                ),
            )
        ),
        *(
            {"literal": lit, "category": "NEGATED_EXISTENCE", "direction": "PSEUDO"}
            for lit in ("despite prophylaxis", "despite ppx", "despite antibiotic prophylaxis")
        ),
        # a consent's list of risks names what may happen ("The consent lists infection
        # (pocket infection, meningitis) among the risks")
        *(
            {"literal": lit, "category": "HYPOTHETICAL", "direction": "FORWARD"}
            for lit in (
                "consent lists",
                "consent listed",
                "consent form lists",
                "consent includes",
                "risks include",
                "risks included",
                "risks including",
                "risks, including",
                "risks such as",
                "risks discussed included",
                "risks discussed including",
            )
        ),
        # "Completed 6 wks IV vancomycin in March for pocket infection": the course is over
        {
            "literal": "completed <a course> for",
            "category": "HISTORICAL",
            "direction": "FORWARD",
            "maxScope": 6,
            "pattern": [
                {"LOWER": {"IN": ["completed", "finished", "completing"]}},
                *(
                    {
                        "TEXT": {"NOT_IN": [".", ";", ":"]},
                        "LOWER": {"NOT_IN": ["for", "but", "now", "and"]},
                        "OP": "?",
                    }
                    for _ in range(7)
                ),
                {"LOWER": "for"},
            ],
        },
        # what is denied is the contaminant, not the infection ("True infection, not
        # contaminant: pump pocket infection")
        *(
            {"literal": f"not {a}{what}", "category": "NEGATED_EXISTENCE", "direction": "PSEUDO"}
            for a in ("", "a ")
            for what in ("contaminant", "contamination", "colonization", "colonisation")
        ),
        *(
            {"literal": lit, "category": "HISTORICAL", "direction": "FORWARD"}
            for lit in (
                "s/p abx course",
                "s/p antibiotic course",
                "completed abx for",
                "completed antibiotics for",
                "finished abx for",
                "finished antibiotics for",
                "completed treatment for",
                "completed therapy for",
            )
        ),
        # "pending" (common, BIDIRECTIONAL) would make "purulent drainage, cultures pending" uncertain
        *(
            {"literal": lit, "category": "POSSIBLE_EXISTENCE", "direction": "PSEUDO"}
            for lit in (
                "cultures pending",
                "culture pending",
                "cx pending",
                "cultures are pending",
                "results pending",
            )
        ),
        *(
            {"literal": lit, "category": "POSSIBLE_EXISTENCE", "direction": "BACKWARD"}
            for lit in (
                "not excluded",
                "cannot be excluded",
                "can't be excluded",
                "not been excluded",
            )
        ),
        *(
            {"literal": lit, "category": "POSSIBLE_EXISTENCE", "direction": "FORWARD"}
            for lit in (
                "concern for",
                "suspect",
                "suspected",
                "presumed",
                "presumptive",
                "questionable",
                "cannot rule out",
                "can't rule out",
                "cannot exclude",
                "can't exclude",
            )
        ),
    ],
}


def main(argv: list[str]) -> int:
    """Write the two concept files, or with --check say whether they are up to date."""
    stale = []
    for name, doc in (("empty-pump", empty_pump), ("infection", infection)):
        path = DIR / f"{name}.json"
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if "--check" in argv:
            if path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date (run tools/note-concepts/build_pump_infection.py): {stale}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
