"""Misspelled concept words read as the words they stand for.

Every round of notes written by a new author had typos in the words the concepts turn on
("termnal dx", "resevoir", "withdrawl", "abcess", "canidate"), and each one was a miss: a
pattern cannot list every misspelling of every word. So before reading, a word one edit
(a deletion, insertion, substitution or swap of two neighbouring letters) away from a
concept word is read as that word. Only words of at least MIN_LENGTH letters are
corrected (one edit turns a short word into too many real ones), and never a real word:
``note-spelling.json`` lists, beside the concept words, every dictionary word one edit
from one of them ("septic" stays "septic", "sceptic" stays "sceptic"), built by
``tools/note-concepts/build_spelling.py`` from a word list.

Speech recognition also splits a long word in two ("contra indication", "intra theocal",
"hydro morphone"): two words written with one space or hyphen between them that join into a
concept word (or one edit from exactly one) are read as that word. Each part has at least
MIN_PART letters, so a short word before a concept word ("a sepsis") is never joined to it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator

MIN_LENGTH = 6
MIN_PART = 3
WORD = re.compile(rf"\b[A-Za-z]{{{MIN_LENGTH},}}\b")
# Two words that may be one split in two. The second is a lookahead, so every neighbouring
# pair is tried ("psychological contra indication": "contra indication" after a pair that
# does not join).
SPLIT_PAIR = re.compile(rf"\b([A-Za-z]{{{MIN_PART},}})[ -](?=([A-Za-z]{{{MIN_PART},}})\b)")


def one_edit(word: str) -> Iterator[str]:
    """Every string one deletion, swap, substitution or insertion (a-z) from ``word``."""
    letters = string.ascii_lowercase
    for at in range(len(word) + 1):
        head, tail = word[:at], word[at:]
        if tail:
            yield head + tail[1:]
            for letter in letters:
                if letter != tail[0]:
                    yield head + letter + tail[1:]
        if len(tail) > 1:
            yield head + tail[1] + tail[0] + tail[2:]
        for letter in letters:
            yield head + letter + tail


class Speller:
    """Maps a misspelling to the one concept word it is an edit from (ambiguous ones stay)."""

    def __init__(self, words: Iterable[str], real_words: Iterable[str]) -> None:
        concept_words = {w.lower() for w in words}
        keep = concept_words | {w.lower() for w in real_words}
        found: dict[str, set[str]] = {}
        for word in concept_words:
            for variant in one_edit(word):
                if len(variant) >= MIN_LENGTH and variant not in keep:
                    found.setdefault(variant, set()).add(word)
        # A misspelling one edit from two concept words is not read as either.
        self._meant = {v: next(iter(w)) for v, w in found.items() if len(w) == 1}
        self._concept_words = frozenset(concept_words)
        # A split word keeps one half as written: the first is the start of a concept word,
        # or the second its end (a cheap test before the two are joined and looked up).
        self._heads = frozenset(w[:i] for w in concept_words for i in range(MIN_PART, len(w)))
        self._tails = frozenset(
            w[i:] for w in concept_words for i in range(1, len(w) - MIN_PART + 1)
        )

    def meant(self, word: str) -> str | None:
        """The concept word ``word`` misspells, in its case (lower, Title or UPPER), or None."""
        correct = self._meant.get(word.lower())
        if correct is None:
            return None
        if word.isupper():
            return correct.upper()
        return correct.capitalize() if word[0].isupper() else correct

    def joined(self, first: str, second: str) -> str | None:
        """The concept word two words split it into, in the first's case, or None."""
        if first.lower() not in self._heads and second.lower() not in self._tails:
            return None
        together = first + second.lower()
        if together.lower() in self._concept_words:
            return together
        return self.meant(together)

    def correct(self, text: str) -> str:
        """``text`` with each misspelled concept word replaced by the word it stands for."""
        return WORD.sub(lambda m: self.meant(m.group()) or m.group(), self._rejoined(text))

    def _rejoined(self, text: str) -> str:
        """``text`` with each concept word split in two written as one word."""
        pieces: list[str] = []
        done = 0
        for pair in SPLIT_PAIR.finditer(text):
            if pair.start() < done:
                continue  # its first word was the second half of a word just joined
            word = self.joined(pair.group(1), pair.group(2))
            if word is not None:
                pieces += [text[done : pair.start()], word]
                done = pair.end() + len(pair.group(2))
        return "".join(pieces) + text[done:] if pieces else text
