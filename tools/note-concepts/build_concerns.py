"""Build cds_service/data/note-concerns.json: the concern cues behind "verify".

A concern cue is a word that may document a contraindication (an empty pump, a missed
refill, an infection, a terminal prognosis) in a wording the concept patterns do not
classify. Read about the patient now and in a sentence no pattern of the same concept
matched, it makes the criterion "could not be fully checked — verify", never "met" and
never "contraindicated". Cues are broad on purpose; the guards below drop the wordings
that are plainly not a finding (an answer "none", a ruling-out, a past year, "risk of").

Edit this file, not the JSON; `--check` (run by the tests) fails when the JSON is stale.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The guards the concept patterns use: a cue is read as they would read the same words.
from build_pump_infection import COLON_NO, NOT_FUTURE, NOT_INFECTION, NOT_PAST, NOT_PREVENTED
from firstchars import first_chars

OUT = Path(__file__).resolve().parents[2] / "cds_service" / "data" / "note-concerns.json"
# Alarms and beeping that are some other device's or not about the reservoir.
OTHER_DEVICE = (
    r"(?:battery|batt|ERI|EOL|end[- ]of[- ]life|elective\s+replacement|motor|stall|memory|rotor|"
    r"smoke|detector|glucose|CGM|insulin|feeding|occlusion|phone|turned\s+out|not\s+the\s+pump)"
)
# Pump sites and signs of inflammation (two together, after a site, are a concern).
SITE = (
    r"(?:pocket|incision|wound|pump\s+site|catheter\s+site|exit\s+site|needle\s+site|refill\s+site)"
)
SIGN = r"(?:erythema(?:tous)?|red(?:ness)?|swollen|swelling|warm(?:th)?|indurat\w*|tender(?:ness)?|fluctuan\w*|draining|drainage)"
# Between a site and its signs: not "for" (what to watch for), "or" (either sign), or a negation.
SIGN_GAP = r"(?:(?!\b(?:for|or|nor|no|not|without|w/o|denies|negative)\b)[^.;\n])"
# A short span of time left: "less than 6 months", "maybe 2-3 months", "a few weeks".
TIME_LEFT = (
    # (not how long something has gone on: "has been beeping for a few days")
    r"(?<!\bfor)(?<!\bfor\s)(?<!\bpast)(?<!\bpast\s)(?<!\blast)(?<!\blast\s)"
    r"(?:[\"'\u201c]?\s*(?:(?:probably|possibly|likely|maybe|perhaps|about|approximately|approx\.?|roughly|only|"
    r"at\s+most|less\s+than|under|fewer\s+than|<|~|\u2264)\s*){0,3}"
    r"(?:[1-6]|one|two|three|four|five|six|a\s+few|a\s+couple\s+of|several|some|(?:(?<=than\s)|(?<=under\s)|(?<=maybe\s)|(?<=about\s)|(?<=only\s)|(?<=perhaps\s)|(?<=[\"'\u201c]))a(?=\s+(?:month|week)\b))"
    r"(?:\s*(?:-|\u2013|to|or)\s*(?:[1-6]|two|three|four|five|six))?\s*(?:months?|mos?|weeks?|wks?|days?)\b"
    # a span in words: "hours to days", "days to weeks", "weeks to months"
    r"|\b(?:hours|days|weeks)\s+(?:to|or)\s+(?:days|weeks|(?:a\s+few\s+)?months)\b)"
)
# Not prevented, not past, not feared or planned; and the lookahead that drops a mention
# ruled out, not an infection, a contaminant or colonization, or beside negative cultures.
INFECTION_GUARD = NOT_PREVENTED + NOT_PAST + NOT_FUTURE
NOT_AFTER_DEVICE = "".join(
    rf"(?<!{word}\s)"
    for word in (
        "battery", "batt", "ERI", r"ERI\)", "EOL", "smoke", "insulin", "feeding", "IV", "PCA",
        "bed", "car", "clock", "fire", "motor", "stall", "rotor", "memory", "error", "occlusion",
        "glucose", "CGM", r"insulin\spump", r"feeding\spump", r"IV\spump", r"PCA\spump", "alarm",
    )
)  # fmt: skip
# An alert that is a message, not the pump's: "portal alerts", "a BPA alert", "sepsis alert".
NOT_A_REMINDER = "".join(
    rf"(?<!{word}\s)"
    for word in (
        "portal", "text", "email", "e-mail", "calendar", "reminder", "app", "BPA", "EHR",
        "system", "result", "lab", "sepsis", "fall", "allergy", "medication", "drug", "SMS",
        "phone", "best-practice", "practice", "safety", "chart", "MyChart",
    )
)  # fmt: skip
# The alarm taught, not heard: "Reviewed pump alarm with pt (played a sample tone)".
NOT_TAUGHT = "".join(
    rf"(?<!{verb}\s{the}{pump})"
    for verb in ("reviewed", "taught", "demonstrated", "explained")
    for the in ("", r"the\s")
    for pump in ("", r"pump\s")
)
# Shared guards: not right after ": no" (ConText's ": no" rule looks backward), not before a
# negative answer or a ruling-out, not in a sentence dated to a past year, not after past/prior.
PAST = r"(?<!past\s)(?<!prior\s)(?<!previous\s)(?<!remote\s)(?<!old\s)(?<!resolved\s)"
ANSWER_NO = r"(?!(?:\s*[\w/-]+){0,2}\s*[:=\-]\s*(?:none|no\b|nil|negative|neg\b|n/?a\b|absent|off\b|cleared|inactive|0(?![.,]?\d)))"
RULED_OUT = r"(?![^.;\n]{0,30}?\b(?:ruled\s+out|r/o'd|excluded|unlikely|not\s+(?:present|seen|suspected|found))\b)"
REMOTE_YEAR = r"(?![^.;\n]{0,45}?(?<![\d/-])(?:\d{1,2}/)?(?:19\d\d|20[01]\d|202[0-5])\b(?![/-]\d))"


def guarded(body: str, ahead: str = "", first: str = "") -> str:
    """The cue with the shared guards, fast to fail: a lookahead on the letters a cue's words
    start with (``first``) rejects most positions in one step, and the forward-scanning
    guards (a past year, ``ahead``) run only where the cue itself matches; run at every
    position of a note they would cost the text's length times their window."""
    letters = f"(?=\\b[{first}]|[^\\w\\s])" if first else ""
    gate = letters + "(?=" + body + ")"
    return (
        "(?i)"
        + gate
        + COLON_NO
        + PAST
        + REMOTE_YEAR
        + ahead
        + "(?:"
        + body
        + ")"
        + ANSWER_NO
        + RULED_OUT
    )


PUMP_WORD = r"(?:refills?|pump|ITP|ITB|IDDS|reservoir|appts?|appointments?|visits?)"
MISS_WORD = (
    r"(?:missed|missing|skipped|overdue|past\s?due|no[- ]?show(?:ed|s)?|lapsed|forgot(?:ten)?)"
)
concerns = [
    {
        "category": "EMPTY_PUMP_CUE",
        "concernFor": "EMPTY_PUMP",
        "settledBy": ["EMPTY_PUMP", "MISSED_REFILL"],
        "why": "a reservoir word (empty, dry, ran out, zero volume, an alarm or beeping) that the empty-pump patterns did not classify",
        "pattern": (
            rf"(?i)(?:{NOT_FUTURE}(?<!run\s)(?<!runs\s)(?<!ran\s)(?<!go\s)(?<!going\s)(?<!went\s)(?<!gone\s)"
            r"(?<!clean\sand\s)(?<!clean,\s)(?<!clean/)(?<!c/)(?<!clean\s&\s)(?<!dressing\s)(?<!dressings\s)(?<!bandage\s)(?<!incision\s)(?<!incisions\s)(?<!wound\s)(?<!skin\s)\b(?:empty|emptied|depleted|depletion|dry)\b(?!\s+(?:mouth|skin|eyes?|cough|stomach|bladder|weight|needle|heaves|dressing|powder|inhaler|erase|ice|socket|and\s+intact)|[- ](?:powder|erase))"
            rf"|{NOT_FUTURE}\b(?:ran|run|runs|running)\s+(?:out|dry|low|empty)\b(?!\s+of\b(?!\s+(?:(?:her|his|the|their)\s+)?(?:IT\b|intrathecal|pump|reservoir|baclofen|morphine|hydromorphone|dilaudid|ziconotide|prialt|bupivacaine|drug|medication)))"
            r"|\bout\s+of\s+(?:drug|medication|meds?|baclofen|morphine|hydromorphone|dilaudid|ziconotide|prialt|bupivacaine)\b"
            rf"|{NOT_AFTER_DEVICE}{NOT_TAUGHT}\b(?:alarm(?:s|ed|ing)?|{NOT_A_REMINDER}alert(?:s|ed|ing)?|beep(?:s|ed|ing)?|chirp(?:s|ed|ing)?|two-tone|LRAs?)\b"
            rf"(?![^.\n]{{0,100}}\b{OTHER_DEVICE}\b)"
            r"(?!\s*(?:dates?|days?|intervals?|set\b|setting|settings|thresholds?|levels?|limits?|volumes?|programmed|program\b|reset|:\s*\d|\(?\d|on\s+\d|at\s+\d|tones?|sounds?\s+like|teaching|education|instructions?|reviewed|explained|demonstrat\w*|expected|projected|scheduled|due|tests?\b|checks?\b|will|would|should|may|might|can|could"
            # teaching material: "alarm card given", "alarm leaflet"
            # (not "the alarm card gives an alarm date of 24/02": that date is the patient's)
            r"|cards?\s+(?:given|provided|issued|handed)|leaflets?|booklets?|handouts?|information|info\b"
            # an alarm configured for a date: "the low reservoir alarm is set for July 14th"
            r"|(?:is|was|has\s+been)\s+(?:set|programmed|projected|expected|scheduled|due)\b))"
            r"|\bzero\s+(?:ml|mls|cc|volume|residual|drug|returned|aspirated)\b"
            r"|\bnothing\s+(?:was\s+|could\s+be\s+)?(?:aspirated|returned|back|withdrawn|recovered|obtained)\b"
            r"|\bno\s+(?:drug|fluid|medication|volume|return)\s+(?:was\s+)?(?:returned|aspirated|withdrawn|recovered|obtained|on\s+aspiration)\b)"
        ),
    },
    {
        "category": "MISSED_REFILL_CUE",
        "concernFor": "MISSED_REFILL",
        "settledBy": ["EMPTY_PUMP", "MISSED_REFILL"],
        "why": "a missed, overdue or no-show word near a refill, pump or appointment word that the missed-refill patterns did not classify",
        "pattern": (
            rf"(?i)\b{MISS_WORD}\b(?=[^.;\n]{{0,60}}\b{PUMP_WORD}\b)"
            rf"|\b{PUMP_WORD}\b[^.;\n\d]{{0,40}}?\b(?:{MISS_WORD[3:-1]}|late)\b"
        ),
    },
    {
        "category": "SITE_INFECTION_CUE",
        "concernFor": "SITE_INFECTION",
        # Not settled by SYSTEMIC_INFECTION: the patterns read an infection that names no
        # site as systemic, which a refill does not wait for; the site may still be the pump's.
        "settledBy": ["SITE_INFECTION", "CNS_INFECTION"],
        "why": "an infection word (infection, abscess, pus, cellulitis, incision and drainage) that the infection patterns did not classify",
        "pattern": (
            rf"(?i){INFECTION_GUARD}(?<!non-)(?<!non\s)(?<!risk\s)(?<!risks\s)(?<!risk\sof\s)(?<!risks\sof\s)(?<!prevent\s)(?<!prevention\sof\s)(?<!prophylaxis\sagainst\s)(?<!against\s)"
            r"(?<!monitor\sfor\s)(?<!monitoring\sfor\s)(?<!watch\sfor\s)(?<!signs\sand\ssymptoms\sof\s)(?<!precautions\sfor\s)"
            r"\b(?:infect(?:ed|ion|ions|ious)?|infxn|inf\.?(?=\s+(?:at|of|in|@))|abscess(?:es)?|purulen(?:t|ce)|pus|pustul(?:e|es|ar)|cellulitis|phlegmon|fluctuan(?:t|ce))\b"
            r"(?!\s+(?:diseases?|control|risk|precautions?|prevention|prophylaxis|specialist|surveillance|monitoring|markers?|screen\w*|work-?up)\b)"
            r"|\bI\s?&\s?D\b|\bincision\s+and\s+drainage\b"
            # cloudy or turbid fluid, organisms on a stain or growing in a culture
            r"|\b(?:cloudy|turbid|milky|purulent|foul)\s+(?:fluid|drainage|aspirate|material)\b"
            r"|\bgram\s+stain\b[^.;\n]{0,25}?\b(?:GPC|GNR|GPR|GNB|cocci|rods|bacilli|organisms)\b"
            r"|\b(?:cultures?|cx)\s*(?:[:=]|are|is|was|were)?\s*(?:growing|grew|positive|pos\b|\+)"
            r"|\b(?:heavy|moderate|many|light)\s+growth\b"
            # two signs of inflammation at a pump site ("pocket swollen, erythematous, tender")
            rf"|\b{SITE}\b{SIGN_GAP}{{0,15}}?\b{SIGN}\b{SIGN_GAP}{{0,25}}?\b{SIGN}\b"
            r"|\b(?:wound|pocket|site|incision|fluid)\s+(?:cx|cultures?)\s+(?:\+|pos\w*|grew|growing)"
        ),
    },
    {
        "category": "SYSTEMIC_INFECTION_CUE",
        "concernFor": "SYSTEMIC_INFECTION",
        "settledBy": ["SITE_INFECTION", "SYSTEMIC_INFECTION", "CNS_INFECTION"],
        "why": "a bloodstream infection word (sepsis, bacteremia, positive blood cultures) that the infection patterns did not classify",
        "pattern": (
            rf"(?i){INFECTION_GUARD}(?<!risk\sof\s)(?<!rule\sout\s)\b(?:sepsis|septic(?!\s+(?:workup|work-up))|bacteremi(?:a|c)|fungemia|SIRS)\b"
            r"|\b(?:BCx|blood\s+cultures?)\s+(?:\+|pos\w*|grew|growing|x\s?\d\s+pos\w*)"
        ),
    },
    {
        "category": "CNS_INFECTION_CUE",
        "concernFor": "CNS_INFECTION",
        "settledBy": ["SITE_INFECTION", "SYSTEMIC_INFECTION", "CNS_INFECTION"],
        "why": "a central nervous system infection word (meningitis, ventriculitis, epidural abscess) that the infection patterns did not classify",
        "pattern": rf"(?i){INFECTION_GUARD}(?<!aseptic\s)\b(?:meningitis|ventriculitis|arachnoiditis\s+(?:from|due\s+to)\s+infection|epidural\s+abscess|CSF\s+(?:cx|culture)\s+(?:\+|pos\w*|grew))\b",
    },
    {
        "category": "TERMINAL_CUE",
        "concernFor": "TERMINAL",
        "settledBy": ["TERMINAL", "HOSPICE_NOT_CURRENT"],
        # a prognosis phrase settles it only when the note reads months from it
        "settledIfQuantified": ["PROGNOSIS"],
        "why": "a hospice, terminal or limited-prognosis word that the prognosis patterns did not classify",
        "pattern": (
            r"(?i)\b(?:hospice|terminal(?:ly)?(?!\s+(?:degree|illness\s+insurance))|actively\s+dying|imminent(?:ly)?\s+(?:death|dying|demise)|comfort\s+(?:care|measures)(?:\s+only)?)\b"
            r"|(?<!battery\s)(?<!device\s)(?<!pump\s)\bend[- ]of[- ]life\s+(?:care|stage|phase|discussions?|conversations?)\b"
            r"|(?<!functional\s)(?<!pain\s)(?<!neurologic\s)(?<!surgical\s)\b(?:prognosis|life\s+expectancy|LE|expected\s+survival|survival)\b"
            r"(?!\s+(?:for|of)\s+(?:(?:full|complete|meaningful|good|further|neurologic(?:al)?)\s+)?(?:(?:hand|arm|leg|limb|grip|motor|cognitive|visual|speech|wound|graft|skin|renal|kidney)\s+)?(?:functional|function|return|recovery|work|walking|ambulation|pain|neurologic|healing|survival\s+of\s+the\s+graft|the\s+(?:back|knee|hip|wound|graft)))"
            # "next week" is a date, not a span of time left
            r"[^.;\n]{0,40}?(?<!next\s)(?<!last\s)(?<!this\s)(?<!per\s)(?<!each\s)(?<!every\s)"
            r"\b(?:days?|weeks?|wks?|months?|mos?|half\s+a\s+year|short|limited|guarded|grim|dismal|infaust)\b"
            # time left, told or estimated: "were told 'probably less than 6 months'",
            # "oncology now estimates 1-2 months", "mom has 'maybe 2-3 months'"
            # ("most likely 3 to 6 months on home milrinone", as a team's estimate is written)
            rf"|\b(?:told|tells|estimates?|estimated|expects?|expected|gave|given|gives|predicts?|predicted|has|have|left\s+with|most\s+likely)\b"
            # (not a time to heal or to recover: "burns expected to heal in 2-3 weeks")
            r"(?!\s+to\s+(?:heal|recover|close|be\s+discharged|go\s+home|return|improve|resolve|complete|"
            r"finish|wean|mobili[sz]e|epitheliali[sz]e|graft|mature|settle|stabili[sz]e|ambulate|walk)\b)"
            rf"[^.;\n\d]{{0,25}}?{TIME_LEFT}"
            rf"|{TIME_LEFT}(?=[^.;\n]{{0,20}}\b(?:to\s+live|left|remaining|of\s+life|survival|to\s+survive)\b)"
            # "does not expect him to survive beyond the spring" (the "not" is a PSEUDO cue)
            r"|\b(?:expect\w*|anticipat\w*|likely|unlikely)\s+(?:(?:him|her|them|the\s+patient|pt)\s+)?to\s+(?:survive|live|make\s+it)\s+(?:beyond|past|until|through|to|more\s+than|much\s+longer)"
            r"|\b(?:survive|live)\s+(?:only\s+)?(?:a\s+few|several|\d+)\s+(?:more\s+)?(?:days|weeks|months)\b"
            # a span of time left on its own, "Family informed - days to weeks": written so,
            # it is nearly always a prognosis; not a duration ("pain for days to weeks")
            r"|(?<!for\s)(?<!lasting\s)(?<!lasts\s)(?<!take\s)(?<!takes\s)(?<!taking\s)(?<!past\s)(?<!last\s)"
            r"\b(?:hours|days|weeks)\s+(?:to|or)\s+(?:days|weeks|(?:a\s+few\s+)?months)\b"
            # an outlook judged without a figure, "family aware of poor outlook"
            r"|(?<!time-)(?<!time\s)\b(?:poor|grim|guarded|dismal|bleak|limited|very\s+short)\s+(?:prognosis|outlook|life\s+expectancy)\b"
            # an end-stage disease (not renal failure, lived with on dialysis for years)
            r"|\bend[- ]stage\s+(?!renal\b|kidney\b|ESRD\b)(?:[a-z]+\s+){0,2}?(?:disease|COPD|CHF|heart|cardiac|lung|liver|pulmonary|cancer|malignancy|dementia|ALS|HF|cirrhosis|ESLD|illness)\b"
            r"|\bESLD\b"
        ),
    },
]
# A horizon in words, not numbers, is a prognosis the prognosis patterns match but cannot
# quantify: "does not expect him to survive beyond the spring", "not expected to survive the
# admission". It stays a concern even beside a prognosis phrase (a number would settle it).
concerns.append(
    {
        "category": "SURVIVAL_HORIZON_CUE",
        "concernFor": "TERMINAL",
        "settledBy": ["TERMINAL", "HOSPICE_NOT_CURRENT"],
        "why": "survival to a named season, holiday or event (no number): a prognosis that may be under the minimum",
        "pattern": (
            # from the expectation on, so it is the longer match beside TERMINAL_CUE's
            r"(?i)(?:\b(?:expect\w*|anticipat\w*|likely|unlikely)\s+(?:(?:him|her|them|the\s+patient|pt)\s+)?to\s+)?"
            r"\b(?:survive|live|make\s+it)\s+(?:beyond|past|until|till|through|to|into)?\s*(?:the\s+|this\s+|next\s+)?"
            r"(?:spring|summer|fall|autumn|winter|christmas|xmas|holidays?|thanksgiving|easter|new\s+year|"
            r"end\s+of\s+(?:the\s+)?(?:week|month|year)|week(?:end)?|month|admission|hospitali[sz]ation|"
            r"(?:his|her|their)\s+(?:birthday|anniversary))\b"
        ),
    }
)
# The letters (any case) a cue can start with, worked out from its pattern; where a pattern
# is too open for that (optional quotes and spaces before a number), they are listed here,
# and every alternative the cue adds must start with one of them.
FIRST_LETTERS = {"TERMINAL_CUE": "0-9abcdefghilmnoprstuvw"}


def first_letters(category: str, body: str) -> str:
    found = first_chars(body)
    if found is None:
        return FIRST_LETTERS[category]
    return "".join(sorted({c.lower() for c in found if c.isalnum()}))


for concern in concerns:
    ahead = NOT_INFECTION if concern["concernFor"].endswith("_INFECTION") else ""
    body = concern["pattern"].removeprefix("(?i)")
    concern["pattern"] = guarded(body, ahead, first_letters(concern["category"], body))


def main(argv: list[str]) -> int:
    """Write note-concerns.json, or with --check say whether it is up to date."""
    text = json.dumps({"concerns": concerns}, indent=2, ensure_ascii=False) + "\n"
    if "--check" not in argv:
        OUT.write_text(text, encoding="utf-8")
        return 0
    if OUT.read_text(encoding="utf-8") != text:
        print("out of date (run tools/note-concepts/build_concerns.py): note-concerns.json")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
