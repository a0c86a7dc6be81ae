"""Public synthetic (Synthea) patients replayed through the service.

The fixtures in ``fhir_fixtures/synthea/`` were made by ``tools/synthea/convert.py``
from public Synthea FHIR R4 bundles (sources in ``tools/synthea/SOURCES.md``). Each
one is replayed in-process as of its order date. What a clinician would expect is in
``tests/data/synthea_expectations.json``; ``observed`` there records what the service
answered when the fixtures were added.

- ``test_synthea_replay`` asserts what must hold today: no crash, a schema-valid
  response, an evidence section on every card, the request type, and every
  expectation that the service already meets (expected topics it already raises,
  excluded topics it already leaves out). Fixing the pending gaps only makes more
  expectations hold, so this test keeps passing through those fixes.
- ``test_synthea_clinical_expectations`` asserts every expectation (pain type
  included): SNOMED-coded cancers are cancer pain, meperidine is a systemic opioid,
  coded sepsis is cited as coded evidence.
- The converter itself is tested on a small hand-made Synthea-style bundle.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib.util
import io
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cds_service.cli import main
from tests.conftest import (
    FIXTURES,
    ROOT,
    TEST_DATA,
    assert_valid_response,
    card_topics,
    topics,
)

SYNTHEA = FIXTURES / "synthea"
EXPECTATIONS: list[dict[str, Any]] = json.loads(
    (TEST_DATA / "synthea_expectations.json").read_text(encoding="utf-8")
)
KNOWN_TOPICS = card_topics()
REQUEST_LINE = re.compile(r"_Request: (\w+) \(([\w-]+) pain\)")
ORDER_CODES = {"62362": "implant", "95991": "refill"}


def _ids(case: dict[str, Any]) -> str:
    return str(case["fixture"]).removesuffix(".json")


@functools.cache
def _replay(fixture: str, as_of: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``replay`` (each fixture is replayed once per run)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["replay", str(SYNTHEA / fixture), "--as-of", as_of])
    return code, out.getvalue(), err.getvalue()


def _response(case: dict[str, Any]) -> dict[str, Any]:
    code, out, err = _replay(case["fixture"], case["as_of"])
    assert code == 0, err
    response: dict[str, Any] = json.loads(out)
    return response


def _request_line(response: dict[str, Any]) -> tuple[str, str]:
    """(request type, pain type) as the cards state them."""
    found = {
        (m.group(1), m.group(2))
        for c in response["cards"]
        if (m := REQUEST_LINE.search(c["detail"]))
    }
    assert len(found) == 1, f"cards disagree on, or omit, the request line: {found}"
    return next(iter(found))


def _cards_by_topic(response: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    cards: dict[str, list[dict[str, Any]]] = {}
    for card in response["cards"]:
        cards.setdefault(card["source"]["topic"]["code"], []).append(card)
    return cards


# --- the fixtures themselves ---------------------------------------------------------------


def test_every_synthea_fixture_has_an_expectation() -> None:
    assert {case["fixture"] for case in EXPECTATIONS} == {p.name for p in SYNTHEA.glob("*.json")}
    assert len({case["fixture"] for case in EXPECTATIONS}) == len(EXPECTATIONS)
    for case in EXPECTATIONS:
        assert not set(case["expected_topics_include"]) & set(case["expected_topics_exclude"])
        assert set(case["expected_topics_include"]) | set(case["expected_topics_exclude"]) <= (
            KNOWN_TOPICS
        )
        assert case["expected_pain_type"] in ("cancer", "non-malignant")
        assert case["why"].strip()


def test_synthea_fixtures_stay_small() -> None:
    sizes = [p.stat().st_size for p in SYNTHEA.glob("*.json")]
    assert sizes and sum(sizes) < 25 * 1024 * 1024


@pytest.mark.parametrize("case", EXPECTATIONS, ids=_ids)
def test_fixture_is_one_patient_with_one_dated_draft_order(case: dict[str, Any]) -> None:
    bundle = json.loads((SYNTHEA / case["fixture"]).read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    resources = [e["resource"] for e in bundle["entry"]]
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    assert len(patients) == 1
    patient = f"Patient/{patients[0]['id']}"
    drafts = [r for r in resources if r.get("status") == "draft"]
    assert len(drafts) == 1
    (draft,) = drafts
    assert draft["resourceType"] == "ServiceRequest" and draft["authoredOn"] == case["as_of"]
    (coding,) = draft["code"]["coding"]
    assert coding["system"] == "http://www.ama-assn.org/go/cpt"
    assert ORDER_CODES[coding["code"]] == case["expected_request_type"]
    text = json.dumps(bundle)
    assert '"reference": "urn:uuid:' not in text
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{resource['resourceType']}/{resource['id']}"
        if resource["resourceType"] != "Patient":
            assert resource["subject"]["reference"] == patient


# --- what the service says today -----------------------------------------------------------


@pytest.mark.parametrize("case", EXPECTATIONS, ids=_ids)
def test_synthea_replay(case: dict[str, Any], record_property: Any) -> None:
    response = _response(case)
    assert_valid_response(response)
    found = topics(response)
    record_property("topics", ",".join(sorted(found)))
    assert response["cards"], "an intrathecal order always gets at least one card"
    assert found <= KNOWN_TOPICS
    for card in response["cards"]:
        assert "**Evidence used:**" in card["detail"], card["summary"]
        if card["indicator"] in ("warning", "critical"):
            assert card.get("overrideReasons"), card["summary"]
    request_type, _pain = _request_line(response)
    assert request_type == case["expected_request_type"]
    # Every expectation the service met when the fixture was added must keep holding.
    observed = set(case["observed"]["topics"])
    assert set(case["expected_topics_include"]) & observed <= found
    assert not (set(case["expected_topics_exclude"]) - observed) & found
    assert "criteria-met" not in found


@pytest.mark.parametrize("case", EXPECTATIONS, ids=_ids)
def test_synthea_clinical_expectations(case: dict[str, Any]) -> None:
    response = _response(case)
    found = topics(response)
    request_type, pain_type = _request_line(response)
    assert (request_type, pain_type) == (case["expected_request_type"], case["expected_pain_type"])
    assert set(case["expected_topics_include"]) <= found, case["why"]
    assert not set(case["expected_topics_exclude"]) & found, case["why"]
    cards = _cards_by_topic(response)
    for topic, words in case.get("expected_detail_mentions", {}).items():
        details = " ".join(c["detail"] for c in cards.get(topic, [])).lower()
        assert all(word.lower() in details for word in words), (topic, words)
    for topic, words in case.get("expected_detail_excludes", {}).items():
        details = " ".join(c["detail"] for c in cards.get(topic, [])).lower()
        assert not any(word.lower() in details for word in words), (topic, words)


# --- the converter -------------------------------------------------------------------------


def _converter() -> ModuleType:
    path = ROOT / "tools" / "synthea" / "convert.py"
    spec = importlib.util.spec_from_file_location("synthea_convert", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("synthea_convert", module)
    spec.loader.exec_module(module)
    return module


convert = _converter()
PID = "0b1c2d3e-0000-4000-8000-000000000001"


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:{resource['id']}",
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]},
    }


def synthea_bundle(deceased: str | None = None) -> dict[str, Any]:
    subject = {"reference": f"urn:uuid:{PID}"}
    patient: dict[str, Any] = {"resourceType": "Patient", "id": PID, "birthDate": "1960-01-01"}
    if deceased:
        patient["deceasedDateTime"] = deceased
    resources: list[dict[str, Any]] = [
        patient,
        {
            "resourceType": "Encounter",
            "id": "enc-1",
            "subject": subject,
            "period": {"start": "2023-05-01T10:00:00+02:00"},
        },
        {
            "resourceType": "Encounter",
            "id": "enc-2",
            "subject": subject,
            "period": {"start": "2024-02-08T10:00:00+01:00"},
        },
        {
            "resourceType": "Condition",
            "id": "cond-cancer",
            "clinicalStatus": {"coding": [{"code": "resolved"}]},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "254637007"}]},
            "subject": subject,
            "encounter": {"reference": "urn:uuid:enc-1"},
            "onsetDateTime": "2023-05-01T10:00:00+02:00",
            "abatementDateTime": "2024-06-01T10:00:00+02:00",
        },
        {
            "resourceType": "Condition",
            "id": "cond-later",
            "code": {"text": "later"},
            "subject": subject,
            "onsetDateTime": "2024-03-01",
        },
        {
            "resourceType": "Medication",
            "id": "med-1",
            "code": {"coding": [{"display": "Meperidine Hydrochloride 50 MG Oral Tablet"}]},
        },
        {
            "resourceType": "MedicationRequest",
            "id": "mr-1",
            "status": "stopped",
            "medicationReference": {"reference": "urn:uuid:med-1"},
            "subject": subject,
            "authoredOn": "2010-01-01T00:00:00+01:00",
        },
        {
            "resourceType": "Observation",
            "id": "obs-1",
            "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
            "subject": subject,
            "effectiveDateTime": "2023-05-01T10:00:00+02:00",
            "valueQuantity": {"value": 8},
        },
        {
            "resourceType": "DocumentReference",
            "id": "doc-1",
            "subject": subject,
            "date": "2023-05-01T10:00:00+02:00",
            "context": {"encounter": [{"reference": "urn:uuid:enc-1"}]},
            "content": [{"attachment": {"contentType": "text/plain", "data": "cGFpbg=="}}],
        },
        {"resourceType": "Claim", "id": "claim-1", "patient": subject},
    ]
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [_entry(r) for r in resources],
    }


def test_converter_rewrites_filters_and_adds_a_draft_order() -> None:
    fixture, warnings = convert.convert(synthea_bundle(), name="t", add_order="implant")
    assert warnings == []
    assert fixture["type"] == "collection" and fixture["id"] == "t"
    resources = {e["resource"]["id"]: e["resource"] for e in fixture["entry"]}
    types = [e["resource"]["resourceType"] for e in fixture["entry"]]
    assert types[0] == "Patient" and types[-1] == "ServiceRequest"
    assert not {"Encounter", "Claim", "Medication"} & set(types)
    assert "cond-later" not in resources  # after the order date
    assert [e["fullUrl"] for e in fixture["entry"]][:2] == [
        f"Patient/{PID}",
        "Condition/cond-cancer",
    ]
    cancer = resources["cond-cancer"]
    assert cancer["subject"] == {"reference": f"Patient/{PID}"}
    assert cancer["encounter"] == {"reference": "Encounter/enc-1"}
    assert "abatementDateTime" not in cancer  # abated after the order date
    assert cancer["clinicalStatus"]["coding"][0]["code"] == "active"
    assert resources["mr-1"]["medicationReference"] == {
        "reference": "Medication/med-1",
        "display": "Meperidine Hydrochloride 50 MG Oral Tablet",
    }
    assert resources["doc-1"]["content"][0]["attachment"]["data"] == "cGFpbg=="
    draft = fixture["entry"][-1]["resource"]
    assert draft["status"] == "draft" and draft["authoredOn"] == "2024-02-08"  # last encounter
    assert draft["code"]["coding"][0]["code"] == "62362"
    assert draft["subject"] == {"reference": f"Patient/{PID}"}


def test_converter_refill_with_pump_history_and_trimming() -> None:
    fixture, _ = convert.convert(
        synthea_bundle(),
        name="t",
        add_order="refill",
        order_date=dt.date(2024, 1, 15),
        pump_implanted=dt.date(2023, 11, 1),
        history_years=10,
    )
    resources = [e["resource"] for e in fixture["entry"]]
    ids = {r["id"] for r in resources}
    assert "mr-1" not in ids  # 2010: older than ten years before the order
    assert "cond-cancer" in ids
    pump, draft = resources[-2:]
    assert pump["resourceType"] == "Procedure" and pump["status"] == "completed"
    assert pump["performedDateTime"] == "2023-11-01"
    assert draft["code"]["coding"][0]["code"] == "95991" and draft["authoredOn"] == "2024-01-15"


def test_converter_output_is_deterministic(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text(json.dumps(synthea_bundle()))
    outputs = [tmp_path / "a.json", tmp_path / "b.json"]
    for output in outputs:
        with contextlib.redirect_stderr(io.StringIO()):
            argv = [str(source), "-o", str(output), "--add-order", "implant", "--name", "t"]
            assert convert.main(argv) == 0
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    assert json.loads(outputs[0].read_text())["id"] == "t"


def test_converter_refuses_an_order_after_death(tmp_path: Path) -> None:
    with pytest.raises(convert.ConversionError, match="died"):
        convert.convert(synthea_bundle(deceased="2024-01-01T00:00:00+01:00"), name="t")
    fixture, _ = convert.convert(
        synthea_bundle(deceased="2024-01-01T00:00:00+01:00"),
        name="t",
        order_date=dt.date(2023, 12, 1),
    )
    assert "deceasedDateTime" not in fixture["entry"][0]["resource"]
    source = tmp_path / "in.json"
    source.write_text(json.dumps(synthea_bundle(deceased="2024-01-01")))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert convert.main([str(source), "-o", str(tmp_path / "out.json")]) == 1
    assert "died" in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1
