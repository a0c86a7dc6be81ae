"""Clinical-note text: decoding attachments and reading conclusions with negation in mind.

Rules are deliberately conservative: a phrase counts as positive evidence only
when no negation or hedge governs it, and any negative conclusion wins.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
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


_NEGATIVE_CANDIDACY = [
    r"\bnot\s+(?:\w+\s+){0,2}(?:a|an)?\s*(?:suitable|good|favou?rable|appropriate|acceptable|ideal)?\s*candidate",
    r"\b(?:poor|unsuitable|unfavou?rable|inappropriate|questionable)\s+candidate",
    r"\bunfavou?rable\b",
    r"\bdefer(?:s|red|ral|ring)?\b",
    r"\bre-?evaluat(?:e|ion)\b",
    r"\bnot\s+(?:\w+\s+)?cleared\b",
    r"\bnot\s+recommended\b",
    r"\bdoes\s+not\s+recommend\b",
    r"(?<!no )(?<!no psychological )(?<!without )\bcontraindicat",
]
_POSITIVE_CANDIDACY = [
    r"\b(?:favou?rable|good|suitable|appropriate|acceptable|excellent)\s+candidate",
    r"\b(?:psychologically\s+)?cleared\s+(?:for|to\s+proceed)",
    r"\bno\s+psychological\s+contraindications?\b",
    r"\brecommend(?:s|ed)?\s+proceeding\b",
]
_HEDGES = r"\b(?:may|might|possibly|could|would|if|pending|once|unless|until)\b"


def candidacy_conclusion(text: str) -> str | None:
    """'favorable', 'unfavorable', or None when the text states no clear conclusion."""
    lowered = " ".join(text.lower().split())
    if any(re.search(pattern, lowered) for pattern in _NEGATIVE_CANDIDACY):
        return "unfavorable"
    for pattern in _POSITIVE_CANDIDACY:
        for found in re.finditer(pattern, lowered):
            before = lowered[max(0, found.start() - 40) : found.start()]
            if not re.search(_HEDGES, before) and not re.search(
                r"\b(?:no|not|never)\b\W*$", before
            ):
                return "favorable"
    return None


_INADEQUATE = "|".join(
    [
        r"\b(?:inadequate|insufficient|poor|partial|minimal|no)\s+(?:pain\s+)?"
        r"(?:relief|response|analgesia|control)",
        r"\bineffective\b",
        r"\bnot\s+effective\b",
        r"\black\s+of\s+(?:efficacy|effect|relief)\b",
        r"\bfailed\b",
        r"\bfailure\b",
        r"\bdid\s+not\s+(?:help|work|relieve)\b",
    ]
)
_SIDE_EFFECTS = "|".join(
    [
        r"\bside[\s-]?effects?\b",
        r"\badverse\s+(?:effects?|reactions?|events?)\b",
        r"\bintoleran(?:ce|t)\b",
        r"\bnot\s+tolerated\b",
        r"\b(?:nausea|vomiting|sedation|somnolence|constipation|dizziness|pruritus|confusion)\b",
        r"\brespiratory\s+depression\b",
        r"\bcognitive\s+(?:impairment|dysfunction|effects?)\b",
    ]
)
_NEGATED_REASON = r"\b(?:no|without|denies|denied|not)\s+(?:\w+\s+){0,2}$"


def failure_reasons(text: str) -> frozenset[str]:
    """Which failure reasons a medication's stop reason or note documents."""
    lowered = " ".join(text.lower().split())
    found: set[str] = set()
    for reason, pattern in (("inadequate-relief", _INADEQUATE), ("side-effects", _SIDE_EFFECTS)):
        for match in re.finditer(pattern, lowered):
            before = lowered[max(0, match.start() - 30) : match.start()]
            if reason == "side-effects" and re.search(_NEGATED_REASON, before):
                continue
            found.add(reason)
            break
    return frozenset(found)
