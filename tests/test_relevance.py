"""Skipping unusable resources before validation changes no fact and hides no malformed entry."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from cds_service.clinical_nlp import default_note_reader
from cds_service.codes import default_codesets
from cds_service.facts import CONCEPTS_READ, ClinicalFacts, extract_facts
from cds_service.fhir_parsing import ParsedRecord, add_resources
from cds_service.relevance import RelevanceFilter
from tests.conftest import FIXTURES, TEST_DATA
from tests.test_criteria_cases import build_bundle

FILTER = RelevanceFilter(default_codesets(), CONCEPTS_READ)
CASES = json.loads((TEST_DATA / "criteria_cases.json").read_text())


def _facts(bundle: dict[str, Any], keep: Any) -> ClinicalFacts:
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r["id"] for r in resources if r["resourceType"] == "Patient")
    record = ParsedRecord(patient, keep=keep)
    for resource in resources:
        if resource.get("status") != "draft":
            add_resources(record, str(resource.get("resourceType")), [resource])
    return extract_facts(
        record, [], default_codesets(), default_note_reader(), dt.date(2026, 11, 21)
    )


BUNDLES = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))] + [
    build_bundle(c) for c in CASES
]


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda b: str(len(b["entry"])))
def test_filter_changes_no_fact(bundle: dict[str, Any]) -> None:
    assert _facts(bundle, FILTER.keep) == _facts(bundle, None)


def test_irrelevant_resources_are_dropped_and_malformed_ones_still_reported() -> None:
    hypertension = {
        "resourceType": "Condition",
        "id": "htn",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"}]},
    }
    broken = {
        "resourceType": "Condition",
        "id": "bad",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": "I10"},
    }
    oddly_typed = {
        "resourceType": "Condition",
        "id": "odd",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"}]},
        "onsetDateTime": 12,
    }
    assert not FILTER.keep(hypertension)
    assert FILTER.keep(broken)
    record = ParsedRecord("p", keep=FILTER.keep)
    add_resources(record, "Condition", [hypertension, broken, oddly_typed])
    assert record.of_type("Condition") == []
    assert any("Condition/bad could not be read" in p for p in record.problems)
