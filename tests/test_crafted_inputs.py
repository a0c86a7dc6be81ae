"""Crafted attacks from the security review, replayed from data: never a 5xx, each its answer.

Beside the hypothesis fuzzers (random inputs), this list holds the inputs a reviewer
writes by hand: ``tests/data/crafted_inputs.json``, one case per line of attack, each
with the answer it must get. Every case builds on a fully documented fixture, so a case
that expects "no criteria-met" proves the attack degraded the decision, not the data.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from cds_service.app import create_app
from cds_service.config import Settings
from cds_service.replay import fhir_authorization
from tests.conftest import AS_OF, SIGN, TEST_DATA, hook_request, topics

CASES: list[dict[str, Any]] = json.loads((TEST_DATA / "crafted_inputs.json").read_text())
FHIR = "https://ehr.example.org/fhir"
TOKEN = "crafted-secret-token"
BASE = "implant-criteria-met.json"


@pytest.fixture(scope="module")
def app_client() -> FlaskClient:
    return create_app(Settings(as_of=AS_OF)).test_client()


def _parent(document: Any, path: str) -> tuple[Any, str | int]:
    keys: list[str | int] = [int(k) if k.isdigit() else k for k in path.split(".")]
    node = document
    for key in keys[:-1]:
        node = node[key]
    return node, keys[-1]


def _nested(depth: int) -> list[dict[str, Any]]:
    extension: dict[str, Any] = {"url": "http://example.org/x", "valueString": "v"}
    for _ in range(depth):
        extension = {"url": "http://example.org/x", "extension": [extension]}
    return [extension]


def _apply(request: dict[str, Any], edit: dict[str, Any]) -> None:
    parent, key = _parent(request, edit["path"])
    if edit["op"] == "set":
        parent[key] = copy.deepcopy(edit["value"])
    elif edit["op"] == "delete":
        del parent[key]
    elif edit["op"] == "nest":
        parent[key] = _nested(edit["depth"])
    else:
        raise AssertionError(f"unknown edit {edit['op']}")


def _hook_body(case: dict[str, Any], templates: dict[str, str]) -> dict[str, Any]:
    request = hook_request(BASE, templates, hook=case.get("hook", "order-sign"))
    if "fhirServer" in case:
        request["fhirServer"] = case["fhirServer"]
        request["fhirAuthorization"] = fhir_authorization(TOKEN)
    for edit in case.get("edits", []):
        _apply(request, edit)
    return request


def _mock_fhir(mock: responses.RequestsMock, case: dict[str, Any], full: dict[str, Any]) -> None:
    for answer in case.get("fhir", []):
        entries = full[answer["fromPrefetch"]]["entry"]
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": entries[:1],
            "link": [{"relation": "next", "url": answer["nextLink"]}],
        }
        mock.get(f"{FHIR}/{answer['path']}", json=bundle)


def _post(client: FlaskClient, case: dict[str, Any], templates: dict[str, str]) -> Any:
    service = case.get("service", SIGN)
    if case.get("target") == "feedback":
        url, body = f"/cds-services/{service}/feedback", case["body"]
    else:
        url, body = f"/cds-services/{service}", _hook_body(case, templates)
    data = case.get("rawBody") if "rawBody" in case else json.dumps(body)
    content_type = case.get("contentType", "application/json")
    headers = {"Content-Type": content_type} if content_type else {}
    return client.post(url, data=data, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_crafted_input(case: dict[str, Any], app_client: FlaskClient) -> None:
    services = app_client.get("/cds-services").get_json()["services"]
    templates = next(s["prefetch"] for s in services if s["id"] == SIGN)
    full = hook_request(BASE, templates)["prefetch"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _mock_fhir(mock, case, full)
        response = _post(app_client, case, templates)
        calls = list(mock.calls)
    expect = case["expect"]
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text[:300]
    assert response.status_code == expect["status"], (case["why"], text[:300])
    assert "Traceback" not in text and TOKEN not in text
    body = response.get_json()
    if expect["status"] != 200:
        issue = body["issue"][0]
        assert expect.get("diagnostics", "") in issue["diagnostics"]
        if "expression" in expect:
            assert issue["expression"] == [expect["expression"]]
        return
    if expect.get("noCriteriaMet"):
        assert "criteria-met" not in topics(body), case["why"]
    if "detail" in expect and "cards" in body:
        assert any(expect["detail"] in card["detail"] for card in body["cards"]), case["why"]
    if "calls" in expect:
        assert len(calls) == expect["calls"], [c.request.url for c in calls]
    for call in calls:
        assert call.request.url.startswith(FHIR + "/")
