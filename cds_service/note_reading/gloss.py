"""French clinical wording, read as the English the note reader knows.

Notes from francophone and bilingual health systems (Quebec, New Brunswick, Ontario,
France, Belgium, Switzerland) say "pompe vide", "abcès de la pochette", "pronostic : 3 à 6
mois", "pas de contre-indication psychologique". The concepts, ConText rules and number
readers are written for English, so a note that reads as French is glossed first: phrase by
phrase (the longest listed phrase wins, matched without accents), into English words in
the same order, with French number forms ("2,5 mL", "3 à 6", "EN 8", "1 an") written the
English way. What the table does not list stays as written. The gloss is deliberately
word-order-preserving and dumb: it gives ConText "no", "history of", "his mother", "if"
where the French has them, so negation, history, other people and hypotheticals keep
their meaning, and it never invents a finding a listed phrase does not name.

A note is glossed only when it reads as French (``minMarkers`` marker words, two of them
different), so an English note is never touched. The table is data
(``data/note-gloss-fr.json``, validated at start-up); the summary of a note keeps no
offsets into its text, so nothing downstream needs the French positions.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from cds_service.resources import DATA_DIR, load_validated

_TABLE = load_validated(DATA_DIR / "note-gloss-fr.json", "note-gloss.schema.json")
MARKERS = frozenset(_TABLE["markers"])
MIN_MARKERS: int = _TABLE["minMarkers"]
# A word with its elided article ("d'", "l'", "qu'"), a word (hyphens inside), a number, or
# a sign that a phrase may hold ("hémocultures +", "70 %").
TOKEN = re.compile(r"[a-z]+'|[a-z0-9]+(?:-[a-z0-9]+)*|[+%]")
# Scales written the French way before a score: "EN 8", "ENS: 7", "ENA 6/10" (capitals only:
# "en" is also "in").
FRENCH_NRS = re.compile(r"\bEN[SA]?\b(?=\s*(?:[:=]?\s*\d|[|(]|/10|$))", re.M)
DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
NUMBER_RANGE = re.compile(
    r"(?<=\d)(\s*(?:%|/10|mm|mois|semaines|jours|ans?)?)\s+a\s+(?=[<>]?\s*\d)"
)
FROM_NUMBER = re.compile(r"\bde\s+(?=\d+(?:\.\d+)?\s*(?:/10|mm|%)?\s+to\s)")
YEARS = re.compile(r"(?<=\d)\s*ans?\b")
SPACED_PERCENT = re.compile(r"(?<=\d)\s+%")
CLOCK = re.compile(r"\b(\d{1,2})h(\d{2})?\b")
# "en retard de 4 jours": the English reader knows "4 days overdue"
LATE_BY = re.compile(r"\ben\s+retard\s+(?:de\s+|d'environ\s+)?(\d+)\s*(j|jours?|sem\w*)\b", re.I)
SCAN_CHARS = 20_000  # as the readability check: the start of a note tells its language


def _fold(text: str) -> str:
    """The text without accents ("abcès" -> "abces"), with typographic apostrophes plain."""
    # guillemets mark reported words ("la pompe est « à sec »"), not doubt: read them plain
    text = text.replace("\u2019", "'").replace("œ", "oe").replace("Œ", "OE")
    text = text.replace("«\u00a0", "").replace("\u00a0»", "").replace("« ", "").replace(" »", "")
    text = text.replace("«", "").replace("»", "")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key(phrase: str) -> str:
    return " ".join(TOKEN.findall(phrase))


PHRASES: dict[str, str] = {}
for _entry in _TABLE["phrases"]:
    PHRASES.setdefault(_key(_entry["fr"]), _entry["en"])
LONGEST = max(len(key.split(" ")) for key in PHRASES)


# A word written with a letter French has and English does not ("récupéré", "à", "fièvre"):
# a short French line ("Hémocultures positives à SARM") may hold a single marker word.
ACCENTED_WORD = re.compile(r"\w*[éèêëàâçîïôûùœ]\w*", re.I)


def reads_as_french(text: str) -> bool:
    """Whether the start of the text holds enough French marker words (or words with French
    accents) to be French."""
    sample = text[:SCAN_CHARS]
    words = TOKEN.findall(_fold(sample).lower())
    found = [w for w in words if w in MARKERS]
    found += [w.lower() for w in ACCENTED_WORD.findall(sample)]
    return len(found) >= MIN_MARKERS and len(set(found)) >= 2


def gloss(text: str) -> str:
    """The text in the reader's English when it reads as French; otherwise unchanged."""
    if not reads_as_french(text):
        return text
    return _gloss(text)


# Cached: the criteria of one call ask for the same notes again; the reader reads at most
# MAX_NOTE_CHARS of a note, so the cache is bounded by 64 such texts.
@lru_cache(maxsize=64)
def _gloss(text: str) -> str:
    folded = _fold(FRENCH_NRS.sub("NRS", text))
    folded = DECIMAL_COMMA.sub(".", folded)
    folded = CLOCK.sub(lambda m: f"{m.group(1)}:{m.group(2) or '00'}", folded)
    folded = LATE_BY.sub(_late_by, folded)
    folded = NUMBER_RANGE.sub(r"\1 to ", folded)
    folded = FROM_NUMBER.sub("from ", folded)
    folded = YEARS.sub(" years", folded)
    folded = SPACED_PERCENT.sub("%", folded)
    lower = folded.lower()
    if len(lower) != len(folded):  # a character whose lower case is longer: read it lower
        folded = lower
    tokens = list(TOKEN.finditer(lower))
    out: list[str] = []
    at = 0
    index = 0
    while index < len(tokens):
        span = _longest_phrase(tokens, index, lower)
        if span == 0:
            index += 1
            continue
        first, last = tokens[index], tokens[index + span - 1]
        key = " ".join(t.group() for t in tokens[index : index + span])
        english = PHRASES[key]
        out.append(folded[at : first.start()])
        out.append(english + (" " if key.endswith("'") else ""))
        at = last.end()
        index += span
    out.append(folded[at:])
    return "".join(out)


def _late_by(found: re.Match[str]) -> str:
    unit = "weeks" if found.group(2).lower().startswith("s") else "days"
    return f"{found.group(1)} {unit} overdue"


def _longest_phrase(tokens: list[re.Match[str]], index: int, lower: str) -> int:
    """How many tokens from ``index`` make the longest listed phrase (0: none), the tokens
    of a phrase being separated by spaces only (never a line break or punctuation)."""
    best = 0
    words: list[str] = []
    for offset in range(min(LONGEST, len(tokens) - index)):
        token = tokens[index + offset]
        if offset:
            previous = tokens[index + offset - 1]
            gap = lower[previous.end() : token.start()]
            if gap.strip(" \t") or (gap == "" and not previous.group().endswith("'")):
                break
        words.append(token.group())
        if " ".join(words) in PHRASES:
            best = offset + 1
    return best
