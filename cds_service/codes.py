"""Code sets as data: (system, code) rules and name fallbacks for each clinical concept.

Rules come from ``data/codesets.json`` (validated by ``schemas/codesets.schema.json``).
A concept matches a coded element by an exact code, a prefix or a range within one
code system; names in ``code.text``/``coding.display`` are a fallback because real
records carry product-level or local codes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from types import MappingProxyType
from typing import Any

from cachetools import LRUCache

from cds_service.resources import DATA_DIR, load_validated

NEGATION_CUES = (
    "no",
    "not",
    "denies",
    "without",
    "rule out",
    "r/o",
    "history of",
    "hx of",
    "negative for",
)


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str = ""

    @cached_property
    def normalized(self) -> str:
        return normalize_code(self.code)


@dataclass(frozen=True)
class CodedText:
    """A CodeableConcept reduced to what matching needs."""

    codings: tuple[Coding, ...] = ()
    text: str = ""

    @cached_property
    def _searchable(self) -> str:
        parts = [self.text, *(c.display for c in self.codings)]
        return " | ".join(p for p in parts if p).lower()

    def searchable_text(self) -> str:
        return self._searchable

    def label(self) -> str:
        """A short human label: text, else the first display, else system|code."""
        if self.text:
            return self.text
        for coding in self.codings:
            if coding.display:
                return coding.display
        return ", ".join(f"{c.code}" for c in self.codings) or "(uncoded)"

    def __bool__(self) -> bool:
        return bool(self.codings or self.text)


MATCH_CACHE_BYTES = 8 * 1024 * 1024
MATCH_CACHE_MAX_KEY_BYTES = 4096
_ENTRY_OVERHEAD_BYTES = 256  # the key tuple, the answer mapping and the cache's own links


def coded_size(coded: CodedText) -> int:
    """Roughly the bytes a coded element holds: its text and every coding's strings."""
    return len(coded.text) + sum(
        len(c.system) + len(c.code) + len(c.display) + 48 for c in coded.codings
    )


def _entry_size(found: Mapping[str, str]) -> int:
    return _ENTRY_OVERHEAD_BYTES + sum(len(k) + len(v) for k, v in found.items())


def normalize_code(code: str) -> str:
    return code.strip().upper().replace(".", "")


@dataclass(frozen=True)
class CodeRule:
    """One code, prefix or range in one system; values are stored normalized (no dots, upper)."""

    system: str
    code: str | None = None
    prefix: str | None = None
    low: str | None = None
    high: str | None = None
    requires_text: tuple[str, ...] = ()

    def matches(self, value: str, text: str) -> bool:
        """Whether a normalized code of this rule's system matches (text for requiresText)."""
        if self.code is not None:
            hit = value == self.code
        elif self.prefix is not None:
            hit = value.startswith(self.prefix)
        else:
            assert self.low is not None and self.high is not None
            head = value[: len(self.low)]
            hit = len(value) >= len(self.low) and self.low <= head <= self.high[: len(self.low)]
        if hit and self.requires_text:
            return any(word in text for word in self.requires_text)
        return hit


@dataclass(frozen=True)
class Concept:
    name: str
    description: str
    rules: tuple[CodeRule, ...]
    names: tuple[str, ...]
    exclude_names: tuple[str, ...]
    text_fallback: str
    systems: frozenset[str] = field(default_factory=frozenset)
    names_pattern: re.Pattern[str] | None = None
    rules_by_system: dict[str, tuple[CodeRule, ...]] = field(default_factory=dict, compare=False)

    def match(self, coded: CodedText) -> str | None:
        """'code' or 'text' when the element is this concept, else None."""
        coded_here = False
        for coding in coded.codings:
            rules = self.rules_by_system.get(coding.system)
            if rules is None or not coding.code:
                continue
            coded_here = True
            value = coding.normalized
            if any(rule.matches(value, coded.searchable_text()) for rule in rules):
                return "code"
        text = coded.searchable_text()
        if self.text_fallback == "uncoded-only" and coded_here:
            return None
        if self.names_pattern is not None and name_present(
            text, self.names_pattern, self.exclude_names
        ):
            return "text"
        return None


_NEGATION_BEFORE = re.compile(
    "(?<![a-z])(?:" + "|".join(re.escape(cue) for cue in NEGATION_CUES) + r")\W+(\w+\W+)?$"
)


def names_regex(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled alternation of a concept's names, matched as whole words."""
    if not names:
        return None
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{alternation})(?![a-z])")


def name_present(text: str, pattern: re.Pattern[str], exclude: tuple[str, ...] = ()) -> bool:
    """True when one of the names stands in the text as words, not negated or excluded."""
    if not text or any(phrase in text for phrase in exclude):
        return False
    for found in pattern.finditer(text):
        if not _NEGATION_BEFORE.search(text[max(0, found.start() - 25) : found.start()]):
            return True
    return False


class CodeSets:
    """All concepts of the code-set file, with system aliases resolved to URIs."""

    def __init__(self, document: dict[str, Any]):
        self.version: str = document["version"]
        self.systems: dict[str, str] = document["systems"]
        self.concepts: dict[str, Concept] = {
            name: self._concept(name, body) for name, body in document["concepts"].items()
        }
        self.ingredients: dict[str, Concept] = {
            name: self._concept(name, {**body, "description": name, "textFallback": "always"})
            for name, body in document["ingredients"].items()
        }
        self.hcpcs_drug_units: dict[str, dict[str, Any]] = document["hcpcsDrugUnits"]
        # The same codes recur throughout a record (and across calls): remember the answers,
        # in a cache bounded by the bytes of its keys (free text can be arbitrarily long).
        # Values are (answer, bytes of key and answer): cachetools sizes entries by value.
        self._match_cache: LRUCache[
            tuple[CodedText, tuple[str, ...]], tuple[Mapping[str, str], int]
        ] = LRUCache(maxsize=MATCH_CACHE_BYTES, getsizeof=lambda entry: entry[1])
        self._match_lock = threading.Lock()

    def _rule(self, body: dict[str, Any]) -> CodeRule:
        system = self.systems.get(body["system"], body["system"])
        low, high = body.get("range", (None, None))

        def norm(value: str | None) -> str | None:
            return normalize_code(value) if value is not None else None

        return CodeRule(
            system=system,
            code=norm(body.get("code")),
            prefix=norm(body.get("prefix")),
            low=norm(low),
            high=norm(high),
            requires_text=tuple(body.get("requiresText", ())),
        )

    def _concept(self, name: str, body: dict[str, Any]) -> Concept:
        rules = tuple(self._rule(rule) for rule in body["codes"])
        return Concept(
            name=name,
            description=body["description"],
            rules=rules,
            names=tuple(n.lower() for n in body["names"]),
            exclude_names=tuple(n.lower() for n in body.get("excludeNames", ())),
            text_fallback=body["textFallback"],
            systems=frozenset(rule.system for rule in rules),
            rules_by_system={
                system: tuple(r for r in rules if r.system == system)
                for system in {r.system for r in rules}
            },
            names_pattern=names_regex(tuple(n.lower() for n in body["names"])),
        )

    def system(self, alias: str) -> str:
        return self.systems[alias]

    def match(self, concept: str, coded: CodedText) -> str | None:
        return self.concepts[concept].match(coded)

    def is_a(self, concept: str, coded: CodedText) -> bool:
        return self.concepts[concept].match(coded) is not None

    def concepts_of(self, coded: CodedText, names: tuple[str, ...]) -> Mapping[str, str]:
        """Each named concept the element belongs to, with how it matched (cached, read-only)."""
        key = (coded, names)
        key_bytes = coded_size(coded) + sum(len(n) for n in names)
        if key_bytes > MATCH_CACHE_MAX_KEY_BYTES:
            return self._concepts_of(coded, names)  # one-off long text: not worth keeping
        with self._match_lock:
            entry = self._match_cache.get(key)
        if entry is not None:
            return entry[0]
        found = self._concepts_of(coded, names)
        with self._match_lock:
            self._match_cache[key] = (found, key_bytes + _entry_size(found))
        return found

    def cached_bytes(self) -> int:
        """What the match cache holds now, by its own byte accounting."""
        with self._match_lock:
            return int(self._match_cache.currsize)

    def _concepts_of(self, coded: CodedText, names: tuple[str, ...]) -> Mapping[str, str]:
        """Each named concept the element belongs to, with how it matched."""
        found = {}
        for name in names:
            how = self.concepts[name].match(coded)
            if how:
                found[name] = how
        return MappingProxyType(found)  # shared through the cache: read-only

    def ingredients_of(self, coded: CodedText) -> tuple[str, ...]:
        return tuple(name for name, concept in self.ingredients.items() if concept.match(coded))


@cache
def default_codesets() -> CodeSets:
    return CodeSets(load_validated(DATA_DIR / "codesets.json", "codesets.schema.json"))
