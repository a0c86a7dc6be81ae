"""Load fixture bundles into a FHIR server as id-keeping transactions.

A collection Bundle becomes a transaction of PUTs (``Type/id``), so resource ids,
and the references between them, stay as written, and loading twice changes
nothing. The server's answer is reduced to counts per resource type.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

FHIR_JSON = "application/fhir+json"
NO_CHANGE_CODES = {"SUCCESSFUL_UPDATE_NO_CHANGE"}


class LoadError(Exception):
    """Loading failed; ``lines`` are one-line problems for the user, server wording kept."""

    def __init__(self, lines: list[str]):
        super().__init__("; ".join(lines))
        self.lines = lines


@dataclass
class LoadResult:
    by_type: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, resource_type: str, outcome: str) -> None:
        self.by_type.setdefault(resource_type, Counter())[outcome] += 1

    def total(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.by_type.values():
            total.update(counts)
        return total


def transaction_from_bundle(bundle: Any) -> dict[str, Any]:
    """A transaction of PUTs for a collection (or transaction) Bundle; ids are required."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise LoadError(["not a FHIR Bundle"])
    if bundle.get("type") not in ("collection", "transaction", "batch"):
        raise LoadError([f"Bundle type {bundle.get('type')!r} cannot be loaded; use a collection"])
    entries = []
    problems = []
    for index, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            problems.append(f"entry {index}: no resource")
            continue
        rid = resource.get("id")
        if not isinstance(rid, str) or not rid:
            problems.append(
                f"entry {index} ({resource['resourceType']}): no id; load keeps ids, so every "
                "resource needs one"
            )
            continue
        url = f"{resource['resourceType']}/{rid}"
        entries.append(
            {"fullUrl": url, "resource": resource, "request": {"method": "PUT", "url": url}}
        )
    if problems:
        raise LoadError(problems)
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _outcome_lines(body: Any, status: int) -> list[str]:
    issues = body.get("issue") if isinstance(body, dict) else None
    if not issues:
        return [f"HTTP {status} from the FHIR server"]
    lines = []
    for issue in issues:
        if not isinstance(issue, dict):
            continue
        where = ", ".join(issue.get("expression") or issue.get("location") or [])
        text = (
            issue.get("diagnostics")
            or (issue.get("details") or {}).get("text")
            or issue.get("code")
        )
        lines.append(
            f"HTTP {status} {issue.get('severity', 'error')}: {text}"
            + (f" ({where})" if where else "")
        )
    return lines or [f"HTTP {status} from the FHIR server"]


def _entry_outcome(response: dict[str, Any]) -> str:
    status = str(response.get("status", ""))
    if status.startswith("201"):
        return "created"
    codes = {
        coding.get("code")
        for issue in (response.get("outcome") or {}).get("issue") or []
        for coding in (issue.get("details") or {}).get("coding") or []
    }
    return "unchanged" if codes & NO_CHANGE_CODES else "updated"


def load_bundle(
    bundle: Any,
    base_url: str,
    *,
    token: str | None = None,
    timeout: float = 60.0,
    session: requests.Session | None = None,
) -> LoadResult:
    """POST the bundle as a transaction to ``base_url`` and count what happened to each type."""
    transaction = transaction_from_bundle(bundle)
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    http = session or requests.Session()
    try:
        response = http.post(
            base_url.rstrip("/"), json=transaction, headers=headers, timeout=(5, timeout)
        )
    except requests.RequestException as exc:
        raise LoadError([f"could not reach {base_url} ({type(exc).__name__})"]) from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 300:
        raise LoadError(_outcome_lines(body, response.status_code))
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        raise LoadError(["the server did not answer with a transaction-response Bundle"])
    result = LoadResult()
    for sent, answered in zip(transaction["entry"], body["entry"], strict=False):
        result.add(sent["resource"]["resourceType"], _entry_outcome(answered.get("response") or {}))
    return result
