"""One hook call end to end: validate → gather → parse → facts → evaluate → cards.

HTTP and the replay CLI both come through ``HookHandler.handle`` so they cannot
drift apart. Only gathering does I/O; everything after it is pure.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jsonschema
from sqlalchemy.exc import SQLAlchemyError

from cds_service.cards import build_cards
from cds_service.catalogue import Catalogue, default_catalogue
from cds_service.clinical_nlp import MAX_CALL_CHARS, ReadingBudget, default_note_reader
from cds_service.codes import CodeSets, default_codesets
from cds_service.config import Settings
from cds_service.errors import ClientError, ConfigurationError, ServiceUnavailableError
from cds_service.evaluation import evaluate
from cds_service.facts import CONCEPTS_READ, extract_facts
from cds_service.fhir_access import check_fhir_server
from cds_service.fhir_client import FhirClient
from cds_service.fhir_parsing import ORDER_TYPES, parse_resource, reference_points_elsewhere
from cds_service.gathering import Template, gather
from cds_service.outbound import AddressPolicy, CallScope, UrlRefused, gated_session
from cds_service.policy import Policy, load_preset
from cds_service.relevance import RelevanceFilter
from cds_service.resources import DATA_DIR, describe_error, load_validated, validator
from cds_service.storage import AuditRecord, Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceDefinition:
    id: str
    hook: str
    title: str
    description: str
    prefetch: dict[str, str]
    usage_requirements: str | None
    policy: Policy

    def discovery_entry(self) -> dict[str, Any]:
        entry = {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(self.prefetch),
        }
        if self.usage_requirements:
            entry["usageRequirements"] = self.usage_requirements
        return entry

    def templates(self) -> list[Template]:
        return [Template(key, query) for key, query in self.prefetch.items()]


def load_services(policy_override: str | None = None) -> dict[str, ServiceDefinition]:
    """Service definitions with their policies, validated now so a bad file stops start-up."""
    document = load_validated(DATA_DIR / "services.json", "services.schema.json")
    services = {}
    for body in document["services"]:
        services[body["id"]] = ServiceDefinition(
            id=body["id"],
            hook=body["hook"],
            title=body["title"],
            description=body["description"],
            prefetch=body["prefetch"],
            usage_requirements=body.get("usageRequirements"),
            policy=load_preset(policy_override or body["policy"]),
        )
    return services


def validated(body: Any, schema: str, what: str) -> dict[str, Any]:
    """The body if it is an object valid against ``schema``, else a 400 naming the field."""
    if not isinstance(body, dict):
        raise ClientError(400, f"{what} body must be a JSON object", "(root)")
    error = jsonschema.exceptions.best_match(validator(schema).iter_errors(body))
    if error is not None:
        location, message = describe_error(error)
        raise ClientError(400, f"invalid {what} at {location}: {message}", location)
    return body


def validate_request(body: Any) -> dict[str, Any]:
    return validated(body, "hook-request.schema.json", "hook request")


def draft_orders(request: dict[str, Any]) -> list[Any]:
    """Parse the draft orders; a malformed order is the caller's mistake, so it is a 400."""
    context = request["context"]
    entries = context["draftOrders"].get("entry") or []
    selections = set(context.get("selections") or [])
    orders = []
    found = set()
    for index, entry in enumerate(entries):
        raw = entry["resource"]
        if raw.get("resourceType") not in ORDER_TYPES:
            continue
        where = f"context.draftOrders.entry.{index}.resource"
        model, reason = parse_resource(raw)
        if model is None:
            raise ClientError(400, f"invalid draft order at {where}: {reason}", where)
        if reference_points_elsewhere(raw, context["patientId"]):
            raise ClientError(
                400,
                f"draft order at {where} is for a different patient than context.patientId",
                f"{where}.subject",
            )
        ref = f"{raw['resourceType']}/{raw.get('id')}"
        found.add(ref)
        if not selections or ref in selections:
            orders.append(model)
    unknown = selections - found
    if unknown:
        raise ClientError(
            400,
            f"context.selections names orders not in draftOrders: {', '.join(sorted(unknown))}",
            "context.selections",
        )
    return orders


# What one hook call may read from the FHIR server in all (every page and attachment):
# with the 50 MB request body cap, this bounds a call's raw input in memory.
MAX_FHIR_BYTES_PER_CALL = 64 * 1024 * 1024


# One audit row holds at most this many items per list, each at most this long: a request
# with thousands of draft orders or evidence ids must not write megabytes per decision.
AUDIT_MAX_ITEMS = 200
AUDIT_MAX_ITEM_CHARS = 128


def capped(items: Iterable[str]) -> tuple[str, ...]:
    """The first AUDIT_MAX_ITEMS items (each cut to AUDIT_MAX_ITEM_CHARS), then '+N more'."""
    values = list(items)
    kept = tuple(v[:AUDIT_MAX_ITEM_CHARS] for v in values[:AUDIT_MAX_ITEMS])
    extra = len(values) - len(kept)
    return (*kept, f"+{extra} more") if extra > 0 else kept


def outbound_policy(settings: Settings) -> AddressPolicy:
    """Allowlisted origins may resolve anywhere; loopback only when explicitly allowed."""
    try:
        return AddressPolicy.from_prefixes(
            settings.fhir_server_allowlist, settings.allow_http_localhost
        )
    except UrlRefused as exc:
        raise ConfigurationError(f"CDS_FHIR_SERVER_ALLOWLIST: an entry {exc}") from exc


class HookHandler:
    def __init__(
        self,
        settings: Settings,
        services: dict[str, ServiceDefinition] | None = None,
        codesets: CodeSets | None = None,
        catalogue: Catalogue | None = None,
        storage: Storage | None = None,
    ):
        self.settings = settings
        self.storage = storage or Storage(settings.database_url)
        self.services = (
            services if services is not None else load_services(settings.policy_override)
        )
        self.codesets = codesets or default_codesets()
        self.catalogue = catalogue or default_catalogue()
        self.note_reader = default_note_reader()
        self.relevance = RelevanceFilter(self.codesets, CONCEPTS_READ)
        self._session = gated_session(outbound_policy(settings))

    def discovery(self) -> dict[str, Any]:
        return {"services": [s.discovery_entry() for s in self.services.values()]}

    def service(self, service_id: str) -> ServiceDefinition:
        service = self.services.get(service_id)
        if service is None:
            raise ClientError(404, f"unknown CDS service id {service_id!r}", code="not-found")
        return service

    def client_factory(
        self, scope: CallScope | None = None
    ) -> Callable[[str, str | None], FhirClient]:
        """FHIR clients sharing this worker's gated, pooled session, bounded by the call's scope."""

        def make(base_url: str, token: str | None) -> FhirClient:
            return FhirClient(
                base_url,
                token,
                connect_timeout=self.settings.fhir_connect_timeout,
                read_timeout=self.settings.fhir_read_timeout,
                max_pages=self.settings.fhir_max_pages,
                session=self._session,
                scope=scope,
            )

        return make

    def _check_server(self, request: dict[str, Any]) -> None:
        if request.get("fhirServer"):
            check_fhir_server(
                request["fhirServer"],
                allowlist=self.settings.fhir_server_allowlist,
                allow_http_localhost=self.settings.allow_http_localhost,
            )

    def _audit(
        self,
        request: dict[str, Any],
        service: ServiceDefinition,
        evaluation: Any,
        cards: list[dict[str, Any]],
    ) -> None:
        """Record the decision (identifiers and codes only; no tokens, no free text)."""
        evidence = sorted({e.reference for f in evaluation.findings for e in f.evidence})
        record = AuditRecord(
            hook_instance=request["hookInstance"],
            evaluated_at=dt.datetime.now(dt.UTC),
            service_id=service.id,
            policy=service.policy.name,
            policy_version=service.policy.version,
            request_type=evaluation.request.request_type,
            topics=capped(c["source"]["topic"]["code"] for c in cards),
            evidence_ids=capped(evidence),
            card_uuids=capped(c["uuid"] for c in cards),
        )
        try:
            self.storage.record_evaluation(record)
        except SQLAlchemyError as exc:
            log.error("audit write failed", extra={"hook_instance": request["hookInstance"]})
            raise ServiceUnavailableError(
                "the audit trail is unavailable; no decision was returned"
            ) from exc

    def handle(self, service_id: str, body: Any) -> dict[str, Any]:
        started = time.monotonic()
        service = self.service(service_id)
        request = validate_request(body)
        if request["hook"] != service.hook:
            raise ClientError(
                400,
                f"service {service_id} answers the {service.hook} hook, not {request['hook']}",
                "hook",
            )
        self._check_server(request)
        orders = draft_orders(request)
        scope = CallScope(
            deadline=started + self.settings.hook_time_budget,
            max_bytes=MAX_FHIR_BYTES_PER_CALL,
        )
        record = gather(
            request, service.templates(), self.client_factory(scope), scope, self.relevance.keep
        )
        facts = extract_facts(
            record,
            orders,
            self.codesets,
            self.note_reader,
            self.settings.evaluation_date(),
            ReadingBudget(MAX_CALL_CHARS, deadline=scope.deadline),
        )
        evaluation = evaluate(facts, service.policy, self.catalogue)
        cards = build_cards(evaluation, facts.patient_id, request["hookInstance"], self.catalogue)
        self._audit(request, service, evaluation, cards)
        log.info(
            "hook evaluated",
            extra={
                "hook_instance": request["hookInstance"],
                "service": service_id,
                "status": 200,
                "policy": f"{service.policy.name}@{service.policy.version}",
                "request_type": evaluation.request.request_type,
                "topics": [c["source"]["topic"]["code"] for c in cards],
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "skipped_resources": len(record.problems),
            },
        )
        return {"cards": cards}

    def feedback(self, service_id: str, body: Any) -> dict[str, Any]:
        """Validate and store CDS Hooks feedback; resending the same entries stores nothing new."""
        self.service(service_id)
        body = validated(body, "feedback.schema.json", "feedback")
        try:
            stored, duplicates = self.storage.store_feedback(service_id, body["feedback"])
        except SQLAlchemyError as exc:
            log.error("feedback write failed", extra={"service": service_id})
            raise ServiceUnavailableError("feedback could not be stored") from exc
        log.info("feedback stored", extra={"service": service_id, "status": 200})
        return {"stored": stored, "duplicates": duplicates}
