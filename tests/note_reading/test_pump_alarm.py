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
PUMP = ("EMPTY_PUMP", "MISSED_REFILL")


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


@pytest.mark.parametrize("text", CASES["settled_since"])
def test_a_past_episode_settled_by_on_time_refills_since_is_history(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert pump_alarm.settled_since(text)
    summary = READER._read(text, cut=False, budget=None)
    assert not summary.has(*PUMP) and not summary.unsure(*PUMP)
    monkeypatch.setattr(pump_alarm, "settled_since", lambda _: False)
    summary = READER._read(text, cut=False, budget=None)
    assert summary.has(*PUMP) or summary.unsure(*PUMP), "the check decides it"


@pytest.mark.parametrize("text", CASES["not_settled_since"])
def test_a_new_episode_after_the_on_time_refills_stands(text: str) -> None:
    assert not pump_alarm.settled_since(text)
    summary = READER.summarize(text)
    assert summary.has(*PUMP) or summary.unsure(*PUMP)
