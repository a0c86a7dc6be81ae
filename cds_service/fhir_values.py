"""Small readers for FHIR datatypes on fhir.resources models: codes, dates, references."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cds_service.codes import CodedText, Coding

UTC = dt.UTC


def coded(concept: Any) -> CodedText:
    """A CodeableConcept model (or None) as CodedText."""
    if concept is None:
        return CodedText()
    codings = tuple(
        Coding(system=c.system or "", code=c.code or "", display=c.display or "")
        for c in (concept.coding or [])
    )
    return CodedText(codings=codings, text=concept.text or "")


def to_datetime(value: Any) -> dt.datetime | None:
    """A timezone-aware UTC datetime for a FHIR date/dateTime/instant, or None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        for fmt, size in (("%Y", 4), ("%Y-%m", 7)):
            if len(text) == size:
                try:
                    return dt.datetime.strptime(text, fmt).replace(tzinfo=UTC)
                except ValueError:
                    return None
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return to_datetime(parsed)
    return None


def record_day(*values: Any) -> dt.date | None:
    """The calendar day of the first value as the record wrote it, in its own time zone.

    Evidence cites the day the clinician saw: "2024-03-01T22:30-05:00" is March 1st,
    although in UTC it is already March 2nd. Accepts datetimes, dates and Periods.
    """
    for value in values:
        if value is None:
            continue
        if hasattr(value, "start") and not isinstance(value, dt.date | str):
            value = value.start
            if value is None:
                continue
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        parsed = to_datetime(value)
        if parsed is not None:
            return parsed.date()
    return None


def period_bounds(period: Any) -> tuple[dt.datetime | None, dt.datetime | None]:
    if period is None:
        return None, None
    return to_datetime(period.start), to_datetime(period.end)


def notes_text(annotations: list[Any] | None) -> str:
    return " | ".join(a.text for a in (annotations or []) if getattr(a, "text", None))


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
