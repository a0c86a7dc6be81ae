"""Misspelled concept words are read as the words they stand for (note_reading/spelling.py).

Each blind round of notes had typos in the very words a concept turns on; a miss there is
unsafe when the word documents a contraindication. One edit is corrected, never a real word.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from cds_service.clinical_nlp import NOTE_SPELLING, default_note_reader
from cds_service.note_reading.spelling import MIN_LENGTH, Speller, one_edit

READER = default_note_reader()
ROOT = Path(__file__).resolve().parents[2]
SPELLING = json.loads(NOTE_SPELLING.read_text(encoding="utf-8"))
SPELLER = Speller(SPELLING["words"], SPELLING["realWords"])


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("termnal", "terminal"),
        ("resevoir", "reservoir"),
        ("withdrawl", "withdrawal"),
        ("WITHDRAWL", "WITHDRAWAL"),
        ("Abcess", "Abscess"),
        ("canidate", "candidate"),
        ("purulant", "purulent"),
        ("hosipce", "hospice"),  # two neighbouring letters swapped
        ("menigitis", "meningitis"),
    ],
)
def test_one_edit_from_a_concept_word_reads_as_it(written: str, meant: str) -> None:
    assert SPELLER.meant(written) == meant


@pytest.mark.parametrize(
    "word",
    ["injection", "injected", "germinal", "aseptic", "sceptic", "spending", "terminals",
     "terminar", "hospital", "abscesses", "pump", "cleared"],
)  # fmt: skip
def test_real_words_and_short_words_stay(word: str) -> None:
    assert SPELLER.meant(word) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("skilled visit. termnal dx, comfort focus", "TERMINAL"),
        ("Resevoir aspirated: 0 mL.", "EMPTY_PUMP"),
        ("Pocket abcess noted, I&D today.", "SITE_INFECTION"),
    ],
)
def test_a_misspelled_contraindication_is_read(text: str, category: str) -> None:
    summary = READER.summarize(text)
    assert summary.has(category) or summary.unsure(category), summary


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        # speech recognition splits a long word in two, sometimes misspelling a half
        (
            "no psychological contra indication to proceeding",
            "no psychological contraindication to proceeding",
        ),
        ("intra theocal trial, hydro morphone 0.1 mg", "intrathecal trial, hydromorphone 0.1 mg"),
        ("Intra-thecal pump", "Intrathecal pump"),
        ("contra indication, contra indication", "contraindication, contraindication"),
        # a half shorter than MIN_PART is never joined ("a sepsis" is not "asepsis")
        ("a sepsis workup", "a sepsis workup"),
        ("the infection", "the infection"),
        ("long term pain relief", "long term pain relief"),
    ],
)
def test_a_concept_word_split_in_two_reads_as_one(written: str, meant: str) -> None:
    assert SPELLER.correct(written) == meant


def test_a_split_favorable_conclusion_is_read() -> None:
    from cds_service.clinical_nlp import candidacy

    text = "Assessment: there is no psychological contra indication to proceeding with the trial."
    assert candidacy(READER.summarize(text)) == "favorable"


def test_a_misspelled_negated_finding_stays_negated() -> None:
    summary = READER.summarize("No pocket abcess on ultrasound.")
    assert not summary.has("SITE_INFECTION") and not summary.unsure("SITE_INFECTION")


def test_a_misspelling_two_concept_words_away_is_left_alone() -> None:
    speller = Speller(["infected", "infester"], [])
    assert speller.meant("infected") is None  # a concept word itself
    assert speller.meant("infestede") is None  # far from both
    ambiguous = Speller(["abcdefg", "abcdefh"], [])
    assert ambiguous.meant("abcdefx") is None  # one edit from both


def test_the_real_word_list_only_names_words_one_edit_from_a_concept_word() -> None:
    """The data file is built from a dictionary this machine need not have: it must at least
    be what the builder writes, words one edit from the concept words."""
    variants = {v for w in SPELLING["words"] for v in one_edit(w)}
    assert all(len(w) >= MIN_LENGTH for w in SPELLING["words"])
    assert set(SPELLING["realWords"]) <= variants
    assert SPELLING["words"] == sorted(SPELLING["words"])


def test_the_builder_writes_the_data_file(tmp_path: Path) -> None:
    """Run on a tiny word list, the builder keeps exactly the listed words near concept words."""
    words = tmp_path / "words"
    words.write_text("injection\nhospital\nsceptic\nzebra\n", encoding="utf-8")
    builder = runpy.run_path(str(ROOT / "tools" / "note-concepts" / "build_spelling.py"))
    built = builder["build"](words)
    assert "injection" in built["realWords"] and "sceptic" in built["realWords"]
    assert "hospital" not in built["realWords"] and "zebra" not in built["realWords"]
    assert built["words"] == SPELLING["words"]
