"""Reading clinical notes with medspaCy: target concepts plus ConText negation and uncertainty.

A blank spaCy pipeline with a rule sentencizer, medspaCy's target matcher (rules
from ``data/note-concepts.json``) and ConText (medspaCy's default modifiers plus
ours). A concept counts as asserted only when ConText marks it neither negated,
uncertain, hypothetical, historical nor about family. Numbers (prognosis months,
pain scores and their timing, stated percent relief) are read from the matched
spans. The pipeline is built once per process; reading is a pure function of text.
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from cds_service.resources import DATA_DIR, load_validated

# medspaCy's token matcher is empty (we use phrases and regexes); spaCy warns about it per document.
warnings.filterwarnings("ignore", message=r"\[W036\]")

MAX_TEXT_CHARS = 200_000
SHORT_TEXT_CHARS = 300
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
UNITS_IN_MONTHS = {"day": 1 / 30.44, "week": 7 / 30.44, "month": 1.0, "year": 12.0}
BEFORE_WORDS = re.compile(
    r"\b(?:baseline|before|pre-?trial|pre-?injection|pre-?procedure|prior to|initial(?:ly)?|"
    r"at rest before|pre-?bolus)\b",
    re.I,
)
AFTER_WORDS = re.compile(
    r"\b(?:after|post-?\w*|following|during|at \d+(?:\.\d+)? ?(?:h|hr|hrs|hours?|minutes?|min|"
    r"days?)|hours? later|day \d+|now)\b",
    re.I,
)


@dataclass(frozen=True)
class Mention:
    category: str
    text: str
    start: int
    negated: bool
    uncertain: bool
    hypothetical: bool
    historical: bool
    family: bool

    @property
    def asserted(self) -> bool:
        return not (
            self.negated or self.uncertain or self.hypothetical or self.historical or self.family
        )


@dataclass(frozen=True)
class NoteSummary:
    """What one text asserts, with the numbers it states."""

    asserted: frozenset[str]
    negated: frozenset[str]
    prognosis_months: float | None = None
    pain_before: float | None = None
    pain_after: float | None = None
    percent_relief: float | None = None

    def has(self, *categories: str) -> bool:
        return any(c in self.asserted for c in categories)


EMPTY_SUMMARY = NoteSummary(frozenset(), frozenset())


class NoteReader:
    """The medspaCy pipeline with this project's concepts; thread-safe for reading."""

    def __init__(self, document: dict[str, Any]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import medspacy
            from medspacy.context import ConTextRule
            from medspacy.ner import TargetRule

            nlp = medspacy.load(medspacy_enable=["medspacy_target_matcher"])
            nlp.add_pipe("sentencizer", first=True)
            matcher = nlp.get_pipe("medspacy_target_matcher")
            for target in document["targets"]:
                rules = [TargetRule(literal, target["category"]) for literal in target["literals"]]
                if "pattern" in target:
                    rules.append(
                        TargetRule(
                            target["category"].lower(),
                            target["category"],
                            pattern=target["pattern"],
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
            context.add(defaults)
            context.add(
                [
                    ConTextRule(r["literal"], r["category"], direction=r["direction"])
                    for r in document["contextRules"]
                ]
            )
        self._nlp = nlp
        self._lock = threading.Lock()
        self.version: str = document["version"]
        self._targets = _target_regex(document["targets"])
        self._by_category = {
            category: _target_regex([t for t in document["targets"] if t["category"] == category])
            for category in {t["category"] for t in document["targets"]}
        }
        self._short = lru_cache(maxsize=4096)(self._summarize)

    def may_mention(self, text: str, categories: tuple[str, ...]) -> bool:
        """Cheap pre-check: can the text mention any of these categories at all?"""
        return any(self._by_category[c].search(text) for c in categories if c in self._by_category)

    def relevant_sentences(self, text: str) -> str:
        """Only the sentences that name a target concept.

        ConText's scope ends at the sentence, so the other sentences cannot change any
        result, and not running them through spaCy is most of the time saved.
        """
        if not text or not self._targets.search(text):
            return ""
        return " ".join(s for s in SENTENCE_END.split(text) if self._targets.search(s))

    def mentions(self, text: str) -> list[Mention]:
        with self._lock:  # spaCy pipelines are not documented as thread-safe
            doc = self._nlp(text[:MAX_TEXT_CHARS])
        return [
            Mention(
                ent.label_,
                ent.text,
                ent.start_char,
                ent._.is_negated,
                ent._.is_uncertain,
                ent._.is_hypothetical,
                ent._.is_historical,
                ent._.is_family,
            )
            for ent in doc.ents
        ]

    def summarize(self, text: str) -> NoteSummary:
        """What the text asserts; short texts (stop reasons, outcomes) repeat and are cached."""
        if len(text) <= SHORT_TEXT_CHARS:
            return self._short(text)
        return self._summarize(text)

    def _summarize(self, text: str) -> NoteSummary:
        text = self.relevant_sentences(text)
        if not text:
            return EMPTY_SUMMARY
        mentions = self.mentions(text)
        asserted = frozenset(m.category for m in mentions if m.asserted)
        negated = frozenset(m.category for m in mentions if m.negated)
        before, after = _pain_timeline(
            text, [m for m in mentions if m.category == "PAIN_SCORE" and m.asserted]
        )
        return NoteSummary(
            asserted=asserted,
            negated=negated,
            prognosis_months=_prognosis(mentions),
            pain_before=before,
            pain_after=after,
            percent_relief=_percent(mentions),
        )


def _target_regex(targets: list[dict[str, Any]]) -> re.Pattern[str]:
    """Any target literal (as words, any case) or target pattern: the cheap pre-filter."""
    literals = sorted(
        {lit.lower() for t in targets for lit in t["literals"]}, key=len, reverse=True
    )
    parts = [r"(?<![a-z])(?:" + "|".join(re.escape(lit) for lit in literals) + r")(?![a-z])"]
    parts += [f"(?:{t['pattern'].removeprefix('(?i)')})" for t in targets if "pattern" in t]
    return re.compile("|".join(parts), re.IGNORECASE)


def _number(text: str) -> float | None:
    found = re.search(r"\d+(?:\.\d+)?", text)
    return float(found.group(0)) if found else None


def _prognosis(mentions: list[Mention]) -> float | None:
    """The shortest asserted prognosis, in months (a shorter one is the safer reading)."""
    months = []
    for mention in mentions:
        if mention.category != "PROGNOSIS" or not mention.asserted:
            continue
        unit = re.search(r"(day|week|month|year)s?\s*$", mention.text, re.I)
        value = (
            _number(mention.text.split(unit.group(0))[0][-20:] + unit.group(0)) if unit else None
        )
        if unit and value is not None:
            months.append(value * UNITS_IN_MONTHS[unit.group(1).lower()])
    return min(months) if months else None


def _percent(mentions: list[Mention]) -> float | None:
    values = [_number(m.text) for m in mentions if m.category == "PERCENT_RELIEF" and m.asserted]
    known = [v for v in values if v is not None and 0 <= v <= 100]
    return min(known) if known else None


def _pain_timeline(text: str, scores: list[Mention]) -> tuple[float | None, float | None]:
    """Baseline and best later score from statements like 'baseline 9/10 ... at 6 hours 3/10'."""
    before: list[float] = []
    after: list[float] = []
    previous_end = 0
    for mention in sorted(scores, key=lambda m: m.start):
        value = _number(mention.text.split("/")[0])
        lead = text[max(previous_end, mention.start - 60) : mention.start]
        previous_end = mention.start + len(mention.text)
        if value is None or not 0 <= value <= 10:
            continue
        if BEFORE_WORDS.search(lead):
            before.append(value)
        elif AFTER_WORDS.search(lead) and before:
            after.append(value)
    return (before[-1] if before else None), (min(after) if after else None)


def candidacy(summary: NoteSummary) -> str | None:
    """'favorable', 'unfavorable', or None when the note states no clear conclusion.

    A negative conclusion anywhere wins: a deferral or 'not a suitable candidate'
    outweighs a favorable phrase elsewhere in the same note.
    """
    if summary.has("UNFAVORABLE_CANDIDATE", "DEFERRAL") or "FAVORABLE_CANDIDATE" in summary.negated:
        return "unfavorable"
    if summary.has("FAVORABLE_CANDIDATE"):
        return "favorable"
    return None


def failure_reasons(summary: NoteSummary) -> frozenset[str]:
    reasons = set()
    if summary.has("INADEQUATE_RELIEF"):
        reasons.add("inadequate-relief")
    if summary.has("SIDE_EFFECTS"):
        reasons.add("side-effects")
    return frozenset(reasons)


@cache
def default_note_reader() -> NoteReader:
    return NoteReader(load_validated(DATA_DIR / "note-concepts.json", "note-concepts.schema.json"))
