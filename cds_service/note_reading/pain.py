"""A trial's pain response from a note: scores before and after, or a stated relief.

The note reader gives us the text it read (the sentences that name a target, joined) and
the mentions found in it. The trial concept's targets (``data/note-concepts/trial.json``)
make sure every sentence that may carry a pain score, a score change, a relief statement,
a cell of a score table, a drug-delivery trial or another pain procedure is read; the
numbers are read here from that text:

1. Tokens: scores (``8/10``, "8 out of ten", ``70/100``, ``75 mm``), bare numbers (digits or
   words), percentages, time points (``4 h``, ``T+2h``, ``day 3``), before words (baseline,
   pre, on arrival), after words (post, after, peak, "down to"), "now" words, pain words
   (pain, NRS, VAS) and words for other measures (Ashworth, RR, sedation).
2. Readings: score changes (``8 -> 3``, "from an eight to a three", "3 (from 8)", chains
   ``9 -> 5 -> 2``), header rows of score tables (``Pre | 1 h | 4 h`` then ``8 | 6 | 3``),
   listed timelines ("8, 6 and 3 at 0, 1 and 4 hours"), single scores labelled by the
   nearest before/after/time word (``baseline 9, at 2 h 6``, ``NRS 8 baseline, 3 at 4h``)
   and stated relief ("60% relief", "relief of 70 percent", "halved", "two-thirds better",
   "took the pain away completely", "no meaningful relief").
3. A reading is kept only when it is this patient's drug-delivery trial result. It belongs to
   the nearest trial or procedure phrase (in its sentence, else before it, else after it) and
   is dropped when that phrase is another procedure (ESI, SCS trial, medial branch block, RFA,
   ketamine, stellate block, surgery, an implanted pump, a trial of an oral drug), or a trial
   that is planned, declined, cancelled or someone else's; a reading under "if", "goal",
   "expect" or "criteria", a negated one ("did not achieve 50% relief") and another person's
   are dropped too. With no trial or procedure phrase at all (a trial's own outcome text) only
   explicit readings count: a change, a labelled before/after score, a stated percentage.

These checks look at the reading's own line and sentence, not at ConText's flags: ConText
scopes run to the end of the spaCy sentence, which in a templated note spans several lines,
so ``Side effects: none`` negated the relief stated on the line above it.

Scores are returned on the 0-10 scale (a 0-100 VAS, ``x/100`` or mm score is divided by 10, so
a reduction is the same on either scale); ``after`` is the peak effect (the lowest score after
the trial); a stated relief is returned as stated (the highest stated for the trial).

Every pattern is linear (bounded gaps, no nested quantifiers) and the passes after the
tokenizer look cue positions up by bisection, so the time grows linearly with the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace

from cds_service.note_reading import pain_series
from cds_service.note_reading.mention import Mention


@dataclass(frozen=True)
class PainResponse:
    """Scores on a 0–10 scale (before, best after) and/or a stated relief percentage."""

    before: float | None = None
    after: float | None = None
    percent_relief: float | None = None


def trial_response(text: str, mentions: list[Mention]) -> PainResponse:
    """What the note states about a trial's pain response; ``text`` is the text read.

    Every number is read from ``text`` (the module docstring says why our local checks stand
    in for the mentions' ConText flags); ``mentions`` is part of the reader's interface.
    """
    del mentions
    if not ANYTHING.search(text) and not RELIEF_WORDS.search(text):
        return PainResponse()  # no number, percentage or relief word: nothing to read
    response = _Reader(text).response()
    if (response.before is None or response.after is None) and response.percent_relief is None:
        # scores charted as a flowsheet column (note_reading/pain_series.py)
        series = pain_series.series_response(text)
        if series is not None:
            return PainResponse(before=series[0], after=series[1])
    return response


# --- vocabulary -----------------------------------------------------------------------------

WORD_VALUES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
_WORDS = "|".join(WORD_VALUES)
_TENS = "|".join(TENS)
# A number: digits (up to 3, one or two decimals) or a number word, not part of a longer
# token (3/14, 0.25, q4h, x2, #2, L3-4).
_N = rf"(?:(?<![\w.,/:#])\d{{1,3}}(?:\.\d{{1,2}})?(?![\d]|[.,]\d)|\b(?:{_WORDS})\b)"
_UNITS = (
    r"mg|mcg|µg|ug|ng|ml|cc|cm|kg|lbs?|g|units?|iu|x|times|blocks?|feet|ft|steps|meters?|m|"
    r"miles?|yo|y/o|years?|yrs?|months?|mos?|levels?|mmhg|bpm|breaths|beats|tabs?|pills?|"
    r"doses?|sessions?|injections?|cycles?|episodes?|patients?|people|points?|nights?|am|pm|"
    r"sec|seconds?|°|c|f|gauge|g/dl|k|mmol|meq"
)
_STAGE = r"(?:trial|injection|procedure|procedural|bolus|dose|op|test|infusion|treatment|block)"
_TIME_UNIT = r"(?:h|hrs?|hours?|min|mins|minutes?|d|days?|wks?|weeks?)"
_ARROW = r"-{1,2}>|[→⟶➔➙➝⇒↓]|=>|>"

# Words for measures other than pain: a number right after one (or labelled by one in
# parentheses) is not a pain score.
_MEASURES = (
    r"ashworth|MAS|sedation|POSS|RASS|RR|HR|BP|SpO2|O2|sats?|saturation|temp\w*|GCS|strength|"
    r"tone|spasms?|spasticity|ODI|PHQ|GAD|BMI|ECOG|KPS|PPS|weight|walk\w*|ambulat\w*|sleep\w*|"
    r"MME|dose|BDI|MMSE|MoCA|nausea|emesis|vomit\w*"
)
# One pass over the text. Tokens never start inside a word or a number (the leading
# assertion), which also rejects most positions in one step.
TOKEN = re.compile(
    r"(?<![^\W_])(?:"
    + "|".join(
        f"(?P<{name}>{pattern})" if name else pattern
        for name, pattern in (
            ("clock", r"\d{1,2}:\d{2}\b"),
            ("pctcmp", rf"[<>≤≥~≈]\s*{_N}\s*%"),  # "(<20%)", "~55%"
            # a number, then what it is: one alternative, so the number is matched once
            (
                "",
                rf"{_N}(?:"
                rf"(?P<pct>(?:\s*(?:[-–]|to)\s*{_N})?\s*(?:%|\bpercent\b|\bper\s+cent\b))"
                rf"|(?P<score>(?:\s*[-–]\s*{_N})?\s*(?:/\s*10{{1,2}}(?![\d/]|\.\d)|"
                # ("eight of ten", not "3 of 10 patients")
                r"(?:out\s+)?of\s+(?:10|ten|100|a\s+hundred)\b(?!\s+(?:patients?|people|pts|cases|"
                r"days|times|doses?|bottles?|specimens?|samples?|sets?))|mm\b(?!\s*hg)|millimet(?:er|re)s?\b|cm\b))"
                # (a unit on the next line is a row label: "8\n   Day 1 5" is no "8 days")
                rf"|(?P<time>[ \t]*-?[ \t]*{_TIME_UNIT}\b"
                rf"(?:\s+(?:post[-\s]?{_STAGE}?|after|later|pi)\b)?)"
                rf"|(?P<num>(?:\s*[-–]\s*{_N})?(?!\s*(?:{_UNITS})\b|/\d|:\d)))",
            ),
            ("date", r"\d{1,4}/\d{1,4}(?:/\d{1,4})?\b"),
            ("pctword", rf"\b(?:{_TENS})(?:[-\s](?:{_WORDS}))?\s+(?:percent|per\s+cent)\b"),
            # before the levels (T1-T12); "day 0" of a catheter trial is its baseline
            ("zero", r"\b(?:T\s*0|time\s+(?:0|zero)|day\s*0|POD\s*0)\b"),
            # a duration is not a time point: "x 5 days", "over 48 hours", "for 12 h"
            (
                "duration",
                rf"(?:\b(?:x|for|over|lasting|within|past|last)\s*|×\s*){_N}\s*-?\s*{_TIME_UNIT}\b"
                rf"|(?:(?<=trial\s)|(?<=infusion\s)|(?<=catheter\s))\(\s*{_N}\s*-?\s*{_TIME_UNIT}\s*\)",
            ),
            ("level", r"\b[CTLS]\d{1,2}(?:\s*-\s*[CTLS]?\d{1,2})?\b"),
            (
                "timeword",
                rf"(?:\b(?:at|by|after)\s+|@\s*|\bT\s*\+\s*)(?:\bT\s*\+\s*)?{_N}\s*-?\s*{_TIME_UNIT}\b"
                rf"(?:\s+(?:post[-\s]?{_STAGE}?|after|later|pi)\b)?"
                r"|\b(?:day|POD|hour|hr)\s*#?\s*\d{1,2}\b|\bT\s*\+\s*\d{1,3}\s*h?\b"
                r"|\b(?:an|one|half\s+an)\s+hour\b"
                r"|\b(?:at|by)\s+\d{1,2}:\d{2}\b",  # "at 11:00 NRS 4": a later reading
            ),
            (
                "pre",
                rf"\bbase\s?line\b|\bpre(?:[-\s]?{_STAGE})?\b|\bbefore(?:hand)?\b|\bprior(?:\s+to)?\b"
                r"|\binitial(?:ly)?\b|\bon\s+(?:arrival|admission)\b|\badmission\b|\barrival\b"
                r"|\bpreviously\b|\(\s*was\b|\bat\s+home\b|\busual(?:ly)?\b",
            ),
            (
                "post",
                rf"\bpost(?:[-\s]?{_STAGE})?\b|\bafter(?:wards?)?\b|\bfollowing\b|\bpeak\b|\bnadir\b"
                r"|\blowest\b|\bat\s+(?:its\s+)?best\b|\blater\b|\bsubsequently\b|\bduring\b|\bovernight\b"
                r"|\bby\s+(?:the\s+)?(?:afternoon|evening|morning|next\s+day)\b"
                r"|\bnext\s+(?:day|morning)\b|\bthat\s+(?:evening|afternoon|night)\b"
                r"|\bby\s+(?:the\s+)?(?:first|second|third|fourth|fifth|sixth|final|last)\s+(?:day|hour)\b"
                r"|\b(?:came|went|dropped|decreased|fell|improved|reduced|declined)\s+(?:down\s+)?"
                r"(?:only\s+)?to\b|\bdown\s+to\b",
            ),
            ("cur", r"\b(?:now|today|currently|current)\b"),
            (
                "pain",
                r"\b(?:pain(?:\s+scores?)?|NRS|NPRS|VAS|scored?|rat(?:ed|ing|es)|headache|average|"
                r"avg)\b"
                # a score as spoken: "she said a 4, she was a 9 before", "he's a 3 now"
                r"|\b(?:said|says|was|is|she's|he's|now)\s+an?(?=\s+\d{1,2}(?:\.\d)?(?:\s*[,.;)]|\s*$|"
                r"\s+(?:before|now|after|today|at|and|this|then)\b))",
            ),
            (
                "blocker",
                rf"\b(?:{_MEASURES})\b",
            ),
        )
    )
    + ")",
    re.IGNORECASE,
)
KIND_ALIASES = {"zero": "pre", "pctword": "pct", "pctcmp": "pct", "timeword": "time"}
ROLES = frozenset({"pre", "post", "time", "cur"})
NUMERIC = frozenset({"score", "num"})
NUMBERS = NUMERIC | {"pct", "date"}
ZERO_TIME = re.compile(r"(?<![\d.])0\s*-?\s*[a-z]", re.I)  # "0 h", "at 0 min": the baseline
NUMBER = re.compile(rf"\d+(?:\.\d+)?|\b(?:{_WORDS})\b", re.I)
PER_TEN = re.compile(r"/\s*10\b|(?:out\s+)?of\s+(?:10|ten)\b", re.I)

# Whatever a reading needs at least one of: a quick test before the full pass.
ANYTHING = re.compile(
    rf"\d|%|\b(?:{_WORDS}|{_TENS}|half|halved|thirds?|quarters?|complete\w*|entirely|total|full|"
    r"free|(?:relie|releif|relif)\w*|benefit|improvement)\b",
    re.I,
)

# Sentences: a clause ends at ; or a line break, a sentence at a full stop or a line break.
CLAUSE_END = re.compile(r"[;\n]|[.!?](?=\s|$)")
SENTENCE_STOP = re.compile(r"\n|[.!?](?=\s|$)")

# A change between two consecutive scores: the text between them ends with an arrow or "to".
CHANGE_GAP = re.compile(
    # (a quoted figure too: 'from a 7 to "maybe a 2"')
    rf"(?:{_ARROW}|\bto)\s*[\"'“‘]?\s*(?:(?:an?|only|about|around|roughly|approximately|maybe|just|"
    r"nearly|NRS|NPRS|VAS|pain)\s{1,3}){0,2}$",
    re.I,
)
ARROW = re.compile(_ARROW)
CHANGE_VERB = re.compile(
    r"\b(?:came|went|dropped|decreased|fell|improved|reduced|declined|down)\b", re.I
)
FROM_BEFORE = re.compile(r"\bfrom\s+(?:an?\s+|about\s+)?$", re.I)
SCALE_BEFORE = re.compile(r"\b(?:pain|NRS|VAS)\b", re.I)
# "dropped to 3 (from 8)", "3/10, down from 8/10": the earlier score comes second.
REVERSE_GAP = re.compile(r"^\s*[(,]?\s*(?:down\s+|up\s+)?from\s+(?:an?\s+)?$", re.I)
POST_OP_DAY = re.compile(r"post-?op(?:erative)?\s+day\b|POD\s*#?\d", re.I)
END_MARK = re.compile(r"[.!?](?=\s|$)")
HARD_GAP = re.compile(r"[;\n|]|[.!?](?=\s)")
VAS_WORD = re.compile(r"\b(?:VAS|visual\s+analog(?:ue)?)\b", re.I)
# Between two column headers: "Pre | 1 h", "Pre NRS Post NRS", "pre- and post-trial".
HEADER_GAP = re.compile(
    r"[\s|,/():&-]{0,8}(?:(?:and|NRS|VAS|pain|score)\b[\s|,/():&-]{0,8}){0,2}", re.I
)
MAX_COLUMNS = 12  # time points in one header row
# Another measure named in parentheses right after a number: "0 (Sedation)", "14 (RR)".
MEASURE_AFTER = re.compile(rf"\s{{0,2}}\(\s{{0,2}}(?:{_MEASURES})[\w-]{{0,3}}\s{{0,2}}\)", re.I)
# Spasticity words: a trial scored by tone, whose "pain unchanged" is no pain result.
TONE_TRIAL = re.compile(r"\b(?:ashworth|MAS|spastic\w*|tone|baclofen)\b", re.I)
# A log entry's time stamp at the start of a line or a "|" cell: "09:30 NRS 6", "1100 NRS 7",
# "Day 2 21:00  VAS 30/100", "+3 h NRS 2", "T+4h 2". A score on such a line with no label of
# its own is a later reading of the log (the baseline is labelled, or the first entry).
# A clock time ("09:30", "1100") and a day ("D2", "POD 3", "day 1") as a log entry stamps them.
_CLOCK = r"\d{1,2}:\d{2}|[01]\d[0-5]\d|2[0-3][0-5]\d"
_DAY = r"(?:day|D|POD)\s?\d{1,2}"
# (A label's colon, an arrow or a spaced dash before an entry starts one too: "Pain (FACES):
# 09:00 6 | 11:30 6", "09:45 9/10 -> 11:00 7 -> 13:00 4", "pre-dose 8 - 12:00 six - 14:00 four".)
_ENTRY = rf"(?:{_CLOCK}|{_DAY})[ \t]+(?:\d|{_WORDS}\b)"
LINE_START = re.compile(rf"[\n|\u2029]|(?::|-{{1,2}}>|[→⟶➔⇒]|[ \t][-–])(?=[ \t]+{_ENTRY})", re.I)
STAMP = re.compile(
    r"[ \t>*-]*(?:(?:day|POD|D)\s*\d{1,2}[ \t,]+)?"
    rf"(?:{_CLOCK}|\+\s*\d{{1,2}}\s*h(?:rs?|ours?)?|T\s*\+\s*\d{{1,3}}\s*h?"
    # a day alone, before its score: "NRS: D0 9 | D1 5 | D2 3"
    rf"|{_DAY}(?=[ \t]+(?:\d|{_WORDS}\b)))"
    r"(?![\d:/])",
    re.I,
)
# How far before a log entry's score the pain label of its run of entries may stand.
LOG_REACH = 200
# A label this far before a score loses to one right after it (within NEAR_GAP characters).
FAR_LABEL = 12
NEAR_GAP = 4
PAIR_CELL = re.compile(r"[\s:=(]{0,4}(\d{1,2}(?:\.\d)?)\s*/\s*(\d{1,2}(?:\.\d)?)(?![\d/])")
PAREN_ROLE = re.compile(r"\(\s*[\w\s-]{1,20}\)")  # "7 (pre)"
TRAILING_GAP = re.compile(r"[,;.\n|]")
# "pain scores 8, 6, 3 and 4 at 0, 1, 4 and 8 hours"
_LIST = rf"{_N}(?:\s{{0,2}},\s{{0,2}}{_N}){{1,8}}(?:\s{{0,2}},?\s{{0,2}}and\s{{1,2}}{_N})?"
PARALLEL = re.compile(rf"(?P<values>{_LIST})\s+at\s+(?P<times>{_LIST})\s*{_TIME_UNIT}\b", re.I)

# Stated relief.
PERCENT_LABEL = re.compile(  # "Percentage pain relief after ITT: 65"
    r"\b(?:percent(?:age)?\s+(?:of\s+)?(?:pain\s+)?(?:relief|improvement|reduction)|"
    r"relief\s*\(\s*%\s*\))[^.;\n\d]{0,30}",
    re.I,
)
PCT_AFTER = re.compile(
    r"[\s)'\"’”]*(?:or\s+(?:greater|more|better|higher)\s+)?(?:↓|of\s+(?:the|her|his|my|their)\s+pain\b|"
    r"(?:(?:pain|overall|global|sustained)\s+)?(?:relief|releif|relif|reduction|improvement|improved|decrease|better|less|benefit|"
    r"response|resolution|lower)\b)",
    re.I,
)
PCT_BEFORE = re.compile(
    r"\b(?:(?:relie|releif|relif)\w*|reduc\w*|improv\w*|better|benefit|respon\w*|decreas\w*|lowered|cut|dropped|"
    r"took\s+away)\b|↓",
    re.I,
)
PCT_BLOCK = re.compile(
    r"\b(?:(?<!test\s)(?<!trial\s)(?<!bolus\s)dose|rate|concentration|infusion|SpO2|O2|sat\w*|bupivacaine|lidocaine|solution|"
    r"prior)\b",
    re.I,
)
# Relief in words, with the value the labels give it, and whether a relief word must be near.
_RELIEF_WORDS: tuple[tuple[str, float, bool], ...] = (
    (r"\bhalved\b|\bcut\s+[\w\s]{0,25}?\bin\s+half\b|\bhalf\s+(?:relief|better)\b", 50, False),
    (
        r"\b(?:by|about|roughly|approximately|nearly|almost|around)\s+(?:a\s+|one\s+)?half\b",
        50,
        True,
    ),
    # "she has half the pain she came in with"
    (r"\bhalf\s+(?:of\s+)?(?:the|his|her|their|its)\s+(?:pain|discomfort)\b", 50, False),
    # "pain ~half of baseline", "about half what it was"
    (
        r"\bhalf\s+(?:of\s+)?(?:(?:the|his|her|their)\s+)?(?:baseline|what\s+it\s+was|pre-?\w*)\b",
        50,
        True,
    ),
    (r"\btwo[-\s]thirds?\b", 67, True),
    (r"\b(?:a|one)[-\s]third\b", 33, True),
    (r"\bthree[-\s]quarters?\b", 75, True),
    (r"\b(?:a|one)[-\s]quarter\b", 25, True),
    (
        r"\b(?:took|taken|takes?)\s+(?:[\w\s]{0,25}?\s)?away\s+(?:completely|entirely)\b"
        r"|\bcomplete(?:ly)?\s+(?:pain[-\s]free|relieved|resolved|gone)\b"
        r"|\b(?:complete|total|full)\s+(?:pain\s+)?relief\b|\bpain[-\s]free\b"
        r"|\b(?:relieved|eliminated|abolished|resolved)\s+[\w\s]{0,25}?\b(?:completely|"
        r"entirely)\b"
        # "the pain resolved for ~10 h", "pain gone", "the pain went away"
        r"|\bpain\s+(?:(?:completely|fully|totally|entirely)\s+)?(?:resolved|gone|went\s+away|disappeared)\b",
        100,
        False,
    ),
    (
        r"\bno\s+(?:(?:meaningful|significant|appreciable|real|noticeable|discernible|"
        r"measurable|clinically\s+significant)\s+)?(?:pain\s+)?(?:relief|benefit|improvement)\b"
        r"|\bzero\s+(?:relief|benefit)\b|\bwithout\s+(?:any\s+)?(?:relief|benefit)\b"
        r"|\b(?:relief|benefit|improvement|response)\b[^.;\n]{0,30}?:\s*none\b"
        # "the injection did nothing", "pain unchanged", "no change in pain"
        r"|\bdid\s+(?:absolutely\s+)?nothing\b|\bpain\s+(?:was\s+|remained\s+|essentially\s+)?unchanged\b"
        r"|\bunchanged\s+pain\b|\bno\s+(?:change|difference|effect)\s+(?:in|on|to)\s+(?:(?:his|her|their|the)\s+)?pain\b(?!\s+(?:meds|medications?|regimen|plan|management|contract|agreement|pump|clinic))",
        0,
        False,
    ),
)
RELIEF_WORDS = re.compile(
    "|".join(f"(?P<w{i}>{pattern})" for i, (pattern, _, _) in enumerate(_RELIEF_WORDS)), re.I
)
RELIEF_NEAR = re.compile(
    r"\b(?:(?:relie|releif|relif)\w*|reduc\w*|improv\w*|better|less|decreas\w*|benefit\w*|respon\w*|cut|help\w*|"
    r"lower\w*|drop\w*|pain)\b",
    re.I,
)

# Where a reading is not a result of this patient's trial.
HYPOTHETICAL = re.compile(
    r"\b(?:if|unless|would|goals?|target|expect\w*|hop(?:e|es|ed|ing)|aim\w*|requir\w*|threshold|"
    # (not a grid column's name before a row label: "Criterion Trial result: ...")
    r"criteri\w*(?!\s+[\w ]{1,30}:)|must|should|need(?:s|ed)?\s+(?:at\s+least|to)|looking\s+for|"
    r"in\s+order\s+to|"
    r"whether|defined\s+as|could|might|may\s+(?:be|give|get|help|provide|achieve|reduce|cut)|"
    r"hypothetical\w*|for\s+(?:example|instance)|such\s+as|"
    # an inverted condition: "Had a trial been performed, ... (e.g., 8/10 -> 4/10)"
    r"had\s+(?:an?|the)\s+[\w\s-]{0,20}?trial\s+been)\b|\be\.g\.",
    re.I,
)
NEGATED_RESULT = re.compile(  # right before the reading: "did not achieve 50% relief"
    r"(?:\bnot|\bnever|n't|\bfailed\s+to|\bunable\s+to)\s+[\w\s]{0,20}?\b(?:achieve|reach|get|"
    r"obtain|have|experience|report|gain|attain)\w*\s+(?:(?:a|an|the|any|even|at\sleast|"
    r"more\sthan|over)\s{1,3}){0,3}",
    re.I,
)
# What may stand between a relative and the verb that says what is theirs: up to 40 characters
# that do not pass a verb of reporting ("his sister, also a patient here, had an IT trial").
_REPORT = r"(?:says|said|told|reports|reported)"
_TO_VERB = rf"[\s,]{{1,3}}(?:(?!\b{_REPORT}\b)[\w\s,]){{0,40}}?"
OTHER_PERSON = re.compile(
    r"\b(?:husband|wife|spouse|mother|father|mom|dad|son|daughter|brother|sister|friend|"
    r"roommate|room-mate|neighbou?r|cousin|aunt|uncle|grandmother|grandfather|co-?worker|"
    r"colleague|co-?claimant)(?:-in-law)?"
    rf"(?:'s\b|{_TO_VERB}\b(?:had|has|got|gets|underwent|received|tried|did|was|pain)\b"
    # ... but a relative telling what the patient said is the patient's ("son says she reported")
    rf"|{_TO_VERB}\b{_REPORT}\b(?!\s+(?:that\s+)?(?:she|he|pt|"
    r"patient|the\s+patient|mom|dad|(?:his|her)\s+(?:mother|father|wife|husband)"
    # ... or what the trial did to the patient ("Dad reports the spasm pain is two-thirds better")
    r"|the\s+(?:\w+\s+)?(?:pain|spasms?|stiffness|relief|test\s+dose|trial|response))\b))"
    r"|\b(?:another|other)\s+patient|\ba\s+(?:man|woman|lady|guy|friend|patient)\s+(?:she|he|I|"
    r"they|who|we)\b|\bsomeone\b|\broommate\b|\bneighbou?r\b",
    re.I,
)
PLANNED = re.compile(
    r"\b(?:schedul\w*|plan(?:ned|ning|s)?|to\s+be\s+(?:scheduled|done|arranged|performed|booked|"
    r"repeated)|will|next\s+(?:week|month|visit|time)|tomorrow|upcoming|pending|postponed|"
    r"cancel+ed|declined?|defer\w*|moved\s+to|re-?schedul\w*|consider\w*(?!\s+(?:the\s+|it\s+|this\s+)?(?:trial|test(?:\s+dose)?|injection|response|result)?\s*(?:an?\s+|to\s+(?:be|have\s+been)\s+)?(?:success|successful|positive|failure|failed|negative))|candidate\s+for|interested\s+in|"
    r"(?:vs\.?|versus)\s+(?:an?\s+)?(?:SCS|spinal|stim\w*|pump|implant|IT|intrathecal|trial|"
    r"surgery|conservative|medical|continued)|if|hop(?:e|es|ing)|abort\w*|attempt\w*|never|"
    r"goals?|expect\w*|request\w*|awaiting|future|would\s+like|wish\w*|wants?|discuss\w*(?!\s+(?:the\s+)?(?:results?|"
    r"outcomes?|findings)))\b",
    re.I,
)

# Right before a trial phrase (searched up to it, so ``$`` is the phrase), a denial that it
# was done: "not an opioid or drug-delivery trial", "No intrathecal trial has been done".
NOT_DONE = re.compile(
    r"\b(?:not|no|never|nor|without)[ \t]{1,3}"
    r"(?:(?:had|have|has|been|yet|an?|any|the|prior|previous)[ \t]{1,3}){0,3}"
    r"(?:[\w-]{1,30}[ \t]{1,3}(?:or[ \t]{1,3})?){0,3}$",
    re.I,
)
# A trial called off after it started: its scores (the arrival score) are no result.
ABORTED = re.compile(
    r"\b(?:procedure|trial|test\s+dose|injection|attempt)\s+(?:was\s+)?(?:aborted|abandoned|"
    r"cancel+ed|terminated|not\s+(?:performed|done|completed))\b|\bno\s+(?:drug|medication|"
    r"medicine|opioid|morphine|study\s+drug)\s+(?:was\s+)?(?:given|administered|injected|delivered)\b",
    re.I,
)
ABORT_REACH = 600  # characters after the trial phrase: its own procedure log

# Phrases that name this kind of trial, and those that name something else.
DRUG_TRIAL = re.compile(
    r"(?=[^\W\d_])(?:\b(?:intrathecal(?:ly)?|intra-thecal|neuraxial|intraspinal|epidural|pump|catheter|bolus|"
    r"screening|test|ITDD|ITP)\s+(?:[\w/\s-]{0,24}?\s)?trial\b"
    r"|\bintrathecal(?:ly)?\b(?!\s+(?:pump|therapy|drug\s+delivery|dose|refill|infusion\s+via|"
    r"chemo\w*|methotrexate|cytarabine|ara-c|thiotepa|topotecan|antibiotics?|vancomycin|"
    r"gentamicin|contrast))"
    r"|(?-i:\bIT(?:T|DD)?\b)(?!\s+(?:pump|therapy|refill|dose\s+(?:increase|change)))"
    r"|\b(?:test|trial)\s+dose\b|\bsingle[-\s]shot\b|\bbolus\b|\bduramorph\b|\binfumorph\b"
    r"|\bziconotide\b|\bprialt\b|\bpre-?trial\b|\bpost-?trial\b"
    r"|\bepidural\s+(?:catheter|infusion|morphine|fentanyl|hydromorphone|bupivacaine|"
    r"sufentanil|clonidine)\b"
    r"|\b(?:temporary|tunneled|tunnelled|externalized)\s+(?:\w+\s+)?catheter\b"
    r"|\btrial\b(?!\s+of\s+(?!intrathecal|IT\b|epidural|neuraxial|spinal|morphine|duramorph|"
    r"hydromorphone|ziconotide|fentanyl|bupivacaine|clonidine|baclofen|an?\b|the\b)[a-z]{3,}))",
    re.I,
)
OTHER_PROCEDURE = re.compile(
    r"(?=[^\W\d_])\b(?:ESIs?|TFESIs?|ILESIs?|CESIs?|LESIs?|epidural\s+steroids?(?:\s+injections?)?|"
    r"steroid\s+injections?|transforaminal|interlaminar|caudal|SCS|spinal\s+cord\s+stim\w*|"
    r"(?:DRG|dorsal\s+root\s+ganglion|peripheral\s+nerve|PNS)\s+stim\w*|stimulator|"
    r"neurostimulat\w*|medial\s+branch(?:\s+blocks?)?|MBBs?|RFA|radiofrequency|ablation|"
    r"rhizotomy|neurotomy|facet\w*|SI[-\s]joint|sacroiliac|genicular|"
    r"trigger[-\s]point(?:\s+injections?)?|TPIs?|stellate|celiac|coeliac|hypogastric|splanchnic|"
    r"neuroly\w+|sympathetic|ketamine|lidocaine\s+(?:infusions?|trial)|IV\s+(?:lidocaine|ketamine)|blood\s+patch|EBP|"
    r"labou?r\s+epidural|(?:thoracic|lumbar|continuous)\s+epidural\b(?=[^.;\n]{0,40}?\b(?:for|after|s/p)\s+(?:\w{1,20}\s{1,3}){0,3}?"
    r"(?:rib|fx|fractures?|trauma|thoracotomy|laparotomy|surgery|post-?op\w*))|kyphoplasty|vertebroplasty|botox|botulinum|PRP|acupuncture|"
    r"(?:nerve|ganglion|plexus|occipital|intercostal|paravertebral|pudendal|suprascapular|"
    r"femoral|sciatic)\s+blocks?|post-?op\w*|POD\s*#?\d+|"
    r"(?:after|since|following|s/p)\s+[\w\s-]{0,25}?\b(?:surgery|fusion|laminectomy|"
    r"discectomy|decompression|arthroplasty|operation)|"
    # (the therapy or its pump, not "ITDD trial", which is the drug trial)
    r"pump\s+(?:refill|implant\w*|placement)|implant(?:ed|ation)?|refill\w*|"
    r"(?:ITDD|ITP)(?!\s{1,3}(?:[\w/-]{1,20}\s{1,3}){0,2}?trial\b)|"
    r"intrathecal\s+(?:pump|therapy|drug\s+delivery|chemo\w*|methotrexate|cytarabine)|"
    r"(?:since|after)\s+(?:starting|adding|increasing|switching)|physical\s+therapy|"
    r"(?:after|with|during)\s+(?-i:PT)|(?-i:PT)\s+session|"
    r"(?:after|with|following)\s+(?:a|an|the|her|his|one)\s+(?:PRN\s+|rescue\s+|breakthrough\s+)?"
    r"dose\s+of|(?:with|after|following|from)\s+(?:an?\s+)?(?:IV|IM|PCA|intravenous)|PCA|"
    r"(?:gabapentin|pregabalin|duloxetine|nortriptyline|amitriptyline|venlafaxine|tramadol|"
    r"tapentadol|buprenorphine|methadone|oxycodone|NSAIDs?|oral|PO|TENS(?:\s+unit)?|"
    r"physical\s+therapy|(?-i:PT)|clinical|research|acupuncture|brace|exercise|work)\s+trial|"
    r"trial\s+of\s+(?!intrathecal|IT\b|epidural|neuraxial|spinal|morphine|duramorph|hydromorphone|"
    r"ziconotide|fentanyl|bupivacaine|clonidine|baclofen|an?\b|the\b)[a-z]{3,})\b"
    r"(?:\s+trials?\b)?",
    re.I,
)


MARKS = {
    "hypothetical": HYPOTHETICAL,
    "negated": NEGATED_RESULT,
    "other person": OTHER_PERSON,
    "planned": PLANNED,
    "aborted": ABORTED,
    "pct before": PCT_BEFORE,
    "pct block": PCT_BLOCK,
    "relief near": RELIEF_NEAR,
    "vas": VAS_WORD,
}


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class _Reading:
    kind: str  # "change", "pre", "post", "cur", "plain", "percent", "words"
    start: int
    end: int
    values: tuple[float, ...]  # a change: the score before, then those after; else one value


@dataclass(frozen=True, slots=True)
class _Context:
    start: int
    end: int
    trial: bool  # a drug-delivery trial phrase, else another procedure


class _Marks:
    """Where a pattern matches in the text, to ask "is there a match in [start, end)?" by
    bisection instead of searching every window again."""

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        spans = [(m.start(), m.end()) for m in pattern.finditer(text)]
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]  # increasing too: finditer does not overlap

    def within(self, start: int, end: int) -> bool:
        index = bisect_left(self.starts, start)
        return index < len(self.starts) and self.ends[index] <= end

    def ending_at(self, position: int) -> bool:
        index = bisect_left(self.ends, position)
        return index < len(self.ends) and self.ends[index] == position


class _Positions:
    """Sorted start positions of one kind of token, for "the last one in [start, end)"."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.starts = [t.start for t in tokens]

    def last_in(self, start: int, end: int) -> _Token | None:
        index = bisect_left(self.starts, end) - 1
        if index >= 0 and self.starts[index] >= start and self.tokens[index].end <= end:
            return self.tokens[index]
        return None

    def first_in(self, start: int, end: int) -> _Token | None:
        index = bisect_left(self.starts, start)
        return self.tokens[index] if index < len(self.starts) and self.starts[index] < end else None

    def count_in(self, start: int, end: int) -> int:
        return bisect_left(self.starts, end) - bisect_left(self.starts, start)


class _Reader:
    """The tokens, readings and contexts of one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [_token(m) for m in TOKEN.finditer(text)]
        self.token_starts = [t.start for t in self.tokens]
        self.numeric = [t for t in self.tokens if t.kind in NUMERIC]
        self.numeric_at = _Positions(self.numeric)
        self.roles = _Positions([t for t in self.tokens if t.kind in ROLES])
        self.pains = _Positions([t for t in self.tokens if t.kind == "pain"])
        self.blockers = _Positions([t for t in self.tokens if t.kind == "blocker"])
        self.relief_words = list(RELIEF_WORDS.finditer(text))
        self.clause_ends = [m.end() for m in CLAUSE_END.finditer(text)]
        self.sentence_stops = [m.end() for m in SENTENCE_STOP.finditer(text)]
        self.line_starts = [0] + [m.end() for m in LINE_START.finditer(text)]
        self._stamp_ends: dict[int, int | None] = {}  # per line start, matched on first use
        self._contexts: list[_Context] | None = None
        self._context_starts: list[int] = []
        self._done: dict[int, bool] = {}
        self._marks: dict[str, _Marks] = {}
        self._values: dict[int, float | None] = {}

    def mark(self, name: str) -> _Marks:
        """Where one cue pattern matches, found on first use (most texts need few of them)."""
        if name not in self._marks:
            self._marks[name] = _Marks(MARKS[name], self.text)
        return self._marks[name]

    @property
    def contexts(self) -> list[_Context]:
        if self._contexts is None:
            self._contexts = self._find_contexts()
            self._context_starts = [c.start for c in self._contexts]
        return self._contexts

    # sentences -----------------------------------------------------------------------------

    def clause_start(self, position: int) -> int:
        index = bisect_right(self.clause_ends, position) - 1
        return self.clause_ends[index] if index >= 0 else 0

    def clause_end(self, position: int) -> int:
        index = bisect_right(self.clause_ends, position)
        return self.clause_ends[index] if index < len(self.clause_ends) else len(self.text)

    def sentence_start(self, position: int, limit: int) -> int:
        """Where the sentence holding ``position`` starts, past semicolons, at most ``limit``
        characters back ("Father had a pump; his pain went from 10 to 3")."""
        index = bisect_right(self.sentence_stops, position) - 1
        start = self.sentence_stops[index] if index >= 0 else 0
        return max(start, position - limit)

    # contexts ------------------------------------------------------------------------------

    def _find_contexts(self) -> list[_Context]:
        """Trial and procedure phrases; another procedure only when it was done (a "candidate
        for implanted pump" line above a trial log does not claim the log's scores)."""
        others = [_Context(m.start(), m.end(), False) for m in OTHER_PROCEDURE.finditer(self.text)]
        others = [c for c in others if self.done(c)]
        other_starts = [c.start for c in others]
        trials = []
        bare_after_other = False
        for match in DRUG_TRIAL.finditer(self.text):
            index = bisect_right(other_starts, match.end()) - 1
            inside = index >= 0 and others[index].end > match.start()
            if _bare_trial(match.group()) and (
                inside or (index >= 0 and _adjoins(self.text, others[index], match))
            ):
                bare_after_other = True  # "SCS TRIAL", "stimulator - trial": its own trial
                continue
            if inside:
                continue  # "spinal cord stimulator trial": the procedure, not a drug trial
            trials.append(_Context(match.start(), match.end(), True))
        if bare_after_other and all(_bare_trial(self.text[t.start : t.end]) for t in trials):
            # The note names no drug trial, only another procedure's: its later bare "trial"
            # ("Day-7 trial review: 60% relief") is that procedure's too.
            trials = []
        # After a trial catheter was placed, "post-op day two" dates the trial's own scores
        others = [c for c in others if not self._trial_day(c, trials)]
        return sorted([*others, *trials], key=lambda c: c.start)

    def _trial_day(self, context: _Context, trials: list[_Context]) -> bool:
        """Whether a "post-op day N" / "POD N" phrase follows a trial phrase within 400
        characters: it counts the days of that trial, not of another operation."""
        if not POST_OP_DAY.match(self.text, context.start):
            return False
        return any(t.end <= context.start <= t.end + 400 and self.done(t) for t in trials)

    def done(self, context: _Context) -> bool:
        """Whether a trial phrase is of a trial done, for this patient: no planning word just
        before or after it ("scheduled", "postponed", "declined", "if") and no other person."""
        if context.start not in self._done:
            start, end = context.start, context.end
            before = max(self.clause_start(start), start - 45)
            stop = min(self.clause_end(end), end + 35)
            result = self.numeric_at.first_in(end, stop)  # "IT trial 4/4 w/ 70% relief -> refer"
            stop = min(stop, result.start) if result is not None else stop
            percent = next((t for t in self._tokens_from(end, stop) if t.kind == "pct"), None)
            stop = min(stop, percent.start) if percent is not None else stop
            planned = self.mark("planned")
            self._done[start] = not (
                planned.within(before, start)
                or planned.within(end, stop)
                or NOT_DONE.search(self.text, max(0, start - 60), start) is not None
                or self.mark("aborted").within(end, end + ABORT_REACH)
                or self.mark("other person").within(self.sentence_start(start, 150), start)
            )
        return self._done[context.start]

    def _tokens_from(self, start: int, end: int) -> list[_Token]:
        index = bisect_left(self.token_starts, start)
        found = []
        while index < len(self.tokens) and self.tokens[index].start < end:
            found.append(self.tokens[index])
            index += 1
        return found

    def context_of(self, reading: _Reading) -> _Context | None:
        """The trial or procedure a reading belongs to: in its clause, the nearer of the nearest
        before and after it (one after counts 1.5 times its distance: a label usually comes
        first), else the nearest before it, else the nearest after it."""
        if not self.contexts:
            return None
        starts = self._context_starts
        inside = bisect_left(starts, reading.start)
        after_index = bisect_left(starts, reading.end)
        if inside < after_index:
            return self.contexts[inside]  # "Pain 3/10 (pre-trial 8/10)"
        before = self._preceding(inside - 1, reading.start)
        after = self.contexts[after_index] if after_index < len(self.contexts) else None
        start, end = self.clause_start(reading.start), self.clause_end(reading.end)
        near_before = before if before is not None and before.end > start else None
        near_after = after if after is not None and after.start < end else None
        if near_before is not None and near_after is not None:
            gap_before = max(0, reading.start - near_before.end)
            gap_after = near_after.start - reading.end
            return near_before if gap_before <= 1.5 * gap_after else near_after
        return near_before or near_after or before or after

    def _preceding(self, index: int, position: int) -> _Context | None:
        """Of the context at ``index`` and the one before it (a procedure and a trial phrase
        may nest), the one ending nearer to ``position``."""
        if index < 0:
            return None
        candidates = self.contexts[max(0, index - 1) : index + 1]
        return max(candidates, key=lambda c: min(c.end, position))

    # numbers -------------------------------------------------------------------------------

    def vas_near(self, token: _Token) -> bool:
        """Whether the scale is named before the score in its sentence: a semicolon does not end
        a VAS series ("VAS 64 mm before injection; 18 mm at 3 h"), nor do the line breaks of a
        table under a "VAS (mm)" header ("Time: VAS (mm)\nPre: 90\n4 h: 60")."""
        lead = max(0, token.start - 80)
        for end in END_MARK.finditer(self.text, lead, token.start):
            lead = end.end()  # back to the last sentence end only
        return self.mark("vas").within(lead, token.start)

    def value(self, token: _Token) -> float | None:
        """A score on the 0-10 scale, or None when the token is not a plausible pain score."""
        if token.start not in self._values:
            self._values[token.start] = self._value(token)
        return self._values[token.start]

    def _value(self, token: _Token) -> float | None:
        numbers = [_number(n) for n in NUMBER.findall(token.text)]
        text = token.text.lower()
        scale = 1.0
        if token.kind == "score":
            if "mm" in text or "cm" in text or "millimet" in text:
                if not self.vas_near(token):
                    return None  # pupils 5 mm, a 3 cm wound
                scale = 10.0 if "mm" in text or "millimet" in text else 1.0
            else:
                scale = 1.0 if PER_TEN.search(text) else 10.0
                if "hundred" not in text:
                    numbers = numbers[:-1]  # the denominator
        if not numbers:
            return None
        value = sum(numbers) / len(numbers) / scale  # a range "7-8/10" is its middle
        if token.kind == "num" and value > 10:
            value = value / 10 if value <= 100 and self.vas_near(token) else -1.0
        return value if 0 <= value <= 10 else None

    def blocked(self, token: _Token) -> bool:
        """A bare number right after a word for another measure (RR 14, Ashworth 4), or
        labelled by one in parentheses after it, as a table cell is ("0 (Sedation)")."""
        if token.kind != "num":
            return False
        start = max(self.clause_start(token.start), token.start - 25)
        if MEASURE_AFTER.match(self.text, token.end):
            return True
        return (
            self.blockers.last_in(start, token.start) is not None
            and self.pains.last_in(start, token.start) is None
        )

    # readings ------------------------------------------------------------------------------

    def changes(self, used: set[int]) -> list[_Reading]:
        """Score changes, chained: 9 -> 5 -> 2 is one change from 9 to 5 and 2."""
        links: dict[int, int] = {}
        reverse: list[int] = []
        for index in range(len(self.numeric) - 1):
            first, second = self.numeric[index], self.numeric[index + 1]
            if second.start - first.end > 50:
                continue
            gap = self.text[first.end : second.start]
            backwards = bool(REVERSE_GAP.search(gap))
            if HARD_GAP.search(gap) or not (backwards or CHANGE_GAP.search(gap)):
                continue
            if "," in gap and not CHANGE_VERB.search(gap):
                continue
            if self.value(first) is None or self.value(second) is None:
                continue
            if self.blocked(first) or self.blocked(second):
                continue
            bare = first.kind == "num" and second.kind == "num"
            if bare and not backwards and not ARROW.search(gap):
                lead = self.text[
                    max(self.clause_start(first.start), first.start - 45) : first.start
                ]
                if not FROM_BEFORE.search(lead) and not SCALE_BEFORE.search(lead):
                    continue  # "7 to 2" needs "from" or a pain word: "2 to 4 times"
            if backwards:
                reverse.append(index)
            else:
                links[index] = index + 1
        readings = []
        linked = set(links) | set(links.values())
        for later in reverse:
            if later in linked or later + 1 in linked:
                continue
            before, after = self.value(self.numeric[later + 1]), self.value(self.numeric[later])
            if before is not None and after is not None:
                used.update((later, later + 1))
                start, end = self.numeric[later].start, self.numeric[later + 1].end
                readings.append(_Reading("change", start, end, (before, after)))
        targets = set(links.values())
        for index in sorted(links):
            if index in targets:
                continue
            chain = [index]
            while chain[-1] in links:
                chain.append(links[chain[-1]])
            values = [self.value(self.numeric[i]) for i in chain]
            used.update(chain)
            start, end = self.numeric[chain[0]].start, self.numeric[chain[-1]].end
            readings.append(
                _Reading("change", start, end, tuple(v for v in values if v is not None))
            )
        return readings

    def table_rows(self, used: set[int]) -> tuple[list[_Reading], set[int]]:
        """A header row of time points followed by a row of as many scores."""
        readings: list[_Reading] = []
        headers: set[int] = set()
        roles = [t for t in self.roles.tokens if t.kind != "cur"]
        position = 0
        while position < len(roles):
            run = [roles[position]]
            while position + 1 < len(roles) and HEADER_GAP.fullmatch(
                self.text, run[-1].end, roles[position + 1].start
            ):
                run.append(roles[position + 1])
                position += 1
            position += 1
            kinds = [t.kind for t in run]
            if len(run) < 2 or len(run) > MAX_COLUMNS:
                continue
            if "pre" not in kinds and kinds.count("time") < 2:
                continue  # a header starts from a baseline or lists time points
            end = run[-1].end
            pair = PAIR_CELL.match(self.text, end) if kinds == ["pre", "post"] else None
            if pair is not None:  # "NRS pre/post: 8/3"
                values = [_number(v) for v in pair.groups()]
                if all(0 <= v <= 10 for v in values):
                    readings.append(_Reading("change", pair.start(1), pair.end(), tuple(values)))
                    headers.update(t.start for t in run)
                continue
            first = bisect_left(self.numeric_at.starts, end)
            cells = []
            for index in range(first, min(first + len(run), len(self.numeric))):
                token = self.numeric[index]
                if token.start - end > 200 or self.roles.count_in(end, token.start):
                    break
                cells.append(index)
            if len(cells) != len(run) or used.intersection(cells):
                continue
            row = []
            for header, index in zip(run, cells, strict=True):
                token = self.numeric[index]
                value = self.value(token)
                if value is not None and not self.blocked(token):
                    kind = "pre" if header.kind == "pre" else "post"
                    row.append(_Reading(kind, token.start, token.end, (value,)))
            if not row:
                continue  # no score under it ("pre-trial on admission. RR 14, POSS 2"): no header
            readings += row
            used.update(cells)
            headers.update(t.start for t in run)
        return readings, headers

    def parallel_lists(self, used: set[int]) -> list[_Reading]:
        """Scores listed beside their time points: "8, 6, 3 and 4 at 0, 1, 4 and 8 hours"."""
        readings = []
        for match in PARALLEL.finditer(self.text):
            values = [_number(n) for n in NUMBER.findall(match.group("values"))]
            times = [_number(n) for n in NUMBER.findall(match.group("times"))]
            if len(values) != len(times) or not all(0 <= v <= 10 for v in values):
                continue
            first = bisect_left(self.numeric_at.starts, match.start())
            last = bisect_left(self.numeric_at.starts, match.end())
            if used.intersection(range(first, last)):
                continue
            used.update(range(first, last))
            for value, time in zip(values, times, strict=True):
                kind = "pre" if time == 0 else "post"
                readings.append(_Reading(kind, match.start(), match.end(), (value,)))
        return readings

    def singles(self, used: set[int], headers: set[int]) -> list[_Reading]:
        """Scores labelled by the nearest before/after/time word before them, else just after
        them ("8/10 on arrival", "a 7 before", "7 (pre)")."""
        readings = []
        consumed = 0  # where the previous score's label ended
        for index, token in enumerate(self.numeric):
            if index in used:
                consumed = max(consumed, token.end)
                continue
            lead_start = max(consumed, self.clause_start(token.start), token.start - 60)
            label = self.roles.last_in(lead_start, token.start)
            if label is not None and label.start in headers:
                label = None
            role = label.kind if label is not None else None
            consumed = token.end
            # A log entry's time stamp ("Day 1 06:00  VAS 78/100 baseline") yields to a label
            # after the score, however near the stamp.
            stamp = label is not None and self.in_stamp(label)
            if label is None or stamp or token.start - label.end > FAR_LABEL:
                # none before it, or one far before it and one right after it: "(3 d): mean
                # NRS 7.2 at baseline" is the baseline
                trailing = self._trailing_role(token, index, headers)
                if trailing is not None and (label is None or trailing[1] - token.end <= NEAR_GAP):
                    role, consumed = trailing[0], trailing[2]
            if role is None and self._dated(index):
                role = "time"  # "Pain NRS: admission 9; 6/4 6; 6/5 3": a dated later reading
            if self.blocked(token):
                continue
            pain_word = self.pains.last_in(lead_start, token.start) is not None
            if token.kind == "num" and not (
                pain_word or (role and token.text[:1].isdigit()) or self.logged_score(token)
            ):
                continue  # a bare number is a score next to a label ("one" by a pain word)
            value = self.value(token)
            if value is not None:
                kind = "post" if role == "time" else (role or "plain")
                if kind == "plain" and self.stamped(token):
                    kind = "logged"
                readings.append(_Reading(kind, token.start, token.end, (value,)))
        return readings

    def _dated(self, index: int) -> bool:
        """Whether the score follows a date at once ("6/4 6"), after a baseline in its sentence."""
        token = self.numeric[index]
        at = bisect_left(self.token_starts, token.start) - 1
        if at < 0 or self.tokens[at].kind != "date" or token.start - self.tokens[at].end > 2:
            return False
        start = self.sentence_start(token.start, 120)
        return any(t.kind == "pre" for t in self._tokens_from(start, token.start))

    def stamp_end(self, position: int) -> int | None:
        """Where the time stamp that starts the line (or "|" cell) of ``position`` ends."""
        line = self.line_starts[bisect_right(self.line_starts, position) - 1]
        if line not in self._stamp_ends:
            stamp = STAMP.match(self.text, line)
            self._stamp_ends[line] = stamp.end() if stamp is not None else None
        return self._stamp_ends[line]

    def stamped(self, token: _Token) -> bool:
        """Whether the token's line starts with a time stamp before it: a log entry."""
        end = self.stamp_end(token.start)
        return end is not None and end <= token.start

    def logged_score(self, token: _Token) -> bool:
        """Whether a bare number is the score of a log entry under a pain label: the first
        number after its entry's time stamp, a pain word before the run of entries
        ("FLACC: 0800 6.3 | 1200 2.7 | 1600 3.0")."""
        end = self.stamp_end(token.start)
        if end is None or end > token.start:
            return False
        if any(ch.isdigit() for ch in self.text[end : token.start]):
            return False
        return self.pains.last_in(max(0, token.start - LOG_REACH), token.start) is not None

    def in_stamp(self, token: _Token) -> bool:
        """Whether the token is part of its line's time stamp ("Day 1" of "Day 1 06:00")."""
        end = self.stamp_end(token.start)
        return end is not None and token.end <= end and token.kind == "time"

    def _trailing_role(
        self, token: _Token, index: int, headers: set[int]
    ) -> tuple[str, int, int] | None:
        """The label just after a score (its kind, where it starts, where it or its closing
        parenthesis ends), unless it leads the next score ("8/10 pre 3/10") or sits in a
        parenthesis that goes on ("3/10 (pre-trial 8/10)" labels the 8)."""
        stop = min(self.clause_end(token.end), token.end + 25)
        following = self.numeric[index + 1] if index + 1 < len(self.numeric) else None
        if following is not None:
            stop = min(stop, following.start)
        label = self.roles.first_in(token.end, stop)
        if label is None or label.start in headers:
            return None
        paren = self.text.find("(", token.end, label.start)
        if paren >= 0:
            closed = PAREN_ROLE.match(self.text, paren)
            if closed and closed.end() > label.start:
                return label.kind, label.start, closed.end()  # "7 (pre)"
            return None
        leads_next = (
            following is not None
            and following.start - label.end <= 3
            and not TRAILING_GAP.search(self.text, label.end, following.start)
        )
        return None if leads_next else (label.kind, label.start, label.end)

    def percents(self) -> list[_Reading]:
        """Stated relief: percentages next to a relief word, and relief in words."""
        readings = []
        for token in self.tokens:
            if token.kind != "pct":
                continue
            lower = token.text.lower()
            numbers = [_number(n) for n in NUMBER.findall(token.text)]
            numbers += [float(v) for word, v in TENS.items() if word in lower]
            lead = max(self.clause_start(token.start), token.start - 50)
            related = PCT_AFTER.match(self.text, token.end) or (
                self.mark("pct before").within(lead, token.start)
                and not self.mark("pct block").within(max(lead, token.start - 25), token.start)
            )
            if numbers and related and 0 <= min(numbers) <= 100:
                readings.append(_Reading("percent", token.start, token.end, (min(numbers),)))
        for match in PERCENT_LABEL.finditer(self.text):
            cell = self.numeric_at.first_in(match.end(), match.end() + 3)
            if cell is not None and cell.text[:1].isdigit() and 0 <= _number(cell.text) <= 100:
                readings.append(_Reading("percent", cell.start, cell.end, (_number(cell.text),)))
        for match in self.relief_words:
            _, value, needs_word = _RELIEF_WORDS[int((match.lastgroup or "w0")[1:])]
            near = max(self.clause_start(match.start()), match.start() - 30)
            if needs_word and not self.mark("relief near").within(near, match.end() + 20):
                continue
            sentence = self.sentence_start(match.start(), 150)
            if value == 0 and TONE_TRIAL.search(self.text, sentence, match.start()):
                continue  # "Ashworth 3 -> 1; pain unchanged": a spasticity trial's aside
            readings.append(_Reading("words", match.start(), match.end(), (float(value),)))
        return readings

    def excluded(self, reading: _Reading) -> bool:
        """A goal or hypothetical, a negated result, or another person's."""
        lead = max(self.clause_start(reading.start), reading.start - 80)
        return (
            self.mark("hypothetical").within(lead, reading.start)
            or self.mark("negated").ending_at(reading.start)
            or self.mark("other person").within(
                self.sentence_start(reading.start, 150), reading.start
            )
        )

    # the response --------------------------------------------------------------------------

    def response(self) -> PainResponse:
        if not self.relief_words and all(t.kind not in NUMBERS for t in self.tokens):
            return PainResponse()  # no number and no relief in words: nothing to read
        used: set[int] = set()
        changes = self.changes(used)
        rows, headers = self.table_rows(used)
        lists = self.parallel_lists(used)
        readings = sorted(
            [*changes, *rows, *lists, *self.singles(used, headers), *self.percents()],
            key=lambda r: r.start,
        )
        kept = []
        for reading in _log_entries(readings):
            if self.excluded(reading):
                continue
            context = self.context_of(reading)
            if context is None:
                if reading.kind in ("change", "pre", "post", "percent"):
                    kept.append(reading)  # explicit enough without a trial phrase
            elif context.trial and self.done(context):
                kept.append(reading)
        return _combine(kept)


def _log_entries(readings: list[_Reading]) -> list[_Reading]:
    """Time-stamped log entries as the trial's scores: each is a later reading, except the
    first when no baseline is labelled before it (and a lone entry is no timeline)."""
    logged = [r for r in readings if r.kind == "logged"]
    if not logged:
        return readings
    first = logged[0].start
    labelled = any(r.kind == "pre" and r.start < first for r in readings)
    if not labelled and len(logged) < 2:
        return [replace(r, kind="plain") if r.kind == "logged" else r for r in readings]
    return [
        replace(r, kind="pre" if r.start == first and not labelled else "post")
        if r.kind == "logged"
        else r
        for r in readings
    ]


def _combine(readings: list[_Reading]) -> PainResponse:
    """Before (a change's first score, else the last baseline before the first later score),
    after (the lowest later score) and the stated relief (the highest stated)."""
    changes = [r for r in readings if r.kind == "change"]
    pres = [r for r in readings if r.kind == "pre"]
    posts = [r for r in readings if r.kind == "post"]
    afters = [v for r in changes for v in r.values[1:]] + [r.values[0] for r in posts]
    percents = [r.values[0] for r in readings if r.kind in ("percent", "words")]
    before: float | None = None
    if changes:
        before = changes[0].values[0]
    elif pres:
        first_after = min((r.start for r in posts), default=None)
        earlier = [r for r in pres if first_after is None or r.start < first_after]
        before = (earlier[-1] if earlier else pres[0]).values[0]
        if not afters and not percents:
            # "Pain 3/10 (pre-trial 8/10)", "a 2 now compared with a 9 before": beside a
            # baseline, a score of now, or an unlabelled one written before the baseline, is
            # the score after the trial (not when a relief is stated: that is the result).
            afters = [
                r.values[0]
                for r in readings
                if r.kind == "cur" or (r.kind == "plain" and r.start < pres[0].start)
            ]
    after = min(afters) if afters and before is not None else None
    return PainResponse(before, after, max(percents) if percents else None)


def _token(match: re.Match[str]) -> _Token:
    kind = match.lastgroup or ""  # after a number: what followed it (pct, score, time, num)
    kind = KIND_ALIASES.get(kind, kind)
    if kind == "time" and ZERO_TIME.search(match.group()):
        kind = "pre"
    return _Token(kind, match.start(), match.end(), match.group())


def _number(text: str) -> float:
    word = text.lower()
    return float(WORD_VALUES[word]) if word in WORD_VALUES else float(text)


def _bare_trial(phrase: str) -> bool:
    """Whether a trial phrase is the bare word ("trial"), naming no drug or route."""
    return phrase.lower() == "trial"


def _adjoins(text: str, other: _Context, match: re.Match[str]) -> bool:
    """Whether the trial word directly follows another procedure's name ("SCS trial",
    "stimulator - trial"): at most a space, a hyphen or a bracket between them."""
    between = text[other.end : match.start()]
    return len(between) <= 3 and not between.strip(" -()")
