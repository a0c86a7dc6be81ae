"""A positive culture the note itself calls a contaminant is not an infection
(note_reading/contaminant.py); any sign it is a true infection keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cds_service.clinical_nlp import default_note_reader
from cds_service.note_reading import contaminant

CASES = json.loads((Path(__file__).parent.parent / "data" / "contaminant_cases.json").read_text())
READER = default_note_reader()
INFECTIONS = ("SYSTEMIC_INFECTION", "SITE_INFECTION")


@pytest.mark.parametrize("text", CASES["contaminant"])
def test_a_contaminant_culture_is_no_infection(text: str) -> None:
    assert not READER.summarize(text).has(*INFECTIONS)


@pytest.mark.parametrize("text", CASES["contaminant"])
def test_without_the_rule_the_culture_reads_as_an_infection(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contaminant, "called_contaminant", lambda _: False)
    assert READER._read(text, cut=False, budget=None).has(*INFECTIONS)


@pytest.mark.parametrize(
    ("check", "text"),
    [("called_contaminant", t) for t in CASES["infection"]]
    + [("called_colonization", t) for t in CASES["colonization_doubted"]],
)
def test_a_true_infection_or_a_doubted_colonization_stands(
    check: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check stands down (beside the word contaminant, a colonization doubted or in CSF):
    the reading is what it is with it switched off."""
    assert not getattr(contaminant, check)(text)
    with_check = READER._read(text, cut=False, budget=None)
    monkeypatch.setattr(contaminant, check, lambda _: False)
    assert READER._read(text, cut=False, budget=None) == with_check


@pytest.mark.parametrize("text", CASES["contaminant_beside_infection"])
def test_other_infection_words_beside_a_contaminant_stand(text: str) -> None:
    assert contaminant.called_contaminant(text)
    summary = READER.summarize(text)
    assert summary.has(*INFECTIONS) or summary.unsure(*INFECTIONS)


@pytest.mark.parametrize("text", CASES["colonization"])
def test_a_swab_called_colonization_without_infection_is_no_infection(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert contaminant.called_colonization(text)
    assert not READER.summarize(text).has(*INFECTIONS)
    monkeypatch.setattr(contaminant, "called_colonization", lambda _: False)
    assert READER._read(text, cut=False, budget=None).has(*INFECTIONS), "the rule decides it"
