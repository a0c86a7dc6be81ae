"""The criterion catalogue: titles, kinds, override reasons and gap-closing orders."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from cds_service.resources import DATA_DIR, load_validated


@dataclass(frozen=True)
class Catalogue:
    topic_system: str
    override_reason_system: str
    criteria: dict[str, dict[str, Any]]
    override_reasons: dict[str, list[dict[str, str]]]
    suggestions: dict[str, dict[str, Any]]

    def title(self, criterion: str) -> str:
        return str(self.criteria[criterion]["title"])

    def kind(self, criterion: str) -> str:
        return str(self.criteria[criterion]["kind"])

    def depends_on(self, criterion: str) -> tuple[str, ...]:
        return tuple(self.criteria[criterion]["dependsOn"])


@cache
def default_catalogue() -> Catalogue:
    document = load_validated(DATA_DIR / "criteria.json", "criteria.schema.json")
    return Catalogue(
        topic_system=document["topicSystem"],
        override_reason_system=document["overrideReasonSystem"],
        criteria=document["criteria"],
        override_reasons=document["overrideReasons"],
        suggestions=document["suggestions"],
    )
