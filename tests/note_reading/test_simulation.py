"""A teaching record about no patient asserts nothing (note_reading/simulation.py); a real
record that shares its words is read as any other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cds_service.clinical_nlp import default_note_reader
from cds_service.note_reading.simulation import about_no_patient

CASES = json.loads((Path(__file__).parent.parent / "data" / "simulation_cases.json").read_text())
READER = default_note_reader()


@pytest.mark.parametrize("text", CASES["about_no_patient"])
def test_a_teaching_record_about_no_patient_asserts_nothing(text: str) -> None:
    assert about_no_patient(text)
    summary = READER.summarize(text)
    assert not summary.asserted and not summary.uncertain
    assert READER.screened(text) == frozenset()


@pytest.mark.parametrize("text", CASES["about_a_patient"])
def test_a_record_about_a_patient_is_read(text: str) -> None:
    assert not about_no_patient(text)
    summary = READER.summarize(text)
    assert summary.asserted | summary.uncertain, "the record's findings must still be read"


def test_the_setting_alone_or_the_object_alone_is_not_enough() -> None:
    assert not about_no_patient("Skills lab next week. Pump reservoir empty at today's refill.")
    assert not about_no_patient("Manikin arm used to show the pt where the catheter runs.")
