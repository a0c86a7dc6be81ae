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
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cds_service.errors import ClientError, DataUnavailableError
from cds_service.fhir_client import FhirClient, FhirFetchError, SearchResult, UrlRefusedError
from cds_service.fhir_parsing import ParsedRecord, add_resources
from cds_service.outbound import CallScope, CheckedUrl

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


SEARCH_PAGE_SIZE = 200


def _fetch(client: FhirClient, template: Template, patient_id: str) -> SearchResult:
    query = template.fill(patient_id)
    if template.is_read:
        return SearchResult([client.read(query)], True)
    if "_count=" not in query:
        # Ask for large pages: each page is a round trip (servers cap _count at their maximum).
        query += f"&_count={SEARCH_PAGE_SIZE}"
    return client.search(query)


def gather(
    request: dict[str, Any],
    templates: list[Template],
    client_factory: ClientFactory,
    scope: CallScope | None = None,
    keep: Callable[[Any], bool] | None = None,
) -> ParsedRecord:
    """Build the patient's record from prefetch and, where needed, the FHIR server.

    The call's scope bounds it all: reads and parsing stop when its deadline passes
    (what was not parsed is reported, so criteria needing it cannot be met), and any
    connection still open then is shut down.
    """
    scope = scope or CallScope()
    patient_id = request["context"]["patientId"]
    prefetch = request.get("prefetch") or {}
    record = ParsedRecord(patient_id, keep=keep, deadline=scope.deadline)
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
    try:
        if to_fetch:
            _fetch_all(request, to_fetch, client_factory, record, scope)
        _fetch_attachments(request, client_factory, record, scope)
    finally:
        scope.close()  # threads still reading (budget spent, or a failure) stop now
    return record


def _remaining(scope: CallScope) -> float | None:
    remaining = scope.remaining()
    return None if remaining is None else max(0.0, remaining)


MAX_ATTACHMENTS = 25
MAX_ATTACHMENT_BYTES = 1_000_000


def _attachment_urls(record: ParsedRecord) -> list[tuple[tuple[str, int], Any]]:
    """(key, url) for note attachments given only by URL, newest notes first."""
    documents = sorted(
        record.of_type("DocumentReference"), key=lambda d: str(d.date or ""), reverse=True
    )
    wanted = []
    for document in documents:
        for index, content in enumerate(document.content or []):
            attachment = content.attachment
            if attachment is not None and attachment.url and not attachment.data:
                wanted.append(((str(document.id), index), attachment.url))
    return wanted


def _fetch_attachments(
    request: dict[str, Any],
    client_factory: ClientFactory,
    record: ParsedRecord,
    scope: CallScope,
) -> None:
    """Read note attachments given by URL from fhirServer only; anything else is reported unread."""
    wanted = _attachment_urls(record)
    if not wanted:
        return
    server = request.get("fhirServer")
    if not server:
        record.note_problem(
            "DocumentReference",
            f"{len(wanted)} note attachment(s) given only by URL could not be read (no fhirServer)",
        )
        return
    client = client_factory(server, (request.get("fhirAuthorization") or {}).get("access_token"))
    reachable: list[tuple[tuple[str, int], CheckedUrl]] = []
    for key, url in wanted:
        try:
            absolute = client.absolute(str(url), "attachment")
        except UrlRefusedError as exc:
            record.note_problem(
                "DocumentReference", f"DocumentReference/{key[0]} attachment not fetched: {exc}"
            )
            continue
        if client.same_origin(absolute):
            reachable.append((key, absolute))
        else:
            record.note_problem(
                "DocumentReference",
                f"DocumentReference/{key[0]} attachment is on another server and was not fetched",
            )
    if len(reachable) > MAX_ATTACHMENTS:
        record.note_problem(
            "DocumentReference", f"only the newest {MAX_ATTACHMENTS} note attachments were read"
        )
        reachable = reachable[:MAX_ATTACHMENTS]
    pool = ThreadPoolExecutor(max_workers=min(6, len(reachable) or 1))
    try:
        futures = {
            key: pool.submit(client.get_attachment, url, MAX_ATTACHMENT_BYTES)
            for key, url in reachable
        }
        for key, future in futures.items():
            try:
                record.attachments[key] = future.result(timeout=_remaining(scope))
            except (FhirFetchError, FutureTimeout) as exc:
                reason = str(exc) or "not read within the hook's time budget"
                record.note_problem(
                    "DocumentReference",
                    f"DocumentReference/{key[0]} attachment could not be read ({reason})",
                )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _fetch_all(
    request: dict[str, Any],
    templates: list[Template],
    client_factory: ClientFactory,
    record: ParsedRecord,
    scope: CallScope,
) -> None:
    """Run the missing searches concurrently; any failure (or the budget running out) is a 412.

    A server the outbound gate refuses (it resolves to a non-public address) is the
    caller's configuration, so that one is a 400.
    """
    server = request.get("fhirServer")
    keys = ", ".join(t.key for t in templates)
    if not server:
        raise DataUnavailableError(
            f"prefetch {keys} not provided and no fhirServer to read it from",
            expression="fhirServer",
        )
    token = (request.get("fhirAuthorization") or {}).get("access_token")
    client = client_factory(server, token)
    pool = ThreadPoolExecutor(max_workers=min(6, len(templates)))
    failures = []
    refused = False
    try:
        futures = {t: pool.submit(_fetch, client, t, record.patient_id) for t in templates}
        for template, future in futures.items():
            try:
                result = future.result(timeout=_remaining(scope))
            except FhirFetchError as exc:
                failures.append(f"{template.key}: {exc}")
                refused = refused or exc.refused
                continue
            except FutureTimeout:
                failures.append(f"{template.key}: not read within the hook's time budget")
                continue
            if not result.complete and result.problem:
                record.note_problem(
                    template.resource_type, f"{template.resource_type} search: {result.problem}"
                )
            add_resources(record, template.resource_type, result.resources)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if failures:
        log.warning("fhir fetch failed", extra={"failed_keys": [f.split(":")[0] for f in failures]})
        if refused:
            raise ClientError(
                400,
                "fhirServer resolves to an address this service may not call; list it in "
                "CDS_FHIR_SERVER_ALLOWLIST to allow it",
                "fhirServer",
            )
        raise DataUnavailableError(
            "could not read patient data from fhirServer: " + "; ".join(failures),
            expression="fhirServer",
        )
