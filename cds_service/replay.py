"""Replay: turn a patient Bundle into the hook request an EHR would send, and run it.

The prefetch is built from the service's own templates, evaluated locally over
the Bundle, and the request goes through the Flask app exactly as an HTTP call
would, so replay and HTTP cannot disagree.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from cds_service.fhir_parsing import ORDER_TYPES, reference_points_elsewhere


class ReplayInputError(Exception):
    """The replay input is unusable; the message is one line for stderr."""


def load_json_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReplayInputError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayInputError(f"{path}: cannot read ({type(exc).__name__})") from exc
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ReplayInputError(f"{path}: not valid JSON") from exc


def bundle_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return []
    return [
        e["resource"]
        for e in entries
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]


def _token_matches(resource: dict[str, Any], tokens: str) -> bool:
    wanted = {tuple(t.split("|", 1)) if "|" in t else ("", t) for t in tokens.split(",")}
    for coding in (resource.get("code") or {}).get("coding") or []:
        for system, code in wanted:
            if coding.get("code") == code and (not system or coding.get("system") == system):
                return True
    return False


def evaluate_template(
    query: str, patient_id: str, resources: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Answer one prefetch template over in-memory resources, as a FHIR server would."""
    query = query.replace("{{context.patientId}}", patient_id)
    if "?" not in query:
        resource_type, _, rid = query.partition("/")
        for resource in resources:
            if resource.get("resourceType") == resource_type and resource.get("id") == rid:
                return resource
        return None
    resource_type, _, params = query.partition("?")
    matches = [r for r in resources if r.get("resourceType") == resource_type]
    for name, value in parse_qsl(params, keep_blank_values=True):
        if name in ("patient", "subject"):
            matches = [
                r
                for r in matches
                if not reference_points_elsewhere(r, value)
                and any(isinstance(r.get(k), dict) for k in ("subject", "patient"))
            ]
        elif name == "code":
            matches = [r for r in matches if _token_matches(r, value)]
        else:
            raise ReplayInputError(
                f"prefetch template parameter {name!r} is not supported by replay"
            )
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in matches],
    }


def fhir_authorization(token: str, subject: str = "itdd-cds") -> dict[str, Any]:
    """The ``fhirAuthorization`` object a CDS client sends with a bearer token."""
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": subject,
    }


def request_from_bundle(
    bundle: dict[str, Any],
    hook: str,
    prefetch_templates: dict[str, str],
    prefetch_keys: set[str] | None = None,
) -> dict[str, Any]:
    """The CDS Hooks request a client would build: drafts in context, the rest as prefetch."""
    resources = bundle_resources(bundle)
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    if not patients:
        raise ReplayInputError("the Bundle holds no Patient resource")
    if len(patients) > 1:
        raise ReplayInputError(
            "the Bundle holds more than one Patient; replay needs one patient's record"
        )
    patient_id = patients[0].get("id")
    if not isinstance(patient_id, str) or not patient_id:
        raise ReplayInputError("the Patient in the Bundle has no id")
    drafts = [
        r for r in resources if r.get("resourceType") in ORDER_TYPES and r.get("status") == "draft"
    ]
    record = [r for r in resources if r not in drafts]
    context: dict[str, Any] = {
        "userId": "Practitioner/replay",
        "patientId": patient_id,
        "draftOrders": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in drafts],
        },
    }
    if hook == "order-select":
        context["selections"] = [f"{r['resourceType']}/{r.get('id')}" for r in drafts]
    request: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    keys = prefetch_templates.keys() if prefetch_keys is None else prefetch_keys
    prefetch = {key: evaluate_template(prefetch_templates[key], patient_id, record) for key in keys}
    if prefetch:
        request["prefetch"] = prefetch
    return request
