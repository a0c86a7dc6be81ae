"""A pump alarm the note explains as a battery or motor alarm, with the reservoir not low,
is not an empty pump (note_reading/pump_alarm.py); any hint of a low reservoir keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cds_service.clinical_nlp import default_note_reader
from cds_service.note_reading import pump_alarm
from cds_service.note_reading.pump_alarm import alarm_explained, another_device

CASES = json.loads((Path(__file__).parent.parent / "data" / "pump_alarm_cases.json").read_text())
READER = default_note_reader()


@pytest.mark.parametrize("text", CASES["explained"])
def test_an_explained_alarm_is_not_an_empty_pump(text: str) -> None:
    assert alarm_explained(text) or another_device(text)
    summary = READER.summarize(text)
    assert not summary.has("EMPTY_PUMP")


@pytest.mark.parametrize("text", CASES["not_explained"])
def test_an_alarm_with_any_sign_of_a_low_reservoir_stands(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks stand down: the reading is what it is with them switched off."""
    assert not (alarm_explained(text) or another_device(text))
    with_checks = READER._read(text, cut=False, budget=None)
    monkeypatch.setattr(pump_alarm, "alarm_explained", lambda _: False)
    monkeypatch.setattr(pump_alarm, "another_device", lambda _: False)
    assert READER._read(text, cut=False, budget=None) == with_checks
