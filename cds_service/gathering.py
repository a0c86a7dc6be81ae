"""Data gathering: each prefetch key from the request, or else from ``fhirServer``.

A key that is present is used as sent; ``null`` means the EHR has no such data.
A key that is absent, or holds an OperationOutcome (the EHR could not prefetch
it), is read from the FHIR server with the same query. When neither works the
call fails with 412, because evaluating without the data would be guessing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cds_service.errors import DataUnavailableError
from cds_service.fhir_client import FhirClient, FhirFetchError, SearchResult
from cds_service.fhir_parsing import ParsedRecord, add_resources

log = logging.getLogger(__name__)

ClientFactory = Callable[[str, str | None], FhirClient]


@dataclass(frozen=True)
class Template:
    key: str
    query: str

    @property
    def resource_type(self) -> str:
        return self.query.split("?", 1)[0].split("/", 1)[0]

    @property
    def is_read(self) -> bool:
        return "?" not in self.query

    def fill(self, patient_id: str) -> str:
        return self.query.replace("{{context.patientId}}", quote(patient_id, safe=""))


def _prefetched(value: Any, template: Template) -> tuple[list[Any], str | None] | None:
    """Resources from a prefetch value, or None when the value must be fetched instead."""
    if value is None:
        return [], None
    if not isinstance(value, dict):
        return None
    kind = value.get("resourceType")
    if kind == "OperationOutcome":
        return None
    if template.is_read:
        return ([value], None) if kind == template.resource_type else None
    if kind != "Bundle":
        return None
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        return None
    resources = [e.get("resource") if isinstance(e, dict) else e for e in entries]
    problem = None
    if any(
        isinstance(link, dict) and link.get("relation") == "next"
        for link in value.get("link") or []
    ):
        problem = f"prefetch '{template.key}' holds only the first page of results"
    return [r for r in resources if r is not None], problem


def _fetch(client: FhirClient, template: Template, patient_id: str) -> SearchResult:
    query = template.fill(patient_id)
    if template.is_read:
        return SearchResult([client.read(query)], True)
    return client.search(query)


def gather(
    request: dict[str, Any], templates: list[Template], client_factory: ClientFactory
) -> ParsedRecord:
    """Build the patient's record from prefetch and, where needed, the FHIR server."""
    patient_id = request["context"]["patientId"]
    prefetch = request.get("prefetch") or {}
    record = ParsedRecord(patient_id)
    to_fetch: list[Template] = []
    for template in templates:
        used = _prefetched(prefetch[template.key], template) if template.key in prefetch else None
        if used is None:
            to_fetch.append(template)
            continue
        resources, problem = used
        if problem:
            record.note_problem(template.resource_type, problem)
        add_resources(record, template.resource_type, resources)
    if to_fetch:
        _fetch_all(request, to_fetch, client_factory, record)
    return record


def _fetch_all(
    request: dict[str, Any],
    templates: list[Template],
    client_factory: ClientFactory,
    record: ParsedRecord,
) -> None:
    server = request.get("fhirServer")
    keys = ", ".join(t.key for t in templates)
    if not server:
        raise DataUnavailableError(
            f"prefetch {keys} not provided and no fhirServer to read it from",
            expression="fhirServer",
        )
    token = (request.get("fhirAuthorization") or {}).get("access_token")
    client = client_factory(server, token)
    with ThreadPoolExecutor(max_workers=min(6, len(templates))) as pool:
        futures = {t: pool.submit(_fetch, client, t, record.patient_id) for t in templates}
        failures = []
        for template, future in futures.items():
            try:
                result = future.result()
            except FhirFetchError as exc:
                failures.append(f"{template.key}: {exc}")
                continue
            if not result.complete and result.problem:
                record.note_problem(
                    template.resource_type, f"{template.resource_type} search: {result.problem}"
                )
            add_resources(record, template.resource_type, result.resources)
    if failures:
        log.warning("fhir fetch failed", extra={"failed_keys": [f.split(":")[0] for f in failures]})
        raise DataUnavailableError(
            "could not read patient data from fhirServer: " + "; ".join(failures),
            expression="fhirServer",
        )
