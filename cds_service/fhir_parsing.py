"""Parse raw FHIR R4 JSON into ``fhir.resources`` models, one resource at a time.

fhir.resources 8 has no R4 package; R4 JSON for the resource types we read parses
with the R4B models. A malformed resource is skipped, logged without its content,
and reported, so one bad entry never sinks the whole hook call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

log = logging.getLogger(__name__)

# The request resources a CDS client sends as draft orders (order-sign / order-select).
ORDER_TYPES = frozenset({"ServiceRequest", "MedicationRequest", "DeviceRequest"})
READ_TYPES = frozenset(
    {
        "Patient",
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "Procedure",
        "Observation",
        "DocumentReference",
        "ServiceRequest",
        "DeviceRequest",
    }
)


# The elements the facts layer reads, per record type. Only these are validated: the rest
# (narrative, extensions, identifiers, meta, ...) is never used by a criterion, and
# validating it is most of the parsing cost on real EHR data. Draft orders are validated whole.
READ_ELEMENTS: dict[str, frozenset[str]] = {
    "Patient": frozenset({"id", "birthDate", "gender", "deceasedBoolean", "deceasedDateTime"}),
    "Condition": frozenset(
        {
            "id",
            "subject",
            "code",
            "clinicalStatus",
            "verificationStatus",
            "onsetDateTime",
            "onsetPeriod",
            "recordedDate",
            "abatementDateTime",
            "abatementPeriod",
        }
    ),
    "MedicationRequest": frozenset(
        {
            "id",
            "subject",
            "status",
            "intent",
            "medicationCodeableConcept",
            "medicationReference",
            "dosageInstruction",
            "statusReason",
            "note",
            "authoredOn",
            "dispenseRequest",
        }
    ),
    "MedicationStatement": frozenset(
        {
            "id",
            "subject",
            "status",
            "medicationCodeableConcept",
            "medicationReference",
            "statusReason",
            "note",
            "effectiveDateTime",
            "effectivePeriod",
            "dosage",
        }
    ),
    "Procedure": frozenset(
        {
            "id",
            "subject",
            "status",
            "code",
            "performedDateTime",
            "performedPeriod",
            "outcome",
            "note",
        }
    ),
    "Observation": frozenset(
        {
            "id",
            "subject",
            "status",
            "code",
            "valueQuantity",
            "valueInteger",
            "effectiveDateTime",
            "effectivePeriod",
            "effectiveInstant",
        }
    ),
    "DocumentReference": frozenset(
        {
            "id",
            "subject",
            "status",
            "docStatus",
            "type",
            "date",
            "context",
            "content",
            "description",
        }
    ),
}


@dataclass
class ParsedRecord:
    """Everything read for one patient, with what could not be read."""

    patient_id: str
    resources: dict[str, list[Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    incomplete_types: set[str] = field(default_factory=set)
    # Attachments fetched by URL: (DocumentReference id, content index) -> (bytes, content type)
    attachments: dict[tuple[str, int], tuple[bytes, str | None]] = field(default_factory=dict)
    # Drops, before validation, raw resources that no criterion can use.
    keep: Callable[[Any], bool] | None = None
    # time.monotonic() after which nothing more is parsed (the hook's time budget).
    deadline: float | None = None

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def of_type(self, resource_type: str) -> list[Any]:
        return self.resources.get(resource_type, [])

    def note_problem(self, resource_type: str, message: str, *, incomplete: bool = True) -> None:
        """Record a problem; ``incomplete`` marks the type as possibly missing patient data."""
        self.problems.append(message)
        if incomplete:
            self.incomplete_types.add(resource_type)


def reference_points_elsewhere(resource: dict[str, Any], patient_id: str) -> bool:
    """True when the resource's subject/patient reference names a different patient."""
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return isinstance(rid, str) and rid != patient_id
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            target = ref["reference"].rstrip("/")
            if "Patient/" in target:
                return target.rsplit("Patient/", 1)[1].split("/")[0] != patient_id
    return False


def error_locations(error: ValidationError) -> str:
    """Field paths of a validation error, without the offending values (they may be PHI)."""
    paths = sorted({".".join(str(p) for p in item["loc"]) or "(root)" for item in error.errors()})
    shown = ", ".join(paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


# Deeper than any real resource (extensions on extensions included); fhir.resources
# validates recursively and would exhaust the stack on a resource nested ~150 levels.
MAX_RESOURCE_DEPTH = 48


def too_deep(value: Any, limit: int = MAX_RESOURCE_DEPTH) -> bool:
    """Whether JSON nests deeper than ``limit`` levels, found without recursing."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def parse_resource(raw: Any, elements: frozenset[str] | None = None) -> tuple[Any, str | None]:
    """A model for one raw resource (only ``elements`` of it, when given), or None and a reason."""
    if not isinstance(raw, dict):
        return None, "entry is not a JSON object"
    resource_type = raw.get("resourceType")
    if not isinstance(resource_type, str) or resource_type not in READ_TYPES:
        return None, "resource type is missing or not one this service reads"
    model_class = get_fhir_model_class(resource_type)
    if elements is not None:
        raw = {key: value for key, value in raw.items() if key in elements or key == "resourceType"}
    if too_deep(raw):
        return None, f"nested more than {MAX_RESOURCE_DEPTH} levels deep"
    try:
        return model_class.model_validate(raw), None
    except ValidationError as exc:
        return None, f"invalid at {error_locations(exc)}"
    except (TypeError, ValueError, RecursionError) as exc:  # odd primitives, odd shapes
        return None, f"invalid ({type(exc).__name__})"


def label(raw: Any) -> str:
    if isinstance(raw, dict):
        rid = raw.get("id")
        kind = raw.get("resourceType")
        kind = kind if isinstance(kind, str) and kind.isalpha() else "resource"
        return f"{kind}/{rid}" if isinstance(rid, str) and len(rid) <= 64 else kind
    return "entry"


def add_resources(record: ParsedRecord, expected_type: str, raws: list[Any]) -> None:
    """Parse resources into the record; skip and report the ones that cannot be read.

    Parsing stops when the record's deadline passes: the rest is reported unread, so
    the criteria that depend on this type cannot be met on what was parsed.
    """
    for position, raw in enumerate(raws):
        if record.out_of_time():
            record.note_problem(
                expected_type,
                f"{len(raws) - position} {expected_type} resource(s) were not read within "
                "the hook's time budget",
            )
            log.warning(
                "parsing stopped: time budget spent", extra={"resource_type": expected_type}
            )
            return
        kind = raw.get("resourceType") if isinstance(raw, dict) else None
        if kind == "OperationOutcome":
            continue  # search-result warnings, not patient data
        # A search can legitimately include other types (_include); keep them under their type.
        listed_as = kind if isinstance(kind, str) and kind in READ_TYPES else expected_type
        if isinstance(raw, dict) and reference_points_elsewhere(raw, record.patient_id):
            record.note_problem(
                listed_as,
                f"{label(raw)} belongs to another patient and was ignored",
                incomplete=False,
            )
            log.warning("ignored resource for another patient", extra={"resource_type": listed_as})
            continue
        if record.keep is not None and not record.keep(raw):
            continue  # no criterion reads it: not worth validating
        model, reason = parse_resource(raw, READ_ELEMENTS.get(listed_as))
        if model is None:
            record.note_problem(
                listed_as, f"{label(raw)} could not be read ({reason}) and was skipped"
            )
            log.warning(
                "skipped malformed resource", extra={"resource_type": listed_as, "reason": reason}
            )
            continue
        record.resources.setdefault(model.get_resource_type(), []).append(model)
