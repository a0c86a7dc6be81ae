"""French notes are read through the gloss (note_reading/gloss.py); English ones never
change. The cases are data (tests/data/note_gloss_cases.json), read end to end: what the
reader asserts of the glossed note, not what the gloss writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cds_service.clinical_nlp import candidacy, default_note_reader
from cds_service.note_reading import gloss

CASES = json.loads((Path(__file__).parent.parent / "data" / "note_gloss_cases.json").read_text())
READER = default_note_reader()


@pytest.mark.parametrize("case", CASES["read"], ids=lambda c: c["text"][:40])
def test_a_french_note_is_read(case: dict[str, Any]) -> None:
    assert gloss.reads_as_french(case["text"])
    summary = READER.summarize(case["text"])
    assert summary.complete
    assert set(case.get("asserted", [])) <= summary.asserted
    if "asserted_any" in case:
        assert set(case["asserted_any"]) & summary.asserted
    assert not set(case.get("not_asserted", [])) & (summary.asserted | summary.uncertain)
    if "months" in case:
        assert summary.prognosis_months == case["months"]
    if "candidacy" in case:
        assert candidacy(summary) == case["candidacy"]
    if "pain" in case:
        assert [summary.pain_before, summary.pain_after] == case["pain"]


@pytest.mark.parametrize("text", CASES["unchanged"])
def test_an_english_or_spanish_note_is_not_glossed(text: str) -> None:
    assert gloss.gloss(text) == text


def test_without_the_gloss_the_french_cases_read_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases need the gloss: the English reader alone finds none of their findings."""
    texts = [c["text"] for c in CASES["read"] if "asserted" in c]
    assert all(READER._read_whole(text).asserted for text in texts)
    monkeypatch.setattr(gloss, "gloss", lambda text: text)
    assert not any(READER._read(text, cut=False, budget=None).asserted for text in texts)


def test_the_table_is_consistent() -> None:
    keys = [gloss._key(entry["fr"]) for entry in gloss._TABLE["phrases"]]
    assert len(keys) == len(set(keys)), "a phrase listed twice"
    assert all(gloss._fold(k) == k for k in keys), "phrases are written without accents"
    english_function_words = {"the", "and", "of", "to", "in", "is", "for", "on", "with", "as"}
    assert not gloss.MARKERS & english_function_words


def test_a_long_french_note_is_glossed_only_as_far_as_it_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The gloss is linear, but a note of megabytes is glossed only up to the reader's caps
    (the readability check's scan, the reader's MAX_NOTE_CHARS), never whole."""
    from cds_service.clinical_nlp import MAX_NOTE_CHARS

    seen: list[int] = []
    real = gloss.gloss
    monkeypatch.setattr(gloss, "gloss", lambda text: seen.append(len(text)) or real(text))
    note = "Pompe IT : remplissage fait, pas d'alarme, site propre. " * 40_000  # 2.2 MB
    READER.summarize(note)
    assert seen and max(seen) <= MAX_NOTE_CHARS
