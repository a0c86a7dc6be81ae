"""Note reading with medspaCy ConText: conclusions, reasons, prognosis, pump events, pain timing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.clinical_nlp import candidacy, default_note_reader, failure_reasons

READER = default_note_reader()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Impression: favorable candidate for intrathecal pump implantation.", "favorable"),
        ("No psychological contraindications; cleared for implantation.", "favorable"),
        ("The patient is not a suitable candidate at this time.", "unfavorable"),
        ("Not a candidate for permanent implantation.", "unfavorable"),
        ("Poor candidate given untreated depression.", "unfavorable"),
        ("Recommend deferring the implant; re-evaluate after treatment.", "unfavorable"),
        ("Would be a good candidate if depression is treated.", None),
        ("Possibly a suitable candidate pending further testing.", None),
        ("Evaluation completed; report to follow.", None),
        (
            "Good candidate overall, but psychiatry recommends deferral until sobriety.",
            "unfavorable",
        ),
        ("Denies suicidal ideation. Favorable candidate.", "favorable"),
    ],
)
def test_candidacy(text: str, expected: str | None) -> None:
    assert candidacy(READER.summarize(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Stopped: inadequate pain relief", {"inadequate-relief"}),
        ("Discontinued due to nausea and sedation", {"side-effects"}),
        ("No side effects; stopped for cost", set()),
        ("Ineffective and not tolerated", {"inadequate-relief", "side-effects"}),
        ("Patient moved away", set()),
    ],
)
def test_failure_reasons(text: str, expected: set[str]) -> None:
    assert failure_reasons(READER.summarize(text)) == expected


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("Metastatic disease. Expected survival approximately 3 months.", 3.0),
        ("Life expectancy of about 6 weeks.", pytest.approx(6 * 7 / 30.44)),
        ("Prognosis: expected to live 2 years or more.", 24.0),
        ("No prognosis discussed.", None),
    ],
)
def test_prognosis(text: str, months: object) -> None:
    assert READER.summarize(text).prognosis_months == months


@pytest.mark.parametrize(
    ("text", "asserted"),
    [
        ("Pump alarm sounded on 11/02; reservoir was empty.", True),
        ("Denies pump alarm.", False),
        ("Educated that if the pump runs empty, life-threatening withdrawal can occur.", False),
        ("Discussed the risk of the pump running empty.", False),
        ("Patient missed refill appointment last week.", True),
    ],
)
def test_empty_pump_events(text: str, asserted: bool) -> None:
    assert READER.summarize(text).has("EMPTY_PUMP", "MISSED_REFILL") is asserted


@pytest.mark.parametrize(
    ("text", "asserted"),
    [
        ("No evidence of infection at the pocket site.", False),
        ("Rule out pocket infection.", False),
        ("Pocket infection resolved.", False),
        ("Erythema and drainage: pocket infection.", True),
        ("Active infection: cellulitis of the flank.", True),
    ],
)
def test_infection_mentions(text: str, asserted: bool) -> None:
    assert READER.summarize(text).has("SITE_INFECTION", "SYSTEMIC_INFECTION") is asserted


def test_hospice_and_terminal_statements() -> None:
    assert READER.summarize("Enrolled in hospice.").has("TERMINAL")
    assert not READER.summarize("Not terminally ill; no hospice referral.").has("TERMINAL")


def test_pain_timeline_from_trial_note() -> None:
    summary = READER.summarize(
        "Baseline pain 9/10. At 6 hours after the intrathecal bolus pain was 3/10; "
        "at 24 hours 6/10."
    )
    assert (summary.pain_before, summary.pain_after) == (9.0, 3.0)


def test_stated_percent_relief_and_its_negation() -> None:
    assert READER.summarize("Trial produced 60% pain relief.").percent_relief == 60.0
    assert READER.summarize("Did not achieve 50% pain relief.").percent_relief is None


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_read_without_error(text: str) -> None:
    summary = READER.summarize(text)
    assert summary.pain_before is None or 0 <= summary.pain_before <= 10
    assert summary.percent_relief is None or 0 <= summary.percent_relief <= 100


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300),
    st.sampled_from(["text/plain", "text/html", "application/pdf", "", "text/html; x"]),
)
def test_any_attachment_bytes_are_decoded_or_refused(data: bytes, content_type: str) -> None:
    from cds_service.note_text import attachment_text

    result = attachment_text(data, content_type)
    assert result is None or isinstance(result, str)
