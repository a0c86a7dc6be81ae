"""Note reading: candidacy conclusions and failure reasons, with negation and hedging."""

from __future__ import annotations

import base64

import pytest

from cds_service.note_text import attachment_text, candidacy_conclusion, failure_reasons


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
        ("May be a suitable candidate pending further testing.", None),
        ("Evaluation completed; report to follow.", None),
        (
            "Good candidate overall, but psychiatry recommends deferral until sobriety.",
            "unfavorable",
        ),
    ],
)
def test_candidacy_conclusion(text: str, expected: str | None) -> None:
    assert candidacy_conclusion(text) == expected


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
    assert failure_reasons(text) == expected


def test_attachment_text_handles_bytes_base64_and_html() -> None:
    assert attachment_text(b"plain note", "text/plain") == "plain note"
    encoded = base64.b64encode(b"<p>favorable <b>candidate</b></p><script>x</script>").decode()
    assert attachment_text(encoded, "text/html; charset=utf-8").strip() == "favorable candidate"
    assert attachment_text(b"%PDF-1.4", "application/pdf") is None
