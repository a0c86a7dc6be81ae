"""Code sets as data: (system, code) rules and name fallbacks for each clinical concept.

Rules come from ``data/codesets.json`` (validated by ``schemas/codesets.schema.json``).
A concept matches a coded element by an exact code, a prefix or a range within one
code system; names in ``code.text``/``coding.display`` are a fallback because real
records carry product-level RxNorm codes, local codes, or SNOMED CT codes that we do
not enumerate (we hold a few SNOMED codes per concept, never the whole hierarchy).

Which codings switch the name fallback off is data too: ``enumeratedSystems`` lists
the systems whose rules enumerate a concept (ICD-10-CM ranges, CPT, HCPCS, LOINC), so
an ICD-10 history code ``Z85.3 "Personal history of malignant neoplasm of breast"`` is
deliberately not a malignancy, while a SNOMED code we do not list falls back to its
display. Negation cues (``negation``) and per-concept exclusions keep "history of",
"suspected", "in situ" or "ruled out" from counting.
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

from cds_service.errors import ConfigurationError
from cds_service.resources import DATA_DIR, load_validated

# Names are looked for in at most the first NAME_TEXT_PART_CHARS characters of code.text
# and of each coding display, and in at most NAME_TEXT_MAX_PARTS of those parts: a real
# display is under 300 characters (RxNorm SCD/SBD names included), while a caller may
# pass a megabyte of free text as code.text. Bounding the text bounds every regex below,
# so a match costs O(NAME_TEXT_MAX_CHARS) whatever the input.
NAME_TEXT_PART_CHARS = 1000
NAME_TEXT_MAX_PARTS = 16
NAME_TEXT_MAX_CHARS = NAME_TEXT_MAX_PARTS * (NAME_TEXT_PART_CHARS + 3)
# How far around a found name the negation cues are looked for (characters).
NEGATION_WINDOW_CHARS = 80

_DASHES = re.compile(r"[-\u2010-\u2015_]+")
_SPACES = re.compile(r"\s+")


def normalize_name_text(text: str) -> str:
    """Lower case, dashes as spaces, white space runs as one: 'Non-small  cell' -> 'non small cell'.

    Names and cues are stored this way too, so spelling variants of one display match alike.
    """
    return _SPACES.sub(" ", _DASHES.sub(" ", text.lower())).strip()


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

    @cached_property
    def _name_text(self) -> str:
        parts = [self.text, *(c.display for c in self.codings)]
        kept = [p[:NAME_TEXT_PART_CHARS] for p in parts if p][:NAME_TEXT_MAX_PARTS]
        return " | ".join(normalize_name_text(p) for p in kept)

    def name_text(self) -> str:
        """Text and displays for name matching: bounded (see NAME_TEXT_PART_CHARS), normalized."""
        return self._name_text

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
class RuleSet:
    """The rules of one concept in one system: exact codes in a set, the rest scanned."""

    exact: frozenset[str]
    other: tuple[CodeRule, ...]

    @classmethod
    def of(cls, rules: tuple[CodeRule, ...]) -> RuleSet:
        exact = frozenset(r.code for r in rules if r.code is not None and not r.requires_text)
        other = tuple(r for r in rules if r.code is None or r.requires_text)
        return cls(exact, other)

    def matches(self, value: str, text: str) -> bool:
        return value in self.exact or any(rule.matches(value, text) for rule in self.other)


def _rule_sets(rules: tuple[CodeRule, ...]) -> dict[str, RuleSet]:
    systems = {r.system for r in rules}
    return {s: RuleSet.of(tuple(r for r in rules if r.system == s)) for s in systems}


def _alternation(phrases: tuple[str, ...]) -> str:
    return "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))


def names_regex(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled alternation of (normalized) names, matched as whole words.

    Word edges are letters only, as before: 'morphine10mg' in free text still names morphine.

    A name written ``*sarcoma`` also matches as the end of a longer word (liposarcoma,
    osteosarcoma): morphology suffixes that a list of whole words cannot enumerate. The
    match still starts at the word's start, so negation cues before it are read.
    """
    words = tuple(n for n in names if not n.startswith("*"))
    suffixes = tuple(n[1:] for n in names if n.startswith("*"))
    if not words and not suffixes:
        return None
    options = [f"(?:{_alternation(words)})"] if words else []
    if suffixes:
        options.append(rf"[a-z]*(?:{_alternation(suffixes)})")
    return re.compile(rf"(?<![a-z])(?:{'|'.join(options)})(?![a-z])")


# Words that end a negation's scope ("no fever but cellulitis": cellulitis stands).
_SCOPE_ENDS = r"(?:but|however|although|though|except|yet)(?![a-z])"
# What may stand between a before-cue and the name: not the end of a clause.
_SEP_BEFORE = r"[^\w|;.,]+"
# After the name a comma may stand before the cue: "leukemia, in remission".
_SEP_AFTER = r"[^\w|;.]+"


@dataclass(frozen=True)
class Negation:
    """Compiled negation cues from the code-set file (NegEx-style, for short coded elements).

    A cue before a name negates it when at most ``maxWordsBefore`` words stand between in
    the same clause; a cue after it, when at most ``maxWordsAfter`` words do. Pseudo
    phrases ("no relief from") start like a cue but negate nothing. Each check reads at
    most NEGATION_WINDOW_CHARS characters around the name, so the whole scan is linear.
    """

    before: re.Pattern[str]
    after: re.Pattern[str] | None

    @classmethod
    def from_document(cls, body: Mapping[str, Any]) -> Negation:
        before = tuple(normalize_name_text(c) for c in body["before"])
        after = tuple(normalize_name_text(c) for c in body["after"])
        pseudo = tuple(normalize_name_text(c) for c in body["pseudo"])
        not_pseudo = rf"(?!(?:{_alternation(pseudo)})(?![a-z]))" if pseudo else ""
        word = rf"(?!{_SCOPE_ENDS})\w+"
        before_re = re.compile(
            rf"(?<![a-z]){not_pseudo}(?:{_alternation(before)})"
            rf"(?:{_SEP_BEFORE}{word}){{0,{int(body['maxWordsBefore'])}}}{_SEP_BEFORE}$"
        )
        after_re = (
            re.compile(
                rf"(?:{_SEP_AFTER}{word}){{0,{int(body['maxWordsAfter'])}}}{_SEP_AFTER}"
                rf"(?:{_alternation(after)})(?![a-z])"
            )
            if after
            else None
        )
        return cls(before_re, after_re)

    def negated(self, text: str, start: int, end: int) -> bool:
        """Whether the name at text[start:end] stands in a cue's scope."""
        if self.before.search(text, max(0, start - NEGATION_WINDOW_CHARS), start):
            return True
        return self.after is not None and bool(
            self.after.match(text, end, min(len(text), end + NEGATION_WINDOW_CHARS))
        )


def name_present(
    text: str,
    pattern: re.Pattern[str],
    negation: Negation,
    exclude: re.Pattern[str] | None = None,
) -> bool:
    """True when one of the names stands in the text as words, not negated or excluded.

    Only the first NAME_TEXT_MAX_CHARS characters are read (normalized first, so names
    and cues are matched dash- and space-insensitively): the work is bounded however
    long the caller's text is, and every regex here is applied to that bounded text or
    to a window of NEGATION_WINDOW_CHARS around one match.
    """
    text = normalize_name_text(text[:NAME_TEXT_MAX_CHARS])
    if not text or (exclude is not None and exclude.search(text)):
        return False
    return any(not negation.negated(text, m.start(), m.end()) for m in pattern.finditer(text))


@dataclass(frozen=True)
class Concept:
    name: str
    description: str
    rules: tuple[CodeRule, ...]
    names: tuple[str, ...]
    exclude_names: tuple[str, ...]
    text_fallback: str
    negation: Negation
    systems: frozenset[str] = field(default_factory=frozenset)
    enumerated_systems: frozenset[str] = field(default_factory=frozenset)
    names_pattern: re.Pattern[str] | None = None
    exclude_pattern: re.Pattern[str] | None = None
    rules_by_system: dict[str, RuleSet] = field(default_factory=dict, compare=False)
    excludes_by_system: dict[str, RuleSet] = field(default_factory=dict, compare=False)

    def _excluded(self, coded: CodedText, text: str) -> bool:
        for coding in coded.codings:
            rules = self.excludes_by_system.get(coding.system)
            if rules is not None and coding.code and rules.matches(coding.normalized, text):
                return True
        return False

    def match(self, coded: CodedText) -> str | None:
        """'code' or 'text' when the element is this concept, else None.

        An excluded code (excludeCodes) vetoes the element outright. Otherwise a code rule
        wins; failing that, the names count according to textFallback: 'unless-enumerated'
        lets a coding we do not enumerate (SNOMED CT, local) fall back to its display, but
        not one in an enumerated system that this concept has rules for.
        """
        text = coded.name_text()
        if self.excludes_by_system and self._excluded(coded, text):
            return None
        coded_here = enumerated_here = False
        for coding in coded.codings:
            rules = self.rules_by_system.get(coding.system)
            if rules is None or not coding.code:
                continue
            coded_here = True
            enumerated_here = enumerated_here or coding.system in self.enumerated_systems
            if rules.matches(coding.normalized, text):
                return "code"
        if self.text_fallback == "uncoded-only" and coded_here:
            return None
        if self.text_fallback == "unless-enumerated" and enumerated_here:
            return None
        if self.names_pattern is not None and name_present(
            text, self.names_pattern, self.negation, self.exclude_pattern
        ):
            return "text"
        return None


def _check_source_tags(document: Mapping[str, Any]) -> None:
    """Every source a concept or rule cites is in the top-level table: no dangling citation."""
    known = set(document["sources"])
    for name, body in document["concepts"].items():
        rules = [*body["codes"], *body.get("excludeCodes", ())]
        cited = [*body.get("sources", ()), *(r["source"] for r in rules if "source" in r)]
        for tag in cited:
            if tag not in known:
                raise ConfigurationError(f"codesets.json: concepts.{name}: unknown source {tag!r}")


class CodeSets:
    """All concepts of the code-set file, with system aliases resolved to URIs."""

    def __init__(self, document: dict[str, Any]):
        self.version: str = document["version"]
        self.systems: dict[str, str] = document["systems"]
        self.enumerated_systems: frozenset[str] = frozenset(
            self._system_uri(alias, "enumeratedSystems") for alias in document["enumeratedSystems"]
        )
        self.negation = Negation.from_document(document["negation"])
        _check_source_tags(document)
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

    def _system_uri(self, alias: str, where: str) -> str:
        """An alias of 'systems', or a URI as it is; anything else is a typo to refuse."""
        if alias in self.systems:
            return self.systems[alias]
        if ":" in alias:
            return alias
        raise ConfigurationError(f"codesets.json: {where}: unknown code system {alias!r}")

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
            requires_text=tuple(normalize_name_text(w) for w in body.get("requiresText", ())),
        )

    def _concept(self, name: str, body: dict[str, Any]) -> Concept:
        rules = tuple(self._rule(rule) for rule in body["codes"])
        excludes = tuple(self._rule(rule) for rule in body.get("excludeCodes", ()))
        names = tuple(normalize_name_text(n) for n in body["names"])
        exclude_names = tuple(normalize_name_text(n) for n in body.get("excludeNames", ()))
        systems = frozenset(rule.system for rule in rules)
        return Concept(
            name=name,
            description=body["description"],
            rules=rules,
            names=names,
            exclude_names=exclude_names,
            text_fallback=body["textFallback"],
            negation=self.negation,
            systems=systems,
            enumerated_systems=systems & self.enumerated_systems,
            names_pattern=names_regex(names),
            exclude_pattern=names_regex(exclude_names),
            rules_by_system=_rule_sets(rules),
            excludes_by_system=_rule_sets(excludes),
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
