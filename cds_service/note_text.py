"""Clinical-note text: attachment content (plain text or HTML) to readable text."""

from __future__ import annotations

import base64
import binascii
import html
from html.parser import HTMLParser

MAX_NOTE_BYTES = 1_000_000


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return html.unescape("".join(parser.parts))


def attachment_text(content: bytes | str, content_type: str) -> str | None:
    """Readable text of an attachment's content, or None when it is not text we read.

    fhir.resources already base64-decodes ``Attachment.data`` into bytes; a str is
    still base64 (raw JSON that did not go through the model).
    """
    if isinstance(content, str):
        try:
            content = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            return None
    raw = content[:MAX_NOTE_BYTES]
    media = content_type.split(";")[0].strip().lower()
    if media not in ("text/plain", "text/html", ""):
        return None
    text = raw.decode("utf-8", errors="replace")
    return html_to_text(text) if media == "text/html" else text
