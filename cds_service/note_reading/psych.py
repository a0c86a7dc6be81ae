"""The conclusion of a psychological evaluation, from what a note asserts."""

from __future__ import annotations

from typing import Protocol


class _Summary(Protocol):
    @property
    def negated(self) -> frozenset[str]: ...

    def has(self, *categories: str) -> bool: ...


def candidacy(summary: _Summary) -> str | None:
    """'favorable', 'unfavorable', or None when the note states no clear conclusion.

    A negative conclusion anywhere wins: a deferral or 'not a suitable candidate'
    outweighs a favorable phrase elsewhere in the same note.
    """
    if summary.has("UNFAVORABLE_CANDIDATE", "DEFERRAL") or "FAVORABLE_CANDIDATE" in summary.negated:
        return "unfavorable"
    if summary.has("FAVORABLE_CANDIDATE"):
        return "favorable"
    return None
