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
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator

MIN_LENGTH = 6
WORD = re.compile(rf"\b[A-Za-z]{{{MIN_LENGTH},}}\b")


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

    def meant(self, word: str) -> str | None:
        """The concept word ``word`` misspells, in its case (lower, Title or UPPER), or None."""
        correct = self._meant.get(word.lower())
        if correct is None:
            return None
        if word.isupper():
            return correct.upper()
        return correct.capitalize() if word[0].isupper() else correct

    def correct(self, text: str) -> str:
        """``text`` with each misspelled concept word replaced by the word it stands for."""
        return WORD.sub(lambda m: self.meant(m.group()) or m.group(), text)
