"""A contraindication named in an open question is a doubt, not a finding
(note_reading/questions.py)."""

from __future__ import annotations

import pytest

from cds_service.clinical_nlp import default_note_reader

READER = default_note_reader()


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Pocket infected?", "SITE_INFECTION"),
        ("Call from home RN: is the pump empty already?", "EMPTY_PUMP"),
        ("Claims query: was the insured terminally ill at purchase?", "TERMINAL"),
    ],
)
def test_an_open_question_is_a_doubt(text: str, category: str) -> None:
    summary = READER.summarize(text)
    assert summary.unsure(category) and not summary.has(category)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Pocket infected? Yes - purulent drainage.", "SITE_INFECTION"),
        ("Pump empty? Y", "EMPTY_PUMP"),
        ("Pocket infection with purulent drainage. Fever?", "SITE_INFECTION"),
    ],
)
def test_a_question_answered_on_the_spot_or_elsewhere_in_the_sentence_stands(
    text: str, category: str
) -> None:
    assert READER.summarize(text).has(category)


def test_a_question_answered_later_by_a_negation_is_settled() -> None:
    text = "Query: was she terminally ill at purchase? Answer: no evidence of terminal illness."
    summary = READER.summarize(text)
    assert not summary.has("TERMINAL") and not summary.unsure("TERMINAL")


@pytest.mark.parametrize(
    "text",
    [
        "Any pump alarm since the last refill?\nNo\nNext refill: 8/12",
        "Pump alarm since last refill? No.",
    ],
)
def test_a_question_answered_no_is_a_negation(text: str) -> None:
    summary = READER.summarize(text)
    assert not summary.has("EMPTY_PUMP") and not summary.unsure("EMPTY_PUMP")


def test_an_answer_that_is_no_answer_leaves_the_doubt() -> None:
    assert READER.summarize("Is the pump empty? No idea, she says.").unsure("EMPTY_PUMP")
