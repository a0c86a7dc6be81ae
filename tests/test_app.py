"""The HTTP faces: discovery, both hooks with prefetch and with FHIR fallback, and every error."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
import requests
import responses
from flask.testing import FlaskClient
from responses import matchers

from cds_service.app import create_app
from cds_service.config import Settings
from cds_service.errors import ConfigurationError
from cds_service.replay import fhir_authorization
from cds_service.resources import validator
from tests.conftest import (
    AS_OF,
    SELECT,
    SIGN,
    assert_valid_response,
    hook_request,
    load_fixture,
    topics,
)

FHIR = "https://ehr.example.org/fhir"
TOKEN = "secret-token-abc"


def _post(client: FlaskClient, service: str, body: Any) -> Any:
    return client.post(
        f"/cds-services/{service}", data=json.dumps(body), content_type="application/json"
    )


def _assert_outcome(response: Any, status: int, text: str, expression: str | None = None) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    issue = body["issue"][0]
    assert text in issue["diagnostics"]
    if expression is not None:
        assert issue["expression"] == [expression]
    assert "Traceback" not in response.get_data(as_text=True)


# --- discovery ----------------------------------------------------------------------------


def test_discovery_lists_order_sign_and_order_select(client: FlaskClient) -> None:
    body = client.get("/cds-services").get_json()
    assert not list(validator("discovery-response.schema.json").iter_errors(body))
    hooks = {s["hook"]: s for s in body["services"]}
    assert set(hooks) >= {"order-sign", "order-select"}
    for service in hooks.values():
        templates = service["prefetch"]
        tokens = {t for q in templates.values() for t in re.findall(r"\{\{([^}]+)\}\}", q)}
        assert tokens <= {"context.patientId", "userPractitionerId"}
        types = {q.split("?")[0].split("/")[0] for q in templates.values()}
        assert types >= {
            "Patient",
            "Condition",
            "MedicationRequest",
            "Procedure",
            "DocumentReference",
            "Observation",
        }
        assert any("72514-3" in q for q in templates.values())
        assert "policy" not in service


# --- hooks with prefetch ------------------------------------------------------------------


def test_order_sign_with_prefetch(client: FlaskClient, templates: dict[str, str]) -> None:
    response = _post(client, SIGN, hook_request("s1-implant-spondylosis.json", templates))
    assert response.status_code == 200
    body = response.get_json()
    assert_valid_response(body)
    assert topics(body) == {
        "conservative-therapy",
        "trial-response",
        "psych-evaluation",
        "evidence-caveat",
    }
    indicators = [c["indicator"] for c in body["cards"]]
    assert indicators == sorted(indicators, key=["critical", "warning", "info"].index)


def test_order_select_with_prefetch(client: FlaskClient, templates: dict[str, str]) -> None:
    request = hook_request("refill-criteria-met.json", templates, hook="order-select")
    body = _post(client, SELECT, request).get_json()
    assert_valid_response(body)
    assert topics(body) == {"criteria-met"}


def test_order_select_evaluates_only_the_selected_orders(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = hook_request("s1-implant-spondylosis.json", templates, hook="order-select")
    unrelated = {
        "resourceType": "ServiceRequest",
        "id": "lab1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/s1-patient"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
    }
    request["context"]["draftOrders"]["entry"].append({"resource": unrelated})
    request["context"]["selections"] = ["ServiceRequest/lab1"]
    assert _post(client, SELECT, request).get_json() == {"cards": []}


def test_cards_carry_evidence_override_reasons_and_suggestions(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    body = _post(client, SIGN, hook_request("s1-implant-spondylosis.json", templates)).get_json()
    by_topic = {c["source"]["topic"]["code"]: c for c in body["cards"]}
    psych = by_topic["psych-evaluation"]
    assert psych["indicator"] == "warning"
    assert all(r["display"] for r in psych["overrideReasons"])
    assert psych["selectionBehavior"] == "at-most-one"
    resource = psych["suggestions"][0]["actions"][0]["resource"]
    assert resource["resourceType"] == "ServiceRequest" and resource["status"] == "draft"
    assert resource["code"]["coding"][0]["code"] == "90791"
    assert resource["subject"]["reference"] == "Patient/s1-patient"
    trial = by_topic["trial-response"]["suggestions"][0]["actions"][0]["resource"]
    assert trial["code"]["coding"][0]["code"] == "62326"
    caveat = by_topic["evidence-caveat"]
    assert caveat["indicator"] == "info" and "Condition/s1-cond1" in caveat["detail"]
    assert "**Missing:**" in by_topic["conservative-therapy"]["detail"]


def test_criteria_met_card_names_its_evidence(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    body = _post(client, SIGN, hook_request("implant-criteria-met.json", templates)).get_json()
    [card] = body["cards"]
    assert card["indicator"] == "info"
    for reference in (
        "MedicationRequest/implant-ok-med4",
        "DocumentReference/implant-ok-doc8",
        "Procedure/implant-ok-proc10",
        "Observation/implant-ok-pain9",
    ):
        assert reference in card["detail"]
    assert "from an unstructured note, verify" in card["detail"]


def test_not_intrathecal_order_gets_no_cards(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = hook_request("s1-implant-spondylosis.json", templates)
    request["context"]["draftOrders"]["entry"] = [
        {
            "resource": {
                "resourceType": "ServiceRequest",
                "id": "xr",
                "status": "draft",
                "intent": "order",
                "subject": {"reference": "Patient/s1-patient"},
                "code": {
                    "coding": [
                        {
                            "system": "http://www.ama-assn.org/go/cpt",
                            "code": "72100",
                            "display": "X-ray lumbar spine",
                        }
                    ]
                },
            }
        }
    ]
    assert _post(client, SIGN, request).get_json() == {"cards": []}


def test_null_prefetch_means_no_data_and_no_fetch(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = hook_request("s1-implant-spondylosis.json", templates)
    request["prefetch"] = {key: None for key in templates}
    request["prefetch"]["patient"] = load_fixture("s1-implant-spondylosis.json")["entry"][0][
        "resource"
    ]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        body = _post(client, SIGN, request).get_json()
        assert not mock.calls
    assert "evidence-caveat" not in topics(body)
    assert {"conservative-therapy", "trial-response", "psych-evaluation"} <= topics(body)


def test_malformed_resource_is_skipped_and_reported(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = hook_request("implant-criteria-met.json", templates)
    request["prefetch"]["conditions"]["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "id": "broken",
                "subject": {"reference": "Patient/implant-ok-patient"},
                "code": {"coding": "not-a-list"},
            }
        }
    )
    response = _post(client, SIGN, request)
    assert response.status_code == 200
    body = response.get_json()
    # The unreadable Condition might have been an infection: never criteria-met on incomplete data.
    assert "criteria-met" not in topics(body)
    assert all("Condition/broken could not be read" in c["detail"] for c in body["cards"])


def test_another_patients_resource_is_ignored(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = hook_request("implant-criteria-met.json", templates)
    request["prefetch"]["conditions"]["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "id": "other",
                "subject": {"reference": "Patient/someone-else"},
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "D68.4"}]
                },
            }
        }
    )
    body = _post(client, SIGN, request).get_json()
    assert topics(body) == {"criteria-met"}
    assert "Condition/other belongs to another patient" in body["cards"][0]["detail"]


# --- fallback fetching from fhirServer ----------------------------------------------------


def _searchset(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def _search_url(query: str, patient_id: str) -> str:
    """The URL the service requests for a template: searches ask for pages of 200."""
    url = f"{FHIR}/{query.replace('{{context.patientId}}', patient_id)}"
    return url if "?" not in url else f"{url}&_count=200"


def _register_fhir(
    mock: responses.RequestsMock,
    fixture: str,
    templates: dict[str, str],
    *,
    split_conditions: bool = False,
    skip: tuple[str, ...] = (),
) -> None:
    """Serve the fixture's prefetch answers from a mocked FHIR server, token required."""
    request = hook_request(fixture, templates)
    auth = [
        matchers.header_matcher(
            {"Authorization": f"Bearer {TOKEN}", "Accept": "application/fhir+json"}
        )
    ]
    patient_id = request["context"]["patientId"]
    for key, query in templates.items():
        if key in skip:
            continue
        url = _search_url(query, patient_id)
        answer = request["prefetch"][key]
        if key == "conditions" and split_conditions:
            resources = [e["resource"] for e in answer["entry"]]
            page2 = f"{FHIR}?_getpages=abc&_page=2"
            mock.get(url, json=_searchset(resources[:1], page2), match=auth)
            mock.get(page2, json=_searchset(resources[1:]), match=auth)
        else:
            mock.get(url, json=answer, match=auth)


def _card_keys(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["source"]["topic"]["code"], c["indicator"], c["summary"]) for c in body["cards"]]


def _no_prefetch(
    fixture: str, templates: dict[str, str], hook: str = "order-sign"
) -> dict[str, Any]:
    request = hook_request(fixture, templates, hook=hook)
    del request["prefetch"]
    request["fhirServer"] = FHIR
    request["fhirAuthorization"] = fhir_authorization(TOKEN)
    return request


@pytest.mark.parametrize(
    "fixture",
    [
        "s1-implant-spondylosis.json",
        "implant-criteria-met.json",
        "s3-continuation-morphine-bupivacaine.json",
    ],
)
def test_fetch_without_prefetch_matches_prefetch(
    client: FlaskClient, templates: dict[str, str], fixture: str
) -> None:
    with_prefetch = _post(client, SIGN, hook_request(fixture, templates)).get_json()
    with responses.RequestsMock() as mock:
        _register_fhir(mock, fixture, templates, split_conditions=True)
        fetched = _post(client, SIGN, _no_prefetch(fixture, templates)).get_json()
        assert len(mock.calls) == len(templates) + 1  # one extra for the second Condition page
    assert _card_keys(fetched) == _card_keys(with_prefetch)


def test_partial_prefetch_fetches_only_missing_keys(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = _no_prefetch("implant-criteria-met.json", templates)
    full = hook_request("implant-criteria-met.json", templates)["prefetch"]
    request["prefetch"] = {k: full[k] for k in ("patient", "conditions", "documents")}
    request["prefetch"]["documents"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    with responses.RequestsMock() as mock:
        _register_fhir(mock, "implant-criteria-met.json", templates, skip=("patient", "conditions"))
        body = _post(client, SIGN, request).get_json()
        fetched = {call.request.url.split("/fhir/")[1].split("?")[0] for call in mock.calls}
    assert fetched == {"MedicationRequest", "Procedure", "DocumentReference", "Observation"}
    assert topics(body) == {"criteria-met"}


def test_token_is_not_sent_to_another_origin(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = _no_prefetch("implant-criteria-met.json", templates)
    full = hook_request("implant-criteria-met.json", templates)["prefetch"]
    request["prefetch"] = {k: v for k, v in full.items() if k != "conditions"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        conditions = [e["resource"] for e in full["conditions"]["entry"]]
        mock.get(
            f"{FHIR}/Condition?patient=implant-ok-patient&_count=200",
            json=_searchset(conditions[:1], "https://evil.example.com/fhir?page=2"),
        )
        evil = mock.get("https://evil.example.com/fhir?page=2", json=_searchset(conditions[1:]))
        body = _post(client, SIGN, request).get_json()
        assert evil.call_count == 0
        assert all(c.request.headers.get("Authorization") == f"Bearer {TOKEN}" for c in mock.calls)
    # The rest of the results was not read, so nothing that depends on Conditions can pass.
    assert "criteria-met" not in topics(body)
    assert any("paging link pointed to another server" in c["detail"] for c in body["cards"])


def test_no_token_when_fhir_authorization_is_absent(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = _no_prefetch("s1-implant-spondylosis.json", templates)
    del request["fhirAuthorization"]
    full = hook_request("s1-implant-spondylosis.json", templates)["prefetch"]
    with responses.RequestsMock() as mock:
        for key, query in templates.items():
            mock.get(_search_url(query, "s1-patient"), json=full[key])
        assert _post(client, SIGN, request).status_code == 200
        assert all("Authorization" not in c.request.headers for c in mock.calls)


# --- errors -------------------------------------------------------------------------------


def test_unknown_service_is_404(client: FlaskClient) -> None:
    _assert_outcome(_post(client, "no-such-service", {}), 404, "unknown CDS service id")


def test_wrong_method_and_path_are_json(client: FlaskClient) -> None:
    _assert_outcome(client.get(f"/cds-services/{SIGN}"), 405, "method")
    _assert_outcome(client.get("/nothing-here"), 404, "not found")


@pytest.mark.parametrize(
    ("mutate", "text", "expression"),
    [
        (lambda r: r.pop("hookInstance"), "'hookInstance' is a required property", "hookInstance"),
        (
            lambda r: r["context"].pop("patientId"),
            "'patientId' is a required property",
            "context.patientId",
        ),
        (
            lambda r: r["context"].update(patientId="../Patient/x"),
            "does not match",
            "context.patientId",
        ),
        (
            lambda r: r["context"]["draftOrders"].update(resourceType="Patient"),
            "'Bundle' was expected",
            "context.draftOrders.resourceType",
        ),
        (lambda r: r.update(hook="patient-view"), "answers the order-sign hook", "hook"),
        (
            lambda r: r.update(fhirAuthorization=fhir_authorization("t")),
            "'fhirServer' is a dependency",
            None,
        ),
        (
            lambda r: r["prefetch"].update(conditions="not a resource"),
            "is not of type 'object', 'null'",
            "prefetch.conditions",
        ),
        (
            lambda r: r["prefetch"].update(conditions={"entry": []}),
            "'resourceType' is a required property",
            "prefetch.conditions.resourceType",
        ),
        (
            lambda r: r["prefetch"].update(conditions={"resourceType": "bundle"}),
            "does not match",
            "prefetch.conditions.resourceType",
        ),
        (
            lambda r: r["context"]["draftOrders"]["entry"][0]["resource"].update(status=7),
            "invalid draft order at context.draftOrders.entry.0.resource",
            "context.draftOrders.entry.0.resource",
        ),
        (
            lambda r: r["context"]["draftOrders"]["entry"][0]["resource"].update(
                subject={"reference": "Patient/zz"}
            ),
            "different patient",
            "context.draftOrders.entry.0.resource.subject",
        ),
    ],
)
def test_invalid_requests_are_400_naming_the_field(
    client: FlaskClient, templates: dict[str, str], mutate: Any, text: str, expression: str | None
) -> None:
    request = hook_request("s1-implant-spondylosis.json", templates)
    mutate(request)
    _assert_outcome(_post(client, SIGN, request), 400, text, expression)


def test_unknown_selection_is_400(client: FlaskClient, templates: dict[str, str]) -> None:
    request = hook_request("s1-implant-spondylosis.json", templates, hook="order-select")
    request["context"]["selections"] = ["ServiceRequest/does-not-exist"]
    _assert_outcome(_post(client, SELECT, request), 400, "not in draftOrders", "context.selections")


@pytest.mark.parametrize(
    "body", [b"", b"{oops", b"\xff\xfe", b"[" * 100000 + b"]" * 100000, b"[]", b"null", b'"text"']
)
def test_unparseable_bodies_are_400(client: FlaskClient, body: bytes) -> None:
    response = client.post(f"/cds-services/{SIGN}", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_no_prefetch_and_no_fhir_server_is_412(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = hook_request("s1-implant-spondylosis.json", templates)
    request["prefetch"].pop("procedures")
    _assert_outcome(
        _post(client, SIGN, request), 412, "prefetch procedures not provided", "fhirServer"
    )


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ({"status": 401, "json": {"resourceType": "OperationOutcome"}}, "HTTP 401"),
        ({"status": 403, "json": {"resourceType": "OperationOutcome"}}, "HTTP 403"),
        ({"body": "[" * 50000 + "]" * 50000, "status": 200}, "did not answer valid JSON"),
        ({"body": requests.ReadTimeout()}, "could not be reached"),
        ({"status": 503, "body": "down"}, "HTTP 503"),
        ({"body": requests.ConnectTimeout()}, "could not be reached"),
        ({"body": requests.ConnectionError()}, "could not be reached"),
        ({"body": requests.exceptions.SSLError()}, "could not be reached"),
        ({"body": "{not json", "status": 200}, "did not answer valid JSON"),
        ({"json": {"resourceType": "Patient", "id": "x"}}, "not a Bundle"),
        ({"status": 302, "headers": {"Location": "https://elsewhere.example.com/"}}, "HTTP 302"),
    ],
)
def test_fhir_failures_are_412(
    client: FlaskClient, templates: dict[str, str], answer: dict[str, Any], text: str
) -> None:
    request = _no_prefetch("s1-implant-spondylosis.json", templates)
    full = hook_request("s1-implant-spondylosis.json", templates)["prefetch"]
    request["prefetch"] = {k: v for k, v in full.items() if k != "procedures"}
    with responses.RequestsMock() as mock:
        mock.get(f"{FHIR}/Procedure?patient=s1-patient&_count=200", **answer)
        response = _post(client, SIGN, request)
    _assert_outcome(response, 412, text)
    body = response.get_data(as_text=True)
    assert TOKEN not in body
    # One wording for every network failure: the body is no port-scanning oracle.
    assert not any(word in body for word in ("Timeout", "SSLError", "ConnectionError"))


def test_invalid_policy_stops_startup(tmp_path: Any) -> None:
    policy = json.loads(
        (
            __import__("cds_service.resources", fromlist=["POLICY_DIR"]).POLICY_DIR / "default.json"
        ).read_text()
    )
    broken = copy.deepcopy(policy)
    broken["settings"]["painReduction"]["thresholdPercent"] = 150
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(ConfigurationError, match=r"settings\.painReduction\.thresholdPercent"):
        create_app(Settings(as_of=AS_OF, policy_override=str(path)))


# --- note attachments given by URL --------------------------------------------------------


def _psych_note_by_url(url: str) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": "psych-url",
        "status": "current",
        "subject": {"reference": "Patient/implant-ok-patient"},
        "date": "2026-07-10T15:00:00Z",
        "type": {"coding": [{"system": "http://loinc.org", "code": "34791-4"}]},
        "content": [{"attachment": {"contentType": "text/plain", "url": url}}],
    }


def _with_url_note(templates: dict[str, str], url: str) -> dict[str, Any]:
    request = _no_prefetch("implant-criteria-met.json", templates)
    request["prefetch"] = hook_request("implant-criteria-met.json", templates)["prefetch"]
    request["prefetch"]["documents"] = _searchset([_psych_note_by_url(url)])
    return request


def test_relative_binary_attachment_is_fetched_with_the_token(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    import base64

    text = base64.b64encode(b"Impression: favorable candidate for intrathecal pump.").decode()
    with responses.RequestsMock() as mock:
        binary = mock.get(
            f"{FHIR}/Binary/note-1",
            json={"resourceType": "Binary", "contentType": "text/plain", "data": text},
            content_type="application/fhir+json",
        )
        body = _post(client, SIGN, _with_url_note(templates, "Binary/note-1")).get_json()
        assert binary.call_count == 1
        assert mock.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert topics(body) == {"criteria-met"}
    assert "DocumentReference/psych-url" in body["cards"][0]["detail"]


def test_attachment_on_another_server_is_not_fetched(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        other = mock.get("https://files.example.net/note.txt", body="favorable candidate")
        body = _post(
            client, SIGN, _with_url_note(templates, "https://files.example.net/note.txt")
        ).get_json()
        assert other.call_count == 0
    assert "criteria-met" not in topics(body)
    psych = next(c for c in body["cards"] if c["source"]["topic"]["code"] == "psych-evaluation")
    assert "attachment is on another server and was not fetched" in psych["detail"]


def test_attachment_fetch_failure_is_reported_not_fatal(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    with responses.RequestsMock() as mock:
        mock.get(f"{FHIR}/Binary/note-1", status=500)
        response = _post(client, SIGN, _with_url_note(templates, "Binary/note-1"))
    assert response.status_code == 200
    assert "criteria-met" not in topics(response.get_json())
    assert any(
        "attachment could not be read (/fhir/Binary/note-1 answered HTTP 500)" in c["detail"]
        for c in response.get_json()["cards"]
    )


def test_policy_is_selectable_per_service(client: FlaskClient, templates: dict[str, str]) -> None:
    request = hook_request("s3-continuation-morphine-bupivacaine.json", templates)
    assert topics(_post(client, SIGN, request).get_json()) == {
        "psych-evaluation",
        "continued-efficacy",
        "dose-range",
    }
    continuation = _post(client, "itdd-order-sign-continuation", request).get_json()
    assert topics(continuation) == {"criteria-met", "dose-range"}
    assert "policy continuation" in continuation["cards"][0]["detail"]


def test_huge_prefetch_bundle_is_evaluated(client: FlaskClient, templates: dict[str, str]) -> None:
    request = hook_request("refill-criteria-met.json", templates)
    old = {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": "Patient/refill-ok-patient"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
        "effectiveDateTime": "2020-01-01T00:00:00Z",
        "valueQuantity": {"value": 9},
    }
    request["prefetch"]["painScores"]["entry"] += [
        {"resource": {**old, "id": f"old-{n}"}} for n in range(5000)
    ]
    response = _post(client, SIGN, request)
    assert response.status_code == 200
    assert topics(response.get_json()) == {"criteria-met"}


def test_body_over_the_limit_is_413_json(templates: dict[str, str]) -> None:
    small = create_app(Settings(as_of=AS_OF, max_body_bytes=2_000)).test_client()
    response = _post(small, SIGN, hook_request("implant-criteria-met.json", templates))
    assert response.status_code == 413
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_versioned_subject_reference_to_the_same_patient_is_accepted(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = hook_request("s1-implant-spondylosis.json", templates)
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["subject"] = {"reference": "https://ehr.example.org/fhir/Patient/s1-patient/_history/3"}
    assert _post(client, SIGN, request).status_code == 200
