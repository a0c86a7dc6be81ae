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


def coded_many(concepts: list[Any] | None) -> CodedText:
    """Several CodeableConcepts (e.g. Procedure.outcome plus reasonCode) merged into one."""
    codings: list[Coding] = []
    texts: list[str] = []
    for concept in concepts or []:
        one = coded(concept)
        codings.extend(one.codings)
        if one.text:
            texts.append(one.text)
    return CodedText(codings=tuple(codings), text=" | ".join(texts))


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


def period_bounds(period: Any) -> tuple[dt.datetime | None, dt.datetime | None]:
    if period is None:
        return None, None
    return to_datetime(period.start), to_datetime(period.end)


def notes_text(annotations: list[Any] | None) -> str:
    return " | ".join(a.text for a in (annotations or []) if getattr(a, "text", None))


def reference_id(reference: Any, resource_type: str) -> str | None:
    """The id in a Reference to ``resource_type`` (relative or absolute), else None."""
    target = getattr(reference, "reference", None)
    if not target or f"{resource_type}/" not in target:
        return None
    return str(target.rsplit(f"{resource_type}/", 1)[1].split("/")[0])


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
