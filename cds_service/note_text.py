"""Clinical-note text: attachment content (plain text or HTML) to readable text.

HTML is parsed by libxml2 (through lxml) in one linear pass with recovery on, no network
and no tree: a hostile attachment (unclosed tags, ``<![`` runs, deep nesting, huge
attributes) gives text or an empty string, never an exception or super-linear time.
Structural breaks (blocks, ``<br>``, list items, table rows and cells) become
``SEGMENT_BREAK`` so the note reader never lets one sentence run across them.
"""

from __future__ import annotations

import base64
import binascii

from lxml import etree

MAX_NOTE_BYTES = 1_000_000
# U+2029 PARAGRAPH SEPARATOR: whitespace to every str method, and a hard sentence break to the
# note reader. Plain newlines are not breaks (plain-text notes wrap lines mid-sentence).
SEGMENT_BREAK = "\u2029"
SKIPPED_TAGS = frozenset({"script", "style", "template"})
BREAK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip


class _TextTarget:
    """lxml parser target: collects text as the parser streams events, so no tree is built.

    A streamed target keeps memory and time linear and cannot recurse, however deep the
    nesting; skipped elements are tracked by depth because their end tags may be implied.
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._skip_depth = 0

    def start(self, tag: str | bytes, attrib: dict[str | bytes, str | bytes]) -> None:
        """Open an element: a break before blocks and cells, or start skipping script/style."""
        name = _name(tag)
        if self._skip_depth or name in SKIPPED_TAGS:
            self._skip_depth += 1
        elif name in BREAK_TAGS:
            self._break()

    def end(self, tag: str | bytes) -> None:
        """Close an element: a break after blocks and cells, so neighbours never run together."""
        if self._skip_depth:
            self._skip_depth -= 1
        elif _name(tag) in BREAK_TAGS:
            self._break()

    def data(self, data: str | bytes) -> None:
        """Text content, unless inside script, style or template."""
        if not self._skip_depth:
            self.parts.append(data if isinstance(data, str) else data.decode("utf-8", "replace"))

    def comment(self, text: str | bytes) -> None:
        """Comments are markup, not note text (the parser drops them anyway)."""

    def close(self) -> str:
        """The text gathered so far (also called by us when the parser gives up)."""
        return "".join(self.parts)

    def _break(self) -> None:
        """One break between texts; runs of empty blocks (deep nesting) add no more."""
        if self.parts and self.parts[-1] != SEGMENT_BREAK:
            self.parts.append(SEGMENT_BREAK)


def _name(tag: str | bytes) -> str:
    """An element's lower-case name (lxml gives str; the stubs also allow bytes)."""
    return (tag if isinstance(tag, str) else tag.decode("utf-8", "replace")).lower()


def html_to_text(markup: str) -> str:
    """The text of an HTML fragment or document, with structural breaks as SEGMENT_BREAK.

    Fed as UTF-8 bytes with the encoding fixed, so an in-document ``<?xml encoding?>`` or
    ``<meta charset>`` cannot make lxml refuse or mis-decode it; entities are decoded once by
    libxml2 (the HTML parser loads no DTD and resolves no external entities). Whatever the
    parser could read before an error is kept: broken markup loses only what it garbles.
    """
    target = _TextTarget()
    parser = etree.HTMLParser(
        target=target,
        encoding="utf-8",
        recover=True,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        parser.feed(markup.encode("utf-8", errors="replace"))
        parser.close()
    except etree.LxmlError:
        return target.close()  # with recover=True libxml2 seldom gives up; keep what it read
    return target.close()


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
