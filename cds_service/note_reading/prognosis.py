"""Prognosis in months from a note's PROGNOSIS mentions ("life expectancy 3 months")."""

from __future__ import annotations

import re

from cds_service.note_reading.mention import Mention

UNITS_IN_MONTHS = {"day": 1 / 30.44, "week": 7 / 30.44, "month": 1.0, "year": 12.0}


def number(text: str) -> float | None:
    found = re.search(r"\d+(?:\.\d+)?", text)
    return float(found.group(0)) if found else None


def months(text: str, mentions: list[Mention]) -> float | None:
    """The shortest asserted prognosis, in months (a shorter one is the safer reading).

    ``text`` is the text the mentions were found in (their offsets point into it).
    """
    found = []
    for mention in mentions:
        if mention.category != "PROGNOSIS" or not mention.asserted:
            continue
        unit = re.search(r"(day|week|month|year)s?\s*$", mention.text, re.I)
        value = number(mention.text.split(unit.group(0))[0][-20:] + unit.group(0)) if unit else None
        if unit and value is not None:
            found.append(value * UNITS_IN_MONTHS[unit.group(1).lower()])
    return min(found) if found else None
