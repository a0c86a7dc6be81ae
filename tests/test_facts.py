"""FHIR → facts: drug classes, intrathecal route, doses, condition status as of a date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cds_service.clinical_nlp import default_note_reader
from cds_service.codes import default_codesets
from cds_service.facts import ClinicalFacts, extract_facts
from cds_service.fhir_parsing import ParsedRecord, add_resources, parse_resource
from tests.conftest import load_fixture

RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
INTRATHECAL = {"coding": [{"system": "http://snomed.info/sct", "code": "72607000"}]}


def facts_for(
    resources: list[dict[str, Any]],
    drafts: list[dict[str, Any]] = (),  # type: ignore[assignment]
    as_of: dt.date = dt.date(2026, 11, 21),
) -> ClinicalFacts:
    record = ParsedRecord("p")
    for resource in resources:
        resource.setdefault("subject", {"reference": "Patient/p"})
        add_resources(record, resource["resourceType"], [resource])
    orders = [parse_resource(d)[0] for d in drafts or []]
    return extract_facts(record, orders, default_codesets(), default_note_reader(), as_of)


def med(code: str, display: str, route: bool = False, reason: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": code,
        "status": "stopped",
        "intent": "order",
        "authoredOn": "2025-01-01",
        "medicationCodeableConcept": {"coding": [{"system": RX, "code": code, "display": display}]},
    }
    if route:
        resource["dosageInstruction"] = [{"route": INTRATHECAL}]
    if reason:
        resource["statusReason"] = {"text": reason}
    return resource


def test_intrathecal_drugs_are_pump_drugs_not_conservative_therapy() -> None:
    facts = facts_for(
        [
            med("7052", "morphine", route=True, reason="inadequate relief"),
            med("1292", "baclofen", route=True),
            med("1815", "bupivacaine", route=True),
            med("1049621", "oxycodone hydrochloride 5 MG Oral Tablet", reason="nausea"),
        ]
    )
    by_id = {m.evidence.reference: m for m in facts.medications}
    for ref in ("MedicationRequest/7052", "MedicationRequest/1292", "MedicationRequest/1815"):
        assert by_id[ref].intrathecal and "pump-drug" in by_id[ref].classes
        assert "systemic-opioid" not in by_id[ref].classes
    oral = by_id["MedicationRequest/1049621"]
    assert "systemic-opioid" in oral.classes and oral.failure_reasons == {"side-effects"}


def test_dose_from_hcpcs_units_matches_s3() -> None:
    bundle = load_fixture("s3-continuation-morphine-bupivacaine.json")
    drafts = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    ]
    facts = facts_for([], drafts)
    doses = {k: v for order in facts.orders for k, v in order.mg_per_day.items()}
    assert doses["morphine"] == pytest.approx(11.25)
    assert doses["bupivacaine"] == pytest.approx(0.5625)


def test_dose_from_dose_and_timing() -> None:
    draft = {
        "resourceType": "MedicationRequest",
        "id": "d",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"text": "hydromorphone intrathecal"},
        "dosageInstruction": [
            {
                "route": INTRATHECAL,
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 500, "code": "ug"}}],
            }
        ],
    }
    [order] = facts_for([], [draft]).orders
    assert order.intrathecal and order.mg_per_day == {"hydromorphone": pytest.approx(1.0)}


@pytest.mark.parametrize(
    ("status", "abated", "as_of", "active"),
    [
        ("active", None, "2026-11-21", True),
        (None, None, "2026-11-21", True),
        ("resolved", None, "2026-11-21", False),
        ("resolved", "2026-11-01", "2026-10-15", True),
        ("resolved", "2026-11-01", "2026-11-21", False),
        ("remission", None, "2026-11-21", False),
        ("recurrence", None, "2026-11-21", True),
    ],
)
def test_condition_active_as_of(
    status: str | None, abated: str | None, as_of: str, active: bool
) -> None:
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "id": "c",
        "onsetDateTime": "2026-01-01",
        "code": {"coding": [{"system": ICD, "code": "L03.311"}]},
    }
    if status:
        condition["clinicalStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": status,
                }
            ]
        }
    if abated:
        condition["abatementDateTime"] = abated
    [diagnosis] = facts_for([condition], as_of=dt.date.fromisoformat(as_of)).diagnoses
    assert diagnosis.active is active


def test_records_after_the_as_of_date_are_ignored() -> None:
    later = {
        "resourceType": "Condition",
        "id": "c",
        "onsetDateTime": "2027-01-01",
        "code": {"coding": [{"system": ICD, "code": "D68.4"}]},
    }
    assert facts_for([later]).diagnoses == ()
