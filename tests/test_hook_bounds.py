"""Each hook call is bounded: its processing stops at the budget, caches and audit rows
have byte limits, and what was not processed can never come out as criteria-met."""

from __future__ import annotations

import copy
import json
from typing import Any

from flask.testing import FlaskClient

from cds_service.app import create_app
from cds_service.codes import (
    MATCH_CACHE_BYTES,
    CodedText,
    Coding,
    default_codesets,
)
from cds_service.config import Settings
from cds_service.facts import DIAGNOSIS_CONCEPTS
from cds_service.hook_handler import AUDIT_MAX_ITEM_CHARS, AUDIT_MAX_ITEMS, capped
from tests.conftest import AS_OF, SIGN, hook_request, topics


def _post(client: FlaskClient, body: Any) -> Any:
    return client.post(
        f"/cds-services/{SIGN}", data=json.dumps(body), content_type="application/json"
    )


def _templates(client: FlaskClient) -> dict[str, str]:
    services = client.get("/cds-services").get_json()["services"]
    return next(s["prefetch"] for s in services if s["id"] == SIGN)


def _pain_scores(count: int) -> list[dict[str, Any]]:
    return [
        {
            "resource": {
                "resourceType": "Observation",
                "id": f"bulk-{i}",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                "subject": {"reference": "Patient/implant-ok-patient"},
                "effectiveDateTime": "2026-10-01T10:00:00Z",
                "valueQuantity": {"value": 3},
            }
        }
        for i in range(count)
    ]


def test_processing_that_outlasts_the_budget_is_reported_never_met() -> None:
    """The budget covers parsing, not only reads: a spent budget leaves the rest unread."""
    client = create_app(Settings(as_of=AS_OF, hook_time_budget=1e-9)).test_client()
    request = hook_request("implant-criteria-met.json", _templates(client))
    request["prefetch"]["painScores"]["entry"] += _pain_scores(2000)
    response = _post(client, request)
    assert response.status_code == 200
    body = response.get_json()
    assert "criteria-met" not in topics(body)
    assert any("not read within the hook's time budget" in c["detail"] for c in body["cards"])


def test_the_same_record_within_budget_is_met() -> None:
    """The control: the bulk scores alone do not block criteria-met."""
    client = create_app(Settings(as_of=AS_OF)).test_client()
    request = hook_request("implant-criteria-met.json", _templates(client))
    request["prefetch"]["painScores"]["entry"] += _pain_scores(200)
    assert topics(_post(client, request).get_json()) == {"criteria-met"}


def test_audit_rows_are_capped() -> None:
    values = [f"Observation/{i:05d}" + "x" * 300 for i in range(AUDIT_MAX_ITEMS + 50)]
    kept = capped(values)
    assert len(kept) == AUDIT_MAX_ITEMS + 1 and kept[-1] == "+50 more"
    assert all(len(v) <= AUDIT_MAX_ITEM_CHARS for v in kept)
    assert capped(["a", "b"]) == ("a", "b")


def test_many_draft_orders_write_a_bounded_audit_row() -> None:
    client = create_app(Settings(as_of=AS_OF)).test_client()
    request = hook_request("s3-continuation-morphine-bupivacaine.json", _templates(client))
    drafts = request["context"]["draftOrders"]["entry"]
    order = next(e for e in drafts if e["resource"]["resourceType"] == "MedicationRequest")
    for i in range(AUDIT_MAX_ITEMS * 2):
        copied = copy.deepcopy(order)
        copied["resource"]["id"] = f"bulk-order-{i}"
        drafts.append(copied)
    response = _post(client, request)
    assert response.status_code == 200
    [record] = list(client.application.extensions["hook_handler"].storage.audit_trail())
    for column in (record.topics, record.evidence_ids, record.card_uuids):
        assert len(column) <= AUDIT_MAX_ITEMS + 1
    assert len(json.dumps(list(record.evidence_ids))) < 64 * 1024


def test_code_match_cache_is_bounded_in_bytes() -> None:
    """Long free-text codes used to grow a worker by hundreds of MB; now bytes are capped."""
    codesets = default_codesets()
    for i in range(4000):
        text = f"{i} chronic pain " + "z" * 3000
        codesets.concepts_of(CodedText((Coding("urn:x", str(i)),), text), DIAGNOSIS_CONCEPTS)
    assert codesets.cached_bytes() <= MATCH_CACHE_BYTES
    before = codesets.cached_bytes()
    huge = CodedText(text="malignant neoplasm " * 20000)
    assert codesets.concepts_of(huge, DIAGNOSIS_CONCEPTS)  # still matched
    assert codesets.cached_bytes() <= max(before, MATCH_CACHE_BYTES)


def _with_note(request: dict[str, Any], text: str) -> dict[str, Any]:
    import base64

    note = {
        "resourceType": "DocumentReference",
        "id": "long-progress-note",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
        "subject": {"reference": "Patient/implant-ok-patient"},
        "date": "2026-11-15T10:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": base64.b64encode(text.encode()).decode(),
                }
            }
        ],
    }
    request["prefetch"]["documents"]["entry"].append({"resource": note})
    return request


def test_a_note_cut_by_the_caps_is_never_evidence_of_absence() -> None:
    """An infection named past the per-note cap is unread: active-infection cannot be met."""
    from cds_service.clinical_nlp import MAX_NOTE_CHARS

    client = create_app(Settings(as_of=AS_OF)).test_client()
    filler = "Routine follow-up, vitals stable, plan unchanged. " * (MAX_NOTE_CHARS // 50 + 10)
    request = _with_note(
        hook_request("implant-criteria-met.json", _templates(client)),
        filler + "Exam: pump pocket infection with drainage.",
    )
    body = _post(client, request).get_json()
    assert "criteria-met" not in topics(body)
    infection = [c for c in body["cards"] if c["source"]["topic"]["code"] == "active-infection"]
    assert infection and "could not be fully checked" in infection[0]["summary"]


def test_the_same_infection_within_the_caps_is_read() -> None:
    """The control: the same sentence in a short note is a contraindication."""
    client = create_app(Settings(as_of=AS_OF)).test_client()
    request = _with_note(
        hook_request("implant-criteria-met.json", _templates(client)),
        "Exam: pump pocket infection with drainage.",
    )
    body = _post(client, request).get_json()
    infection = [c for c in body["cards"] if c["source"]["topic"]["code"] == "active-infection"]
    assert infection and infection[0]["indicator"] == "critical"


def test_an_exhausted_reading_budget_leaves_note_criteria_unchecked() -> None:
    """With no reading budget left, the psych note is unread: psych-evaluation is unknown."""
    from cds_service.catalogue import default_catalogue
    from cds_service.clinical_nlp import ReadingBudget, default_note_reader
    from cds_service.evaluation import MET, UNKNOWN, evaluate
    from cds_service.facts import extract_facts
    from cds_service.gathering import gather
    from cds_service.hook_handler import draft_orders, load_services
    from cds_service.policy import load_preset

    service = load_services()[SIGN]
    request = hook_request("implant-criteria-met.json", service.prefetch)
    record = gather(request, service.templates(), client_factory=None)  # type: ignore[arg-type]
    for budget, expected in ((None, MET), (ReadingBudget(0), UNKNOWN)):
        facts = extract_facts(
            record, draft_orders(request), default_codesets(), default_note_reader(), AS_OF, budget
        )
        evaluation = evaluate(facts, load_preset("default"), default_catalogue())
        psych = [f for f in evaluation.findings if f.criterion == "psych-evaluation"]
        assert {f.status for f in psych} == {expected}
        assert evaluation.criteria_met is (expected == MET)
