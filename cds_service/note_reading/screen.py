"""A safety screen: a linear model that says a note *may* report a contraindication.

Why it exists. The note reader's rules (concept patterns, ConText, concern cues) are
written from the notes seen so far, and every round of notes written blind by a new author
brought phrasings they had not seen: "the pump's been going beep", "blood cultures 2/2
MRSA", "we think he's looking at maybe a month", an "LE" column in a pasted table. A
pattern cannot list them all, and a miss there leaves a record at ``criteria-met`` with an
empty pump, an infection or a short prognosis on file. So beside the rules, each note is
scored by a small logistic-regression model per contraindication concept (TF-IDF over
words, word pairs and character 3- to 5-grams), trained by ``tools/note-screen/build.py``
on the labelled corpus in ``tests/data/notes/`` (never on its test split).

What it may do. A screen flag only ever makes the criterion "could not be fully checked —
verify": it never asserts a contraindication and never counts as evidence that anything is
met. A favorable finding (psych clearance, trial response) still counts only when the rules
read it asserted about the patient. The screen is the safety net under the rules: a note
that the rules read as silent, negated, historical or someone else's but whose wording
resembles notes that report the contraindication is sent to a clinician to read.

Cost and bounds. Scoring is a dictionary lookup per feature, so it is linear in the text;
only the first MAX_SCREEN_CHARS characters are scored (a long note's rules reading is the
part that goes further).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

from cds_service.errors import ConfigurationError

# The concepts the screen scores: the contraindications a note may report.
SCREENED_CONCEPTS = ("prognosis", "empty-pump", "infection")
MAX_SCREEN_CHARS = 20_000
CHAR_NGRAMS = (3, 4, 5)
_WORD = re.compile(r"\w\w+")
_TOKEN = re.compile(r"\S+")


def features(text: str) -> list[str]:
    """The features of ``text``, with repeats: ``w:`` words, ``b:`` word pairs, ``c:``
    character n-grams of each whitespace token padded with a space on each side.

    The build script hands this very function to scikit-learn as its analyzer, so the
    model's vocabulary and this scorer cannot disagree on what a feature is.
    """
    lowered = text[:MAX_SCREEN_CHARS].lower()
    words = _WORD.findall(lowered)
    found = ["w:" + w for w in words]
    found += ["b:" + a + " " + b for a, b in itertools.pairwise(words)]
    for token in _TOKEN.findall(lowered):
        padded = f" {token} "
        for n in CHAR_NGRAMS:
            found += ["c:" + padded[i : i + n] for i in range(len(padded) - n + 1)]
    return found


@dataclass(frozen=True)
class _ConceptModel:
    intercept: float
    threshold: float


class NoteScreen:
    """The per-concept models of ``data/note-screen.json`` (schemas/note-screen.schema.json)."""

    def __init__(self, document: dict[str, Any]) -> None:
        names = document["features"]
        idf = document["idf"]
        models = document["models"]
        _check_features(names)
        _check_numbers("idf", idf, len(names), positive=True)
        if sorted(models) != sorted(SCREENED_CONCEPTS):
            raise ConfigurationError(
                f"note-screen.json: models must be exactly {', '.join(SCREENED_CONCEPTS)}"
            )
        for concept, model in models.items():
            _check_numbers(f"{concept} coef", model["coef"], len(names), positive=False)
        self.concepts: tuple[str, ...] = SCREENED_CONCEPTS
        self._models = {
            c: _ConceptModel(models[c]["intercept"], models[c]["threshold"]) for c in self.concepts
        }
        # One row per feature: its idf, then its weight in each concept's model.
        self._rows: dict[str, tuple[float, ...]] = {
            name: (idf[i], *(models[c]["coef"][i] for c in self.concepts))
            for i, name in enumerate(names)
        }

    def probabilities(self, text: str) -> dict[str, float]:
        """Each screened concept's probability that ``text`` reports it."""
        counts: dict[str, int] = {}
        for feature in features(text):
            if feature in self._rows:
                counts[feature] = counts.get(feature, 0) + 1
        norm_sq = 0.0
        sums = [0.0] * len(self.concepts)
        for feature, count in counts.items():
            row = self._rows[feature]
            value = (1.0 + math.log(count)) * row[0]
            norm_sq += value * value
            for k in range(len(sums)):
                sums[k] += value * row[k + 1]
        norm = math.sqrt(norm_sq) or 1.0
        return {
            concept: _sigmoid(self._models[concept].intercept + sums[k] / norm)
            for k, concept in enumerate(self.concepts)
        }

    def flagged(self, text: str) -> frozenset[str]:
        """The concepts whose probability reaches the model's threshold."""
        return frozenset(
            concept
            for concept, p in self.probabilities(text).items()
            if p >= self._models[concept].threshold
        )


def _check_features(names: list[Any]) -> None:
    """Feature names are unique strings of the three kinds ``features`` makes."""
    if not all(isinstance(n, str) and n[:2] in ("w:", "b:", "c:") for n in names):
        raise ConfigurationError("note-screen.json: a feature is not a w:, b: or c: string")
    if len(set(names)) != len(names):
        raise ConfigurationError("note-screen.json: a feature is repeated")


def _check_numbers(what: str, values: list[Any], length: int, positive: bool) -> None:
    """One finite number per feature (the schema leaves these to code: see its description)."""
    if len(values) != length:
        raise ConfigurationError(f"note-screen.json: {what} has {len(values)} values, not {length}")
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or (positive and value <= 0)
        ):
            raise ConfigurationError(f"note-screen.json: {what} holds {value!r}")


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
