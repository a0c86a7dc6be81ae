"""Reading clinical notes with medspaCy: target concepts plus ConText negation and uncertainty.

A blank spaCy pipeline with a rule sentencizer, medspaCy's target matcher (rules
from ``data/note-concepts/``) and ConText (medspaCy's default modifiers plus
ours). A concept counts as asserted only when ConText marks it neither negated,
uncertain, hypothetical, historical nor about family. Numbers (prognosis months,
pain scores and their timing, stated percent relief) are read from the matched
spans. The pipeline is built once per process; reading is a pure function of text
(and of the caller's ``ReadingBudget``).

Reading is linear and capped. ConText compares every modifier with every other one
and with every target in a Doc, and the target matcher adds entities one by one, so
one big Doc costs the square of its size (a 100 KB note dense in phrases took a minute).
We therefore run the pipeline only on bounded chunks of the sentences that name a
target, and cap what one note and one call may read. Whenever a cap leaves text or
matches unread the summary says so (``complete=False``); what was read is still
reported, so nothing is lost silently.
"""

from __future__ import annotations

import re
import threading
import time
import warnings
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from itertools import groupby
from pathlib import Path
from typing import Any

from cds_service.errors import ConfigurationError
from cds_service.note_reading import (
    contaminant,
    gloss,
    pain,
    prognosis,
    psych,
    pump_alarm,
    questions,
    readability,
    scope,
    simulation,
)
from cds_service.note_reading.mention import Mention
from cds_service.note_reading.psych import candidacy as candidacy  # re-exported
from cds_service.note_reading.screen import NoteScreen
from cds_service.note_reading.spelling import Speller
from cds_service.note_text import CELL_PAIR, SEGMENT_BREAK
from cds_service.resources import DATA_DIR, load_validated

# medspaCy's token matcher is empty (we use phrases and regexes); spaCy warns about it per document.
warnings.filterwarnings("ignore", message=r"\[W036\]")

# Characters of one note that are read at all; the rest is not read (complete=False). About 40
# printed pages: far beyond a real clinical note, small enough that the linear scan of the
# pre-filter (about 1 ms per KB at worst) stays well under a second.
MAX_NOTE_CHARS = 100_000
# A "sentence" longer than this is split at whitespace into pieces read separately
# (complete=False: a negation near the start no longer reaches a phrase near the end). Real
# clinical sentences are a few hundred characters; longer ones are lists without full stops.
MAX_SENTENCE_CHARS = 1_000
# Text given to the pipeline in one call, and so the longest the NLP lock is held (a few ms).
# Equal to MAX_SENTENCE_CHARS so that any sentence that is not split fits one chunk.
MAX_CHUNK_CHARS = MAX_SENTENCE_CHARS
# ConText cue words (words a modifier rule can start with) per chunk. ConText's work in a Doc
# grows with the square of its modifiers (1,000 chars of "if if if ..." took 220 ms). The
# count is generous ("with", "is", "to" start some rules), so a real 600-character sentence
# has about 20; more in one sentence splits it (complete=False).
MAX_CUES_PER_CHUNK = 32
# Target-phrase matches per chunk. The target matcher adds entities to the Doc one at a time,
# each addition revisiting the Doc, so a chunk costs matches × tokens; 16 is more than a real
# sentence names. A sentence with more is split (complete=False).
MAX_MATCHES_PER_CHUNK = 16
# Target-phrase matches (as found by the pre-filter) read per note; later ones are not
# (complete=False). A real note names the concepts a few dozen times; hundreds is a pasted
# or generated list, and each match read costs pipeline work.
MAX_MATCHES_PER_NOTE = 500
# Suggested ReadingBudget for one hook call: five notes at the per-note cap, or hundreds of
# ordinary ones. Text built to make the most pipeline work within the caps costs about 5 µs
# per character (bench/notes_worst_case.py), so a call spends at most ~2.5 s reading notes; a
# chunk whose concern cues no pattern settled is read once more for them (note-concerns.json),
# which can double that for text built so, and the call's deadline still stops the reading.
MAX_CALL_CHARS = 500_000
SHORT_TEXT_CHARS = 300
# Sentence ends: after . ! or ? and white space, but not after a title or abbreviation
# ("Dr.", "est.", "approx.", "e.g.", "vs.") and not between a question and a one-word
# answer that ends it ("Enrolled in hospice? No." is one statement; "Infected? No - ..."
# goes on, and is split as before).
_NOT_AN_END_ABBREVIATIONS = (
    *("Dr.", "dr.", "Mr.", "Mrs.", "Ms.", "mr.", "mrs.", "ms."),
    *("est.", "Est.", "approx.", "Approx.", "e.g.", "i.e.", "vs."),
)
_NOT_AN_END = "".join(
    rf"(?<!\b{re.escape(abbreviation)})" for abbreviation in _NOT_AN_END_ABBREVIATIONS
)
# An initial before a lower-case word is an organism's genus ("E. faecalis", "S. aureus"),
# not a sentence end.
_NOT_A_GENUS = r"(?!(?<=\b[A-Z]\.)\s+[a-z])"
SENTENCE_END = re.compile(
    rf"(?:(?<=[.!]){_NOT_AN_END}{_NOT_A_GENUS}|(?<=\?)(?!\s+(?:yes|no|none|negative|positive|n/a|y|n)\b\s*(?:[.,;\n]|$)))\s+",
    re.I,
)
# Flowsheet fields at the start of a line or after a semicolon (an export on one line,
# "t0=0810; pre_NRS=8.5; pct_relief=59"), "asp_vol_mL=0.0", "LRA_active=Y": read as
# "asp vol mL: 0.0", "LRA active: yes", the way the concept patterns read a labelled value,
# each field a statement of its own.
FIELD = re.compile(
    r"(?m)(?:^|(?<=;))([ \t]*)([A-Za-z][A-Za-z0-9_./()# -]{0,40}?)[ \t]*=[ \t]*(?!=)"
)
YES_NO = re.compile(r"(?m):[ \t]*(?:([YN])|\[([YN])\])[ \t]*(?=$|\u2029)")
# Dictated punctuation ("... the wound is packed period"), read only in a note that is
# plainly dictated (it says "comma" twice, or spoken punctuation three times): elsewhere
# "period" is a word ("trial period"), and a note rarely has three of them.
DICTATED = re.compile(
    r"\bcomma\b.*?\bcomma\b|(?:\b(?:comma|period|full stop)\b.*?){3}", re.I | re.S
)
SPOKEN = re.compile(
    r"[ \t]+(?:(?P<stop>period|full stop)(?:[ \t]+new paragraph)?|(?P<comma>comma)|"
    r"(?P<semi>semicolon))\b|(?m:^(?P<head>[ \t]*\w+(?:[ \t]\w+)?)[ \t]+colon\b)",
    re.I,
)


# Exam shorthand for "none": "Ø alarms", "incision: -erythema, -drainage" (a minus sign
# glued to a word after a colon, comma or semicolon: not a hyphenated word or a bullet),
# and "r/o'd" (ruled out). Read as the words they stand for, so ConText's negation rules see
# them; a "+" finding needs nothing (it is asserted anyway).
SHORTHAND_NONE = re.compile(r"(?<![\w/])[Ø∅](?=[ \t]*[A-Za-z])|\br/o['’]d\b")
# A minus sign is read as "no" only on a line listing two or more signed findings
# ("-erythema, -drainage", "+swelling, -warmth"): one "Plan: -continue" is a bullet.
SIGNED_ITEM = re.compile(r"(?<=[,;:])[ \t]?[-+](?=[A-Za-z])")
SIGNED_LINE = re.compile(r"[^\n]+")


def _shorthand(sign: re.Match[str]) -> str:
    return "ruled out" if sign.group(0).startswith("r/o") else "no"


def _signed_items(line: re.Match[str]) -> str:
    """A line of two or more signed findings, each minus read as "no", each plus left out."""
    written = line.group(0)
    signs = SIGNED_ITEM.findall(written)
    if len(signs) < 2 or all(sign.endswith("+") for sign in signs):
        return written
    return SIGNED_ITEM.sub(
        lambda m: m.group(0)[:-1] + ("no " if m.group(0)[-1] == "-" else ""), written
    )


# Epic SmartList fields as an unrendered note holds them: {Blank single:19197::"3"} is the
# chosen value "3"; a field left unchosen ({Blank single:19197::}) is nothing.
SMART_LIST = re.compile(r"\{[A-Za-z][\w ]{0,30}:\d{1,9}::(?:\"([^\"{}]{0,500})\")?\}")


# A form's row of options, "Determination: [x] Cleared  [ ] Not cleared  [ ] Deferred": the
# options left unticked are not what the form says, so a row with a ticked box is read as
# its ticked options alone ("Determination: Cleared", "Hospice: no"). A lone unticked item of a
# checklist ("[ ] Trial date - pending") is left as written.
BOX = r"(?:\[[ xX✓✔]\]|[☐☑☒])"
OPTION_ROW = re.compile(rf"(?m)^[^\n]*{BOX}[^\n]*{BOX}[^\n]*$")
OPTION = re.compile(rf"({BOX})([^\n\[☐☑☒]*)")
# An unresolved SmartLink or SmartText token left in the text, "{Recommendation:14455}": a
# placeholder, not words (an unchosen SmartList field is SMART_LIST's).
SMART_TOKEN = re.compile(r"\{[A-Za-z][\w /-]{0,40}:\d{1,9}\}")


# A form about another procedure, "Procedure: [x] spinal cord stimulator  [ ] intrathecal
# pump": its verdict rows are not about the pump, so none of its rows is narrowed to its ticked
# options (read as written, an unticked "Not cleared" keeps a verdict from reading favorable).
_UNTICKED_PUMP = re.compile(
    r"(?:\[ \]|☐)[ \t]*(?:[\w-]+[ \t]+){0,2}?(?:intra-?thecal|pump|ITDD|IDDS|ITP|ITB)\b", re.I
)


def _form_rows(text: str) -> str:
    if _UNTICKED_PUMP.search(text):
        return text
    return OPTION_ROW.sub(_ticked_options, text)


def _ticked_options(row: re.Match[str]) -> str:
    written = row.group(0)
    boxes = OPTION.findall(written)
    if not any(box not in ("[ ]", "☐") for box, _ in boxes):
        return written  # nothing ticked: the row says nothing either way
    return OPTION.sub(lambda m: "" if m.group(1) in ("[ ]", "☐") else m.group(2), written)


# A line that starts a labelled field ("Dx: cellulitis", "Exam: ...", "tx:") is a statement
# of its own, as a table row is: "no fluctuance" at the end of the exam line must not reach
# into the diagnosis below it. Not a clock time ("10:30") or a URL.
FIELD_LINE = re.compile(r"\n(?=[ \t]*[A-Za-z][A-Za-z0-9 /&()#.'-]{0,30}:(?!//|\d))")


# Children's and observational pain scales scored 0-10 (FLACC, r-FLACC, Wong-Baker FACES,
# the Faces Pain Scale-Revised) are read as the numeric pain scale: a trial-day flowsheet in
# FLACC documents the response as an NRS one does. "FACES" only in capitals ("she faces
# surgery" is a verb).
CHILD_PAIN_SCALE = re.compile(
    r"\b(?:r-?FLACC|FLACC|[Ww]ong[- ][Bb]aker(?:[ \t]+(?:FACES|[Ff]aces))?(?:[ \t]+[Pp]ain)?"
    r"(?:[ \t]+(?:[Ss]cale|[Cc]hart|[Rr]ating[ \t]+[Ss]cale))?|FPS-R"
    r"|[Ff]aces[ \t]+[Pp]ain[ \t]+[Ss]cale(?:[ \t]*-?[ \t]*[Rr]evised)?"
    r"|FACES(?:[ \t]+(?:[Ss]cale|[Cc]hart|score))?)(?![\w-])"
)
# "US: no pocket abscess": a "no" after a colon that goes on to name a finding negates what
# follows it. ConText's default ": no" rule reads it as an answer looking back ("Fever: no")
# and prunes the forward "no"; a second space keeps that rule from matching here.
COLON_NO_FINDING = re.compile(r"(?i)(?<=:)[ \t]+(?=no[ \t]+[a-z])")


def _as_written(text: str) -> str:
    """SmartList fields, flowsheet fields, dictated punctuation and exam shorthand as a
    typed note has them.

    Fields and dictation keep every word (only separators change); a SmartList field is
    its chosen value, and shorthand signs are read as the words they stand for, so what is
    read is what was written.
    """
    if "FLACC" in text or "FACES" in text or "aces" in text or "aker" in text or "FPS" in text:
        text = CHILD_PAIN_SCALE.sub("NRS", text)
    if "{" in text:
        text = SMART_TOKEN.sub("", SMART_LIST.sub(lambda m: m.group(1) or "", text))
    if "[" in text or "☐" in text:
        text = _form_rows(text)
    if "?" in text:
        text = ANSWER_LINE.sub("? ", text)
    if "...." in text:
        text = DOT_LEADER.sub(": ", text)
    if ":" in text:
        text = COLON_NO_FINDING.sub("  ", text)
        text = FIELD_LINE.sub(SEGMENT_BREAK, text)
        # a form's answer at the end of a field, "LRA active: Y", "Hospice (pt): [N]"
        text = YES_NO.sub(lambda m: ": yes" if "Y" in (m.group(1), m.group(2)) else ": no", text)
        text = FIELD_ABSENT.sub(_field_absent, text)
    if "Ø" in text or "∅" in text or "-" in text or "r/o" in text:
        text = SHORTHAND_NONE.sub(_shorthand, SIGNED_LINE.sub(_signed_items, text))
    if "=" in text:
        # Each field is a statement of its own (a break before it), like a table row.
        text = FIELD.sub(
            lambda m: SEGMENT_BREAK + m.group(1) + m.group(2).replace("_", " ") + ": ", text
        )
    if DICTATED.search(text):
        text = SPOKEN.sub(_punctuation, text)
    return text


def _punctuation(spoken: re.Match[str]) -> str:
    if spoken.group("head") is not None:
        return spoken.group("head") + ":"
    if spoken.group("stop"):
        return "."
    return "," if spoken.group("comma") else ";"


# A contraindication's form field whose whole value says it is absent ("Active infection
# (systemic or at implant site): N", "Drainage: none", a dotted leader "Alarms ...... none"):
# read as "no <label>.", as it is said; ConText's own ": no" rule reaches back over one word
# only. Not a label that holds its own negation or doubt ("Infection ruled out: no" is its
# opposite).
DOT_LEADER = re.compile(r"(?m)(?<=[^\s.])[ \t]*\.{4,}[ \t]*(?=[^\n.]{1,12}$)")
FIELD_ABSENT = re.compile(
    r"(?im)(?:^|(?<=\u2029))(?P<indent>[ \t>*-]*)(?P<label>[A-Za-z][^\n\u2029:?]{2,80}?)[ \t]*:"
    r"[ \t]*(?:no|none|negative|neg|absent|nil|not\s+present)[ \t.]*(?=$|\u2029)"
)
_OWN_NEGATION = re.compile(
    r"\b(?:no|not|non|none|never|without|denie[sd]|negative|neg|ruled|r/o|rule|absent|free|"
    r"resolved|cleared|normal|risk|history|hx|h/o)\b",
    re.I,
)


# Only the fields of a contraindication: "Relief after the trial: none" is a result (0%).
_FINDING_LABEL = re.compile(
    r"infect|abscess|cellulitis|drainage|\bpus\b|purulen|erythema|fever|febrile|seps|septic|"
    r"bacter|mening|alarm|alert|beep|empty|\bdry\b|missed|overdue|hospice|terminal|withdrawal|"
    r"swelling|redness|warmth|tender|induration|dehiscen",
    re.I,
)


def _field_absent(field: re.Match[str]) -> str:
    label = field.group("label")
    if _OWN_NEGATION.search(label) or not _FINDING_LABEL.search(label):
        return field.group()
    return f"{field.group('indent')}no {label}."


# A one-word answer to a question ("Any alarm? | No", "Heard any alarm from your pump?\nNo").
_ANSWER_WORD = r"(?:yes|no|y|n|none|neg|negative|denies|nil)[ \t.]*"
SHORT_ANSWER = re.compile(rf"[ \t]*{_ANSWER_WORD}", re.I)
# ... on the line after its question: read on the question's line, as it was asked.
ANSWER_LINE = re.compile(rf"\?[ \t]*\n[ \t]*(?={_ANSWER_WORD}(?:\n|$))", re.I)
# A label/value table row as the HTML reader writes it (see note_text.CELL_PAIR).
# Anchored at a segment's start, so each segment is scanned once: unanchored, a long
# segment with a stray CELL_PAIR at its end was rescanned from every position (quadratic).
CELL_PAIR_ROW = re.compile(
    f"(?:^|(?<={SEGMENT_BREAK}))(?P<label>[^{SEGMENT_BREAK}{CELL_PAIR}]*){CELL_PAIR}"
    f"(?P<value>[^{SEGMENT_BREAK}{CELL_PAIR}]*)"
)
# Roughly spaCy's tokens: words (with inner ' or /, as in "h/o") and single punctuation marks.
WORD = re.compile(r"[^\W_]+(?:['’/][^\W_]+)*|[^\w\s]")
WHITESPACE = " \n\t\r\f\v\xa0"


@dataclass(frozen=True)
class NoteSummary:
    """What one text asserts, with the numbers it states.

    ``complete`` is False when a cap or the call's ReadingBudget left part of the text (or
    of its matches) unread: what is asserted is still true of the part read, but an absent
    concept or number may be in the part not read, so criteria that depend on the note can
    only be "could not be fully checked", never "met" on its silence.
    """

    asserted: frozenset[str]
    negated: frozenset[str]
    prognosis_months: float | None = None
    pain_before: float | None = None
    pain_after: float | None = None
    percent_relief: float | None = None
    complete: bool = True
    # Mentioned about the patient now, but ConText could only call it uncertain ("possible",
    # "concern for", "r/o" without a result): for a contraindication, a reason to verify.
    uncertain: frozenset[str] = frozenset()
    # Why the note could not be read at all ("language", "ocr"; readability.py), if so.
    unreadable: str | None = None

    def unsure(self, *categories: str) -> bool:
        return any(c in self.uncertain and c not in self.asserted for c in categories)

    def has(self, *categories: str) -> bool:
        return any(c in self.asserted for c in categories)


EMPTY_SUMMARY = NoteSummary(frozenset(), frozenset())
NOT_READ = NoteSummary(frozenset(), frozenset(), complete=False)


class ReadingBudget:
    """What one call (one hook request) may spend on reading notes: characters and a deadline.

    One request can carry many large notes; per-note caps alone would still let it keep a
    worker busy for minutes. Characters are taken when a note starts being read (the
    characters of it that will be read), so the accounting is deterministic and the same
    whether a short text came from the cache or not; the deadline (a ``time.monotonic()``
    value) is checked before every pipeline chunk. Thread-safe: notes of one call may be
    read from several threads.
    """

    def __init__(self, max_chars: int, deadline: float | None = None) -> None:
        self._remaining = max(0, max_chars)
        self.deadline = deadline
        self._lock = threading.Lock()

    @classmethod
    def lasting(cls, seconds: float | None, max_chars: int = MAX_CALL_CHARS) -> ReadingBudget:
        """A budget whose deadline is ``seconds`` from now (None: characters only)."""
        return cls(max_chars, None if seconds is None else time.monotonic() + seconds)

    @property
    def remaining(self) -> int:
        """Characters still allowed."""
        return self._remaining

    @property
    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    @property
    def exhausted(self) -> bool:
        """Whether nothing more may be read: no characters left or the deadline passed."""
        return self._remaining <= 0 or self.expired

    def take(self, chars: int) -> int:
        """Reserve up to ``chars`` characters; how many were granted (0 once exhausted)."""
        if self.expired:
            return 0
        with self._lock:
            granted = min(max(0, chars), self._remaining)
            self._remaining -= granted
            return granted


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a piece of an over-long one) that names a target, ready to be chunked."""

    text: str
    block: int
    matches: int
    cues: int
    alone: bool  # a piece of a split sentence: read in a chunk of its own
    section: str | None = None  # "family" or "history" when under such a header


@dataclass(frozen=True)
class ReadingPlan:
    """The chunks one note is read in, and whether the caps left anything out."""

    chunks: tuple[str, ...]
    complete: bool
    # The section kind each chunk was written under (None: the patient's current care).
    sections: tuple[str | None, ...]
    # The whole text as the reader reads it (glossed, spelled right, fields): the note-level
    # checks (an explained alarm, a contaminant, a report's conclusion field) look at it.
    text_read: str = ""


# The category prefix of a concern cue that stands only if the note reads no figure.
UNQUANTIFIED = "UNQUANTIFIED_"
# The ConText category of a line break: modifiers in the data's ``lineBoundDirections`` stop
# there, so a templated line's "Complications: none" negates its own line only.
LINE_BREAK = "LINE_BREAK"
# The ConText category of a comma: modifiers in ``commaBoundDirections`` stop there, so a
# cue written after its finding ("dysuria resolved", "trach declined") covers that finding,
# not every item of the list before it ("E. coli urosepsis, on day 5 of 10, afebrile").
COMMA = "COMMA"


def _pipeline(targets: list[dict[str, Any]], document: dict[str, Any]) -> tuple[Any, list[Any]]:
    """A medspaCy pipeline matching ``targets``, with ConText's defaults and our rules.

    Returns the pipeline and the ConText rules it holds (their first words bound the work
    of one chunk).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import medspacy
        from medspacy.context import ConTextRule
        from medspacy.ner import TargetRule

        nlp = medspacy.load(medspacy_enable=["medspacy_target_matcher"])
        nlp.add_pipe("sentencizer", first=True)
        matcher = nlp.get_pipe("medspacy_target_matcher")
        for target in targets:
            rules = [
                TargetRule(literal, target["category"]) for literal in target.get("literals", [])
            ]
            if "pattern" in target:
                rules.append(
                    TargetRule(
                        target["category"].lower(), target["category"], pattern=target["pattern"]
                    )
                )
            matcher.add(rules)
        context = nlp.add_pipe("medspacy_context", config={"rules": None})
        dropped = {literal.lower() for literal in document["dropDefaultRules"]}
        defaults = [
            r
            for r in ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)
            if r.literal.lower() not in dropped
        ]
        ours = [
            ConTextRule(
                r["literal"],
                r["category"],
                direction=r["direction"],
                pattern=r.get("pattern"),
                max_scope=r.get("maxScope"),
                allowed_types=set(r["allowedTypes"]) if "allowedTypes" in r else None,
            )
            for r in document["contextRules"]
        ]
        line_bound = set(document["lineBoundDirections"])
        comma_bound = set(document["commaBoundDirections"])
        for rule in [*defaults, *ours]:
            if rule.direction in line_bound:
                rule.terminated_by = {*rule.terminated_by, LINE_BREAK}
            if rule.direction in comma_bound:
                rule.terminated_by = {*rule.terminated_by, COMMA}
        context.add(defaults)
        context.add(ours)
    return nlp, [*defaults, *ours]


@dataclass(frozen=True)
class _Concern:
    """One concern cue: the category it makes uncertain and those that settle its sentence."""

    concern_for: str
    settled_by: frozenset[str]
    regex: re.Pattern[str]
    # Categories that settle the cue only if the note reads a figure (months) from them.
    settled_if_quantified: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entry: dict[str, Any]) -> _Concern:
        return cls(
            entry["concernFor"],
            frozenset(entry["settledBy"]),
            re.compile(entry["pattern"]),
            frozenset(entry.get("settledIfQuantified", ())),
        )


class NoteReader:
    """The medspaCy pipeline with this project's concepts; thread-safe for reading."""

    def __init__(self, document: dict[str, Any]):
        concerns = document.get("concerns", [])
        self._nlp, rules = _pipeline(document["targets"], document)
        # Concern cues run in a pipeline of their own: as targets beside the concept
        # patterns they would compete with them for the same words (spaCy entities cannot
        # overlap), and they are read only in sentences the concept patterns left unsettled.
        self._concern_nlp = _pipeline(concerns, document)[0] if concerns else None
        # spaCy does not document its pipelines as thread-safe (the tokenizer cache and the
        # vocabulary grow as new words are seen), and under the GIL a lock costs no
        # parallelism; it is held for one bounded chunk at a time, so threads interleave.
        self._lock = threading.Lock()
        self.version: str = document["version"]
        self._targets = _target_regex([*document["targets"], *concerns])
        self._cue_words = _cue_words(rules)
        # Words that start a modifier reaching forward: in a table label they would run on
        # into the value cell, so such a label/value pair is not read as one statement.
        self._forward_cue_words = _cue_words(
            r for r in rules if r.direction in ("FORWARD", "BIDIRECTIONAL")
        )
        self._concerns = {c["category"]: _Concern.of(c) for c in concerns}
        self._by_category = {
            category: _target_regex(
                [t for t in document["targets"] if t["category"] == category]
                + [c for c in concerns if c["concernFor"] == category]
            )
            for category in {t["category"] for t in document["targets"]}
        }
        spelling = document.get("spelling", {"words": [], "realWords": []})
        self._speller = Speller(spelling["words"], spelling["realWords"])
        # The safety screen (note_reading/screen.py); a document without one screens nothing.
        self._screen = NoteScreen(document["screen"]) if "screen" in document else None
        # Keyed by text alone: it caches only budget-free reads, which depend on nothing else.
        self._short = lru_cache(maxsize=4096)(self._read_whole)

    def may_mention(self, text: str, categories: tuple[str, ...]) -> bool:
        """Cheap pre-check: can the text mention any of these categories at all?

        Looks at the part of the note that would be read; a longer note may mention them
        beyond that part, so it answers True and lets the (incomplete) summary say so.
        """
        if len(text) > MAX_NOTE_CHARS or _unreadable(text) is not None:
            return True  # the summary says it is incomplete
        text = self._as_read(text)
        return any(self._by_category[c].search(text) for c in categories if c in self._by_category)

    def screened(self, text: str, read: Callable[[], NoteSummary] | None = None) -> frozenset[str]:
        """The contraindication concepts ("prognosis", "empty-pump", "infection") whose
        screening model says this text may report them, whatever the rules read.

        Only ever a reason to verify (note_reading/screen.py): never evidence of anything.
        One exception: a prognosis figure the rules read from the text ("life expectancy
        approximately 12 months") stands over the screen, which reads words, not numbers
        ("12 months" and "2 months" look alike to it). A teaching record about no patient
        (note_reading/simulation.py) screens nothing. ``read`` gives the text's reading
        if the caller has its own (read under its budget, cached); it is called only then.
        """
        if self._screen is None or simulation.about_no_patient(text):
            return frozenset()
        flags = self._screen.flagged(text)
        if "prognosis" in flags:
            summary = read() if read is not None else self.summarize(text)
            if summary.prognosis_months is not None:
                flags -= {"prognosis"}
        return flags

    def summarize(self, text: str, budget: ReadingBudget | None = None) -> NoteSummary:
        """What the text asserts, reading at most what the caps and the budget allow.

        Short texts (stop reasons, outcomes) repeat and are cached; only reads of the whole
        text are cached, so a read cut short by a budget never answers for a later call.
        """
        allowed = min(len(text), MAX_NOTE_CHARS)
        if budget is not None:
            allowed = budget.take(allowed)
        if allowed == len(text) and len(text) <= SHORT_TEXT_CHARS:
            summary = self._short(text)
        else:
            summary = self._read(text[:allowed], cut=allowed < len(text), budget=budget)
        reason = _unreadable(text)
        if reason is not None:
            # Another language or a garbled scan: what was found stands, but finding
            # nothing proves nothing (note_reading/readability.py).
            return replace(summary, complete=False, unreadable=reason)
        return summary

    def plan(self, text: str, cut: bool = False) -> ReadingPlan:
        """The bounded chunks the pipeline reads for ``text``, and whether caps dropped any.

        Only sentences that name a target are read: ConText's scope ends at the sentence,
        so the others cannot change any result. Sentences are packed into chunks of at most
        MAX_CHUNK_CHARS characters, MAX_CUES_PER_CHUNK cue words and MAX_MATCHES_PER_CHUNK
        target matches (a longer sentence is split), a chunk never spans a SEGMENT_BREAK,
        and reading stops before MAX_MATCHES_PER_NOTE is passed. ``cut``
        says the text was truncated: its last, partial sentence is then not read, since a
        phrase cut off from the words that negate it would read as asserted.
        """
        chunks: list[str] = []
        sections: list[str | None] = []
        complete = not cut
        matches = 0
        text_read = self._as_read(text)
        for group in _chunk_groups(self._units(text_read, cut)):
            if group is None:
                complete = False
                continue
            found = sum(u.matches for u in group)
            if matches + found > MAX_MATCHES_PER_NOTE:
                return ReadingPlan(tuple(chunks), False, tuple(sections), text_read)
            matches += found
            chunks.append(" ".join(u.text for u in group))
            sections.append(group[0].section)
        return ReadingPlan(tuple(chunks), complete, tuple(sections), text_read)

    def _units(self, text_read: str, cut: bool) -> Iterator[_Unit | None]:
        """Every relevant sentence or piece, in order; None marks a sentence split by the caps.

        Section headers ("Family history:", "PMH:", "Assessment:") start a new block, so no
        chunk spans two sections, and each unit carries the kind of section it is under.
        """
        blocks = list(_sections(text_read.split(SEGMENT_BREAK)))
        for number, (block, section) in enumerate(blocks):
            sentences = SENTENCE_END.split(block)
            for index, sentence in enumerate(sentences):
                tail = cut and number == len(blocks) - 1 and index == len(sentences) - 1
                if self._targets.search(sentence):
                    for unit in self._sentence_units(sentence, number, tail):
                        yield unit if unit is None else replace(unit, section=section)

    def _as_read(self, text: str) -> str:
        """The text the pre-check and the plan both read: concept words spelled right, cell
        pairs, fields, punctuation."""
        return _as_written(self._pairs_read(self._speller.correct(gloss.gloss(text))))

    def _pairs_read(self, text: str) -> str:
        """Each label/value cell pair as "label: value", or as two segments when the label
        holds a word starting a forward-reaching ConText modifier ("Denies nausea"), whose
        scope would run on into the value."""
        if CELL_PAIR not in text:
            return text
        return CELL_PAIR_ROW.sub(self._pair, text)

    def _pair(self, row: re.Match[str]) -> str:
        label, value = row.group("label"), row.group("value")
        if label.rstrip().endswith("?") and SHORT_ANSWER.fullmatch(value):
            return f"{label.rstrip()} {value.strip()}"  # "Any alarm? No": a question and its answer
        words = {m.group().lower() for m in WORD.finditer(label)}
        if words & self._forward_cue_words:
            return f"{label}{SEGMENT_BREAK}{value}"
        return f"{label} {value}" if label.rstrip().endswith((":", "-")) else f"{label}: {value}"

    def _sentence_units(self, sentence: str, block: int, tail: bool) -> Iterator[_Unit | None]:
        """One unit for a sentence within the caps, else its pieces (each alone) after a None."""
        cues = self._cue_starts(sentence)
        matches = [m.start() for m in self._targets.finditer(sentence)]
        if (
            len(sentence) <= MAX_SENTENCE_CHARS
            and len(cues) <= MAX_CUES_PER_CHUNK
            and len(matches) <= MAX_MATCHES_PER_CHUNK
        ):
            if not tail:
                yield _Unit(sentence, block, len(matches), len(cues), alone=False)
            return
        yield None
        spans = _split_spans(sentence, cues, matches)
        for start, end in spans[:-1] if tail else spans:
            found = _count(matches, start, end)
            if found:
                yield _Unit(sentence[start:end], block, found, _count(cues, start, end), True)

    def _cue_starts(self, text: str) -> list[int]:
        """Where a ConText modifier may start: words that some modifier rule starts with.

        An estimate (our word split is not spaCy's tokenizer) that bounds ConText's work
        per chunk; a miscount only moves where a chunk ends, never what is read.
        """
        words = self._cue_words
        return [
            m.start()
            for m in WORD.finditer(text)
            if (w := m.group().lower()) in words or (w.endswith("n't") and "n't" in words)
        ]

    def _read_whole(self, text: str) -> NoteSummary:
        """A budget-free read of all of ``text``: a pure function of it, safe to cache."""
        return self._read(text, cut=False, budget=None)

    def _read(self, text: str, cut: bool, budget: ReadingBudget | None) -> NoteSummary:
        """Run the pipeline over the planned chunks, stopping at the budget's deadline."""
        plan = self.plan(text, cut)
        if simulation.about_no_patient(plan.text_read):
            return EMPTY_SUMMARY  # a teaching record about no one asserts nothing
        complete = plan.complete
        mentions: list[Mention] = []
        offset = 0
        for chunk, section in zip(plan.chunks, plan.sections, strict=True):
            if budget is not None and budget.expired:
                complete = False
                break
            found = _in_section(self._chunk_mentions(chunk, offset), section)
            mentions += found + self._concern_mentions(chunk, offset, section, found)
            offset += len(chunk) + 1
        # Chunks are joined by a line break (one character, as the offsets count): numbers
        # are read clause by clause, and two chunks are never one clause.
        joined = "\n".join(plan.chunks)
        mentions = _note_level(plan.text_read, mentions)
        mentions = prognosis.without_settled_hospice(joined, mentions)
        mentions = questions.as_questions(joined, mentions)
        summary = _summary(joined, mentions)
        return summary if complete else replace(summary, complete=False)

    def _chunk_mentions(self, chunk: str, offset: int, nlp: Any = None) -> list[Mention]:
        """The targets of one chunk with their ConText flags, at offsets in the joined text."""
        doc = self._run_pipeline(chunk, nlp)
        shut_in = scope.dropped_flags(doc)
        mentions = []
        for ent in doc.ents:
            dropped = shut_in.get(ent.start_char, set())
            mentions.append(
                Mention(
                    ent.label_,
                    ent.text,
                    ent.start_char + offset,
                    ent._.is_negated and "negated" not in dropped,
                    ent._.is_uncertain and "uncertain" not in dropped,
                    ent._.is_hypothetical and "hypothetical" not in dropped,
                    ent._.is_historical and "historical" not in dropped,
                    ent._.is_family and "family" not in dropped,
                )
            )
        return mentions

    def _concern_mentions(
        self, chunk: str, offset: int, section: str | None, found: list[Mention]
    ) -> list[Mention]:
        """Concern cues about the patient now in sentences no concept pattern settled.

        Each becomes an uncertain mention of the category it is a concern for, so the
        criterion reads "could not be fully checked — verify": the safety asymmetry for
        contraindications the patterns cannot classify. A cue ConText calls negated,
        hypothetical, historical or about someone else is dropped, like any mention.
        """
        if self._concern_nlp is None:
            return []
        ends = [m.end() for m in SENTENCE_END.finditer(chunk)] + [len(chunk)]
        settled = {(bisect_left(ends, m.start - offset + 1), m.category) for m in found}

        def standing(concern: _Concern, at: int) -> str | None:
            """The category a cue at chunk offset ``at`` is a concern for, or None when a
            pattern in its sentence settled it. A category that settles only with a figure
            leaves it pending (``UNQUANTIFIED_``, decided once the figures are read) in a
            sentence with no number ("we estimate some weeks"); with a number, the figure
            readers decide (a past or a required figure is no prognosis, rightly)."""
            sentence = bisect_left(ends, at + 1)
            if any((sentence, c) in settled for c in concern.settled_by):
                return None
            if any((sentence, c) in settled for c in concern.settled_if_quantified):
                begin = ends[sentence - 1] if sentence > 0 else 0
                if any(ch.isdigit() for ch in chunk[begin : ends[sentence]]):
                    return None
                return UNQUANTIFIED + concern.concern_for
            return concern.concern_for

        # The pipeline runs only when some cue lies in a sentence no pattern settled, so
        # a chunk dense in concept phrases costs no second pass.
        if all(
            standing(concern, hit.start()) is None
            for concern in self._concerns.values()
            for hit in concern.regex.finditer(chunk)
        ):
            return []
        cues = []
        for mention in _in_section(self._chunk_mentions(chunk, offset, self._concern_nlp), section):
            category = standing(self._concerns[mention.category], mention.start - offset)
            if category is not None and mention.about_now:
                cues.append(replace(mention, category=category, uncertain=True))
        return cues

    def _run_pipeline(self, chunk: str, nlp: Any = None) -> Any:
        """The one place text reaches spaCy: one bounded chunk per lock hold."""
        with self._lock:
            return (nlp or self._nlp)(chunk)


# Section headers at the start of a line, a block or a sentence. Only two kinds change how a
# mention is read: under a family history it is about relatives, under a past medical or
# surgical history it is history; any other header (HPI, Assessment, Plan, S/O/A/P, ...)
# ends such a section. Bounded alternation: linear in the text.
SECTION_HEADER = re.compile(
    r"(?im)(?:^|(?<=[.;!?])\s)[ \t>*-]*(?P<name>family (?:medical )?history|family hx|fam hx|fhx|"
    r"fh|past medical history|past surgical history|past medical/surgical history|"
    r"past history|medical history|surgical history|pmhx?|pshx?|social history|shx|"
    r"history of present illness|hpi|interval history|assessment(?: and plan|/plan)?|a/p|"
    r"impression|plan|recommendations?|subjective|objective|physical exam|exam|"
    r"chief complaint|cc|diagnos[ie]s|problem list|history|"
    # the other headers of an H&P or progress note: each ends a history section
    r"review of systems|ros|pe|vitals?|meds|medications|allergies|all|labs?|imaging|"
    r"studies|results|data|consent|procedure|findings|hospital course|course|disposition|"
    # text older than the note, carried into it: read as a quoted earlier message is
    r"(?:previous|prior|old|earlier|last)[ \t]+(?:impression|assessment|a/p|plan|"
    r"recommendations?|note|evaluation|eval|visit)|"
    r"cop(?:ied|y)[ \t-]+(?:forward|fwd)|carried[ \t-]+(?:forward|fwd)|"
    r"legacy[ \t]+(?:note|text|import|record|document)|"
    r"[soap])(?:[ \t]*\([^()\n]{0,60}\))?(?:\s*[:\u2013-]|[ \t]*$)"
)
_EARLIER_HEADERS = ("previous", "prior", "old", "earlier", "last", "cop", "carried", "legacy")
_FAMILY_HEADERS = ("family", "fam hx", "fhx", "fh")
_HISTORY_HEADERS = ("past ", "medical history", "surgical history", "pmh", "psh")


def _note_level(text_read: str, mentions: list[Mention]) -> list[Mention]:
    """The mentions after the checks that need the whole note, not one sentence: an alarm or
    an empty the note puts elsewhere (note_reading/pump_alarm.py), a culture it calls a
    contaminant or a swab it calls colonization (note_reading/contaminant.py), a
    psychological report's conclusion field, or a favorable cell in a grid's psych column or
    in the result column of its psychological-evaluation row."""
    mentions = pump_alarm.without_explained_alarms(
        mentions, pump_alarm.alarm_explained(text_read), pump_alarm.another_device(text_read)
    )
    mentions = pump_alarm.without_settled_episodes(mentions, pump_alarm.settled_since(text_read))
    mentions = contaminant.without_contaminants(mentions, contaminant.called_contaminant(text_read))
    mentions = contaminant.without_colonization(
        mentions, contaminant.called_colonization(text_read)
    )
    return mentions + [
        Mention("FAVORABLE_CANDIDATE", field, 0, False, False, False, False, False)
        for field in [
            *psych.conclusion_fields(text_read),
            *psych.psych_column_cells(text_read),
            *psych.psych_row_cells(text_read),
        ]
    ]


def _unreadable(text: str) -> str | None:
    """Why the reader cannot read the text, judged on it as read: a French note glossed,
    so that its "de" and "la" are not counted as another language's words. Only the start
    the readability check scans is glossed, so a long note costs no more than that."""
    return readability.unreadable_reason(gloss.gloss(text[: readability.SCAN_CHARS]))


def _section_kind(header: str) -> str | None:
    name = header.lower()
    if name.startswith(_FAMILY_HEADERS):
        return "family"
    if name.startswith(_EARLIER_HEADERS):
        return "earlier"
    # (a bare "History:" is past history; "History of present illness" is not)
    if name.startswith(_HISTORY_HEADERS) or name == "history":
        return "history"
    return None


# A line quoted from an earlier message, as e-mail replies quote it ("> I'm deferring the
# decision"): a ">" at the line start, not one before a figure ("> 1 yr" in a table cell).
QUOTED_LINES = re.compile(r"(?m)(?:^[ \t]*>+(?![ \t]*[\d=<>~.])[^\n]*(?:\n|$))+")
# Categories a past-history section does not make history: a psychological clearance for the
# pump keeps counting however old it is (the policy sets no age limit on it).
AGELESS = frozenset({"FAVORABLE_CANDIDATE"})


def _sections(blocks: list[str]) -> Iterator[tuple[str, str | None]]:
    """The blocks cut at every section header, each with the kind of section it is under.

    A header's kind lasts until the next header, across blocks (an HTML heading above a
    list applies to its items), unless the header's block holds its content: then it ends
    with the block ("<li>PMH: COPD, HTN</li>" does not make the next item history), or with
    its line when the content is on the header's line ("History: ... 2017\nPlan: ..." in one
    dictated block). Quoted lines are a section of their own ("quoted").
    """
    kind: str | None = None
    for block in blocks:
        inline = False
        for piece, quoted in _quoted_runs(block):
            if quoted:
                yield piece, "quoted"
                continue
            start, until = 0, None  # ``until``: where a header's same-line content ends
            for header in SECTION_HEADER.finditer(piece):
                begin = header.start("name")
                if until is not None and until <= begin:
                    yield piece[start:until], kind
                    start, kind, until = until, None, None
                if begin > start:
                    yield piece[start:begin], kind
                start = begin
                kind = _section_kind(header.group("name"))
                inline = bool(piece[header.end() :].strip())
                line_end = piece.find("\n", header.end())
                same_line = line_end > 0 and bool(piece[header.end() : line_end].strip())
                until = line_end if same_line and kind is not None else None
            if until is not None:
                yield piece[start:until], kind
                start, kind = until, None
            yield piece[start:], kind
        if inline and kind is not None:
            kind = None


def _quoted_runs(block: str) -> Iterator[tuple[str, bool]]:
    """The block in runs of quoted and unquoted lines, in order."""
    start = 0
    for run in QUOTED_LINES.finditer(block):
        if run.start() > start:
            yield block[start : run.start()], False
        yield run.group(), True
        start = run.end()
    if start < len(block) or start == 0:
        yield block[start:], False


def _in_section(mentions: list[Mention], section: str | None) -> list[Mention]:
    """Mentions under a family-history header are about relatives; under past history, past
    (but a clearance, AGELESS); a quoted earlier message is not this note's assertion, so
    a contraindication in it is uncertain ("verify"). A favorable conclusion quoted from the
    evaluator's reply ("> No psych contraindication; favorable candidate") is a second-hand
    report of it, as "psychology report reviewed: favorable" is, and counts; a newer word in
    the note still stands over it."""
    if section == "family":
        return [replace(m, family=True) for m in mentions]
    if section == "history":
        return [m if m.category in AGELESS else replace(m, historical=True) for m in mentions]
    if section == "quoted":
        return [
            m if m.category == "FAVORABLE_CANDIDATE" else replace(m, uncertain=True)
            for m in mentions
        ]
    if section == "earlier":
        # Carried forward from an older note under its own header ("Prior assessment (copied
        # fwd):"): not asserted today, but not over either; the header's own "prior" would
        # make it history, so a contraindication in it would vanish, when it may still hold.
        return [replace(m, uncertain=True, historical=False) for m in mentions]
    return mentions


def _chunk_groups(units: Iterable[_Unit | None]) -> Iterator[list[_Unit] | None]:
    """Pack units into chunks within the per-chunk caps, never across blocks; pass Nones on."""
    group: list[_Unit] = []
    chars = cues = matches = 0
    for unit in units:
        if unit is None:
            yield None
            continue
        full = (
            chars + len(unit.text) + 1 > MAX_CHUNK_CHARS
            or cues + unit.cues > MAX_CUES_PER_CHUNK
            or matches + unit.matches > MAX_MATCHES_PER_CHUNK
        )
        if group and (unit.alone or group[-1].alone or unit.block != group[-1].block or full):
            yield group
            group, chars, cues, matches = [], 0, 0, 0
        group.append(unit)
        chars += len(unit.text) + 1
        cues += unit.cues
        matches += unit.matches
    if group:
        yield group


def _split_spans(sentence: str, cues: list[int], matches: list[int]) -> list[tuple[int, int]]:
    """Spans of an over-long sentence, each within MAX_SENTENCE_CHARS, MAX_CUES_PER_CHUNK and
    MAX_MATCHES_PER_CHUNK, cut at whitespace where there is some; linear in the sentence.

    ``cues`` and ``matches`` are strictly increasing start offsets, so the first one that
    must go to the next span always lies beyond the current start and every span advances.
    """
    spans = []
    position = 0
    while position < len(sentence):
        end = min(len(sentence), position + MAX_SENTENCE_CHARS)
        for starts, cap in ((cues, MAX_CUES_PER_CHUNK), (matches, MAX_MATCHES_PER_CHUNK)):
            overflow = bisect_left(starts, position) + cap
            if overflow < len(starts):
                end = min(end, starts[overflow])
        if end < len(sentence):
            space = max(sentence.rfind(c, position, end) for c in WHITESPACE)
            end = space if space > position else end
        spans.append((position, end))
        position = end
    return spans


def _count(starts: list[int], start: int, end: int) -> int:
    """How many of the sorted offsets fall in [start, end)."""
    return bisect_left(starts, end) - bisect_left(starts, start)


def _summary(text: str, mentions: list[Mention]) -> NoteSummary:
    """Concepts and numbers from the mentions found in ``text`` (the chunks read, joined).

    A concern cue settled only by a phrase that must yield a figure (an ``UNQUANTIFIED_``
    mention) stands when the note yields none: "Prognosis: some weeks" is "verify".
    """
    if not mentions:
        return EMPTY_SUMMARY
    response = pain.trial_response(text, mentions)
    months = prognosis.months(text, mentions)
    uncertain = set()
    for m in mentions:
        if not (m.uncertain and m.about_now):
            continue
        if m.category.startswith(UNQUANTIFIED):
            if months is None:
                uncertain.add(m.category.removeprefix(UNQUANTIFIED))
        else:
            uncertain.add(m.category)
    uncertain -= _answered(mentions)
    replaced = psych.superseded(text, mentions)
    if replaced:
        mentions = [m for m in mentions if m.start not in replaced]
    return NoteSummary(
        asserted=frozenset(m.category for m in mentions if m.asserted),
        negated=frozenset(m.category for m in mentions if m.negated),
        prognosis_months=months,
        pain_before=response.before,
        pain_after=response.after,
        percent_relief=response.percent_relief,
        uncertain=frozenset(uncertain),
    )


def _answered(mentions: list[Mention]) -> set[str]:
    """Categories whose every doubt is answered by a later negation in the same note: "Asked to
    r/o meningitis ... Meningitis ruled out." A doubt after the negation stays; an asserted
    mention is never taken back this way."""
    last_doubt: dict[str, int] = {}
    last_negation: dict[str, int] = {}
    for m in mentions:
        if m.uncertain and m.about_now:
            last_doubt[m.category] = max(last_doubt.get(m.category, -1), m.start)
        elif m.negated and not (m.hypothetical or m.historical or m.family):
            last_negation[m.category] = max(last_negation.get(m.category, -1), m.start)
    return {c for c, at in last_doubt.items() if last_negation.get(c, -1) > at}


def _cue_words(rules: Iterable[Any]) -> frozenset[str]:
    """The words a ConText modifier can start with, to count cues before the pipeline runs.

    Taken from each rule's token pattern (its first token, and the next while the first is
    optional) or its literal's first word; entries with a space never match one token.
    """
    return frozenset(w for rule in rules for w in _first_words(rule) if w and " " not in w)


def _first_words(rule: Any) -> set[str]:
    """Lower-cased words a match of this ConText rule may start with."""
    pattern = rule.pattern
    literal_word = set(rule.literal.lower().split()[:1])
    if not isinstance(pattern, list):
        return literal_word
    words: set[str] = set()
    for token in pattern:
        lower = token.get("LOWER")
        if isinstance(lower, str):
            words.add(lower.lower())
        elif isinstance(lower, dict) and isinstance(lower.get("IN"), list):
            words.update(str(w).lower() for w in lower["IN"])
        else:
            return words | literal_word
        if token.get("OP") not in ("?", "*"):
            break
    return {w for w in words if w}


def _target_regex(targets: list[dict[str, Any]]) -> re.Pattern[str]:
    """Any target literal (as words, any case) or target pattern: the cheap pre-filter.

    It scans every character of every note, so it is built to fail fast: a lookahead on
    the literals' first characters rejects most positions in one step, and the literals are
    grouped by their leading characters so a position tries only those that could match.
    """
    literals = {lit.lower() for t in targets for lit in t.get("literals", [])}
    first = "".join(sorted({re.escape(lit[0]) for lit in literals}))
    parts = [rf"(?<![a-z])(?=[{first}])(?:{_alternation(literals)})(?![a-z])"] if literals else []
    parts += [f"(?:{t['pattern'].removeprefix('(?i)')})" for t in targets if "pattern" in t]
    return re.compile("|".join(parts), re.IGNORECASE)


def _alternation(words: Iterable[str], depth: int = 2) -> str:
    """A regex alternation of ``words``, longest first, factored on ``depth`` leading chars.

    At any position only words sharing a prefix can match, and within a group the longer
    ones are tried first (an emptied rest is an optional group), so it matches exactly what
    the plain longest-first alternation matches.
    """
    ordered = sorted(set(words), key=lambda w: (w[:1], -len(w)))
    if depth == 0 or len(ordered) < 4:
        return "|".join(re.escape(w) for w in sorted(ordered, key=len, reverse=True))
    branches = []
    for head, group in groupby((w for w in ordered if w), key=lambda w: w[0]):
        rests = [w[1:] for w in group]
        inner = _alternation([r for r in rests if r], depth - 1)
        optional = "?" if "" in rests else ""
        branches.append(re.escape(head) + (f"(?:{inner}){optional}" if inner else ""))
    return "|".join(branches)


def failure_reasons(summary: NoteSummary) -> frozenset[str]:
    reasons = set()
    if summary.has("INADEQUATE_RELIEF"):
        reasons.add("inadequate-relief")
    if summary.has("SIDE_EFFECTS"):
        reasons.add("side-effects")
    return frozenset(reasons)


NOTE_CONCEPTS_DIR = DATA_DIR / "note-concepts"
NOTE_CONCERNS = DATA_DIR / "note-concerns.json"
NOTE_SPELLING = DATA_DIR / "note-spelling.json"
NOTE_SCREEN = DATA_DIR / "note-screen.json"


def load_note_concepts(
    folder: Path = NOTE_CONCEPTS_DIR,
    concerns_path: Path = NOTE_CONCERNS,
    spelling_path: Path = NOTE_SPELLING,
    screen_path: Path = NOTE_SCREEN,
) -> dict[str, Any]:
    """``common.json`` plus one file per concept, each validated, merged into one document.

    One file per concept keeps each concept's phrases, patterns and the ConText rules it
    needs together, so a concept can be tuned without touching the others.
    """
    common = load_validated(folder / "common.json", "note-concepts-common.schema.json")
    document = {**common, "targets": [], "contextRules": list(common["contextRules"])}
    categories: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        if path.name == "common.json":
            continue
        concept = load_validated(path, "note-concept.schema.json")
        for target in concept["targets"]:
            owner = categories.setdefault(target["category"], path.name)
            if owner != path.name:
                raise ConfigurationError(
                    f"{path.name}: category {target['category']} is already defined in {owner}"
                )
        document["targets"] += concept["targets"]
        document["contextRules"] += concept["contextRules"]
    document["concerns"] = _concerns(concerns_path, set(categories))
    # A rule may name concern cues too (they run through the same ConText rules).
    known = set(categories) | {c["category"] for c in document["concerns"]}
    for rule in document["contextRules"]:
        unknown = set(rule.get("allowedTypes", ())) - known
        if unknown:
            raise ConfigurationError(
                f"context rule {rule['literal']!r} may modify categories no concept defines: "
                f"{', '.join(sorted(unknown))}"
            )
    document["spelling"] = load_validated(spelling_path, "note-spelling.schema.json")
    document["screen"] = load_validated(screen_path, "note-screen.schema.json")
    return document


def _concerns(path: Path, categories: set[str]) -> list[dict[str, Any]]:
    """The concern cues, each naming only categories the concept files define."""
    concerns: list[dict[str, Any]] = load_validated(path, "note-concerns.schema.json")["concerns"]
    seen: set[str] = set()
    for concern in concerns:
        named = {
            concern["concernFor"],
            *concern["settledBy"],
            *concern.get("settledIfQuantified", []),
        }
        if unknown := sorted(named - categories):
            raise ConfigurationError(f"{path.name}: {concern['category']} names unknown {unknown}")
        if concern["category"] in seen | categories:
            raise ConfigurationError(f"{path.name}: category {concern['category']} is repeated")
        seen.add(concern["category"])
    return concerns


@cache
def default_note_reader() -> NoteReader:
    return NoteReader(load_note_concepts())
