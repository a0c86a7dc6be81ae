"""Attachment content to readable text."""

from __future__ import annotations

import base64

from cds_service.note_text import attachment_text


def test_attachment_text_handles_bytes_base64_and_html() -> None:
    assert attachment_text(b"plain note", "text/plain") == "plain note"
    encoded = base64.b64encode(b"<p>favorable <b>candidate</b></p><script>x</script>").decode()
    assert attachment_text(encoded, "text/html; charset=utf-8").strip() == "favorable candidate"
    assert attachment_text(b"%PDF-1.4", "application/pdf") is None
