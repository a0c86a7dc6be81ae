"""Code sets as data: (system, code) rules and name fallbacks for each clinical concept.

Rules come from ``data/codesets.json`` (validated by ``schemas/codesets.schema.json``).
A concept matches a coded element by an exact code, a prefix or a range within one
code system; names in ``code.text``/``coding.display`` are a fallback because real
records carry product-level or local codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

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


@dataclass(frozen=True)
class CodedText:
    """A CodeableConcept reduced to what matching needs."""

    codings: tuple[Coding, ...] = ()
    text: str = ""

    def searchable_text(self) -> str:
        parts = [self.text, *(c.display for c in self.codings)]
        return " | ".join(p for p in parts if p).lower()

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


def normalize_code(code: str) -> str:
    return code.strip().upper().replace(".", "")


@dataclass(frozen=True)
class CodeRule:
    system: str
    code: str | None = None
    prefix: str | None = None
    low: str | None = None
    high: str | None = None
    requires_text: tuple[str, ...] = ()

    def matches(self, coding: Coding, text: str) -> bool:
        if coding.system != self.system or not coding.code:
            return False
        value = normalize_code(coding.code)
        if self.code is not None:
            hit = value == normalize_code(self.code)
        elif self.prefix is not None:
            hit = value.startswith(normalize_code(self.prefix))
        else:
            assert self.low is not None and self.high is not None
            low, high = normalize_code(self.low), normalize_code(self.high)
            head = value[: len(low)]
            hit = len(value) >= len(low) and low <= head <= high[: len(low)]
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

    def match(self, coded: CodedText) -> str | None:
        """'code' or 'text' when the element is this concept, else None."""
        text = coded.searchable_text()
        for coding in coded.codings:
            if any(rule.matches(coding, text) for rule in self.rules):
                return "code"
        coded_here = any(c.system in self.systems for c in coded.codings)
        if self.text_fallback == "uncoded-only" and coded_here:
            return None
        if self.names and name_present(text, self.names, self.exclude_names):
            return "text"
        return None


def name_present(text: str, names: tuple[str, ...], exclude: tuple[str, ...] = ()) -> bool:
    """True when one of the names stands in the text as words, not negated or excluded."""
    if not text or any(phrase in text for phrase in exclude):
        return False
    for name in names:
        for found in re.finditer(rf"(?<![a-z]){re.escape(name)}(?![a-z])", text):
            before = text[max(0, found.start() - 25) : found.start()]
            if not any(
                re.search(rf"(?<![a-z]){re.escape(cue)}\W+(\w+\W+)?$", before)
                for cue in NEGATION_CUES
            ):
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

    def _rule(self, body: dict[str, Any]) -> CodeRule:
        system = self.systems.get(body["system"], body["system"])
        low, high = body.get("range", (None, None))
        return CodeRule(
            system=system,
            code=body.get("code"),
            prefix=body.get("prefix"),
            low=low,
            high=high,
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
        )

    def system(self, alias: str) -> str:
        return self.systems[alias]

    def match(self, concept: str, coded: CodedText) -> str | None:
        return self.concepts[concept].match(coded)

    def is_a(self, concept: str, coded: CodedText) -> bool:
        return self.concepts[concept].match(coded) is not None

    def concepts_of(self, coded: CodedText, names: tuple[str, ...]) -> dict[str, str]:
        """Each named concept the element belongs to, with how it matched."""
        found = {}
        for name in names:
            how = self.concepts[name].match(coded)
            if how:
                found[name] = how
        return found

    def ingredients_of(self, coded: CodedText) -> tuple[str, ...]:
        return tuple(name for name, concept in self.ingredients.items() if concept.match(coded))


@cache
def default_codesets() -> CodeSets:
    return CodeSets(load_validated(DATA_DIR / "codesets.json", "codesets.schema.json"))
