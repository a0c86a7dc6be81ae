"""Which raw resources a criterion could use, decided before paying for model validation.

A Condition, MedicationRequest or Procedure whose code matches none of the concepts
the facts layer reads is dropped there anyway; deciding it from the raw JSON, with
the same code sets, skips its fhir.resources validation. Anything whose code cannot
be read from the raw JSON is kept, so a malformed resource is still validated and
reported.
"""

from __future__ import annotations

from typing import Any

from cds_service.codes import CodedText, CodeSets, Coding

# The concepts the facts layer looks for in each type (kept in step with facts.py).
CODE_FIELDS = {
    "Condition": "code",
    "Procedure": "code",
    "MedicationRequest": "medicationCodeableConcept",
}


def _raw_coded(value: Any) -> CodedText | None:
    if not isinstance(value, dict):
        return None
    codings = value.get("coding") or []
    text = value.get("text") or ""
    if not isinstance(codings, list) or not isinstance(text, str):
        return None
    parsed = []
    for coding in codings:
        if not isinstance(coding, dict):
            return None
        system, code, display = (
            coding.get("system", ""),
            coding.get("code", ""),
            coding.get("display", ""),
        )
        if not all(isinstance(v, str) for v in (system, code, display)):
            return None
        parsed.append(Coding(system, code, display))
    return CodedText(tuple(parsed), text)


class RelevanceFilter:
    def __init__(self, codesets: CodeSets, concepts: dict[str, tuple[str, ...]]):
        self._codesets = codesets
        self._concepts = concepts

    def keep(self, raw: Any) -> bool:
        """False only for a well-formed resource whose code is in none of the concepts read."""
        if not isinstance(raw, dict):
            return True
        kind = raw.get("resourceType")
        if not isinstance(kind, str) or kind not in CODE_FIELDS:
            return True
        field_name = CODE_FIELDS[kind]
        if kind == "MedicationRequest" and "medicationCodeableConcept" not in raw:
            return True  # medicationReference: the name is only in the reference display
        coded = _raw_coded(raw.get(field_name))
        if coded is None:
            return True
        if kind == "MedicationRequest" and _mentions_intrathecal(raw):
            return True
        return bool(self._codesets.concepts_of(coded, self._concepts[kind]))


def _mentions_intrathecal(raw: dict[str, Any]) -> bool:
    return "intrathecal" in str(raw.get("dosageInstruction", "")).lower()
