"""A drug trial's pain scores charted as a flowsheet column (note_reading/pain_series.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cds_service.note_reading.pain_series import series_response

CASES = json.loads((Path(__file__).parent.parent / "data" / "pain_series_cases.json").read_text())


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["text"][:30])
def test_series_response(case: dict[str, Any]) -> None:
    expected = case["response"]
    assert series_response(case["text"]) == (None if expected is None else tuple(expected))


def test_the_reader_takes_the_column_when_the_prose_gives_no_response() -> None:
    from cds_service.clinical_nlp import default_note_reader

    summary = default_note_reader().summarize(CASES["cases"][1]["text"])
    assert (summary.pain_before, summary.pain_after) == (9, 3)
