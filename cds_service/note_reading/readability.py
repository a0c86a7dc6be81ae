"""Whether a note is written in a form the reader can read at all.

The note reader knows English clinical wording. A note written (wholly or in good part) in
another language, or a scanned fax whose text came through optical character recognition
with letters turned into digits ("ce1lu1itis", "1ess than 6 rnonths"), can document an
empty pump, an infection or a short prognosis in words no pattern knows. Finding nothing in
such a note is not evidence that nothing is there, so the reader marks its reading
incomplete, and every criterion that reads notes says "could not be fully checked" instead
of "met" (the safety asymmetry, at the level of the whole note).

The checks are cheap counts of words (lists in ``data/note-readability.json``) and of
digit-for-letter tokens, linear in the text and capped in what they scan.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cds_service.resources import DATA_DIR, load_validated

SCAN_CHARS = 20_000  # the start of a long note tells its language and its scan quality
_WORDS = load_validated(DATA_DIR / "note-readability.json", "note-readability.schema.json")
# Words common in notes in another language that are not English words ("no" counts for
# both, and Spanish "y" is also a form's yes: both are left out).
FOREIGN_WORDS = frozenset(w for words in _WORDS["foreignWords"].values() for w in words)
ENGLISH_WORDS = frozenset(_WORDS["englishWords"])
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# A token where OCR put a digit for a letter: a 1 or 0 between lower-case letters
# ("ce1lu1itis", "goa1s") or before them ("1ess", "1urnbar").
OCR_TOKEN = re.compile(
    r"\b(?!\w*a1c\b)(?=[a-z01]*[a-z][01][a-z])[a-z01]{4,}\b|\b[01][a-z]{3,}\b"
    r"|\b(?=[A-Z0]*[A-Z]0[A-Z])[A-Z0]{3,}\b"  # "F0RM", "0NC0L0GY": a zero for an O
)
# OCR also reads "m" as "rn" ("rnonths", "frorn", "purnp"): a token with "rn" that is one of
# these common clinical words once "rn" is read as "m" (English "turn", "return", "concern"
# are not).
M_WORDS = frozenset(_WORDS["ocrMWords"])
DIGIT_IN_WORD = re.compile(r"[a-zA-Z][01]|[01][a-zA-Z]")  # a cheap test before OCR_TOKEN
RN_TOKEN = re.compile(r"\b(?!prn\b)[a-z]*rn[a-z]*\b")  # "prn" is "as needed", not "pm"
MIN_FOREIGN_WORDS = 4  # "dolor", "de la" alone in an English note are not a language
FOREIGN_SHARE = 0.5  # foreign function words at least half as many as English ones
MIN_OCR_TOKENS = 3  # "HbA1c" or one typo is not a scan


def unreadable_reason(text: str) -> str | None:
    """Why the reader cannot read this note ("language", "ocr"), or None when it can."""
    return _reason(text[:SCAN_CHARS])


# Cached: the criteria of one call ask it of the same notes again and again. Keyed by the
# scanned start of the note, so the cache holds at most 512 x SCAN_CHARS characters.
@lru_cache(maxsize=512)
def _reason(sample: str) -> str | None:
    lower = sample.lower()
    words = WORD.findall(lower)
    foreign = sum(w in FOREIGN_WORDS for w in words)
    if foreign >= MIN_FOREIGN_WORDS and foreign >= FOREIGN_SHARE * sum(
        w in ENGLISH_WORDS for w in words
    ):
        return "language"
    garbled = 0
    if DIGIT_IN_WORD.search(sample):
        garbled += len(OCR_TOKEN.findall(sample))
    if "rn" in lower:
        garbled += sum(token.replace("rn", "m") in M_WORDS for token in RN_TOKEN.findall(lower))
    return "ocr" if garbled >= MIN_OCR_TOKENS else None
