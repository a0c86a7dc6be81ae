#!/usr/bin/env python3
"""Convert Synthea FHIR R4 patient Bundles into this project's replay fixtures.

A Synthea patient file is a ``transaction`` Bundle whose entries carry ``urn:uuid:``
full URLs and reference each other by those URNs. A replay fixture (see
``fhir_fixtures/*.json`` and ``cds_service/replay.py``) is a ``collection`` Bundle of
one patient's record whose references read ``Type/id``, plus the draft orders being
signed (request resources with ``status: draft``).

The conversion:

* keeps only the resource types the service reads (Patient, Condition,
  MedicationRequest, Procedure, Observation, DocumentReference); Encounters, Claims,
  ExplanationOfBenefits, Immunizations, DiagnosticReports, Medications and the rest
  are dropped;
* rewrites every ``urn:uuid:`` reference to ``Type/id`` (references to dropped
  resources become ``Type/id`` too; conditional references such as
  ``Practitioner?identifier=...`` are left as they are);
* gives a ``medicationReference`` the name of the Medication it points at as its
  ``display`` (the Medication itself is dropped);
* keeps DocumentReference notes untouched (Synthea stores them as base64
  ``text/plain`` in ``content[].attachment.data``);
* cuts the record at the order date: resources dated after it are dropped, a
  Condition that abated after it is shown as it stood then (active, no abatement),
  and a death after it is removed from the Patient; optionally (``--history-years``)
  resources older than N years before the order date are dropped too, except
  Conditions that were still unresolved at the start of that window;
* appends a draft ServiceRequest (``--add-order implant|refill``) authored on the
  order date (default: the date of the patient's last Encounter);
* optionally (``--pump-implanted DATE``) appends a completed pump-implant Procedure
  (CPT 62362) so that a refill order meets a pump on record (Synthea has no
  intrathecal pumps). Every added resource carries the ``added-by-convert`` tag.

The output is deterministic: the same input and options give byte-identical output.

Usage::

    python tools/synthea/convert.py IN.json -o OUT.json --name NAME --add-order implant
    python tools/synthea/convert.py A.json B.json -o A-out.json B-out.json --add-order refill
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

KEPT_TYPES = (
    "Patient",
    "Condition",
    "MedicationRequest",
    "Procedure",
    "Observation",
    "DocumentReference",
)
CPT = "http://www.ama-assn.org/go/cpt"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
FIXTURE_TAG = "https://itdd-cds.org/fixture"
SOURCE_TAG = "https://itdd-cds.org/fixture-source"
ADDED_TAG = {"system": SOURCE_TAG, "code": "added-by-convert", "display": "Added by tools/synthea"}
ORDERS: dict[str, tuple[str, str]] = {
    "implant": ("62362", "Implantation of programmable intrathecal pump"),
    "refill": (
        "95991",
        "Refilling and maintenance of implantable pump or reservoir for drug delivery, "
        "spinal (intrathecal, epidural); requiring skill of a physician",
    ),
}
# A fixed namespace so that draft-order ids are stable across runs and machines.
ORDER_NAMESPACE = uuid.UUID("5b0d7f0e-8f1a-4c53-9a57-3c1d2c6e9a10")


class ConversionError(Exception):
    """The input cannot be converted; the message is one line for stderr."""


# --- reading -----------------------------------------------------------------------------


def load_bundle(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConversionError("no such file") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConversionError(f"not a readable JSON file ({type(exc).__name__})") from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise ConversionError("not a FHIR Bundle")
    return data


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    raw = bundle.get("entry")
    if not isinstance(raw, list):
        return []
    return [e for e in raw if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


def reference_map(bundle: dict[str, Any]) -> dict[str, str]:
    """Every entry's fullUrl (and ``urn:uuid:<id>``) mapped to ``Type/id``."""
    mapping: dict[str, str] = {}
    for entry in entries(bundle):
        resource = entry["resource"]
        rtype, rid = resource.get("resourceType"), resource.get("id")
        if not isinstance(rtype, str) or not isinstance(rid, str):
            continue
        target = f"{rtype}/{rid}"
        full_url = entry.get("fullUrl")
        if isinstance(full_url, str) and full_url:
            mapping[full_url] = target
        mapping.setdefault(f"urn:uuid:{rid}", target)
    return mapping


# --- dates -------------------------------------------------------------------------------


def day(value: Any) -> dt.date | None:
    """The calendar date a FHIR date/dateTime names (its local date, as written)."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    text = value[:10]
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        if len(text) >= 7:
            return dt.date.fromisoformat(text[:7] + "-01")
        return dt.date(int(text[:4]), 1, 1)
    except ValueError:
        return None


def _period_start(value: Any) -> Any:
    return value.get("start") if isinstance(value, dict) else None


def resource_date(resource: dict[str, Any]) -> dt.date | None:
    """When the resource happened (started, was authored, was written)."""
    rtype = resource.get("resourceType")
    candidates: list[Any]
    if rtype == "Condition":
        candidates = [
            resource.get("onsetDateTime"),
            _period_start(resource.get("onsetPeriod")),
            resource.get("recordedDate"),
        ]
    elif rtype == "MedicationRequest":
        candidates = [resource.get("authoredOn")]
    elif rtype == "Procedure":
        candidates = [
            resource.get("performedDateTime"),
            _period_start(resource.get("performedPeriod")),
        ]
    elif rtype == "Observation":
        candidates = [
            resource.get("effectiveDateTime"),
            _period_start(resource.get("effectivePeriod")),
            resource.get("effectiveInstant"),
            resource.get("issued"),
        ]
    elif rtype == "DocumentReference":
        context = resource.get("context")
        candidates = [
            resource.get("date"),
            _period_start(context.get("period")) if isinstance(context, dict) else None,
        ]
    elif rtype == "Encounter":
        candidates = [_period_start(resource.get("period"))]
    else:
        candidates = []
    for candidate in candidates:
        found = day(candidate)
        if found is not None:
            return found
    return None


def abatement_date(condition: dict[str, Any]) -> dt.date | None:
    return day(condition.get("abatementDateTime")) or day(
        _period_start(condition.get("abatementPeriod"))
    )


def last_encounter_date(bundle: dict[str, Any]) -> dt.date | None:
    dates = [
        d
        for e in entries(bundle)
        if e["resource"].get("resourceType") == "Encounter"
        and (d := resource_date(e["resource"])) is not None
    ]
    return max(dates) if dates else None


# --- rewriting ---------------------------------------------------------------------------


def rewrite_references(node: Any, mapping: dict[str, str], unresolved: set[str]) -> Any:
    """A copy of ``node`` with every ``reference`` that names a bundle entry as ``Type/id``."""
    if isinstance(node, list):
        return [rewrite_references(item, mapping, unresolved) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "reference" and isinstance(value, str):
            if value in mapping:
                value = mapping[value]
            elif value.startswith("urn:uuid:"):
                unresolved.add(value)
            out[key] = value
        else:
            out[key] = rewrite_references(value, mapping, unresolved)
    return out


def medication_names(bundle: dict[str, Any]) -> dict[str, str]:
    """``Medication/id`` mapped to the medication's name (code.text or first display)."""
    names: dict[str, str] = {}
    for entry in entries(bundle):
        resource = entry["resource"]
        if resource.get("resourceType") != "Medication" or not isinstance(resource.get("id"), str):
            continue
        code = resource.get("code") if isinstance(resource.get("code"), dict) else {}
        name = code.get("text")
        if not isinstance(name, str) or not name:
            name = next(
                (
                    c["display"]
                    for c in code.get("coding") or []
                    if isinstance(c, dict) and isinstance(c.get("display"), str)
                ),
                "",
            )
        if name:
            names[f"Medication/{resource['id']}"] = name
    return names


def name_medication_reference(resource: dict[str, Any], names: dict[str, str]) -> None:
    reference = resource.get("medicationReference")
    if not isinstance(reference, dict) or reference.get("display"):
        return
    name = names.get(str(reference.get("reference")))
    if name:
        reference["display"] = name


def as_of(resource: dict[str, Any], order_date: dt.date) -> dict[str, Any]:
    """The resource as it stood on the order date (abatement or death later is undone)."""
    rtype = resource.get("resourceType")
    if rtype == "Condition":
        abated = abatement_date(resource)
        if abated is not None and abated > order_date:
            for key in ("abatementDateTime", "abatementPeriod", "abatementAge", "abatementString"):
                resource.pop(key, None)
            resource["clinicalStatus"] = {
                "coding": [{"system": CLINICAL_STATUS, "code": "active", "display": "Active"}]
            }
    elif rtype == "Patient":
        died = day(resource.get("deceasedDateTime"))
        if died is not None and died > order_date:
            resource.pop("deceasedDateTime", None)
    return resource


def keep(resource: dict[str, Any], order_date: dt.date, since: dt.date | None) -> bool:
    if resource.get("resourceType") == "Patient":
        return True
    when = resource_date(resource)
    if when is None:
        return True
    if when > order_date:
        return False
    if since is None or when >= since:
        return True
    if resource.get("resourceType") == "Condition":
        abated = abatement_date(resource)
        return abated is None or abated >= since
    return False


def draft_order(kind: str, patient_id: str, order_date: dt.date) -> dict[str, Any]:
    code, display = ORDERS[kind]
    order_id = str(uuid.uuid5(ORDER_NAMESPACE, f"{patient_id}|{kind}|{order_date.isoformat()}"))
    return {
        "resourceType": "ServiceRequest",
        "id": order_id,
        "meta": {"tag": [dict(ADDED_TAG)]},
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": order_date.isoformat(),
        "code": {
            "coding": [{"system": CPT, "code": code, "display": display}],
            "text": display,
        },
    }


def pump_implant(patient_id: str, performed: dt.date) -> dict[str, Any]:
    code, display = ORDERS["implant"]
    procedure_id = str(uuid.uuid5(ORDER_NAMESPACE, f"{patient_id}|pump|{performed.isoformat()}"))
    return {
        "resourceType": "Procedure",
        "id": procedure_id,
        "meta": {"tag": [dict(ADDED_TAG)]},
        "status": "completed",
        "code": {
            "coding": [{"system": CPT, "code": code, "display": display}],
            "text": display,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "performedDateTime": performed.isoformat(),
    }


def years_before(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year - years)
    except ValueError:  # 29 February
        return date.replace(year=date.year - years, day=28)


def convert(
    bundle: dict[str, Any],
    *,
    name: str,
    add_order: str | None = None,
    order_date: dt.date | None = None,
    history_years: int | None = None,
    pump_implanted: dt.date | None = None,
    description: str | None = None,
    source: str | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The fixture Bundle for one Synthea patient Bundle, and warnings for stderr."""
    warnings: list[str] = []
    kept = [
        e["resource"] for e in entries(bundle) if e["resource"].get("resourceType") in KEPT_TYPES
    ]
    patients = [r for r in kept if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise ConversionError(f"expected one Patient in the Bundle, found {len(patients)}")
    patient_id = patients[0].get("id")
    if not isinstance(patient_id, str) or not patient_id:
        raise ConversionError("the Patient in the Bundle has no id")
    if order_date is None:
        order_date = last_encounter_date(bundle)
        if order_date is None:
            raise ConversionError("the Bundle has no Encounter: give --order-date")
    died = day(patients[0].get("deceasedDateTime"))
    if died is not None and order_date >= died:
        raise ConversionError(
            f"the patient died on {died.isoformat()}: give an --order-date before that"
        )
    if pump_implanted is not None and pump_implanted > order_date:
        raise ConversionError("--pump-implanted must not be after the order date")
    since = years_before(order_date, history_years) if history_years is not None else None

    mapping = reference_map(bundle)
    names = medication_names(bundle)
    unresolved: set[str] = set()
    resources: list[dict[str, Any]] = []
    for resource in kept:
        if not keep(resource, order_date, since):
            continue
        converted = rewrite_references(resource, mapping, unresolved)
        name_medication_reference(converted, names)
        resources.append(as_of(converted, order_date))
    resources.sort(key=lambda r: r.get("resourceType") != "Patient")  # stable: Patient first
    if pump_implanted is not None:
        resources.append(pump_implant(patient_id, pump_implanted))
    if add_order is not None:
        resources.append(draft_order(add_order, patient_id, order_date))
    if unresolved:
        warnings.append(f"{len(unresolved)} urn:uuid reference(s) name no entry of the Bundle")

    tags: list[dict[str, str]] = [{"system": FIXTURE_TAG, "code": name}]
    if description:
        tags[0]["display"] = description
    if source:
        tags.append({"system": SOURCE_TAG, "code": source})
    fixture: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": name,
        "type": "collection",
        "meta": {"tag": tags},
        "entry": [
            {"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
            if isinstance(r.get("id"), str)
        ],
    }
    return fixture, warnings


def dumps(fixture: dict[str, Any]) -> str:
    return json.dumps(fixture, indent=2, ensure_ascii=False) + "\n"


# --- command line ------------------------------------------------------------------------


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="convert.py",
        description="Convert Synthea FHIR R4 patient Bundles into ITDD replay fixtures.",
    )
    parser.add_argument("inputs", nargs="+", type=Path, help="Synthea patient Bundle(s)")
    parser.add_argument(
        "-o", "--output", nargs="+", type=Path, required=True, help="one output path per input"
    )
    parser.add_argument(
        "--add-order",
        choices=sorted(ORDERS),
        help="append a draft ServiceRequest: implant (CPT 62362) or refill (CPT 95991)",
    )
    parser.add_argument(
        "--order-date",
        type=_date,
        help="authoredOn of the draft order and the date the record is cut at "
        "(default: the date of the patient's last Encounter)",
    )
    parser.add_argument(
        "--history-years",
        type=int,
        help="drop resources older than N years before the order date "
        "(Conditions still unresolved then are kept)",
    )
    parser.add_argument(
        "--pump-implanted",
        type=_date,
        help="append a completed intrathecal pump implant Procedure (CPT 62362) on this date",
    )
    parser.add_argument(
        "--name",
        action="append",
        help="fixture name (Bundle.id); one per input, default: file stem",
    )
    parser.add_argument("--description", action="append", help="fixture description; one per input")
    parser.add_argument(
        "--source",
        action="append",
        help="where the input came from (repo:path@commit); one per input",
    )
    args = parser.parse_args(argv)
    count = len(args.inputs)
    if len(args.output) != count:
        parser.error(f"{count} input(s) but {len(args.output)} output(s)")
    for option in ("name", "description", "source"):
        given = getattr(args, option)
        if given is not None and len(given) != count:
            parser.error(f"--{option} must be given once per input ({count})")
    if args.history_years is not None and args.history_years < 1:
        parser.error("--history-years must be at least 1")
    return args


def _nth(values: list[str] | None, index: int) -> str | None:
    return values[index] if values is not None else None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pairs: Iterable[tuple[int, Path, Path]] = (
        (i, src, dst) for i, (src, dst) in enumerate(zip(args.inputs, args.output, strict=True))
    )
    for index, src, dst in pairs:
        name = _nth(args.name, index) or dst.stem
        try:
            fixture, warnings = convert(
                load_bundle(src),
                name=name,
                add_order=args.add_order,
                order_date=args.order_date,
                history_years=args.history_years,
                pump_implanted=args.pump_implanted,
                description=_nth(args.description, index),
                source=_nth(args.source, index),
            )
        except ConversionError as exc:
            print(f"convert.py: {src}: {exc}", file=sys.stderr)
            return 1
        for warning in warnings:
            print(f"convert.py: {src}: warning: {warning}", file=sys.stderr)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(dumps(fixture), encoding="utf-8")
        print(f"{dst}: {len(fixture['entry'])} resources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
