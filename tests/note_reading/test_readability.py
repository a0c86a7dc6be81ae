"""A note the reader cannot read (another language, an OCR-garbled scan) is never read as
"nothing found": its summary is incomplete, so criteria say "could not be fully checked"."""

from __future__ import annotations

import pytest

from cds_service.clinical_nlp import default_note_reader
from cds_service.note_reading.readability import unreadable_reason

READER = default_note_reader()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Paciente en hospicio desde el lunes. Residual 2.8 mL (esperado 3.0).", "language"),
        ("Pronóstico: menos de 3 meses. Family informed via interpreter.", "language"),
        ("Hemocultivos positivos 2/2 para S. aureus. Pump pocket sin eritema.", "language"),
        ("Catheter tract ce1lu1itis extending frorn 1urnbar incision to left f1ank.", "ocr"),
        ("I told thern that in rny opinion her prognosis is l-2 rnonths at horne.", "ocr"),
        ("SNF TRANSFER F0RM pg 2. Admitted t0 h0spice 8/l4, c0ntinue IT pump.", "ocr"),
        # ordinary English notes, with the words that look like the signals
        ("Pump refilled, residual 2.8 mL. Hospice: [N]. Psych clearance: [Y].", None),
        ("HbA1c 7.2, hba1c 7.0. Oxycodone 5 mg prn. Return in 4 weeks; turn q2h.", None),
        ("MRN A0593, room B1, level L1-S1, CO2 24, T10.", None),
        ("Dolor lumbar (pt's word). Para 2. Morning pain 6/10, T10 level.", None),
    ],
)
def test_unreadable_reason(text: str, reason: str | None) -> None:
    assert unreadable_reason(text) == reason


def test_an_unreadable_note_is_incomplete_and_may_mention_everything() -> None:
    text = "Nota de hospicio. Esperanza de vida: semanas. Bomba intratecal sin alarmas."
    assert READER.may_mention(text, ("TERMINAL",))
    summary = READER.summarize(text)
    assert not summary.complete
    assert not summary.has("TERMINAL")  # nothing is asserted from it either


def test_what_an_unreadable_note_does_state_still_counts() -> None:
    text = "Pump pocket abscess with purulent drainage. Hemocultivos positivos para S. aureus."
    summary = READER.summarize(text + " Sin fiebre, con dolor de la herida.")
    assert not summary.complete and summary.has("SITE_INFECTION")
