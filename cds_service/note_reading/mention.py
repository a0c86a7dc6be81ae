"""One concept mention found in a note, with its ConText flags."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mention:
    category: str
    text: str
    start: int
    negated: bool
    uncertain: bool
    hypothetical: bool
    historical: bool
    family: bool

    @property
    def about_now(self) -> bool:
        """About the patient, now: not negated, hypothetical, historical or someone else's."""
        return not (self.negated or self.hypothetical or self.historical or self.family)

    @property
    def asserted(self) -> bool:
        return self.about_now and not self.uncertain
