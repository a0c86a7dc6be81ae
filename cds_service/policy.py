"""Medical-necessity policies: which criteria apply to which request, and their settings.

A policy is a data file validated by ``schemas/policy.schema.json`` when it is
loaded, so a bad file stops the service at start-up rather than mid-request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cds_service.errors import ConfigurationError
from cds_service.resources import POLICY_DIR, load_validated

POLICY_SCHEMA = "policy.schema.json"


@dataclass(frozen=True)
class DoseRange:
    ingredient: str
    typical_max_mg_per_day: float
    typical_min_mg_per_day: float | None
    long_term_max_mg_per_day: float | None
    source: str


@dataclass(frozen=True)
class Policy:
    name: str
    version: str
    description: str
    settings: dict[str, Any]
    dose_ranges: tuple[DoseRange, ...]
    requirements: dict[str, dict[str, tuple[str, ...]]]

    def required_criteria(self, request_type: str, pain_type: str) -> tuple[str, ...]:
        return self.requirements[request_type][pain_type]

    def passes_threshold(self, reduction_percent: float) -> bool:
        """Apply the pain-reduction threshold, inclusive (>=) or strict (>) as configured."""
        rule = self.settings["painReduction"]
        threshold = float(rule["thresholdPercent"])
        # Round away float noise such as 49.99999 from (8 - 4) / 8 arithmetic.
        value = round(reduction_percent, 6)
        return value >= threshold if rule["inclusive"] else value > threshold

    def threshold_text(self) -> str:
        rule = self.settings["painReduction"]
        return f"{'≥' if rule['inclusive'] else '>'}{rule['thresholdPercent']:g}%"


def policy_from_document(document: dict[str, Any]) -> Policy:
    return Policy(
        name=document["name"],
        version=document["version"],
        description=document["description"],
        settings=document["settings"],
        dose_ranges=tuple(
            DoseRange(
                ingredient=item["ingredient"],
                typical_max_mg_per_day=item["typicalMaxMgPerDay"],
                typical_min_mg_per_day=item.get("typicalMinMgPerDay"),
                long_term_max_mg_per_day=item.get("longTermMaxMgPerDay"),
                source=item.get("source", ""),
            )
            for item in document["doseRanges"]
        ),
        requirements={
            request_type: {pain: tuple(criteria) for pain, criteria in by_pain.items()}
            for request_type, by_pain in document["requirements"].items()
        },
    )


def load_policy_file(path: Path) -> Policy:
    return policy_from_document(load_validated(path, POLICY_SCHEMA))


def preset_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in POLICY_DIR.glob("*.json")))


@cache
def load_preset(name: str) -> Policy:
    """A bundled preset by name, or a policy file by path; validated once per process."""
    candidate = Path(name)
    if candidate.suffix == ".json" and candidate.is_file():
        return load_policy_file(candidate)
    if name not in preset_names():
        raise ConfigurationError(
            f"unknown policy {name!r}; presets are: {', '.join(preset_names())}"
        )
    policy = load_policy_file(POLICY_DIR / f"{name}.json")
    if policy.name != name:
        raise ConfigurationError(f"{name}.json declares name {policy.name!r}")
    return policy
