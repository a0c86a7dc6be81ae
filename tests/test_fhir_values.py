"""FHIR value helpers: the day a record was written, in its own time zone."""

from __future__ import annotations

import datetime as dt

import pytest
from fhir.resources.R4B.period import Period

from cds_service.fhir_values import record_day, to_datetime


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2024-03-01T22:30:00-05:00", dt.date(2024, 3, 1)),  # UTC would say March 2nd
        ("2024-03-01T00:30:00+09:00", dt.date(2024, 3, 1)),  # UTC would say February 29th
        ("2024-03-01", dt.date(2024, 3, 1)),
        ("2024-03", dt.date(2024, 3, 1)),
        ("not a date", None),
        (None, None),
    ],
)
def test_record_day_keeps_the_record_s_own_day(value: str | None, day: dt.date | None) -> None:
    parsed = Period.model_validate({"start": value}).start if value and "T" in value else value
    assert record_day(parsed) == day


def test_record_day_takes_the_first_value_present_and_reads_periods() -> None:
    period = Period.model_validate({"start": "2024-03-01T23:00:00-08:00"})
    assert record_day(None, period, "2020-01-01") == dt.date(2024, 3, 1)
    assert record_day(Period.model_validate({}), "2020-01-01") == dt.date(2020, 1, 1)


def test_to_datetime_stays_utc_for_comparisons() -> None:
    parsed = Period.model_validate({"start": "2024-03-01T22:30:00-05:00"}).start
    assert to_datetime(parsed) == dt.datetime(2024, 3, 2, 3, 30, tzinfo=dt.UTC)
