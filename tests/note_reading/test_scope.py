"""Asides: a negation written inside parentheses does not reach the words after them."""

from __future__ import annotations

import pytest

from cds_service.clinical_nlp import default_note_reader
from cds_service.note_reading import scope

READER = default_note_reader()


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("a (b) c", [(2, 4)]),
        ("a (b (c) d) e", [(5, 7), (2, 10)]),
        ("unclosed ( and ) then )", [(9, 15)]),
        ("no parens", []),
        ("(" + "x" * (scope.MAX_ASIDE_CHARS + 1) + ")", []),
    ],
)
def test_asides_are_balanced_short_pairs(text: str, pairs: list[tuple[int, int]]) -> None:
    assert scope.asides(text) == pairs


def _negated(text: str) -> dict[str, bool]:
    doc = READER._run_pipeline(text)
    dropped = scope.dropped_flags(doc)
    return {
        ent.text: ent._.is_negated and "negated" not in dropped.get(ent.start_char, set())
        for ent in doc.ents
    }


def test_a_negation_in_an_aside_stops_at_its_close() -> None:
    flags = _negated("Called back (pt declined transfer) now febrile with meningitis.")
    assert flags["meningitis"] is False


def test_a_negation_outside_still_reaches_into_and_past_an_aside() -> None:
    flags = _negated("No meningitis (LP clear) and no sepsis.")
    assert flags["meningitis"] is True and flags["sepsis"] is True


def test_a_negation_in_an_aside_still_reaches_its_own_words() -> None:
    assert _negated("Pump site (no cellulitis seen) healing.")["cellulitis"] is True


def _flags(text: str, target: str) -> set[str]:
    """The ConText flags that stand for ``target`` in ``text`` after the scope checks."""
    doc = READER._run_pipeline(text)
    dropped = scope.dropped_flags(doc)
    for ent in doc.ents:
        if ent.text == target:
            names = ("negated", "uncertain", "hypothetical", "historical", "family")
            return {
                n
                for n in names
                if getattr(ent._, f"is_{n}" if n != "uncertain" else "is_uncertain")
                and n not in dropped.get(ent.start_char, set())
            }
    raise AssertionError(f"{target!r} not found")


def test_a_grid_cell_takes_no_flag_from_another_cell_or_the_row_label() -> None:
    row = "Pt 60F (IT pump, hx fall): NOT listed (Decision)\nPt 60F (IT pump, hx fall): ~3 mo (LE)"
    assert _flags(row, "(LE)") == set()
    assert READER.summarize(row).prognosis_months == 3.0


def test_a_grid_cell_keeps_its_own_negation_and_the_label_s_other_person() -> None:
    assert "negated" in _flags("Pt 60F: not estimated (LE)", "(LE)")
    assert READER.summarize("Pt's wife: ~3 mo (LE)").prognosis_months is None
