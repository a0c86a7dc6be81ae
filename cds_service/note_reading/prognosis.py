"""Prognosis in months from a note's PROGNOSIS mentions ("life expectancy < 6 mo").

How a prognosis is found. A PROGNOSIS target of ``data/note-concepts/prognosis.json`` is
only the *cue* of a statement: a word such as "life expectancy", "LE", "prognosis",
"expected survival", "expected to live", "to live", or the start of a spoken form ("she"
in "she has weeks", "if" in "I would be surprised if she were still with us", "his time"
in "his time is short"). Cues are literals, or short patterns that start with a literal
(``target_patterns``, kept in step with the file by a test), so the note reader's
pre-filter stays fast. Keeping the target to the cue matters for ConText: a hedge or
negation after the cue ("prognosis is poor, likely weeks", "days to weeks rather than
months") cannot then doubt or negate the statement, while the cue words are TERMINATE
rules, so a negation before them ("no further options, prognosis weeks") stops there.

How it is read. ``months`` reads each asserted cue's statement from the text that follows
(and, for "... to live", precedes) it: the time frame with its qualifiers ("likely less
than 3 months", "days to weeks", "a year or two", "> 1 yr", "6 months or less if the
disease runs its usual course") becomes one figure, on the safe side of the default policy
minimum of 6 months (``SAFE_MONTHS``):

- a range is its upper bound when that is at most 6 months ("1-3 months" is 3), otherwise
  its lower bound ("4-8 months" might be under 6: 4; "12-18 months" 12);
- an upper bound is read just under its figure ("< 6 mo", "6 months or less", "≤ 3 mo"),
  and gives no figure above 6 months ("< 1 yr" could be 2 months or 11: unknown);
- a lower bound is its figure ("> 1 yr" 12, "at least 2 years" 24);
- a point or approximate figure is itself, except that exactly six months is read just
  under six ("about six months" is the hospice "six months or less");
- words: hours, days, days to weeks, weeks (at most a month), weeks to months, months, a
  few months (3), months to years (1.5: it may be short), years (24), several years (36),
  many years (60), a decade (120), normal for age (120).

A statement gives no figure when it is an old prognosis that did not come true ("was told
in 2018 she had 6 months; NED 7 years later"), someone else's ("Bro w/ pancreatic ca, LE < 3
mo"), a pain or functional prognosis, or a time frame that is no prognosis (follow-up in 3
months, 2 weeks ago, 3 months of relief).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cds_service.note_reading.mention import Mention

UNITS_IN_MONTHS = {
    "hour": 1 / 730.5,
    "day": 1 / 30.44,
    "week": 7 / 30.44,
    "month": 1.0,
    "year": 12.0,
    "decade": 120.0,
}
# The default policy minimum: ranges and bounds are read on its safe side (see the docstring).
SAFE_MONTHS = 6.0
# How far under a stated upper bound ("< 6 mo", "6 months or less") the reading is put.
JUST_UNDER = 0.01
# A prognosis said to be short without a figure ("time is short", the surprise question).
SHORT_UNSTATED = 3.0

# --- the figure: "likely less than 3 months", "days to weeks", "a year or two" -------------

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18,
    "twenty": 20, "a": 1, "an": 1, "a couple of": 2, "a couple": 2, "couple of": 2,
    "a few": 3, "few": 3, "several": 3, "a number of": 3, "many": 5,
}  # fmt: skip
NUMBER = (
    r"(?:(?<![\w.])\d+(?:\.\d+)?"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|eighteen"
    r"|twenty|a\s+couple(?:\s+of)?|couple\s+of|a\s+few|few|several|a\s+number\s+of|many"
    r"|an|a)\b)"
)
# A unit, with the space before it; a single letter only right after the number ("6m", "2y").
# ... and as British/Commonwealth notes write months and weeks: "~6/12", "3-4/12", "2/52" (a bare
# "6/12" may be a date: ``_figure_months`` wants a range or a hedge before it).
UNIT = (
    r"(?:(?:\s*(?:hours?|hrs?|days?|weeks?|wks?|months?|mos?|mths?|mnths?|mons?|years?|yrs?"
    r"|decades?)|[dwmy])(?![a-z])|/(?:12|52)(?![\d/]))"
)
PLAIN = r"(?:hours|days|weeks|wks|months|mos|years|yrs|decades)(?![a-z])"
RANGE_SEP = r"\s*(?:-|–|—|to|or|/|and|through)\s*"
QUANTITY = (
    rf"{NUMBER}(?:{RANGE_SEP}{NUMBER})?\+?(?:\s+(?:more|additional|further))?{UNIT}"
    rf"(?:{RANGE_SEP}(?:{NUMBER})?{UNIT})?(?:\s+or\s+(?:two|three|2|3)\b)?"
)
WORDS = (
    rf"(?:short\s+)?{PLAIN}(?:{RANGE_SEP}(?:a\s+few\s+|several\s+|short\s+)?{PLAIN})?"
    r"|normal(?:\s+for\s+(?:his\s+|her\s+|their\s+)?age)?"
)
PREFIX = (
    r"(?:(?:<=?|>=?|≤|≥|~|≈|\+/-|about|approximately|approx\.?|around|roughly|circa|only|perhaps"
    r"|maybe|possibly|probably|likely|realistically|at\s+least|at\s+most|at\s+best|up\s+to"
    r"|no\s+more\s+than|not\s+more\s+than|no\s+longer\s+than|not\s+longer\s+than"
    r"|no\s+less\s+than|not\s+less\s+than|less\s+than|fewer\s+than|more\s+than|greater\s+than"
    r"|longer\s+than|shorter\s+than|well\s+(?:over|beyond|under|past|in\s+excess\s+of)|over"
    r"|under|beyond|exceeding|exceeds?|in\s+excess\s+of|within(?:\s+the\s+next)?"
    r"|in\s+the\s+(?:next|coming)|the\s+next|between|in\s+the\s+range\s+of"
    r"|on\s+the\s+order\s+of|a\s+matter\s+of|measured\s+in|estimated\s+at|est\.?|of|is)\s*){0,4}"
)
SUFFIX = (
    r"(?:\s*(?:,\s*)?(?:or\s+(?:less|fewer|shorter|sooner|so|more|longer|greater)"
    r"|or\s+(?:a\s+(?:little|bit)\s+)?(?:more|less|longer)|at\s+(?:most|best|the\s+most)"
    r"|max(?:imum)?\b|plus\b|(?:maybe|perhaps|possibly|probably|likely)\s+(?:less|shorter|more"
    r"|longer)|(?:rather\s+than|not|instead\s+of|as\s+opposed\s+to)\s+"
    + PLAIN
    + r"|if\s+(?:the\s+)?(?:terminal\s+)?(?:disease|illness|cancer|condition|it)\s+(?:runs"
    r"|follows|takes|progresses|continues)[^.;,)\n]{0,40})){0,2}"
)
FIGURE = rf"{PREFIX}(?:{QUANTITY}|{WORDS}){SUFFIX}"
NUMERIC_FIGURE = rf"{PREFIX}{QUANTITY}{SUFFIX}"

# --- the cue and what may stand between it and the figure -----------------------------------

# Between a cue and a numeric figure: up to 60 characters of the sentence that do not run into
# a follow-up, the pump ("time left on the battery: 2 years") or another concept ("prognosis
# discussed, f/u in 3 months"). A full stop in it is an abbreviation's ("LE est. 2-3 mo").
GAP = (
    r"(?:(?!f/u|follow|return|rtc|refill|visit|appoint|restag|scan|hospice|infect|sepsis|septic"
    r"|bacter|mening|abscess|cellulitis|alarm|batter|pump|device|catheter|reservoir|generator"
    r"|eri\b|replace|until)(?:[^.;\n!?]|\.(?=\S)|(?<=est)\.|(?<=approx)\.|(?<=Dr)\.)){0,60}?"
)
# Between a cue and a figure in words: only linking and hedging words ("prognosis is poor,
# likely weeks", "prognosis guarded; likely months"), so that "prognosis has been stable for
# months" gives no figure.
FILLER = (
    r"(?:[\s:;=,~\-–()\"'“”‘’]|\b(?:is|was|of|remains|likely|probably|possibly|perhaps|maybe|only"
    r"|realistically|estimated|at|in|measured|poor|guarded|grim|dismal|very|limited|short"
    r"|expected|to|be|now|currently|overall|the|range|order|matter|a)\b){0,12}"
)
# The cue literals: each is a PROGNOSIS target and a ConText TERMINATE rule.
CUE_LITERALS = (
    "life expectancy", "life exp", "expected survival", "estimated survival",
    "anticipated survival", "predicted survival", "projected survival", "median survival",
    "overall survival", "survival", "prognosis", "prognoses", "prognosticated",
    "expected to live", "expected to survive", "not expected to live", "not expected to survive",
    "unlikely to live", "unlikely to survive", "lifespan", "life span", "time left",
    "time remaining", "est surv", "exp surv",
)  # fmt: skip
_SURVIVAL = (
    r"(?<!free\s)(?<!year\s)(?<!yr\s)survival(?!\s+(?:benefit|advantage|gain|rate|curve|data"
    r"|analysis|statistic|probabilit))"
)
CUE = (
    r"(?:life\s+expectancy|life\s+exp\b\.?|(?:expected|estimated|anticipated|predicted|projected"
    r"|median|overall)\s+" + _SURVIVAL + r"|" + _SURVIVAL + r"|(?<!pain\s)(?<!functional\s)"
    r"prognos(?:is|es|ticated)\b|(?:not\s+)?expected\s+to\s+(?:live|survive)|unlikely\s+to\s+"
    r"(?:live|survive)|life\s*span|time\s+(?:left|remaining)|(?:est|exp)\.?\s+surv\b\.?)"
)
# (a source in brackets may come before the colon, the figure on the next line, as a form
# has it: "Estimated prognosis (per treating oncologist):\n 3-6 months")
_CUE_TAIL = (
    r"(?:\s*\([^()\n]{0,40}\))?(?:\s*[:=\-–]\s*|\s+)?"
    rf"(?:{GAP}{NUMERIC_FIGURE}|{FILLER}(?:{FIGURE}))"
)
# "Oncology expects she will live a year or two", "people with her type live for many years".
_LIVE = (
    r"(?=[lps])(?:(?<=will\s)|(?<=would\s)|(?<=could\s)|(?<=may\s)|(?<=might\s)|(?<=should\s)"
    r"|(?<=type\s)|(?<=types\s)|(?<=people\s)|(?<=patients\s))(?:(?:likely|probably|possibly)"
    r"\s+)?(?:live|survive)\b"
)
_LIVE_LOOK = r"(?=[^.;\n]{0,40}?(?:\d|\b(?:days|weeks|months|years|decades?|a\s+year)\b))"
_LIVE_TAIL = rf"(?:\s+for)?{_CUE_TAIL}"
# "LE" in capitals (lower case is French, and "LE edema" is a lower extremity: a figure must
# follow soon, or the cue ends its cell or its sentence after "est.").
_LE = r"(?-i:\bLE\b)"
_LE_LOOK = (
    r"(?=[^.;\n]{0,15}?[\d<>≤≥~]|\s*(?:[:=]\s*)?(?:est|approx\w*|about|around|roughly|likely"
    r"|probably|only|less|more|greater|under|over|at|up|within|between|of|is|weeks|days|months"
    r"|years|wks|mos|yrs|normal|several|many|a|an|few|one|two|three|four|five|six|seven|eight"
    r"|nine|ten|twelve)\b|\s*:?\s*$)"
)
_LE_TAIL = r"\s*(?:[:=|]\s*)?(?:(?:est(?:imated)?\.?|approx(?:imately)?\.?|of|is)\s*){0,2}" + FIGURE
_PERSON = r"(?:\b(?:s?he|they|the\s+patient|pt|patient)\b|\b(?:mr|mrs|ms)\.?\s+[a-z]+)"
_QUOTE = r"[\"'“”‘’]?"
# "she has weeks", "he has a few months, maybe less", "he has 'years' ahead of him": the figure
# must end the clause, so "she has 2 weeks of relief" or "3 months until refill" is none.
_HAS_LOOK = (
    r"(?=\s+(?:likely\s+|probably\s+|only\s+|realistically\s+|may\s+|might\s+)?(?:has|have|had)"
    r"\s+[\"'“”‘’]?(?:(?:only|about|approximately|perhaps|maybe|likely|probably|less|more|than"
    r"|at|most|least|a|an|few|couple|of|several|many|matter|no)\s+){0,4}(?:\d|(?:one|two|three"
    r"|four|five|six|seven|eight|nine|ten|twelve|hours|days|weeks|wks|months|mos|years|yrs"
    r"|decades?|year|month|week|decade)\b))"
)


def _ends_clause(*more: str) -> str:
    """A lookahead that the figure just read ends its clause, or is only hedged after: the
    spoken forms below read a figure only then ("she has 2 weeks of relief" is none). Each
    form adds the words that may still follow it."""
    ends = r"[.,;:!?)\n\"'”’]|$|to\s+live|at\s+(?:most|best)|maybe|perhaps|possibly"
    return r"(?=\s*(?:" + "|".join((ends, *more)) + "))"


_HAS_TAIL = (
    r"\s+(?:likely\s+|probably\s+|only\s+|realistically\s+|may\s+|might\s+)?(?:has|have|had)\s+"
    rf"{_QUOTE}{FIGURE}{_QUOTE}(?:\s+(?:left|ahead(?:\s+of\s+(?:him|her|them))?|remaining)\b"
    r"|" + _ends_clause(r"or\s+") + ")"
)
# "Her estimate is weeks" (a physician's estimate of the time left): the figure must end the
# clause, so "her estimate is 2 weeks for the pump to arrive" is none.
_ESTIMATE = (
    r"(?:(?<=her\s)|(?<=his\s)|(?<=my\s)|(?<=our\s)|(?<=their\s)|(?<=oncology's\s))"
    r"(?:best\s+)?estimate(?=\s+(?:is|was|would\s+be)\s)"
)
_ESTIMATE_TAIL = rf"\s+(?:is|was|would\s+be)\s+{_QUOTE}{FIGURE}{_QUOTE}" + _ends_clause(
    r"or\s+", r"left\b"
)
# An oncologist's estimate quoted after the source: 'onc says "a month or two at most"', 'Onc:
# "3-6 months at best"', "per gyn onc ~2 months even if she gets through this admission". The
# figure must end the clause (or be hedged), so "Onc: 3 months of chemo", "onc f/u 2 weeks" or
# "per onc, 6 weeks until restaging" give none.
# The start of a figure right after a cue: a hedge, a number, or a time word.
_FIGURE_START = (
    r"(?:~|<|≤|about|approximately|approx|likely|probably|perhaps|maybe|only|at\s+most|less\s+than"
    r"|under|a\s+month|a\s+few|a\s+couple|\d|one|two|three|four|five|six|weeks|days|months)\b"
)
# (where the oncologist is may come between: "Oncology in Gallup says 3 to 6 months")
_ONC_WHERE = r"(?:\s+(?:in|at|from)\s+(?-i:[A-Z])[\w.-]*(?:\s+(?-i:[A-Z])[\w.-]*)?)?"
_ONC = (
    r"\b(?:(?:gyn|heme|med|rad|primary|her|his|the|pt's)[\s/-]*)?(?:onc|oncology|oncologist)\b"
    rf"(?={_ONC_WHERE}\s*(?:says|said|thinks|estimates|feels|:|-|–|,)?\s*[\"'“‘]?\s*{_FIGURE_START})"
)
_ONC_TAIL = (
    _ONC_WHERE
    + rf"\s*(?:says|said|thinks|estimates|feels|:|-|–|,)?\s*{_QUOTE}{FIGURE}{_QUOTE}"
    + _ends_clause(r"or\s+less", r"even\b", r"left\b", r"if\b")
)
# An estimating verb with the figure right after it, as terse notes write a prognosis: 'per
# oncology, estimated "a few months at most"', "expects weeks". The figure must end the clause
# (or be hedged), so "estimated 2 weeks for approval" or "expects 3 months of relief" give
# none, and an interval, a supply or a recovery estimated is no prognosis.
_ESTIMATED = (
    r"(?<!refill\s)(?<!interval\s)(?<!supply\s)(?<!recovery\s)(?<!healing\s)(?<!battery\s)"
    r"(?<!ERI\s)(?<!delivery\s)(?<!approval\s)(?<!duration\s)(?<!wait\s)"
    r"\b(?:estimated|estimates|estimating|predicted|predicts|expects|anticipates)\b"
    r"(?=\s*(?:survival|prognosis|LE|life\s+expectancy)?\s*(?:of|at|to\s+be|as)?\s*[\"'“‘]?\s*"
    r"(?:~|<|≤|about|approximately|approx|likely|probably|perhaps|maybe|only|at\s+most|less\s+than"
    r"|under|a\s+month|a\s+few|a\s+couple|\d|one|two|three|four|five|six|weeks|days|months)\b)"
)
_ESTIMATED_TAIL = (
    r"(?:\s+(?:survival|prognosis|LE|life\s+expectancy))?(?:\s+(?:of|at|to\s+be|as))?"
    rf"\s*{_QUOTE}{FIGURE}{_QUOTE}" + _ends_clause(r"or\s+less", r"left\b")
)
# "without further therapy, about six months": what is left if treatment stops.
_WITHOUT_SUBJECT = (
    r"\s*,?\s*(?:(?:s?he|pt|the\s+patient)\s+(?:has|may\s+have|would\s+have|likely\s+has)\s+)?"
)
_WITHOUT = (
    r"\bwithout\s+(?:further|more|any|additional|more\s+active|disease-directed)?\s*"
    r"(?:therapy|treatment|chemo\w*|immunotherapy|dialysis|intervention)\b"
    rf"(?={_WITHOUT_SUBJECT}[\"'“‘]?\s*{_FIGURE_START})"
)
_WITHOUT_TAIL = (
    _WITHOUT_SUBJECT
    + rf"{_QUOTE}{FIGURE}{_QUOTE}"
    + _ends_clause(r"or\s+less", r"left\b", r"with\b")
)
# "was given 3-6 months", "his oncologist gave him weeks".
_GIVEN = (
    r"\b(?:was|were|been|initially|originally|recently|only)\s+given\b"
    r"|\b(?:oncologist|oncology|onc|physician|doctor|team|they)\s+(?:gave|gives|quoted|quotes)\b"
)
_GIVEN_TAIL = rf"\s+(?:him\s+|her\s+|them\s+|pt\s+|me\s+|us\s+)?{FIGURE}"
# "... to live", read back from the cue: "given less than 6 months to live", "has weeks left to
# live", "3 months of life left".
_TO_LIVE = r"(?:left\s+)?to\s+(?:live|survive)\b|of\s+life\s+(?:left|remaining)\b"
_DEATH = r"(?:died|dies|passed(?:\s+away)?|passes(?:\s+away)?|were\s+to\s+die|did\s+not\s+survive)"
_ALIVE = r"(?:is|was|were|are)\s+(?:still\s+)?(?:alive|with\s+us|here|around|living)"
# The surprise question, from its "if" (so that the "if" does not make it hypothetical): "I
# would not be surprised if he died in the next few weeks", "I would be surprised if she were
# still with us at Christmas". ``statement_months`` reads which way round it is put.
_SURPRISE = rf"\bif\b(?<=surprised\sif)\s+(?:{_PERSON}\s*)?(?:{_DEATH}|{_ALIVE})\b"
_SURPRISE_TAIL = rf"(?:[^.;\n]{{0,20}}?{FIGURE})?"
_TIME = (
    r"\b(?:his|her|their|your|the\s+patient's|pt's|patient's)\s+time\b"
    r"|(?:^|(?<=that\s)|(?<=understands\s)|(?<=understand\s)|(?<=aware\s)|(?<=about\s)"
    r"|(?<=[.:;,]\s))time\b"
)
# ... or given as a figure: "your time is likely six months or less"
_TIME_FIGURE_LOOK = (
    r"(?:likely\s+|probably\s+|only\s+|about\s+|less\s+than\s+|under\s+|at\s+most\s+){0,2}"
    r"(?:\d|(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|a\s+few|a\s+couple|days"
    r"|weeks|months)\b)"
)
_TIME_LOOK = (
    r"(?=\s+(?:left\s+|remaining\s+)?(?:(?:now\s+)?being|is(?:\s+now)?|will\s+be|may\s+be|to\s+be"
    r"|as\s+being)\s+"
    rf"(?:(?:very\s+|quite\s+|likely\s+)?(?:short|limited)\b|{_TIME_FIGURE_LOOK}))"
)
_TIME_TAIL = (
    r"\s+(?:left\s+|remaining\s+)?(?:(?:now\s+)?being|is(?:\s+now)?|will\s+be|may\s+be|to\s+be"
    r"|as\s+being)\s+(?:(?:very\s+"
    rf"|quite\s+|likely\s+)?(?:short|limited)\b(?:[^.;\n]{{0,30}}?{FIGURE})?|(?={_TIME_FIGURE_LOOK})"
    rf"{FIGURE})"
)
# "I expect she will pass within days", "death is expected within the next 1-2 weeks" (not
# "died": a past death is someone else's or history).
_DEATH_CUE = r"\b(?:die|dies|pass(?:\s+away)?|death|demise)\b"
_DEATH_LOOK = (
    r"(?=\s+(?:is\s+|may\s+be\s+)?(?:expected\s+|likely\s+|anticipated\s+|imminent\s+)?"
    r"(?:within|in\s+the\s+(?:next|coming)|over\s+the\s+(?:next|coming))\s)"
)
_DEATH_TAIL = (
    r"\s+(?:is\s+|may\s+be\s+)?(?:expected\s+|likely\s+|anticipated\s+|imminent\s+)?"
    rf"(?:within|in\s+the\s+(?:next|coming)|over\s+the\s+(?:next|coming))\s+{FIGURE}"
)
# A column's name after its cell, as a table row is written for the reader ("Pt D. Harrow:
# <6 mo (LE)", note_text's grid rows): the figure comes before the cue.
_COLUMN_CUE = r"\((?:(?-i:LE)|life\s+expectancy|prognosis|est\.?\s+survival)\)"
_COLUMN_CUE_RE = re.compile(_COLUMN_CUE, re.I)
_TALKING = r"\b(?:talking|looking)\s+(?:about|at)\b"
# ... or a number, in digits or words: "we are probably talking about 8 weeks or so, possibly
# less", "we think he's looking at maybe a month"
_TALKING_LOOK = (
    rf"(?=\s+(?:a\s+matter\s+of\s+|only\s+|likely\s+|probably\s+)?(?:short\s+)?(?:{PLAIN}"
    r"|(?:maybe\s+|perhaps\s+|roughly\s+|around\s+|about\s+)?(?:\d+(?:\.\d+)?(?:\s*-\s*\d+)?"
    rf"|(?:an?|one|two|three|four|five|six|a\s+few|a\s+couple(?:\s+of)?)(?=\s)){UNIT}))"
)
_TALKING_TAIL = (
    r"\s+(?:a\s+matter\s+of\s+|only\s+|likely\s+|probably\s+)?"
    rf"(?:(?:short\s+)?{PLAIN}(?:{RANGE_SEP}(?:a\s+few\s+)?{PLAIN})?{SUFFIX}|{NUMERIC_FIGURE})"
)
# A time frame in words after a hedge, with no cue: "Explained per Dr. Ames at IDG yesterday:
# likely days to weeks" (only the ranges that are always a life expectancy).
_LIKELY_SPAN = (
    r"\b(?:likely|probably|expect(?:ed)?|estimated?|prob|realistically)"
    r"(?=\s+(?:hours\s+to\s+days|days\s+to\s+(?:a\s+few\s+)?weeks)\b)"
)
_LIKELY_SPAN_TAIL = rf"\s+{WORDS}"
# "Onc told the family it could be 'a couple of months, maybe less'", "I think it's short - less
# than three months": spoken forms with no cue word, read only where the text just before
# speaks of prognosis, time or an oncologist (``_SPOKEN_CONTEXT``).
_COULD_BE = (
    r"\b(?:it|time)(?:\s+(?:(?:could|would|might|may|will)\s+be|is)|'s|’s)"
    r"(?=\s+[\"'“‘]?\s*(?:only\s+|about\s+|maybe\s+)?"
    r"(?:a\s+couple|a\s+few|a\s+month|\d|one|two|three|four|five|six|days|weeks|months|hours)\b)"
)
_COULD_BE_TAIL = rf"\s+{_QUOTE}{FIGURE}{_QUOTE}" + _ends_clause(
    r"or\s+less", r"though", r"but\b", r"left\b"
)
_ITS_SHORT = r"\bit(?:'s|’s|\s+is)(?=\s+(?:very\s+|quite\s+|likely\s+)?(?:short|limited)\b)"
_ITS_SHORT_TAIL = (
    r"\s+(?:very\s+|quite\s+|likely\s+)?(?:short|limited)\b"
    rf"(?:\s*[-–—,:;]?\s*{FIGURE})?"
)
_SPOKEN_CONTEXT = re.compile(
    r"\b(?:onc\w*|prognos\w*|how\s+(?:long|much\s+time)|time\s+(?:left|remaining)|about\s+time"
    r"|surviv\w*|life\s+expectancy|hospice|palliat\w*)",
    re.I,
)
# The last days or weeks of life: "we are likely in the final days to weeks".
_FINAL = (
    r"\b(?:in|into|entering|enters|entered)\s+(?:(?:his|her|their|the)\s+)?(?:final|last)"
    r"(?=\s+(?:hours|days|weeks|months)\b)"
)
_FINAL_TAIL = rf"\s+{WORDS}"
# A figure before its source: "~2-3 mos per onc" (the figure opens its clause; read back).
_PER_ONC = r"\bper\s+(?:(?:gyn|heme|med|rad|primary)[\s/-]*)?(?:onc|oncology|oncologist)\b"
_OPENS_CLAUSE = re.compile(r"(?:^|[.;:\n\u2029(\u2192>-]|\b(?:LE|prognosis))\s*$", re.I)
_NORMAL = r"\b(?:normal|average|full)\s+(?:life\s*span|life\s+expectancy)"
# A sentence that starts with a figure is read too: the note reader splits "LE est. 2-3 mo"
# after "est.", and a table's value cell ("< 6 months") follows its label cell. The chunks
# read are joined, so the figure follows its cue again in ``months``' text (alone, it has no
# cue and gives no figure).
_CONTINUED = (
    r"^\s*(?:(?:answer(?:\s+given)?|response|reply|value|estimate)\s*[:=\-–]\s*)?"
    rf"(?:[<>≤≥~]\s*)?\d+(?:\.\d+)?(?:{RANGE_SEP}\d+(?:\.\d+)?)?{UNIT}"
)
# A question and its answer on the next line ("Question: Expected survival" / "Answer given:
# ~8 wks"), as a form or a phone log writes them.
_ANSWER = re.compile(
    rf"[^\n]{{0,60}}\n\s*(?:answer(?:\s+given)?|response|reply)\s*[:=\-–]\s*(?P<figure>{NUMERIC_FIGURE})",
    re.I,
)

# --- hospice that is not the patient's current status --------------------------------------
# The TERMINAL literal "hospice" marks every mention. These longer HOSPICE_NOT_CURRENT targets
# cover a mention that is declined, not indicated, revoked, ended, only raised for later, or
# someone else's; the matcher keeps the longest match, so no TERMINAL mention is left there.
# They are targets, not ConText rules, because their cues ("declined", "not indicated",
# "discharged from", "wants to continue treatment") as ConText rules would negate any concept
# in the sentence ("pocket infection, pt declined admission").
_HOSPICE_WORD = (
    r"(?:care|services?|referrals?|enrollment|enrolment|evaluation|eval|consult(?:ation)?|status"
    r"|eligibility|benefit|team|option|information|info|was|is|has|been|were|offered|discussed"
    r"|discussions?|conversations?|talks?"
    r"|recommended|suggested|raised|introduced|reviewed|mentioned|again|today|previously|but"
    r"|and|pt|patient|she|he|they|family|the|at|this|time|completed|done|per|by|her|his|to"
    r"|currently|initially|question|with|w/)"
)
_WANTS_TREATMENT = (
    r"(?:wants?|wishes?|prefers?|elected|elects|chose|chooses|opted|opts|would\s+like|desires?"
    r"|hopes?|is\s+hoping)\s+(?:to\s+)?(?:(?:continue|pursue|keep|try|stay\s+on|remain\s+on"
    r"|proceed\s+with|receive|get|have)\s+(?:\w+\s+){0,2}?)?(?:treatment|chemo\w*|therapy"
    r"|immunotherapy|radiation|a\s+clinical\s+trial|clinical\s+trial|a\s+trial|trial|active"
    r"|aggressive|full|all|more|further|disease-directed|cancer-directed|a\s+second\s+opinion"
    r"|second\s+opinion)\b"
)
_NOT_NOW = (
    r"(?:declined|declines|refused|refuses|deferred|defers|revoked|rescinded|withdrawn"
    r"|discontinued|not\s+(?:indicated|appropriate|eligible|interested|desired|wanted|recommended"
    r"|pursued|elected|chosen|ready|currently|at\s+this\s+time|now|yet|applicable|an\s+option"
    r"|needed|warranted|qualified|met|offered|discussed|addressed|raised|mentioned)|n/a\b|ineligible"
    r"|inappropriate|premature"
    r"|does(?:n't|\s+not)\s+(?:qualify|meet|want)|did(?:n't|\s+not)\s+(?:qualify|meet|want)"
    # "discharge" but not "hospice at discharge" (going to hospice when discharged)
    r"|no\s+longer|discharged|(?<!at\s)(?<!on\s)(?<!upon\s)(?<!after\s)discharge\b|graduated"
    r"|unwilling|" + _WANTS_TREATMENT + r")"
)
_LATER = (
    r"(?:in\s+the\s+future|down\s+the\s+road|at\s+a\s+later\s+(?:date|time|point)"
    r"|when\s+(?:the\s+time\s+comes|appropriate|needed|ready)|later\s+on|eventually"
    r"|as\s+an?\s+(?:future\s+)?option|something\s+to\s+consider|for\s+the\s+future|for\s+later"
    r"|declined|declines|refused|not\s+(?:interested|ready|wanting)|does(?:n't|\s+not)\s+want"
    # "not eligible at this time" (not "not eligible for more chemotherapy": a reason for it)
    r"|(?:not\s+(?:eligible|appropriate|a\s+candidate)|ineligible)(?!\s+for\s+(?!hospice\b))"
    r"|does(?:n't|\s+not)\s+(?:yet\s+)?(?:qualify|meet)"
    r"|" + _WANTS_TREATMENT + r")"
)
# Up to 80 characters of the sentence, not over a figure or a prognosis (left to PROGNOSIS).
_HOSPICE_GAP = r"(?:(?!\d|prognos|life\s+exp|surviv)[^.;\n]){0,80}?"
_RAISED = (
    r"(?:discuss(?:ed|ion\s+of|ing)?|raised|introduced|reviewed|mentioned|offered|explained"
    r"|talked\s+about|brought\s+up|explored|addressed|broached)"
)
_HOSPICE_NOT_CURRENT = (
    # "Hospice - offered, pt declined", "Hospice referral declined", "hospice: revoked 3/2024"
    # ("Hospice evaluation 2024-07-11: not eligible": a date between)
    rf"\bhospice(?:\s*\([A-Za-z][^()\n\d]{{0,30}}\))?(?:[\s:,\-–—()|]+(?:{_HOSPICE_WORD}\b"
    rf"|\d{{1,4}}(?:[-/.]\d{{1,2}}){{1,2}}\b)){{0,6}}"
    rf"[\s:,\-–—()|]+{_NOT_NOW}"
    # "revoked hospice", "discharged from hospice", "previously on hospice", "declined hospice"
    r"|\b(?:revoked|revokes|revoking|rescinded|withdrew\s+from|withdrawn\s+from"
    r"|dis-?enrolled\s+from|discharged\s+from|graduated\s+from|came\s+off|taken\s+off"
    r"|signed\s+off|(?:live\s+)?discharge\s+from|no\s+longer\s+(?:on|in|with|enrolled\s+in"
    r"|receiving|eligible\s+for|appropriate\s+for|meets)|(?:previously|formerly|once|prior(?:ly)?)"
    r"\s+(?:on|in|enrolled\s+in|with|admitted\s+to|receiving)|prior|previous|former|declined"
    r"|declines|refused|refuses|refusing|not\s+interested\s+in|not\s+ready\s+for"
    r"|do(?:es)?(?:n't|\s+not)\s+want|wants\s+to\s+avoid)\s+(?:(?:the|her|his|their|home|inpatient"
    r"|residential|medicare|a|idea\s+of)\s+)*hospice\b"
    # "discussed hospice as an option in the future", "hospice discussed, pt wants treatment"
    rf"|\b{_RAISED}\s+(?:(?:the|a|idea|option|concept|possibility|topic|role|of|with|her|him"
    rf"|them|pt|patient|family)\s+){{0,4}}hospice\b{_HOSPICE_GAP}{_LATER}"
    rf"|\bhospice\s+(?:was\s+|has\s+been\s+|again\s+)?{_RAISED}\b{_HOSPICE_GAP}{_LATER}"
    # not raised at all: "We did not discuss prognosis or hospice at this visit"
    r"|\b(?:did\s+not|didn't|have\s+not|haven't|not\s+yet)\s+(?:discuss(?:ed)?|address(?:ed)?|raise[d]?"
    r"|brought\s+up|bring\s+up)\s+(?:(?:prognosis|goals\s+of\s+care|code\s+status|or|and|the|,)\s+){0,5}?"
    r"hospice\b"
    # ... and declined in the next clause or sentence: "Hospice was discussed; she declined
    # hospice", "We talked about hospice. You decided you do not want hospice right now."
    rf"|\b(?:hospice\s+(?:was\s+|has\s+been\s+)?{_RAISED}|{_RAISED}\s+(?:the\s+)?hospice)\b"
    r"(?=[^\n]{0,100}?\b(?:(?:declined|declines|refused|refuses|do(?:es)?(?:n't|\s+not)\s+want"
    r"|not\s+interested\s+in)\s+(?:\w+\s+){0,2}?hospice\b"
    r"|hospice\s+(?:was\s+|has\s+been\s+)?(?:declined|refused|deferred|not\s+wanted)\b"
    # "hospice was raised by palliative; HCP (son) declined - wants full treatment"
    rf"|\b(?:declined|declines|refused|refuses)\b\s*[-–—,;:]?\s*(?:and\s+)?{_WANTS_TREATMENT}))"
    # someone else's: "hospice for her husband", "roommate ... started hospice" (a relative
    # named before is ConText's FAMILY)
    r"|\bhospice\s+(?:\w+\s+){0,3}?for\s+(?:her|his|their|pt's|patient's)\s+(?:husband|wife"
    r"|spouse|partner|mother|mom|father|dad|brother|sister|son|daughter|parents?|friend)\b"
    r"|\b(?:roommate|room-mate|neighbou?r|friend|co-?worker|colleague|bro|sis|cousin)\b"
    r"(?:(?!\d|prognos|\bpt\b|patient|\bs?he\b|\bher\b|\bhis\b)[^.;\n]){0,40}?\bhospice\b"
    # "s/p hospice d/c", "hospice discharge"; "would not be appropriate for hospice"
    r"|\b(?:s/p\s+)?hospice\s+(?:live\s+)?(?:d/c|dc|disch(?:arge|arged)?)\b"
    r"|\b(?:would\s+not|wouldn't|is\s+not|isn't|not)\s+(?:be\s+)?(?:appropriate|eligible|indicated"
    r"|a\s+candidate)\s+for\s+hospice\b"
)


def target_patterns() -> dict[str, str]:
    """The pattern of each target in prognosis.json, keyed by the target's first literal."""
    spoken = (
        f"{_LE}{_LE_LOOK}",
        _GIVEN,
        f"{_PERSON}{_HAS_LOOK}",
        _SURPRISE,
        f"(?:{_TIME}){_TIME_LOOK}",
        f"{_TALKING}{_TALKING_LOOK}",
        _NORMAL,
        f"{_LIVE}{_LIVE_LOOK}",
        f"{_DEATH_CUE}{_DEATH_LOOK}",
        _CONTINUED,
        _ESTIMATE,
        _ESTIMATED,
        _WITHOUT,
        _ONC,
        _FINAL,
        _PER_ONC,
        _LIKELY_SPAN,
        _COULD_BE,
        _ITS_SHORT,
        _COLUMN_CUE,
    )
    return {
        "normal lifespan": "(?i)" + "|".join(spoken),
        "hospice declined": f"(?i){_HOSPICE_NOT_CURRENT}",
    }


# --- reading a statement ------------------------------------------------------------------

_FIGURE_RE = re.compile(FIGURE, re.I)
_FIGURE_BEFORE = re.compile(rf"{FIGURE}\s+$", re.I)
_SLASH_HEDGE = re.compile(
    r"[~<>≤≥≈]|\b(?:about|approx\w*|around|roughly|less|fewer|under|over|more|than|likely|probably"
    r"|est\w*|up\s+to|within)\b",
    re.I,
)
_QUANTITY_RE = re.compile(
    rf"(?P<low>{NUMBER})(?:{RANGE_SEP}(?P<high>{NUMBER}))?(?P<plus>\+)?"
    rf"(?:\s+(?:more|additional|further))?(?P<unit>{UNIT})"
    rf"(?:{RANGE_SEP}(?P<high2>{NUMBER})?(?P<unit2>{UNIT}))?"
    r"(?:\s+or\s+(?P<ortwo>two|three|2|3)\b)?",
    re.I,
)
_PLAIN_RE = re.compile(PLAIN, re.I)
_UPPER = re.compile(
    r"(?:<|≤|\bless\s+than|\bfewer\s+than|\bshorter\s+than|\bunder|\bup\s+to|\bat\s+most"
    r"|\bat\s+best|\bno\s+more\s+than|\bnot\s+more\s+than|\bno\s+longer\s+than"
    r"|\bnot\s+longer\s+than|\bwithin|\bin\s+the\s+(?:next|coming)|\bthe\s+next|\bnot\s+expected"
    r"|\bunlikely)",
    re.I,
)
_UPPER_AFTER = re.compile(
    r"^\W*(?:or\s+(?:less|fewer|shorter|sooner)|at\s+(?:most|best|the\s+most)|max"
    r"|(?:maybe|perhaps|possibly|probably|likely)\s+(?:less|shorter))",
    re.I,
)
_LOWER = re.compile(
    r"(?:>|≥|\bmore\s+than|\bgreater\s+than|\blonger\s+than|\bover|\bbeyond|\bexceed\w*"
    r"|\bin\s+excess\s+of|\bat\s+least|\bno\s+less\s+than|\bnot\s+less\s+than)",
    re.I,
)
_NOT_BEYOND = re.compile(
    r"\b(?:not|unlikely|n't)\b[^.;]{0,30}?(?:beyond|more\s+than|longer\s+than|past|over"
    r"|exceed\w*|outlive)",
    re.I,
)
_LOWER_AFTER = re.compile(
    r"^\W*(?:or\s+(?:more|longer|greater|so)|plus|at\s+least|(?:maybe|perhaps|possibly"
    r"|probably|likely)\s+(?:more|longer))",
    re.I,
)
# Right before a figure, these make it no prognosis: a duration ("for 3 months", "over the
# past 2 weeks", "x 6 months", "every 4 weeks").
_NOT_A_PROGNOSIS_BEFORE = re.compile(
    r"(?:\b(?:past|last|previous|prior|recent|first|every|each|q|x|after|since|during|until"
    r"|till|before|post|per|ago)|(?<!live\s)(?<!survive\s)\bfor)\s*$",
    re.I,
)
# "in 3 months" is a follow-up; "in weeks" ("measured in weeks") is a prognosis.
_IN_BEFORE_NUMBER = re.compile(r"(?<!the\s)\bin\s*$", re.I)
# Right after, likewise: "3 months ago", "2 weeks of relief", "6 weeks post-op".
_NOT_A_PROGNOSIS_AFTER = re.compile(
    r"^\s*(?:\bof\b(?!\s+life)|\bago\b|\bsince\b|\bprior\b|\bpost|\bbefore\b|\bafter\b|\blater\b"
    r"|\bearlier\b|\buntil\b|\btill\b|\bout\b|\bduration\b|\bhistory\b|\bhx\b|\bf/u\b|\bfollow"
    r"|\bsupply\b|\bworth\b|\bleft\s+(?:on|in|of|until))",
    re.I,
)
# A life expectancy a policy requires ("Implant requires a life expectancy of > 12 months",
# "LE > 6 months is required"), not the patient's.
_REQUIRED_BEFORE = re.compile(
    r"\b(?:requires?|required|requirement|needs?|needed|must\s+have|should\s+have|criteri\w*"
    r"|threshold|minimum|min)\b[\s:]*(?:an?\s+|the\s+)?(?:expected\s+|estimated\s+)?$",
    re.I,
)
_REQUIRED_AFTER = re.compile(
    r"^\W*(?:is\s+|are\s+)?(?:required|needed|necessary|a\s+requirement|criteri\w*|threshold)",
    re.I,
)
# A prognosis of something other than survival, or a survival statistic.
_OTHER_PROGNOSIS = re.compile(
    r"^\W*prognos\w*\s+(?:\w+\s+)?(?:for|of|regarding|re:?)\s+(?:\w+\s+){0,2}?(?:pain|function\w*"
    r"|recovery|return|improvement|heal\w*|ambulat\w*|walk\w*|work|relief|neuro\w*|mobility"
    r"|fusion|surgery|independence|rehab\w*)",
    re.I,
)
# A prognosis that waits on a response within a window ("Prognosis: depends on response to
# antibiotics over the next 48 hours"): the window is when it will be judged, not time left.
_CONDITIONAL_WINDOW = re.compile(
    r"\b(?:depend\w*|hinges?|contingent|conditional)\s+(?:up)?on\b[^.;\n]{0,60}?\b(?:over|in|within"
    r"|during)\s+the\s+(?:next|coming|following)\s+\S+\s+\w+\W*$",
    re.I,
)
_OTHER_PROGNOSIS_BEFORE = re.compile(
    r"\b(?:pain|functional|surgical|rehab\w*|neurologic\w*|visual|renal|fertility|free|year"
    r"|yr|relapse|event|disease|battery|pump|pump's|device|catheter|generator|graft|implant)"
    r"[\s-]*$",
    re.I,
)
# Someone else is the subject: a relative or other person opens the clause before the cue,
# as its possessor or as the one who has the illness ("Her mother's prognosis was 3 months",
# "Bro w/ pancreatic ca, LE < 3 mo", "Pt's husband was diagnosed ... given months to live").
# A relative told, present or reporting ("told her and her husband that ...", "husband reports
# she has weeks", "daughter at bedside, prognosis days") is not. ConText's FAMILY does not
# reach past a cue (the cues are TERMINATE rules), so this is read here.
_RELATIVE = re.compile(
    r"\b(?:husband|wife|spouse|partner|mother|mom|mum|mummy|father|dad|brother|sister|son|daughter"
    r"|aunt|uncle|cousin|grand\w+|granny|step(?:mum|mom|dad|mother|father)|niece|nephew|parents?|siblings?"
    r"|bro|sis|roommate|room-mate"
    r"|neighbou?r|friend|co-?worker|colleague)\b",
    re.I,
)
_THEIRS = re.compile(
    r"^(?:['’]s\b|\s+(?:w/|(?:with|has|had|diagnosed|dx)\b|(?:is|was)\s+(?:also\s+)?"
    r"(?:diagnosed|given|told|on|in|enrolled|terminal|dying|receiving|being)\b))",
    re.I,
)
_OPENING = re.compile(
    r"^[\s\-*#>\d.)]*(?:(?:her|his|their|the|a|pt's|patient's|pt|patient)\s+)?$", re.I
)
_CLAUSE_START = re.compile(r"[;:.!?\n]")
# An old prognosis: anchored in the past before it ...
_PAST_ANCHOR = re.compile(
    r"\b\d+\s+(?:years?|yrs?)\s+ago\b|\byears\s+ago\b|\binitially\b|\boriginally\b|\boriginal\b"
    r"|\bpreviously\b|\bat\s+that\s+time\b|\bback\s+then\b|\bformerly\b|\bonce\s+told\b"
    r"|\bin\s+the\s+past\b",
    re.I,
)
# ... or anywhere in its sentence: "told in 2018", "when she was diagnosed", "at diagnosis" ...
_TOLD_THEN = re.compile(
    r"\b(?:told|given|estimated|quoted|predicted|said|informed|gave|felt|thought|believed)\b"
    r"[^.;]{0,40}?\b(?:in|back\s+in)\s+(?:19|20)\d\d\b|\b(?:in|back\s+in)\s+(?:19|20)\d\d\b"
    r"[^.;]{0,40}?\b(?:told|given|estimated|quoted|predicted|said|informed|gave)\b"
    r"|\bwhen\s+(?:s?he|they)\s+(?:was|were)\s+(?:first\s+|initially\s+)?diagnosed\b"
    r"|\bat\s+(?:the\s+time\s+of\s+)?(?:(?:her|his|their|initial|original|first)\s+)?diagnosis\b",
    re.I,
)
# ... or shown wrong since ("NED 5 years later", "now 7 years out", "outlived").
_DID_NOT_COME_TRUE = re.compile(
    r"\bNED\b|\bno\s+evidence\s+of\s+disease\b|\b\d+\s+(?:years?|yrs?)\s+(?:out|later|post)\b"
    r"|\byears\s+later\b|\boutlived\b|\bstill\s+(?:alive|here|living|going)\b"
    r"|\bremains?\s+(?:alive|in\s+remission|NED|well)\b|\bbeat\s+the\s+odds\b|\bdefied\b"
    r"|\bproved\s+wrong\b|\blong[- ]term\s+survivor\b|\bnow\s+doing\s+well\b",
    re.I,
)
# A second, shorter figure said right after the first ("about a year, but possibly as little as
# 3 months", "6 months, maybe 3"): the shorter is the safe reading.
_ALTERNATIVE = re.compile(
    r"^\s*(?:[,;(\-–—]\s*)?(?:but\s+|or\s+|and\s+)?(?:maybe|perhaps|possibly|probably|likely"
    r"|could\s+be|as\s+(?:little|short|few)\s+as|if\s+that|at\s+(?:most|best)|or)\b",
    re.I,
)
# A fear or a question, not a prognosis: "she is afraid she will die in the next few months".
_FEAR = re.compile(
    r"\b(?:afraid|fears?|feared|worr(?:y|ies|ied)|scared|concerned|anxious|asks?|asked|wonders?"
    r"|wondering|if)\b[^.;]*$",
    re.I,
)
_NOW = re.compile(r"\b(?:now|currently|at\s+present|today|at\s+this\s+(?:time|point))\b", re.I)
_NOT_SURPRISED = re.compile(r"(?:not|n't)\s+be\s+surprised\s*$", re.I)
_DEATH_RE = re.compile(rf"\b{_DEATH}\b", re.I)
# (a closing quote or parenthesis may follow the full stop: 'letter: "survival 4-6 months."')
_SENTENCE_END = re.compile(r"[.!?\n\u2029][\"'”’)]*(?=\s|$)")
# Reading stops this far from a cue: a statement is one sentence, and this bounds the work.
_REACH = 300


@dataclass(frozen=True)
class _Span:
    """A figure's range in months, as stated."""

    low: float
    high: float


def number(text: str) -> float | None:
    """A number in digits or words ("3", "2.5", "three", "a few"), or None."""
    value = re.sub(r"\s+", " ", text.strip().lower())
    try:
        return float(value)
    except ValueError:
        return _NUMBER_WORDS.get(value)


def _unit(text: str) -> str:
    word = text.strip().lower()
    if word.startswith("/"):
        return "month" if word == "/12" else "week"
    if word.startswith("h"):
        return "hour"
    if word.startswith("dec"):
        return "decade"
    return {"d": "day", "w": "week", "m": "month", "y": "year"}[word[0]]


def _quantity(found: re.Match[str]) -> _Span | None:
    """The range of a numeric figure ("2-3 mos", "9 months to 1 year", "a year or two")."""
    low = number(found["low"])
    if low is None:
        return None
    unit = UNITS_IN_MONTHS[_unit(found["unit"])]
    if found["unit2"]:
        second = number(found["high2"]) if found["high2"] else 1.0
        if second is not None:
            return _Span(low * unit, second * UNITS_IN_MONTHS[_unit(found["unit2"])])
    high = number(found["ortwo"] or found["high"] or found["low"])
    return _Span(low * unit, (high if high is not None else low) * unit)


# Time frames in words, in months (low, high): "days" up to a week, "weeks" up to a month,
# "months" a few months; "years" is long but gives no figure (24).
_WORD_SPANS = {
    "hour": _Span(0.01, 0.1),
    "day": _Span(0.03, 0.25),
    "week": _Span(0.25, 1.0),
    "month": _Span(1.5, 3.0),
    "year": _Span(24.0, 24.0),
    "decade": _Span(120.0, 120.0),
}


def _words(figure: str) -> _Span | None:
    """The range of a figure in words ("days to weeks", "years", "normal for age")."""
    text = figure.lower()
    if re.search(r"\bnormal\b", text):
        return _Span(120.0, 120.0)
    said = re.split(r"\b(?:rather\s+than|not|instead\s+of|as\s+opposed\s+to)\b", text)[0]
    units = [_unit(u) for u in _PLAIN_RE.findall(said)]
    if not units:
        return None
    return _Span(_WORD_SPANS[units[0]].low, _WORD_SPANS[units[-1]].high)


def _reading(span: _Span, upper: bool, lower: bool) -> float | None:
    """One figure from a stated range, on the safe side of SAFE_MONTHS (see the docstring)."""
    if upper and not lower:
        return span.high - JUST_UNDER if span.high <= SAFE_MONTHS else None
    if lower and not upper:
        return span.low
    if span.high <= SAFE_MONTHS:
        return SAFE_MONTHS - JUST_UNDER if span.high == SAFE_MONTHS else span.high
    return span.low


def _figure_months(
    statement: str, start: int, after: str, strict: bool, first: bool = False
) -> float | None:
    """Months of the last (or ``first``) figure in ``statement`` from ``start``.

    ``after`` is the text after the statement. ``strict``: also reject a figure said as a
    follow-up or a duration ("in 3 months", "for 2 weeks"), as after a cue whose figure may
    stand some words away.
    """
    figures = [f for f in _FIGURE_RE.finditer(statement, start) if f.group().strip()]
    if not figures:
        return None
    figure = figures[0] if first else figures[-1]
    text = figure.group()
    before = statement[: figure.start()]
    quantity = _QUANTITY_RE.search(text)
    lead = before + (text[: quantity.start()] if quantity else "")
    if strict and (
        _NOT_A_PROGNOSIS_BEFORE.search(lead) or (quantity and _IN_BEFORE_NUMBER.search(lead))
    ):
        return None
    if _NOT_A_PROGNOSIS_AFTER.search(statement[figure.end() :] + after):
        return None
    if _REQUIRED_AFTER.search(statement[figure.end() :] + after):
        return None
    if quantity is not None and _bare_slash(quantity, text):
        return None  # "6/12" alone may be a date
    span = _quantity(quantity) if quantity else _words(text)
    if span is None:
        return None
    rest = (text[quantity.end() :] if quantity else "") + statement[figure.end() :] + after
    window = lead[-40:] if quantity else before[-40:] + text
    upper = bool(_UPPER.search(window) or _UPPER_AFTER.search(rest))
    lower = bool(_LOWER.search(window) or _LOWER_AFTER.search(rest))
    if _NOT_BEYOND.search(window):  # "not expected to live beyond 2 months": at most 2
        upper, lower = True, False
    return _reading(span, upper, lower or bool(quantity and quantity["plus"]))


def _bare_slash(quantity: re.Match[str], figure: str) -> bool:
    """A single "N/12" or "N/52" with no hedge or comparator before it ("6/12" may be a date)."""
    if not quantity["unit"].startswith("/") or quantity["high"]:
        return False
    return not _SLASH_HEDGE.search(figure[: quantity.start()])


def _form(head: str, tail: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    return re.compile(head, re.I), re.compile(f"(?:{head}){tail}", re.I)


_CUE_FORM = _form(CUE, _CUE_TAIL)
_LIVE_FORM = _form(_LIVE, _LIVE_TAIL)
_LE_FORM = _form(_LE, _LE_TAIL)
_HAS_FORM = _form(_PERSON, _HAS_TAIL)
_GIVEN_FORM = _form(_GIVEN, _GIVEN_TAIL)
_TALKING_FORM = _form(_TALKING, _TALKING_TAIL)
_DEATH_FORM = _form(_DEATH_CUE, _DEATH_TAIL)
_FINAL_FORM = _form(_FINAL, _FINAL_TAIL)
_LIKELY_SPAN_FORM = _form(_LIKELY_SPAN, _LIKELY_SPAN_TAIL)
_COULD_BE_FORM = _form(_COULD_BE, _COULD_BE_TAIL)
_ITS_SHORT_FORM = _form(_ITS_SHORT, _ITS_SHORT_TAIL)
_PER_ONC_RE = re.compile(_PER_ONC, re.I)
_PER = re.compile(r"per\s+", re.I)
_ONC_FORM = _form(_ONC, _ONC_TAIL)
_ESTIMATE_FORM = _form(_ESTIMATE, _ESTIMATE_TAIL)
_ESTIMATED_FORM = _form(_ESTIMATED, _ESTIMATED_TAIL)
_WITHOUT_FORM = _form(_WITHOUT, _WITHOUT_TAIL)
_TO_LIVE_RE = re.compile(_TO_LIVE, re.I)
_NORMAL_RE = re.compile(_NORMAL, re.I)
_SURPRISE_RE = re.compile(_SURPRISE + _SURPRISE_TAIL, re.I)
_TIME_RE = re.compile(f"(?:{_TIME}){_TIME_TAIL}", re.I)


def statement_months(text: str, start: int) -> float | None:
    """Months stated by the PROGNOSIS statement whose cue starts at ``text[start]``, or None.

    ``text`` may go on past the statement's sentence; nothing beyond it is read.
    """
    stop = _SENTENCE_END.search(text, start, start + _REACH)
    # the statement may run on past an abbreviation's full stop ("LE est. 2-3 mo")
    sentence = text[: min(len(text), start + _REACH)]
    after_end = stop.start() if stop else len(sentence)
    for (head, form), strict in (
        (_CUE_FORM, True),
        (_LIVE_FORM, True),
        (_LE_FORM, True),
        (_HAS_FORM, True),
        (_GIVEN_FORM, True),
        (_ESTIMATE_FORM, True),
        (_ESTIMATED_FORM, True),
        (_WITHOUT_FORM, True),
        (_ONC_FORM, True),
        (_TALKING_FORM, False),
        (_DEATH_FORM, False),
        (_FINAL_FORM, False),
        (_LIKELY_SPAN_FORM, False),
    ):
        found = form.match(sentence, start)
        if found:
            if _OTHER_PROGNOSIS.search(found.group()) or _CONDITIONAL_WINDOW.search(found.group()):
                return None
            if form is _DEATH_FORM[1] and _FEAR.search(text[max(0, start - 60) : start]):
                return None
            cue = head.match(sentence, start)
            skip = cue.end() - start if cue else 0
            after = sentence[found.end() : max(found.end(), after_end)]
            value = _figure_months(found.group(), skip, after, strict)
            alternative = _ALTERNATIVE.match(after)
            if alternative:
                other = _figure_months(after[:80], alternative.end(), "", False, first=True)
                if other is not None:
                    value = other if value is None else min(value, other)
            return value
    for head, form in (_COULD_BE_FORM, _ITS_SHORT_FORM):
        found = form.match(sentence, start)
        if found is None:
            continue
        cue = head.match(sentence, start)
        figure = _figure_months(found.group(), cue.end() - start if cue else 0, "", False)
        short = form is _ITS_SHORT_FORM[1]
        # "it's short - less than three months" states its figure; "it could be weeks" or a
        # bare "it's short" is a prognosis only where the text before speaks of one
        if short and figure is not None:
            return figure
        if not _SPOKEN_CONTEXT.search(text, max(0, start - 150), start):
            return None
        return figure if figure is not None else (SHORT_UNSTATED if short else None)
    per_onc = _PER_ONC_RE.match(text, start)
    if per_onc:
        found = _FIGURE_BEFORE.search(text, max(0, start - 40), start)
        if found and _OPENS_CLAUSE.search(text[max(0, found.start() - 12) : found.start()]):
            return _figure_months(found.group(), 0, "", True)
        # no figure before: the estimate may follow the source ("per gyn onc ~2 months")
        lead = _PER.match(per_onc.group())
        return statement_months(text, start + lead.end()) if lead else None
    answer = _ANSWER.match(text, start)
    if answer and _CUE_FORM[0].match(text, start):
        return _figure_months(answer.group("figure"), 0, "", True)
    if _TO_LIVE_RE.match(text, start):
        found = _FIGURE_BEFORE.search(text, max(0, start - 80), start)
        return _figure_months(found.group(), 0, "", False) if found else None
    if _COLUMN_CUE_RE.match(text, start):
        # the cell's whole value, after the row label's colon: "...: <6 mo (LE)"
        found = _FIGURE_BEFORE.search(text, max(0, start - 40), start)
        cell = found is not None and text[max(0, found.start() - 2) : found.start()].endswith(": ")
        return _figure_months(found.group(), 0, "", True) if found and cell else None
    if _NORMAL_RE.match(text, start):
        return 120.0
    found = _SURPRISE_RE.match(sentence, start)
    if found:
        figure = _figure_months(found.group(), 0, "", False)
        dies = bool(_DEATH_RE.search(found.group()))
        if dies == bool(_NOT_SURPRISED.search(text[max(0, start - 30) : start])):
            # "not be surprised if she died", "be surprised if she were still alive": short.
            return SHORT_UNSTATED if figure is None else _reading(_Span(0, figure), True, False)
        # "be surprised if he died within a year": at least that long.
        return figure if dies else None
    found = _TIME_RE.match(sentence, start)
    if found:
        figure = _figure_months(found.group(), 0, "", False)
        return SHORT_UNSTATED if figure is None else figure
    return None


def _sentence_around(text: str, start: int) -> tuple[str, str]:
    """The text of the sentence around ``start``: before it, and after it."""
    begin = max(0, start - _REACH)
    for found in _SENTENCE_END.finditer(text, begin, start):
        begin = found.end()
    stop = _SENTENCE_END.search(text, start, start + _REACH)
    return text[begin:start], text[start : stop.start() if stop else start + _REACH]


# A kinship name used as a name, as a child writing for the patient does ("Dad's oncologist
# said today he probably has about three months"): the patient's own doctor, not a relative's.
_KIN_NAME = re.compile(r"(?:Dad|Mom|Mum|Daddy|Mommy|Mummy|Papa|Mama)")
_OWN_DOCTOR = re.compile(
    r"^['’]s\s+(?:oncologist|doctor|dr\b|surgeon|physician|team|hospice|nurse|pain|neurologist)",
    re.I,
)


def _someone_else(before: str) -> bool:
    """Whether the clause before the cue is about a relative or another person."""
    clause = before[max((m.end() for m in _CLAUSE_START.finditer(before)), default=0) :]
    return any(
        _OPENING.match(clause[: r.start()])
        and _THEIRS.match(clause[r.end() :])
        and not (
            _KIN_NAME.fullmatch(r.group())
            and not clause[: r.start()].strip()
            and _OWN_DOCTOR.match(clause[r.end() :])
        )
        for r in _RELATIVE.finditer(clause)
    )


def _outdated_or_not_the_patient(text: str, start: int) -> bool:
    """An old prognosis that no longer applies, or someone else's."""
    before, after = _sentence_around(text, start)
    if _someone_else(before) or _OTHER_PROGNOSIS_BEFORE.search(before):
        return True
    if _REQUIRED_BEFORE.search(before):
        return True
    sentence = before + after
    if _TOLD_THEN.search(sentence) or _DID_NOT_COME_TRUE.search(sentence):
        return True
    anchors = list(_PAST_ANCHOR.finditer(before))
    return bool(anchors) and not _NOW.search(before[anchors[-1].end() :])


# A bare "hospice" naming the visit or the form ("Hospice intake visit.", "HOSPICE REFERRAL -
# OUTCOME") that the note then settles as not current ("pt and wife declined hospice"): the
# sentence-bound HOSPICE_NOT_CURRENT target cannot reach it. Not a "hospice" after a word of
# enrolment ("on hospice", "admitted to hospice"), which may be the patient's status now.
_ENROLLED_BEFORE = re.compile(
    r"\b(?:on|in|into|to|enrolled|admitted|elected|electing|under|with|remains|continues|"
    r"transferred|transfer|home|inpatient|residential)\s*$",
    re.I,
)
_BARE_HOSPICE = re.compile(r"hospice", re.I)


def without_settled_hospice(text: str, mentions: list[Mention]) -> list[Mention]:
    """The mentions, less the bare "hospice" TERMINAL mentions of a note whose only other
    hospice statement says hospice is not the patient's status now. ``text`` is the text
    the mentions' offsets point into."""
    settled = [m.start for m in mentions if m.category == "HOSPICE_NOT_CURRENT" and m.asserted]
    terminal = [m for m in mentions if m.category == "TERMINAL"]
    if not settled or not terminal:
        return mentions
    if not all(_BARE_HOSPICE.fullmatch(m.text) for m in terminal):
        return mentions  # "terminal", "end of life", "comfort care": not settled by it
    if any(m.start > min(settled) for m in terminal):
        return mentions  # a hospice named after what settles it may be a new status
    if any(_ENROLLED_BEFORE.search(text[max(0, m.start - 30) : m.start]) for m in terminal):
        return mentions
    return [m for m in mentions if m.category != "TERMINAL"]


def months(text: str, mentions: list[Mention]) -> float | None:
    """The shortest prognosis about the patient now, in months (a shorter one is the safer
    reading).

    A hedged statement ("we are probably talking about 8 weeks") counts only when it is short:
    a doubtful short prognosis still holds the implant back, a doubtful long one never
    clears it. ``text`` is the text the mentions were found in (their offsets point into it).
    """
    found = []
    for mention in mentions:
        if mention.category != "PROGNOSIS" or not mention.about_now:
            continue
        if _outdated_or_not_the_patient(text, mention.start):
            continue
        value = statement_months(text, mention.start)
        if value is not None and (mention.asserted or value < SAFE_MONTHS):
            found.append(value)
    return min(found) if found else None


def _rewrite_concept_file() -> None:
    """Write ``target_patterns`` into prognosis.json (the file's literals and rules stay)."""
    import json

    from cds_service.resources import DATA_DIR

    path = DATA_DIR / "note-concepts" / "prognosis.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    patterns = target_patterns()
    for target in document["targets"]:
        if target["literals"][0] in patterns:
            target["pattern"] = patterns[target["literals"][0]]
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":  # python -m cds_service.note_reading.prognosis
    _rewrite_concept_file()
