"""A trial's pain response from a note: scores before and after, or a stated relief."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cds_service.note_reading.mention import Mention
from cds_service.note_reading.prognosis import number

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
class PainResponse:
    """Scores on a 0–10 scale (before, best after) and/or a stated relief percentage."""

    before: float | None = None
    after: float | None = None
    percent_relief: float | None = None


def trial_response(text: str, mentions: list[Mention]) -> PainResponse:
    """What the note states about a pain response; ``text`` holds the mentions' offsets."""
    before, after = _pain_timeline(
        text, [m for m in mentions if m.category == "PAIN_SCORE" and m.asserted]
    )
    return PainResponse(before, after, _percent(mentions))


def _percent(mentions: list[Mention]) -> float | None:
    values = [number(m.text) for m in mentions if m.category == "PERCENT_RELIEF" and m.asserted]
    known = [v for v in values if v is not None and 0 <= v <= 100]
    return min(known) if known else None


def _pain_timeline(text: str, scores: list[Mention]) -> tuple[float | None, float | None]:
    """Baseline and best later score from statements like 'baseline 9/10 ... at 6 hours 3/10'."""
    before: list[float] = []
    after: list[float] = []
    previous_end = 0
    for mention in sorted(scores, key=lambda m: m.start):
        value = number(mention.text.split("/")[0])
        lead = text[max(previous_end, mention.start - 60) : mention.start]
        previous_end = mention.start + len(mention.text)
        if value is None or not 0 <= value <= 10:
            continue
        if BEFORE_WORDS.search(lead):
            before.append(value)
        elif AFTER_WORDS.search(lead) and before:
            after.append(value)
    return (before[-1] if before else None), (min(after) if after else None)
