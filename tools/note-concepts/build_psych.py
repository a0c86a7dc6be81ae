"""Builds cds_service/data/note-concepts/psych.json: regexes composed from a small vocabulary.

Run: python build.py [out.json]. Every gap is bounded and no quantified group contains another
unbounded quantifier, so each pattern is linear in the text.
"""

import json
import re
import sys

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from factor import factor
from firstchars import charclass, first_chars, prefixes

STOP = r".;!?\n\u2029|"  # a gap never crosses a sentence, list-line or table-cell end ...
TITLE = r"(?:dr|drs|mr|mrs|ms|prof)\.\s"  # ... except the full stop of a title ("Dr. Kim")
# ... and a line wrapped mid-sentence: a line break before a lower-case word ("She was cleared\nby
# psychology for the SCS trial") is a space in hard-wrapped text, not the end of a list line
WRAP = r"\n(?=[a-z])"


def gap(n: int) -> str:
    return rf"(?:{TITLE}|{WRAP}|[^{STOP}]){{0,{n}}}?"


# words that, inside a gap, would change what a phrase means (negation, condition, doubt)
BAD = (
    r"(?:\b(?:not|no|never|non|without|nor|pending|if|once|until|unless|may|might|would|could|"
    r"possibly|possible|probably|likely|should|whether|except|but|however)\b|n't)"
)


def sgap(n: int, bad: str = BAD) -> str:
    """A bounded gap that does not cross a word of ``bad`` (one lookahead per character)."""
    return rf"(?:(?!{bad})(?:{TITLE}|{WRAP}|[^{STOP}])){{0,{n}}}?"


def alt(*parts: str) -> str:
    return "|".join(f"(?:{p})" for p in parts)


def kw(pattern: str) -> str:
    """``pattern`` behind a lookahead on its first characters: after a lazy gap, every position
    of the gap tries what follows, and one character test rejects most of them."""
    head = first_chars(pattern)
    return f"(?={charclass(head)})(?:{pattern})" if head else f"(?:{pattern})"


# --- vocabulary ---------------------------------------------------------------------------
PSYN = (
    r"(?:psych\w{0,10}|psy|bhc?|behaviou?ral(?:[\s-]+(?:health|medicine))?|mental[\s-]+health|"
    r"neuropsych\w{0,8}|psychosocial|psycho-oncology)"
)
PSYCORE = (
    r"(?:psych\w{0,10}|behaviou?ral(?:[\s-]+health)?|mental[\s-]+health|psychosocial|"
    r"neuropsych\w{0,8})"
)
PSYADJ_ALL = rf"(?:{PSYCORE}|emotional|cognitive|personality|substance(?:[\s-]+use)?|social)"
EVALN = (
    r"(?:(?:re-?)?eval\w{0,7}|re-?assess\w{0,5}|screen\w{0,3}|consult\w{0,7}|assessment|testing|clearance|report|note|letter|"
    r"w/?u|work-?up|opinion|review|visit|f/u)"
)
PSYPH = (
    rf"(?:(?:pre-?(?:implant|pump|trial|surgical|op|procedur\w+)|presurgical|formal|pain"
    # the rehabilitation unit's psychologist: "cleared by rehab psych 3/5"
    rf"|rehab(?:ilitation)?|neuro|health|clinical)\s+)?"
    rf"{PSYN}(?:'s)?(?:\s+{EVALN})?"
)
PSYPH_EVAL = (
    rf"(?:(?:(?:pre-?(?:implant|pump|trial|surgical|op|procedur\w+)|presurgical|formal)\s+)?"
    rf"{PSYN}\s+{EVALN}|psychologist|psychology|bhc|bh|behaviou?ral[\s-]+(?:health|medicine))"
)
# after a weak verdict: the end of the item, not "mood and affect"
WEAK_END = (
    r"(?=\s*(?:[.;)!\u2029\u2013-]|$|,\s*(?!(?:cooperative|alert|oriented|pleasant|calm|normal|linear|"
    r"euthymic|good\s+eye|well\s+groomed)\b)))"
)
ADJ = (
    r"(?:favou?rable|fav|good|very\s+good|suitable|appropriate|apropriate|approp\w{0,5}|acceptable|excellent|"
    r"reasonable|ideal|adequate|strong|viable|satisfactory|great|optimal|solid)"
)
CAND = r"(?:cand(?:idates?|idacy)?|canidates?|candiates?|candadates?)\b"  # with common misspellings
CLEARED = r"(?:cleared|clrd|clr'd|cleard)"
# what the clearance is for ("IT" alone is case-sensitive: "it" is an ordinary word)
ITW = (
    r"(?:(?-i:IT)\b|ITDD\b|ITP\b|ITT\b|ITB\b|IDDS\b|TDD\b|intra-?thecal|pump|implant\w{0,6}|trial|"
    r"drug\s+delivery|device|targeted\s+drug|synchromed|procedure|placement)"
)
ITMOD = (
    r"(?:planned|proposed|permanent|pre-?implant|implantable|implanted|continued|ongoing|subsequent|"
    r"intra-?thecal|(?-i:IT)|pump|drug|morphine|hydromorphone|baclofen|ziconotide|fentanyl|"
    r"targeted|trial|device|screening|test)"
)
ITOBJ = rf"(?:an?\s+|the\s+|this\s+|her\s+|his\s+)?(?:{ITMOD}\s+){{0,3}}{ITW}"
PATIENT = r"(?:pt|patient|the\s+patient|her|him|them)"
SUBJ = (
    r"(?:s?he|they|the\s+patient|patient|pt|him|her|them|mr\.?\s+\w+|ms\.?\s+\w+|mrs\.?\s+\w+|"
    r"miss\s+\w+)"
)
# what may follow "proceed": the end of the phrase, a connective, or the intrathecal trial or pump
# ("recommend proceeding with CBT" or "OK to proceed with the medial branch block" is no clearance)
NOT_THERAPY = (
    r"(?=\s*(?:[.;,:)!\u2029\u2013-]|$|\(|(?:with|w/|to|towards?)\s*"
    + ITOBJ
    + r"|(?:from|per|as|if|"
    r"once|when|and|after|at|but|pending|following|provided|should|assuming|today|now)\b))"
)
GOAHEAD = (
    r"(?:proceed(?:s|ing|ed)?|go(?:es|ing)?\s+ahead|mov(?:e|es|ing)\s+(?:forward|ahead)|"
    r"go(?:es|ing)?\s+forward)" + NOT_THERAPY
)
STAND = (
    rf"(?:from|on|in)\s+(?:(?:a|an|the)\s+)?(?:{PSYN}(?:\s+and\s+{PSYN})?|emotional)\s+"
    r"(?:health\s+)?(?:standpoint|perspective|point\s+of\s+view|viewpoint|basis|stand-?point)"
)
SEP = r"\s*(?:,\s*(?:or\s+|and\s+)?|/|\s+or\s+|\s+and\s+)\s*"
PSYLIST = rf"(?:(?:{PSYADJ_ALL}{SEP}){{0,3}}{PSYCORE}|{PSYCORE}(?:{SEP}{PSYADJ_ALL}){{1,3}})"
CONTRA = (
    r"(?:contra-?indications?|barriers?|red\s+flags?|obstacles?|exclusion(?:ary)?\s+(?:criteria|factors?)|"
    r"(?:factors?|issues?|concerns?|findings?)\s+(?:that\s+|which\s+)?(?:would\s+|should\s+|might\s+)?"
    r"(?:contraindicate|preclude|prevent|interfere|argue\s+against))"
)
NOQUAL = (
    r"(?:(?:known|identified|apparent|significant|obvious|major|absolute|relative|current|active|other|"
    r"evident|definite|clear|identifiable|further|remaining|outstanding|untreated|specific)\s+){0,2}"
)
# A favorable conclusion may be conditioned on the drug trial ("and, if the trial is successful,
# implant"): that condition is about the trial, not about the patient's psychological state. The
# target then ends on the condition word, the rest being a lookahead, because medspaCy lets a
# ConText cue strictly inside a target modify it but not one at its edge.
TRIALREST = (
    r"(?=\s+(?:that\s+)?(?:the\s+|a\s+|her\s+|his\s+)?"
    rf"(?:(?:{ITMOD})\s+){{0,2}}(?:trial|it|this|response)\s+(?:is|was|proves|be|goes|turns\s+out|"
    r"shows?)?\s*(?:to\s+be\s+)?(?:successful|positive|effective|favou?rable|helpful|beneficial|"
    r"well[\s-]+tolerated|adequate)|\s+(?:successful|positive|effective)\b)"
)
EXT = (
    rf"(?:{gap(90)}\b(?:if|once|when|should|provided|assuming){TRIALREST}"
    rf"|{gap(90)}\b(?:after|following|upon)\s+(?:a\s+|the\s+)?(?:successful|positive)\s+"
    rf"(?:(?:{ITMOD})\s+){{0,2}}trial)?"
)
# conditions about the drug trial or logistics, not about the patient's psychological state
BENIGN = (
    rf"\s+(?:that\s+)?(?:a\s+|the\s+|an\s+|his\s+|her\s+)?(?:successful\s+|positive\s+|completed?\s+)?"
    rf"(?:(?:{ITMOD})\s+){{0,2}}(?:trial|implant\w*|surgery|procedure|insurance|auth\w*|prior\s+auth\w*|"
    r"scheduling|it\s+is\s+successful|successful|positive)\b"
)
GOAHEAD_N = (
    r"(?:green[\s-]*l(?:ight|it)\w*|go[\s-]ahead|sign[\s-]?off|signed\s+off|approval|approved)"
)
FAVWORD = (
    rf"(?:{ADJ}\s+{CAND}|{CLEARED}|clears?|clearance|candidate|cand\b|candidacy|approp\w*|appropriate|"
    rf"suitable|acceptable|favou?rable|ok(?:ay)?\s+to\s+proceed|{GOAHEAD_N})"
)
OTHERPROC = (
    r"(?:(?-i:SCS)|spinal\s+cord\s+stim\w*|(?:dorsal\s+column|spinal)\s+stim\w*|neurostim\w*|"
    r"stimulator|(?-i:DRG)|neuromodulation(?!\s*[(,:\-]?\s*(?:\(\s*)?(?:intra-?thecal|(?-i:IT)\b|"
    r"pump|ITDD|TDD|drug|targeted))|bariatric|gastric\s+(?:sleeve|bypass|band\w*)|"
    r"sleeve\s+gastrectomy|lap(?:aroscopic)?[\s-]+band\w*|weight[\s-]+loss\s+surgery|fusion|"
    r"laminectomy|discectomy|arthrodesis|spine\s+surgery|back\s+surgery|transplant\w*|(?-i:DBS)|"
    r"deep\s+brain\s+stim\w*|(?-i:ECT)|kyphoplasty|(?:joint|knee|hip)\s+replacement|"
    r"(?-i:TKA|THA)|"
    # a clearance for something other than a procedure ("cleared him for admission to rehab")
    r"(?:acute\s+|inpatient\s+)*rehab\w*(?!\s+psych)|admission|(?-i:IRF)|return\s+to\s+work|driving)"
)
MEDSRC = (
    r"(?:medical(?:ly)?|cardiac|cardiology|cardiologist|cardio|(?-i:PCP)|primary\s+care(?:\s+"
    r"(?:physician|provider|doctor))?|anesthesia|anesthesiology|anesthesiologist|dental|dentist|"
    r"surgical(?:ly)?|surgeon|neurosurg\w*|orthop\w*|hematology|heme|oncology|pulmonary|pulmonology|"
    r"pulmonologist|nephrology|renal|endocrin\w*|(?-i:ID)|infectious\s+disease|pre-?op(?:erative)?|"
    r"insurance|payer|prior\s+auth\w*|utilization\s+review|neurology|neurologist|nursing)"
)
# "OK to proceed per pain (team)": after "by" or "per" only, where it names who cleared
MEDSRC_BY = (
    rf"(?:{MEDSRC}|pain(?:\s+(?:team|clinic|medicine|management|service|physician|doctor))?)"
)
NOPSY = r"(?:\bpsych|\bbehavio|\bmental|\bbhc?\b|\band\b)"
NONPSY = (
    r"(?:pain(?:\s+(?:management|medicine))?|surgical|medical|anatomic\w*|procedural|interventional|"
    r"neurosurgical|spine|spinal|orthopedic|technical|cardiac|cardiology|anesthesia|functional|"
    r"physical|imaging|radiographic|medication|opioid)"
)
STANDX = (
    rf"(?:from|on|in)\s+(?:(?:a|an|the|my)\s+)?{NONPSY}\s+(?:standpoint|perspective|point\s+of\s+view|"
    r"viewpoint|basis|stand-?point|end|side)"
)
OTHERP = (
    r"(?:husband|wife|spouse|partner|boyfriend|girlfriend|fianc\w*|sister|brother|sibling|mother|father|"
    r"mom|dad|son|daughter|aunt|uncle|cousin|niece|nephew|grand(?:mother|father|son|daughter|parent)|"
    r"friend|roommate|room-mate|neighbou?r|co-?worker|colleague|another\s+patient|other\s+patients?|"
    r"a\s+(?:man|woman|patient|lady|gentleman)|someone|relative|in-law|(?:living\s+)?donor)"
)
SWITCH = (
    r"(?:\b(?:and|but|while|whereas)\s+(?:s?he|pt|patient|the\s+patient)\s+(?:is|was|remains|has|appears|"
    r"seems|herself|himself)|\b(?:pt|patient)\s+(?:is|was|remains|has|herself|himself)\b|"
    r"\b(?:pt|patient)'s\s+own"
    # the evaluator's own finding after the sources it drew on ("collateral information from
    # his wife, and psychometric testing, I found him to be a suitable candidate")
    r"|\b(?:I|we)\s+(?:found|find|consider|considered|deem|deemed|judge|judged)\s+(?:him|her|them|the\s+patient|pt)\b)"
)
# what may sit between "Psych eval" and its verdict: dates, "done", "result", "by Dr. X", arrows
FILL = (
    r"(?:(?:(?:yes|done|complete[d]?|performed|result(?:s|ed)?|outcome|conclusion|impression|pt|patient|"
    r"saw|seen|evaluated|interviewed|"
    r"is|was|has\s+been|has|have|(?:found|deemed|considered|felt|judged)(?:\s+to\s+be)?|overall|dated|on|by|c/w|"
    r"consistent\s+with|dr\.?\s+(?:\w\.\s*)?\w+|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{4}|"
    # "Psych pre-implant: Cleared" (the evaluation named by what it preceded)
    r"pre-?(?:implant|pump|trial|procedure|op)|"
    r"(?:for|before|prior\s+to|re:?)\s+(?:an?\s+|the\s+|her\s+|his\s+)?(?:[\w-]+\s+){0,2}?"
    + ITW
    + r"\w*(?:\s+(?:revision|replacement|implant\w*|placement|trial))?)\b|"
    r"[,|\-\u2013:()=>\u2192\u2713\u2714])\s*){0,7}"
)
BUTW = r"(?:\b(?:but|however|although|though)\b)"
NOFURTHER = r"(?:\b(?:no|not|further|additional|ongoing)\b)"
ANDBUT = r"(?:\b(?:and|but|now|however)\b)"
NOTDONE = (
    r"(?:done|completed?|performed|received|back|available|scheduled|finali[sz]ed|obtained|started|"
    r"returned|in)\b"
)

# "cannot / would not / won't recommend (proceeding)"
WONT = (
    r"\s+(?:yet\s+|currently\s+|presently\s+|at\s+this\s+time\s+|in\s+good\s+conscience\s+|fully\s+)?"
    r"(?:recommend|support|endorse|clear|approve|advocate\s+for|favou?r|sign\s+off\s+on|give\s+(?:clearance|"
    r"a\s+green\s+light|the\s+green\s+light))\b(?!\s+(?:delay\w*|waiting|further|additional|any\s+further|"
    r"repeat|more|postpon\w*|deferr\w*|holding))"
)
# "has not yet had a psych eval"
NOTHAD = (
    r"\s+(?:yet\s+)?(?:had|completed|undergone|been\s+seen\s+by|seen\s+by|evaluated\s+by|"
    r"been\s+evaluated\s+by|received|given)\s+"
)
# "unable to render an opinion", "cannot say whether"
NOSAY = (
    r"\s+(?:yet\s+)?(?:render|give|provide|offer|make|reach|form|issue|determine|say|comment|"
    r"decide)\s+(?:an?\s+|any\s+|my\s+|the\s+|a\s+final\s+|on\s+)?(?:final\s+|formal\s+|firm\s+)?(?:opinion|"
    r"determination|recommendation|decision|conclusion|judge?ment|whether|if|on\s+candidacy|candidacy)"
)
# a blocking phrase also covers a "Psych eval 2/2:" that a favorable phrase may start with
LEAD_REQ = rf"\b{PSYPH}\b\s*{FILL}(?:(?:has\s+)?(?:gave|given|granted)\s+(?:the\s+|a\s+)?)?"


def led(rest: str) -> tuple[str, str]:
    """``rest`` with an optional leading "Psych eval 2/2:" as two patterns (with it, then without):
    the same matches as ``(?:LEAD)?rest``, but each can be gated on the letters it starts with."""
    return LEAD_REQ + rest, rest


# what a blocking phrase runs on to, so as to outlast the favorable phrase inside it: a few words
# after a preposition ("... cleared by psychology for his own pump"), never another concept's words
OTHERKW = (
    r"(?:alarm\w*|empty|dry|refill\w*|reservoir|infect\w*|abscess|cellulitis|seps\w*|septic|bacter\w*|"
    r"mening\w*|hospice|terminal\w*|relief|pain|nausea|sedat\w*|life|prognosis|expectancy|months?|"
    r"weeks?|\d)"
)
TAIL = (
    rf"(?:\s+(?:for|to|by|from|per|with|w/|in|before|prior\s+to|until|since)\b"
    rf"(?:\s+(?!{OTHERKW}\b)[\w'\u2019-]+){{1,4}})?"
)
# what may sit between a negation and the favorable phrase it negates
NEG_FILL = (
    r"(?:\s*,?\s*(?:yet|currently|presently|really|quite|entirely|fully|at\s+(?:this|the\s+present)\s+time|"
    r"at\s+present|at\s+this\s+point|now|an?|the|been|be|felt\s+to\s+be|considered|deemed|"
    r"in\s+my\s+(?:clinical\s+)?(?:opinion|view|judge?ment)|i\s+(?:believe|think|feel))\b){0,4}?"
    r"\s*,?\s*"
)
# what a negation negates when it comes shortly before it: a favorable word or phrase
NEGATED_FAV = (
    rf"(?:(?:psych\w*|psychologically|behaviou?rally)\s+)?(?:{CLEARED}|clear\s+(?:for|to)\b|"
    rf"ok(?:ay)?(?:'?d)?\s+(?:to|for|from)\b|ready|approved|eligible|passed|green[\s-]*l(?:ight|it)|"
    rf"sign(?:ed)?[\s-]+off|given\s+(?:the\s+)?go[\s-]ahead|an?\s+go\b|"
    rf"{ADJ}\s+(?:\w+\s+){{0,2}}?{CAND}|(?:approp\w*|appropriate|suitable|acceptable|favou?rable)"
    rf"(?:\s+(?:for|to)\b|(?=\s*(?:[.;,)]|$)))|an?\s+(?:good|appropriate|suitable)\s+fit)"
)
# "(I do not) think she is a good candidate": the verb up to the favorable phrase
THINK = (
    rf"(?:think|believe|feel|consider|find|see)\s+(?:that\s+)?(?:{SUBJ}\s+)?(?:is\s+|was\s+|to\s+be\s+|"
    rf"would\s+be\s+|as\s+)?(?:yet\s+)?(?=(?:an?\s+)?(?:\w+\s+)?{FAVWORD})"
)
FACTOR = "--no-factor" not in sys.argv
targets = []
CAPTURE = []


def gated(*patterns: str, at_word_start: bool = False) -> str:
    """The patterns behind a lookahead on the characters they can start with (and, for patterns
    that start at a word, a check that the position is not inside one): most positions of a
    text fail that one test, instead of every alternative in turn."""
    heads = [first_chars(p) for p in patterns]
    union = None if any(h is None for h in heads) else set().union(*heads)
    inner = alt(*[p if h is None else f"(?={charclass(h)}){p}" for p, h in zip(patterns, heads)])
    gate = (r"(?<!\w)" if at_word_start else "") + (f"(?={charclass(union)})" if union else "")
    pairs = [prefixes(p) for p in patterns]
    if union and all(pairs):
        gate += two_char_gate(set().union(*pairs))
    return f"{gate}(?:{inner})"


def two_char_gate(pairs: set[str]) -> str:
    """A lookahead on the first two characters: (?=a[bp]|ps|...), grouped by the first one."""
    by_first: dict[str, set[str]] = {}
    for p in pairs:
        by_first.setdefault(p[0], set()).add(p[1:])
    parts = []
    for c, rests in sorted(by_first.items()):
        parts.append(re.escape(c) if "" in rests else re.escape(c) + charclass(rests))
    return "(?=" + "|".join(parts) + ")"


def T(category, literals, *patterns):
    """One target entry. The patterns that start at a word come first, behind one shared test (not
    inside a word, and a character they can start with), then each behind a test of its own first
    characters: most positions of a text fail at once, and the scan stays fast. The regex takes, at a
    position, the first alternative that matches (not the longest), so the patterns keep their order
    within each group (the two groups never match at the same position but for "Cleared." alone)."""
    for p in patterns:
        re.compile(p, re.I)
    CAPTURE.append((category, literals, patterns))
    if FACTOR:
        patterns = tuple(factor(p) for p in patterns)
    entry = {"category": category, "literals": literals}
    at_word = [p for p in patterns if p.startswith((r"\b", r"(?:\b"))]
    others = [p for p in patterns if p not in at_word]
    parts = [gated(*at_word, at_word_start=True)] if at_word else []
    parts += [gated(p) for p in others]
    if parts:
        entry["pattern"] = "(?i)" + alt(*parts)
    targets.append(entry)


# ---- favorable conclusions ----------------------------------------------------------------
F1 = (
    [
        "favorable candidate",
        "favourable candidate",
        "good candidate",
        "suitable candidate",
        "appropriate candidate",
        "acceptable candidate",
        "excellent candidate",
        "reasonable candidate",
        "psychologically suitable",
        "psychologically appropriate",
        "psychologically cleared",
    ],
    # "<adjective> candidate" (also "approp cand", "favorable candidacy")
    rf"\b{ADJ}\s+(?:(?:psych\w{{0,10}}|behaviou?ral(?:[\s-]+health)?|{ITMOD}|{ITW})\s+){{0,2}}{CAND}{EXT}",
    # "candidacy: favorable", "candidacy is supported"
    rf"\bcandidacy\s*(?:[:|\-\u2013=]\s*|\s+(?:is\s+|was\s+)?)(?:favou?rable|supported|confirmed|established|"
    rf"approved|appropriate|yes)\b{EXT}",
    # "(psychologically) a good fit for"
    r"\b(?:an?\s+)?(?:good|excellent|appropriate|suitable)\s+(?:fit|match)\s+for\b",
    # "psychologically suitable / cleared / a good candidate", "cleared psychologically"
    rf"\bpsychologically\s+(?:(?:stable|sound|healthy)\s+and\s+)?(?:(?:an?\s+)?(?:good|excellent|appropriate|"
    rf"suitable)\s+(?:fit|match|candidate)|suitable|appropriate|approp\w*|acceptable|{CLEARED}|ready|fit|"
    rf"prepared|favou?rable|ok(?:ay)?)\b{EXT}",
    rf"\b{CLEARED}\s+psychologically\b{EXT}",
    # "<suitable|appropriate|cleared> (pt) for the intrathecal pump", "(psychology) clears her for"
    rf"\b(?:suitable|appropriate|approp\w{{0,5}}|acceptable|favou?rable|{CLEARED}|clears|ok(?:ay)?(?:'?d)?|"
    rf"a\s+good\s+fit|good\s+fit)\s+(?:{PATIENT}\s+)?for\s+{ITOBJ}{EXT}",
    # "cleared / OK to proceed (with ...)"
    rf"\b(?:{CLEARED}|ok(?:ay)?|o\.k\.|appropriate|approp\w*|reasonable|fine|good|safe)\s+(?:{PATIENT}\s+)?to\s+"
    rf"(?:proceed|procede|move\s+(?:forward|ahead)|go\s+(?:ahead|forward)|undergo|have)\b{NOT_THERAPY}{EXT}",
    # "green light (given)"
    r"\bgreen[\s-]*(?:light(?:ed|s)?|lit)\b",
)
F2 = (
    ["cleared by psychology", "cleared by psych"],
    # "psych cleared", "Psych eval: cleared", "psych screen - passed", "BH: OK", "psych eval 3/3 -> favorable"
    rf"\b{PSYPH}\b\s*{FILL}(?:{CLEARED}|passed|pass\b|favou?rable|fav\b|ok(?:ay)?'?d|approved|good\s+to\s+go|"
    rf"good\s+cand\w*|(?:has\s+)?signed\s+off|sign[\s-]?off\s+(?:obtained|received|given|done)|"
    rf"(?:gave|given|granted)\s+(?:the\s+|a\s+)?(?:go[\s-]ahead|green[\s-]*light))"
    rf"(?!\s+for\s+(?:his|her|their)\s+own){EXT}",
    # "Clearance: psychology 1/15 - yes"
    rf"\b(?:clearance|approval|sign[\s-]?off)\s*[:|\-\u2013]\s*(?:from\s+|by\s+)?{PSYPH}\b\s*{FILL}(?:yes|y\b|"
    r"obtained|granted|received|rec'?d|complete[d]?|done|cleared|approved|on\s+file|\u2713|\u2714|\+)",
    # "(psychology) signed off on the pump", "gave the go-ahead for the IT trial", "pt is a go for ITP"
    rf"\bsign(?:ed|s)?\s+off\s+(?:on|for)\s+{ITOBJ}",
    r"\b(?:gave|given|give|got|received|has|have|with)\s+(?:the\s+|a\s+|her\s+|him\s+)?go[\s-]ahead\b",
    rf"\b(?:is|as)\s+a\s+go\s+for\s+{ITOBJ}",
    # a ticked checklist item ("[x] Psych clearance", "\u2611 psych clearance")
    rf"(?:\[\s*[x\u2713\u2714]\s*\]|[\u2611\u2705\u2713\u2714])\s*(?:pre-?\w+\s+)?{PSYN}\s+(?:clearance|cleared|"
    r"sign[\s-]?off|approval)",
    # "approved for the IT trial" (an insurance or prior authorization approval is read as PSYCH_OTHER)
    rf"\b(?:approved|ok'?d)\s+(?:{PATIENT}\s+)?for\s+{ITOBJ}",
    # "pt cleared psych 2/2" (passed it)
    rf"\bcleared\s+(?:the\s+|his\s+|her\s+)?(?:pre-?\w+\s+)?{PSYCORE}(?:\s+{EVALN})?\b(?!\s+(?:for|before|prior))",
    # ... a weaker word ("appropriate", "OK") needs an evaluation ("Psych eval: appropriate") or what it is
    # for ("Psych: OK for ITP"): "Psych: appropriate mood and affect" is a mental status exam
    rf"\b{PSYPH_EVAL}\b\s*{FILL}(?:approp\w{{0,7}}|suitable|acceptable|ok(?:ay)?|good)\b{WEAK_END}{EXT}",
    rf"\b{PSYPH}\b\s*{FILL}(?:approp\w{{0,7}}|suitable|acceptable|ok(?:ay)?|good)\s+(?:for\s+{ITOBJ}|"
    rf"to\s+proceed\b|{CAND}){EXT}",
    # "cleared from a psychological standpoint", "from a psych standpoint pt is OK"
    rf"\b(?:{CLEARED}|ok(?:ay)?|appropriate|approp\w*|suitable|acceptable|fine|ready|good\s+to\s+go|fit|eligible|"
    rf"prepared|approved|favou?rable|a\s+(?:good|suitable|appropriate)\s+candidate)\b{sgap(40)}{STAND}",
    rf"\b{STAND}\s*,?\s*(?:{SUBJ}\s+)?(?:is\s+|was\s+|remains\s+|appears\s+|seems\s+)?(?:an?\s+)?"
    rf"(?:{CLEARED}|ok(?:ay)?|appropriate|approp\w*|suitable|acceptable|fine|ready|good|favou?rable|excellent)\b",
    # "cleared by psychology", "green-lighted by behavioral health"
    rf"\b(?:{CLEARED}|approved|ok(?:ay)?(?:'?d)?|green[\s-]*light(?:ed)?|green[\s-]*lit)\s+(?:\w+\s+){{0,3}}?"
    rf"(?:by|from|per|via|through|w/|with)\s+(?:a\s+|the\s+|his\s+|her\s+|their\s+|our\s+)?{PSYPH}",
    # "psych clearance obtained / received / on file", "psychological clearance: yes"
    rf"\b(?:{PSYN}\s+)(?:clearance|approval|sign[\s-]?off|go[\s-]ahead)\b(?:\s+(?:letter|form|note|report))?\s*"
    rf"(?:\([^()\n]{{0,40}}\)\s*)?(?:for\s+{ITOBJ}\s*)?(?:\([^()\n]{{0,40}}\)\s*)?(?:[:|\-\u2013=]\s*|\s+"
    rf"(?:was\s+|has\s+been\s+|is\s+|were\s+)?)(?:obtained|granted|given|received|rec'?d|rcvd|complete[d]?|done|on\s+file|"
    rf"in\s+(?:the\s+)?chart|in\s+place|documented|confirmed|provided|issued|yes|y\b|ok(?:ay)?\b|approved|favou?rable|"
    r"met\b|\+|\u2713|\u2714)",
    rf"\b(?:obtained|received|rec'?d|has|got|given|granted|completed?|passed|with|including|incl\.?)\s+(?:a\s+|his\s+|her\s+|the\s+|"
    rf"formal\s+|full\s+)?(?:pre-?\w+\s+)?{PSYN}\s+clearance\b",
    # "passed the psych eval"
    rf"\bpass(?:ed|es)?\s+(?:the\s+|his\s+|her\s+)?(?:pre-?\w+\s+)?{PSYCORE}(?:\s+{EVALN})?",
    # "meets psychological criteria for the pump"
    rf"\bmeets?\s+(?:all\s+)?(?:the\s+)?(?:{PSYCORE}\s+)?criteria\s+for\s+(?:{PSYCORE}\s+)?"
    rf"(?:clearance|candidacy|{ITOBJ})",
    # a bare verdict in a slot ("(Dr. Kim, 2/2): favorable", "- favorable for intrathecal pump")
    # (only after a parenthetical, as "yes, favorable", or naming the pump: after any label it could be a
    # trial response or a prognosis)
    r"(?:(?<=\))|(?<=\)\s))[:|\-\u2013]\s*favou?rable\b(?!\s+(?:response|outcome|prognosis|results?|course|"
    r"effects?|trial|risk|benefit|for\s+(?:recovery|outcome)))",
    r"[:|\-\u2013]\s*yes\s*,?\s*favou?rable\b",
    r"\b(?:on\s+file|in\s+(?:the\s+)?chart|reviewed|report|letter|eval\w*|consult\w*|screen\w*|clearance)\s*"
    r"[:|\-\u2013]\s*favou?rable\b",
    # "psych eval was faxed to them 6/3 and is favorable"
    rf"\b{PSYPH_EVAL}\b{sgap(50)}\b(?:and|which)\s+(?:is|was)\s+(?:favou?rable|approved)\b"
    r"(?!\s+(?:response|outcome|prognosis|results?|course|effects?|trial|risk|benefit))",
    # "Psych evaluation returned from Dr. Hanna - favorable"
    # (a bracket or a table cell's colon may come first: "Psych evaluation (pre-implant):
    # Completed - Favorable")
    rf"\b{PSYPH_EVAL}(?:\s+(?:for|re:?)\s+(?:the\s+|her\s+|his\s+)?(?:[\w-]+\s+){{0,2}}?{ITW}\w*)?"
    rf"(?:\s*\([^()\n]{{0,40}}\))?(?:\s*[:|])?"
    rf"\s*(?:has\s+|was\s+|is\s+)?(?:returned|came\s+back|back|received|rec'?d|reviewed|completed?)"
    rf"(?:\s+(?:from|by|with)\s+(?:{TITLE})?[\w'-]+(?:\s+[\w'-]+)?)?(?:\s*\([^()\n]{{0,40}}\))?\s*[,:|\-\u2013]\s*"
    r"(?:favou?rable\b(?!\s+(?:response|outcome|prognosis|results?|course|effects?|trial|risk|benefit))"
    # ... or cleared, quoted or not, and nothing after it but what it is for ('back: "Cleared."')
    rf"|[\"'\u201c]?cleared(?:\s+for\s+{ITOBJ})?\s*(?:[.!,;|\"'\u201d]|$))",
    rf"[:|\-\u2013]\s*favou?rable\s+(?:for\s+{ITOBJ}|{CAND})",
    # "implanted 2022 after favorable pre-implant psychological evaluation"; "pre-implant
    # evaluation (2021, Dr. Castillo) favorable and on file"
    rf"\bfavou?rable\s+(?:(?:pre-?(?:implant|pump|trial|surgical|op)|formal)\s+)?{PSYN}\w*\s+{EVALN}\b",
    rf"\b(?:pre-?(?:implant|pump|trial)\s+)?{PSYPH_EVAL}\s*\([^()\n]{{0,40}}\)\s*(?:was\s+|is\s+)?favou?rable\b"
    r"(?!\s+(?:response|outcome|prognosis|results?|course|effects?|trial|risk|benefit))",
    # "I found no psychological reason you should not go forward with the pump trial"
    rf"\bno\s+{PSYN}\w*\s+(?:reason|barrier|obstacle)s?\s+(?:why\s+)?(?:you|s?he|they|the\s+patient|pt)\s+"
    r"(?:should|could|would)\s+not\s+(?:go\s+forward|proceed|move\s+forward|go\s+ahead|have|undergo)\b",
    # a bare "Cleared." as a sentence, a table cell or after a heading
    r"(?:(?<=[.!?\n\u2029])|(?<=[.!?\n\u2029]\s)|(?<=[.!?\n\u2029]\s\s)|^)(?:(?:complete[d]?|done|yes|y)\s*[,\-\u2013:;]?\s*)?"
    r"cleared\s*(?:[.!,|]|$|"
    r"(?=\s*(?:\d{1,2}/\d{1,2}|\(|-\s|\u2013)))",
    # a table cell that is only the verdict ("Favorable")
    r"(?:(?<=\u2029)|(?<=\u2029\s)|(?<=\u2029\s\s)|^)favou?rable\s*(?:[.!|]|$)",
    # "Recommendation: proceed", "Disposition: cleared"
    r"\b(?:recommendations?|recommend(?:s|ed)?|recs?|disposition|determination|conclusion|outcome|opinion|"
    r"impression|summary|verdict|assessment|results?)\s*[:|\-\u2013]\s*(?:(?:s?he|pt|patient)\s+)?(?:may\s+|can\s+|"
    rf"to\s+|ok(?:ay)?\s+to\s+|is\s+|recommend\s+)?(?:(?:proceed(?:ing)?|go\s+ahead|move\s+forward){NOT_THERAPY}|{CLEARED}|"
    rf"approved)\b{EXT}",
    # "she may proceed (with the trial)"
    rf"\b(?:s?he|pt|patient|they|the\s+patient)\s+(?:may|can|is\s+(?:free|able|ok(?:ay)?|{CLEARED}|fine)\s+to)\s+"
    rf"proceed\b{NOT_THERAPY}{EXT}",
)
F3 = (
    ["no psychological contraindications", "no psychological contraindication"],
    # "no psychological contraindication(s)", "no psychiatric, cognitive or behavioral barriers"
    rf"\b(?:no|without(?:\s+any)?|absence\s+of(?:\s+any)?|lack\s+of(?:\s+any)?|free\s+of|denies|"
    rf"negative\s+for)\s+(?:any\s+)?{NOQUAL}{PSYLIST}\s+(?:or\s+\w+\s+)?{CONTRA}",
    # "psychological contraindications: none (identified)"
    rf"\b{PSYLIST}\s+{CONTRA}\s*(?:identified|noted|found)?\s*(?:[:|\-\u2013=]\s*|\s+(?:are\s+|is\s+)?)"
    r"(?:none|nil|no\b|absent|not\s+(?:identified|present|found|noted|evident)|neg(?:ative)?\b|ruled\s+out)",
    # "Psychological evaluation completed; no contraindication identified"
    rf"\b{PSYPH_EVAL}\s+(?:was\s+)?(?:completed?|done|performed|finished)\b(?:\s+\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?)?"
    rf"(?:\s+(?:by|per|with)\s+(?:{TITLE})?[\w'-]+(?:\s+[\w'-]+)?)?"
    rf"\s*[;,:\-\u2013]\s*no\s+{NOQUAL}(?:psych\w*\s+)?(?:contra-?indications?|barriers?)\b",
    # "Mental health eval: no contraindications", "Per psychology, there are no contraindications"
    rf"\b{PSYPH}\b\s*{FILL}(?:there\s+(?:is|are|were)\s+)?no\s+{NOQUAL}(?:contra-?indications?|barriers?)\b",
    rf"\bno\s+{NOQUAL}contra-?indications?\b{sgap(40)}\b(?:per|from|by)\s+(?:the\s+)?{PSYPH}",
    # "no contraindication / concerns from a behavioral health standpoint"
    rf"\bno\s+{NOQUAL}(?:contra-?indications?|concerns?|barriers?|objections?|reservations?|issues|red\s+flags?|"
    rf"obstacles?|hesitation)\b{sgap(60)}{STAND}",
    rf"\b{STAND}\s*,?\s*(?:there\s+(?:is|are|were)\s+)?(?:no|nothing)\s+{NOQUAL}(?:contra-?indications?|concerns?|"
    rf"barriers?|objections?|reservations?|issues|red\s+flags?|obstacles?|reason)",
    # "nothing that would preclude", "no concerns that would preclude"
    # ... "I see nothing from a mental health standpoint that should stop her from moving forward"
    rf"\b(?:nothing|no\s+(?:\w+\s+){{0,3}}?(?:concerns?|issues?|factors?|barriers?|findings?|reasons?|problems?))"
    rf"(?:\s+{STAND})?\s+(?:that\s+|which\s+)?(?:would|should|might|to)\s+(?:preclude|contraindicate|prevent|"
    rf"argue\s+against|(?:stop|keep|hold)\s+(?:{SUBJ}\s+)?(?:back\s+)?from\s+(?:proceeding|moving\s+(?:forward|ahead)|"
    rf"going\s+(?:ahead|forward)|having))",
    r"\bno\s+(?:psych\w*\s+)?reasons?\s+(?:not\s+to\s+proceed|to\s+(?:delay|defer|withhold|postpone|not\s+proceed))",
    # "no psychological reason you can't have the pump" (the rest a lookahead: a negation strictly
    # inside the target would negate it)
    rf"\bno\s+(?:psych\w*\s+)?reasons?(?=\s+(?:why\s+)?(?:you|s?he|they|{PATIENT})\s+(?:can't|cannot|"
    rf"can\s+not|couldn't|shouldn't|should\s+not)\s+(?:have|get|receive|undergo|proceed\s+with|"
    rf"go\s+ahead\s+with)\s+{ITOBJ})",
    # "not (psychologically) contraindicated from a psych standpoint"
    rf"\bnot\s+(?:psych\w*\s+)?contraindicated\b{sgap(30)}{STAND}",
    # "recommend proceeding", "I have recommended that he proceed", "I support her moving forward"
    rf"\b(?:recommend(?:s|ed|ing)?|support(?:s|ed|ing)?|endorse(?:s|d)?|advis(?:e|es|ed)|favou?r(?:s|ed)?|"
    rf"agree(?:s|d)?\s+with)\s+(?:that\s+)?(?:{SUBJ}(?:'s)?\s+)?(?:should\s+|may\s+|can\s+|"
    rf"be\s+allowed\s+to\s+|to\s+)?{GOAHEAD}{EXT}",
    # "supports implantation", "support her candidacy"
    r"\b(?:support(?:s|ed|ing)?|endorse(?:s|d)?|recommend(?:s|ed)?|favou?r(?:s|ed)?)\s+(?:(?:his|her|their|"
    r"the\s+patient's|pt's|the)\s+)?(?:(?:intra-?thecal|(?-i:IT)|pump|permanent)\s+)?(?:candidacy|"
    r"implant(?:ation)?|the\s+implant|(?:the\s+)?pump(?:\s+(?:implant\w*|placement|trial))?|placement|"
    r"(?:the\s+)?(?:(?-i:IT)|intra-?thecal)\s+(?:trial|pump|therapy)|ITDD|ITP|ITT|TDD)\b"
    # ("favour intrathecal therapy over SCS" is a preference between therapies, no clearance)
    r"(?!\s+(?:over|rather\s+than|instead\s+of|versus|vs\b))" + EXT,
)

# a favorable phrase in a question is no conclusion ("Psych cleared? pending", "OK to proceed ...?")
# (The literals would match whatever follows them; the patterns cover them: one literal is kept.)
# ... unless answered ("Cleared? Yes"), or a transcriber's doubt about one word ("[to?]")
NOT_ASKED = r"(?![^.;!?\n\u2029]{0,60}\?(?!\s*(?:yes|y)\b)(?!\]))"
T(
    "FAVORABLE_CANDIDATE",
    ["no psychological contraindications"],
    *[p + NOT_ASKED for p in (*F1[1:], *F2[1:], *F3[1:])],
)

# ---- unfavorable conclusions (the negation is part of the phrase) ---------------------------
U = (
    [
        "poor candidate",
        "unsuitable candidate",
        "unfavorable candidate",
        "unfavourable candidate",
        "not a candidate",
        "questionable candidate",
        "inappropriate candidate",
        "not recommended",
        "psychologically unsuitable",
        "unfavorable",
        "unfavourable",
    ],
    # A negation shortly before a favorable phrase ("not, at present, psychologically ready for the
    # pump", "never a good candidate", "isn't cleared to proceed"). Here, as in the negative and open
    # phrases below, the target is the cue alone, the favorable phrase a lookahead: the two do not
    # overlap, so neither takes the other's place, and candidacy() lets the negative one win.
    rf"\b(?:not|never|no\s+longer){NEG_FILL}(?={NEGATED_FAV})",
    rf"n't{NEG_FILL}(?={NEGATED_FAV})",
    # "I do not think she is a good candidate"
    rf"\b(?:do|does|did)\s+not\s+{THINK}",
    rf"n't\s+{THINK}",
    rf"\bnot\s+(?:yet\s+|currently\s+|presently\s+)?(?:an?\s+)?(?:(?:psych\w*|{ITMOD}|{ITW})\s+){{0,2}}"
    r"cand(?:idate)?s?\b",
    # "no green light yet", "not (yet) OK to proceed", "not psych cleared"
    r"\bno(?=\s*green[\s-]*(?:light|lit))",
    r"\bno[\s-]go\b",
    rf"\bnot\s+(?:yet\s+|currently\s+)?(?:{PSYN}\s+)?(?:{CLEARED}|ok(?:ay)?\s+(?:to|for)|ready|approved|"
    r"appropriate|approp\w*|suitable|acceptable|favou?rable)\b",
    r"\b(?:poor|marginal|guarded|weak|questionable|borderline|unsuitable|unacceptable|inappropriate|"
    r"unfavou?rable)\s+(?:psych\w*\s+)?cand(?:idate|idacy)?s?\b",
    rf"\b(?:cannot|can\s*not|could\s+not|unable\s+to|not\s+able\s+to|do\s+not|does\s+not|would\s+not|will\s+not|"
    rf"did\s+not|not\s+in\s+a\s+position\s+to|declined?\s+to|refuse[sd]?\s+to)(?={WONT})",
    rf"n't(?={WONT})",
    r"\b(?:recommend(?:s|ed|ing)?|advis(?:e|es|ed|ing)|argu(?:e|es|ed)|counsel(?:l?ed|s)?|decided?)\s+against\b",
    r"\b(?:clearance|approval)\s+(?:is\s+|was\s+|has\s+been\s+)?(?:withheld|denied|declined|refused|"
    r"not\s+(?:granted|given|provided|issued))",
    rf"\b(?:psych\w*|behaviou?ral(?:ly)?|mental[\s-]+health)\s+contraindicat\w+|\bcontraindicat\w+\s+"
    rf"(?:from|on)\s+(?:a|the)\s+{PSYN}\s+(?:standpoint|perspective|basis)|\b{PSYCORE}\s+contra-?indications?\s+"
    r"(?:is\s+|are\s+|was\s+|were\s+)?(?:present|identified|noted|exists?|found)\b|\bthere\s+(?:is|are)\s+"
    rf"(?:a\s+)?{PSYCORE}\s+contra-?indications?",
    rf"\b(?:fail(?:s|ed)|did\s+not\s+pass|didn't\s+pass)\s+(?:the\s+|his\s+|her\s+)?(?:pre-?\w+\s+)?{PSYCORE}",
)
D = (
    ["defer candidacy", "deferred candidacy"],
    r"\bdefer(?:s|red|ring|ral)?\b(?!\s+to\s+(?:the\s+)?(?:pain|referring|dr\b|surgeon|surgical|neurosurg\w*|"
    r"primary|pcp|anesthesia|team|his|her|their|treating|implanting|you|your))",
    r"\b(?:re-?evaluat\w+|re-?assess\w*|re-?refer\w*|revisit\w*|re-?test\w*|reconsider\w*|re-?screen\w*)"
    rf"(?:\s+(?:for\s+)?(?:candidacy|{ITOBJ}))?\s+(?:in|after|once|when|following|at|until|upon|pending|within|if)\b"
    rf"(?!{BENIGN})",
    r"\b(?:then|followed\s+by|and\s+then|before)\s+(?:a\s+|an\s+)?(?:re-?evaluat\w+|re-?assess\w*|"
    r"reassessment|repeat\s+(?:psych\w*\s+)?eval\w*)",
    rf"\b(?:hold(?:ing)?(?:\s+off)?(?:\s+on)?|postpon\w+|delay(?:ing|ed)?|put(?:ting)?\s+(?:off|on\s+hold)|"
    rf"paus(?:e|ing)|wait(?:ing)?\s+(?:on|with))\s+(?:the\s+|any\s+|on\s+|with\s+)?(?:candidacy|clearance|"
    rf"proceeding|{ITOBJ}){gap(40)}\b(?:until|pending|till|for\s+now|at\s+this\s+time|for\s+(?:\w+\s+)?"
    r"(?:months?|weeks?))",
    r"\b(?:recommend(?:s|ed)?|advis(?:e|es|ed)|suggest(?:s|ed)?)\s+(?:holding|postponing|delaying|waiting|"
    r"a\s+delay|deferring|pausing)",
    rf"\b(?:{PSYPH}|candidacy|clearance)\s*(?:[:|\-\u2013]\s*|\s+(?:is\s+|was\s+|remains\s+|placed\s+|put\s+)?)"
    r"on\s+hold\b",
    # "A pump-specific evaluation has been ordered" (an older clearance was for something else)
    rf"\b(?:new|separate|repeat|pump[\s-]specific|(?:ITDD|IT|intrathecal)[\s-]specific)\s+(?:{PSYN}\s+)?"
    r"(?:eval\w*|assessment)\s+(?:has\s+been\s+|was\s+|is\s+|now\s+)?(?:ordered|requested|scheduled|arranged)\b",
    # "prior clearance superseded", "Dr. M wants a fresh psych eval before replacement"
    rf"\b(?:prior|previous|old|original|earlier)\s+(?:{PSYN}\s+)?(?:clearance|evaluation|eval)\s+(?:is\s+|was\s+|"
    r"now\s+)?(?:superseded|void|invalid|outdated|expired|no\s+longer\s+valid)\b",
    rf"\b(?:wants?|asks?\s+for|asked\s+for|orders?|ordered)\s+(?:a\s+)?(?:new|fresh|repeat|second)\s+"
    rf"(?:{PSYN}\s+)?(?:eval\w*|assessment)\b",
    # a newer event supersedes an older clearance: a new evaluation is required ("no new eval
    # needed" is the opposite)
    rf"(?<!\bno\s)(?<!\bnot\s)\b(?:new|repeat|updated|another|fresh|second)\s+(?:pre-?\w+\s+)?(?:{PSYN}\s+)?(?:eval\w*|assessment|"
    r"clearance|consult\w*|testing)\s+(?:is\s+|would\s+be\s+|will\s+be\s+)?(?:required|needed|necessary|"
    # "is asked": a francophone's English for "is requested"
    r"indicated|mandatory|requested|recommended|warranted|asked)",
    rf"\b(?:requires?|needs?|will\s+need|must\s+(?:have|undergo)|should\s+have)\s+(?:a\s+)?(?:new|repeat|"
    rf"updated|fresh|second)\s+(?:pre-?\w+\s+)?(?:{PSYN}\s+)?(?:eval\w*|assessment|clearance|consult\w*)",
    rf"\b(?:clearance|evaluation|eval|opinion|recommendation)\b{gap(30)}\bno\s+(?:longer|more)\s+(?:valid|applies|"
    r"applicable|current|stands|holds)",
    # "I do not think the 2019 clearance can be relied upon", "asked Dr. F to see him again for a
    # repeat evaluation"
    r"\b(?:clearance|evaluation|eval|opinion)\s+(?:can(?:not|'t|\s+no\s+longer)|could\s+not|should\s+not|"
    r"shouldn't)\s+be\s+relied\s+(?:up)?on\b",
    rf"\b(?:not|n't)\s+(?:think|believe|feel)\b{gap(40)}\b(?:clearance|evaluation|eval|opinion)\s+(?:can|could|"
    r"should)\s+(?:still\s+)?be\s+relied\s+(?:up)?on\b",
    rf"\b(?:asked|requested|referred|re-?referred|sent)\b{gap(50)}\bfor\s+(?:a\s+)?(?:new|repeat|updated|fresh|"
    rf"second)\s+(?:pre-?\w+\s+)?(?:{PSYN}\s+)?(?:eval\w*|assessment|consult\w*)",
)
# a deferral is a negative conclusion too: one entry (one regex pass) for both, the DEFERRAL
# category keeping its literals
T("UNFAVORABLE_CANDIDATE", U[0], *U[1:], *D[1:])
T("DEFERRAL", D[0])

# ---- the question is still open: these keep a favorable phrase from concluding ---------------
# (Where such a phrase contains a ConText cue, the target starts or ends on the cue so that the
# cue does not modify it; the rest of the phrase is a lookahead.)
C1 = (
    ["conditional clearance", "conditionally cleared"],
    # "cleared for the trial once her depression is treated", "approp cand ONLY IF abstinent"
    *led(
        rf"\b{FAVWORD}\w*{sgap(50, BUTW)}\b"
        + kw(
            # ("copy provided by the patient" is no condition)
            r"once|until|unless|provided(?:\s+that)?(?!\s+by\b)|as\s+long\s+as|so\s+long\s+as|"
            r"contingent\s+(?:up)?on|conditional\s+(?:up)?on|on\s+(?:the\s+)?condition|only\s+(?:if|after|once|when)|"
            r"pending|(?:when|after)\s+(?:s?he|pt|the\s+patient|patient|they)\s+(?:has\s+|have\s+)?(?:completes|finishes|"
            r"achieves|demonstrates|shows|stops|quits|maintains|remains|is|are|can|establishes|engages|attends|abstains|"
            r"gets|undergoes|begins|starts|has|have|completed\s+(?:a|an|the|her|his)|been)|when\s+(?:it\s+is\s+|"
            r"they\s+are\s+|results?\s+(?:is\s+|are\s+)?)?(?:received|available|back|complete|done|final)|"
            r"after\s+(?:a\s+|an\s+)?(?:period\s+of|(?:\w+\s+){0,2}?(?:months?|weeks?|years?|days?|mos?|wks?)\s+of)"
        )
        + rf"\b(?!{BENIGN})"
    ),
    # "once psych clears her", "provided that she remains abstinent, she is cleared"
    rf"\b(?:once|until|unless|provided(?:\s+that)?(?!\s+by\b)|as\s+long\s+as|so\s+long\s+as|contingent\s+(?:up)?on|"
    rf"only\s+(?:if|after|once|when))\b(?!{BENIGN}){sgap(60, BUTW)}(?=\b(?:{PSYPH}\s+)?{FAVWORD})",
    r"\bconditional(?:ly)?\s+(?:psych\w*\s+)?(?:clear\w*|approv\w*|favou?rable|accept\w*|recommend\w*|"
    r"candidacy|candidate|ok)",
    r"\b(?:clearance|candidacy|recommendation|approval)\s+(?:is\s+|was\s+)?conditional\b",
)
C2 = (
    ["psych eval pending", "psych clearance pending"],
    # "psych clearance: pending", "psych eval scheduled 12/4", "psych report not back" (ends on "not"),
    # "Psych eval for ITDD: Not done"
    rf"\b{PSYPH}\b(?:\s+for\s+(?:an?\s+|the\s+)?{ITOBJ})?\s*(?:\([^()\n]{{0,40}}\)\s*)?(?:[:|\-\u2013=]\s*|\s+(?:is\s+|was\s+|has\s+been\s+|are\s+|"
    r"remains\s+)?)(?:still\s+|currently\s+|now\s+)?(?:pending|scheduled|sched\b|outstanding|in\s+progress|"
    rf"incomplete|not(?=\s+(?:yet\s+)?{NOTDONE})|not(?=\s+yet\b)|to\s+be\s+(?:scheduled|arranged|done|completed|"
    r"obtained|determined)|awaited|ordered|requested|tbd\b|unknown|booked|needed|required\s+(?:before|prior))",
    # "awaiting psych", "pending psych clearance", "needs psych eval", "until psych clears her"
    rf"\b(?:await(?:s|ing)?|waiting\s+(?:for|on)|pending|need(?:s|ed)?|requir(?:es|ed|ing)|still\s+needs|"
    rf"will\s+need|must\s+(?:have|complete|undergo|obtain)|to\s+(?:obtain|complete|undergo|schedule|arrange)|"
    rf"until|before|prior\s+to)\s+{sgap(30, NOFURTHER)}\b{PSYN}(?:\s+{EVALN})?\b",
    # "has not yet had a psych eval", "hasn't been seen by psychology" (starts on the negation)
    rf"\bnot{NOTHAD}{sgap(30, NOFURTHER)}\b{PSYN}(?:\s+{EVALN})?\b",
    rf"n't{NOTHAD}{sgap(30, NOFURTHER)}\b{PSYN}(?:\s+{EVALN})?\b",
    rf"\b(?:the\s+)?{PSYN}\s+(?:\w+\s+){{0,2}}?(?:has|have)\s+not(?=\s+(?:yet\s+)?(?:given|provided|issued|"
    r"completed|finali[sz]ed|sent|returned|cleared|addressed|commented|evaluated|assessed|seen|weighed))",
    # "ITDD psych question outstanding", "psychology opinion still pending"
    rf"\b{PSYN}\s+(?:question|opinion|input|sign[\s-]?off|recommendation)\s+(?:is\s+|remains\s+|still\s+)*"
    r"(?:outstanding|pending|open|unanswered|awaited|to\s+follow)\b",
    # "psych eval was done 3/3 but the report has not been received" (ends on "not")
    rf"\b{PSYPH}\b{sgap(60, NOFURTHER)}\b(?:report|letter|results?|write-?up)\s+(?:has|have|is|was)\s+"
    r"not(?=\s+(?:yet\s+)?(?:been\s+)?(?:received|sent|finali[sz]ed|issued|completed|returned|signed|back|"
    r"available|in)\b)",
    # "no psychology evaluation in chart" (starts on the negation)
    rf"\bno\s+(?:pre-?\w+\s+)?{PSYN}\s+{EVALN}(?:\s+for\s+(?:an?\s+|the\s+)?{ITOBJ})?\s+(?:in|on)\s+"
    r"(?:the\s+)?(?:chart|file|record|(?-i:EMR|EHR))\b",
    # "the pre-implant psychological evaluation has NOT been done", "has not been arranged"
    rf"\b{PSYPH}\b\s+(?:has|have|had)\s+not(?=\s+(?:yet\s+)?been\s+(?:{NOTDONE}|arranged|ordered|requested|"
    r"booked))",
)
C3 = (
    ["no determination made", "evaluation incomplete"],
    # "unable to render an opinion", "cannot say whether" (starts on the negation)
    rf"\b(?:unable\s+to|not\s+(?:yet\s+)?(?:able\s+to|in\s+a\s+position\s+to)|not|declin\w+\s+to){NOSAY}",
    rf"(?<=can)not{NOSAY}",
    rf"n't{NOSAY}",
    r"\b(?:no|without\s+an?)\s+(?:final\s+|formal\s+|firm\s+)?(?:determination|decision|recommendation|"
    r"conclusion|opinion)\s+(?:was\s+|has\s+been\s+|is\s+|can\s+be\s+)?(?:made|reached|given|rendered|yet|"
    r"at\s+this\s+time|today|regarding|on|about)",
    r"\b(?:final\s+|formal\s+)?(?:determination|decision|recommendation|opinion|conclusion)s?\s+(?:is\s+|are\s+|"
    r"will\s+be\s+|to\s+be\s+)?(?:made\s+|rendered\s+|given\s+)?(?:deferred|pending|to\s+follow|forthcoming|"
    r"withheld|after|once|when|following|until|upon)\b",
    r"\bbefore\s+(?:making|rendering|giving|offering|reaching)\s+(?:any|a|an|my|the)\s+(?:final\s+)?"
    r"(?:recommendation|determination|decision|opinion|conclusion)",
    rf"\b(?:{PSYPH}|results?|testing|profile|evaluation)\s*(?:[:|\-\u2013]\s*|\s+(?:is|are|was|were)\s+)?"
    r"(?:inconclusive|indeterminate|undetermined|equivocal|invalid|uninterpretable)\b",
    r"\b(?:eval\w*|testing|assessment|interview)\s+(?:is\s+|was\s+|remains\s+)?(?:incomplete|in\s+progress|"
    r"partially\s+complete[d]?|to\s+be\s+continued|not(?=\s+(?:yet\s+)?complete[d]?\b))",
    r"\bwill\s+dictate\s+(?:my\s+|a\s+|the\s+)?(?:recommendation|opinion|determination|conclusion)",
    rf"\b(?:whether|if)\s+(?:or\s+not\s+)?(?:\w+\s+){{0,4}}?(?:s?he|pt|patient|the\s+patient|they)\s+(?:is|was|"
    rf"would\s+be|will\s+be|could\s+be|might\s+be|can\s+be|qualifies|remains)(?=\s+(?:an?\s+)?(?:\w+\s+)?"
    rf"{FAVWORD})",
    rf"\b(?:possibly|potentially|perhaps|maybe|conceivably|tentatively|provisionally|presumably|likely|probably|"
    rf"questionably)(?=\s+(?:be\s+)?(?:an?\s+)?(?:\w+\s+)?{FAVWORD})",
    r"\bpotential(?=\s+(?:\w+\s+)?cand)",
    # a clearance still to come ("pt to be cleared by psych", "must be cleared first")
    rf"\b(?:to|will|must|should|needs?\s+to|has\s+yet\s+to|have\s+yet\s+to|yet\s+to)\s+be"
    rf"(?=\s+(?:{PSYN}\w*\s+)?(?:{CLEARED}|approved|signed\s+off|evaluated|seen))",
    # "all requirements except the psychological clearance"
    rf"\b(?:except|excluding|other\s+than|apart\s+from|aside\s+from|but\s+not|minus|missing|lacking|still\s+need\w*)"
    rf"(?=\s+(?:for\s+)?(?:the\s+|a\s+|her\s+|his\s+)?(?:pre-?\w+\s+)?{PSYN}\s+{EVALN})",
    rf"\b(?:may|might|could|would)\s+(?:well\s+)?(?:be|become|eventually\s+be)(?=\s+(?:an?\s+)?(?:\w+\s+)?"
    rf"{FAVWORD})",
    rf"\b(?:possible|poss)(?=\s+(?:\w+\s+)?{FAVWORD})",
    rf"\b(?:not\s+(?:sure|certain|convinced|clear)|unsure|uncertain|unclear|undecided|questionable)"
    rf"(?=\s+(?:(?:that|whether|if|as\s+to\s+whether)\s+)?(?:\w+\s+){{0,4}}?{FAVWORD})",
)
T("PSYCH_UNSETTLED", C1[0] + C2[0] + C3[0], *C1[1:], *C2[1:], *C3[1:])
# ---- phrases that look favorable but are about something or someone else --------------------
# They conclude nothing; being longer, they take the place of the favorable phrase they contain.
T(
    "PSYCH_OTHER",
    ["candidate from a pain standpoint"],
    # a clearance for a different procedure (SCS, bariatric surgery, fusion, ...)
    *led(
        rf"\b{FAVWORD}\b{sgap(40, ANDBUT)}"
        + kw(r"for|before|prior\s+to|ahead\s+of|pre-?|to\s+(?:proceed\s+with|undergo|have)")
        + r"\s*"
        rf"(?:a\s+|an\s+|the\s+|his\s+|her\s+|their\s+)?(?:[\w-]+\s+|\(\s*){{0,3}}?{OTHERPROC}{TAIL}"
    ),
    # (\w*\b: "cleared" must not give back its "d" to escape the lookahead on "for ITP")
    rf"\b{OTHERPROC}\b{gap(50)}{FAVWORD}\w*\b(?!\s+(?:for|to)\s+{ITOBJ}){TAIL}",
    # a score band named after candidacy ("SIPAT 18 (good candidate range)") is no conclusion
    rf"\b{ADJ}\s+{CAND}\s*(?:range|category|band|zone|tier|level)\b",
    # a clearance to donate ("psychologically cleared to donate", "approved as a living donor")
    rf"\b{FAVWORD}\w*\b\s+(?:to\s+(?:be\s+an?\s+)?donat\w*|as\s+(?:a\s+|an\s+)?(?:living\s+)?donor)\b",
    # another specialist's view of candidacy ("Neurosurgery (Dr. Bauer) saw pt 11/5 and felt she is
    # 'an excellent pump candidate'")
    rf"\b{MEDSRC}\b{sgap(60, NOPSY)}\b(?:felt|feels|thinks|thought|believes|considers|says|said|"
    rf"deems|deemed)\b{sgap(20, NOPSY)}\b{ADJ}\s+(?:\w+\s+){{0,2}}?{CAND}{TAIL}",
    # a clearance from someone other than psychology (cardiology, PCP, anesthesia, insurance, ...)
    rf"\b{MEDSRC}\b{sgap(30, NOPSY)}(?:{CLEARED}|clearance|clears|ok(?:ay)?(?:'?d)?(?:\s+to\s+proceed)?|"
    rf"green[\s-]*l(?:ight|it)\w*|approv\w+|sign[\s-]*off|signed\s+off)\b{TAIL}",
    rf"\b(?:{CLEARED}|clearance|ok(?:ay)?\s+to\s+proceed|ok(?:ay)?\s+for\s+\w+|green[\s-]*l(?:ight|it)\w*|"
    rf"approved)\b{sgap(40, NOPSY)}\b(?:by|per|from|with|via)\s+(?:his\s+|her\s+|the\s+|their\s+|a\s+|an\s+)?"
    rf"{MEDSRC_BY}\b(?!\s+psych){TAIL}",
    # a pain physician's (or surgeon's) own opinion of candidacy
    *led(rf"\b{FAVWORD}\b{gap(40)}{STANDX}"),
    rf"\b{STANDX}\s*,?{gap(40)}\b{FAVWORD}\w*{TAIL}",
    # hearsay: someone reports that he or she was cleared (not a documented conclusion)
    # (not the evaluation's own report: "report states she is a favorable candidate")
    r"(?<!report\s)(?<!letter\s)(?<!evaluation\s)(?<!eval\s)(?<!assessment\s)(?<!psychologist\s)"
    rf"\b(?:report(?:s|ed)?|stat(?:es|ed)|sa(?:ys|id)|told\s+\w+|claim(?:s|ed)?|believ(?:es|ed)|"
    rf"think(?:s)?|thought|heard)\s+(?:that\s+)?(?:s?he|they|her|him)\s+(?:was|were|had\s+been|has\s+been|"
    rf"is|would\s+be)\s+[\"'\u201c\u2018]?(?:an?\s+)?(?:\w+\s+)?{FAVWORD}\w*{TAIL}",
    # the patient's own view ("Pt feels she is psychologically ready for the pump")
    rf"\b(?:pt|patient|the\s+patient|s?he)\s+(?:feels|felt|thinks|thought|believes|says|said|states|reports|claims|"
    rf"hopes|wants\s+to\s+be)\s+(?:that\s+)?(?:s?he|they)\s+(?:is|was|will\s+be|would\s+be|has\s+been|is\s+now)\s+"
    rf"(?:\w+\s+){{0,2}}?(?:{FAVWORD}|ready|fit|prepared)\w*{TAIL}",
    # an opinion someone told the patient ("had told her years ago that she would never be a candidate")
    rf"\b(?:had\s+)?(?:told|informed|advised|assured)\s+(?:her|him|them|the\s+patient|pt)\b{gap(40)}\b"
    rf"(?:that\s+)?(?:s?he|they)\s*[\"'\u201c\u2018]?\s*(?:would|will|could|was|is|might|had\s+been)\s+"
    rf"(?:never\s+|not\s+)?(?:be\s+)?(?:an?\s+)?(?:\w+\s+)?{FAVWORD}\w*{TAIL}",
    # another person's clearance
    rf"\b{OTHERP}\b(?:'s)?{sgap(60, SWITCH)}\b{FAVWORD}\w*{TAIL}",
    # A sentence cut after a title ("... (Dr." | "Kim): favorable") is read together with the next
    # one, so that what precedes the name (a cardiology or SCS clearance) is seen with what follows.
    r"\b(?:dr|drs|mr|mrs|ms|prof)\.(?=\s*$)",
)

PSY_WORDS = [
    "psychological",
    "psychiatric",
    "psych",
    "behavioral",
    "behavioral health",
    "mental health",
    "psychosocial",
]
TERMINATE = sorted(
    # the end of "no psychological contraindications" / "no concerns from a psychological standpoint":
    # that negation must not reach a conclusion that follows ("..., and she is cleared")
    [
        f"{p} {n}"
        for p in PSY_WORDS
        for n in (
            "contraindication",
            "contraindications",
            "barrier",
            "barriers",
            "standpoint",
            "perspective",
            "point of view",
        )
    ]
    # the evaluator's own finding ends what the sources before it said ("collateral
    # information from his wife, and testing, I found him to be a suitable candidate")
    + [f"{who} {verb}" for who in ("i", "we") for verb in ("found", "find", "consider", "deem")]
    + [
        "no barriers",
        "no barrier",
        "no psychological barriers",
        "no contraindication",
        "no contraindications",
        "no known contraindication",
        ": no contraindication",
        ": no contraindications",
        ": no known contraindications",
        "| no contraindication",
        "| no contraindications",
        "| no known contraindications",
        "no known contraindications",
        "without contraindication",
        "without contraindications",
        "would preclude",
        "would contraindicate",
        # "no concerns, supports moving forward": the negation ends with its clause
        "concerns ,",
        "concerns raised ,",
        "concerns identified ,",
        "concerns noted ,",
        # a run-on dictation: the evaluator's conclusion starts a new clause
        "based on the interview",
        "based on the evaluation",
        "based on my evaluation",
        "based on the testing",
        "based on this evaluation",
        "based on my assessment",
        "in summary",
        "in conclusion",
        "to summarize",
    ]
)
FAV_ADJ = [
    "favorable",
    "favourable",
    "good",
    "suitable",
    "appropriate",
    "approp",
    "acceptable",
    "excellent",
    "reasonable",
]
# Where a conclusion starts, a negation from earlier in the sentence stops ("denies SI/HI, no SUD,
# approp cand for ITP"; "no active psychiatric disorder, and she is an appropriate candidate"). A
# PSEUDO rule of a category ends the scope of the cues of that category only, so a hypothetical or
# a relative still reaches the conclusion. A negation of the conclusion itself ("not an appropriate
# candidate", "not cleared for the trial") is read by the longer UNFAVORABLE_CANDIDATE phrases.
NEGATION_ENDS = sorted(
    [f"{a} {c}" for a in FAV_ADJ for c in ("candidate", "cand")]
    + [f"{a} for" for a in ("suitable", "appropriate", "approp", "acceptable")]
    + [
        f"psychologically {w}"
        for w in ("cleared", "appropriate", "suitable", "acceptable", "ready")
    ]
    + [
        "cleared for",
        "cleared by",
        "cleared to",
        "cleared from",
        "cleared psychologically",
        "is cleared",
        "is psychologically",
        "is an appropriate",
        "is a good",
        "is a suitable",
        "is an acceptable",
        "is a favorable",
        "is an excellent",
        "remains an appropriate",
        "remains a good",
        "remains a suitable",
        "remains psychologically",
        "ok to proceed",
        "okay to proceed",
        "recommend proceeding",
    ]
)
# the end of a remote psychiatric history in the same sentence ("h/o MDD, stable on sertraline, ...")
HISTORY_ENDS = ["in remission", "in full remission", "stable on", "is now"]
PSEUDO = [
    # family members named as supports are not the subject of what follows, nor are they
    # when named beside the patient ("family and patient are appropriate candidates")
    (
        "FAMILY",
        [
            "family and patient",
            "family and pt",
            "parents and patient",
            "patient and parents",
            "patient and his family",
            "patient and her family",
            "pt and parents",
            "family support",
            "supportive family",
            "supportive husband",
            "supportive wife",
            "supportive spouse",
            "supportive partner",
            "husband is supportive",
            "wife is supportive",
            "family is supportive",
            "spouse is supportive",
            "partner is supportive",
        ],
    ),
    (
        "NEGATED_EXISTENCE",
        [
            # the "not" of "no psychological reason you should not go forward" is the
            # favorable phrase's own
            *(
                f"reason {why}{who} {modal} not {go}"
                for why in ("", "why ")
                for who in ("you", "she", "he", "they", "the patient", "pt")
                for modal in ("should", "could", "would")
                for go in ("go forward", "proceed", "move forward", "go ahead")
            ),
            "no hesitation",
            "without hesitation",
            "without reservation",
            "no reservations",
            *NEGATION_ENDS,
        ],
    ),
    ("HISTORICAL", HISTORY_ENDS),
    # "Interval history:" is what happened since the last visit, not past history
    ("HISTORICAL", ["interval history", "interval hx"]),
    # ... and so is what happened "since last visit" (the last visit itself is history)
    (
        "HISTORICAL",
        [
            f"since {whose}last {what}"
            for whose in ("", "the ", "her ", "his ", "their ")
            for what in ("visit", "session", "appointment", "eval", "evaluation")
        ],
    ),
    # A "pending" item later on a checklist ("psych eval - yes, favorable ... IT trial - pending") does not
    # make the verdict uncertain; a verdict that is itself pending or possible is read by the longer
    # PSYCH_UNSETTLED phrases ("favorable pending UDS", "may be cleared").
    ("POSSIBLE_EXISTENCE", ["favorable", "favourable", "cleared"]),
]
# an earlier evaluation's conclusion, reported in a follow-up ("Initial eval 3/4 deferred a
# recommendation"), is history: the follow-up's own conclusion decides
# what a newer conclusion says it supersedes is history ("I agree this supersedes the January
# deferral")
SUPERSEDED = ["supersedes", "supersede", "superseded", "overrides", "overrode", "replaces"]
# ... and what is said to be lifted ("The deferral from the first visit is lifted.")
LIFTED = [
    f"{verb} {done}"
    for verb in ("is", "was", "has been", "have been", "is now", "now")
    for done in ("lifted", "rescinded", "withdrawn", "superseded", "resolved")
] + [
    # "Prior deferral superseded by this note."
    f"{done} by"
    for done in ("superseded", "rescinded", "replaced", "overridden", "lifted")
]
EARLIER_EVALUATION = [
    f"{when} {what}"
    for when in ("initial", "prior", "previous", "earlier", "first", "last")
    for what in (
        *("eval", "evaluation", "psych eval", "psychological evaluation", "assessment"),
        # "Last BHC visit (11/20) deferred d/t active daily etoh."
        *("visit", "session", "BHC visit", "psych visit", "psychology visit", "appointment"),
        "deferral",
    )
]
rules = [{"literal": lit, "category": "CONJ", "direction": "TERMINATE"} for lit in TERMINATE]
rules += [
    {"literal": lit, "category": "HISTORICAL", "direction": "FORWARD"}
    for lit in EARLIER_EVALUATION + SUPERSEDED
]
rules += [{"literal": lit, "category": "HISTORICAL", "direction": "BACKWARD"} for lit in LIFTED]
rules += [
    {"literal": lit, "category": cat, "direction": "PSEUDO"} for cat, lits in PSEUDO for lit in lits
]
doc = {"concept": "psych", "targets": targets, "contextRules": rules}
out = (
    sys.argv[1]
    if len(sys.argv) > 1 and not sys.argv[1].startswith("--")
    else str(
        __import__("pathlib").Path(__file__).resolve().parents[2]
        / "cds_service/data/note-concepts/psych.json"
    )
)
with open(out, "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(
    "patterns:",
    sum(1 for t in targets if "pattern" in t),
    "chars:",
    sum(len(t.get("pattern", "")) for t in targets),
)
