"""Feedback over HTTP, the audit trail of every evaluation, log hygiene and CORS."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from cds_service.app import create_app
from cds_service.cli import main
from cds_service.config import Settings
from cds_service.logging_setup import JsonLineFormatter
from cds_service.replay import fhir_authorization
from tests.conftest import AS_OF, SIGN, hook_request

NOTE_PHRASE = "untreated depression with passive suicidal ideation"


def _feedback(card: str, outcome: str = "overridden") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "card": card,
        "outcome": outcome,
        "outcomeTimestamp": "2026-11-21T10:00:00Z",
    }
    if outcome == "overridden":
        entry["overrideReason"] = {
            "reason": {
                "system": "https://itdd-cds.org/CodeSystem/override-reason",
                "code": "documented-elsewhere",
            }
        }
    else:
        entry["acceptedSuggestions"] = [{"id": "s1"}]
    return {"feedback": [entry]}


def test_feedback_is_stored_once(client: FlaskClient, templates: dict[str, str]) -> None:
    cards = client.post(
        f"/cds-services/{SIGN}", json=hook_request("s1-implant-spondylosis.json", templates)
    )
    card = cards.get_json()["cards"][0]["uuid"]
    first = client.post(f"/cds-services/{SIGN}/feedback", json=_feedback(card))
    again = client.post(f"/cds-services/{SIGN}/feedback", json=_feedback(card))
    assert first.status_code == 200 and first.get_json() == {"stored": 1, "duplicates": 0}
    assert again.get_json() == {"stored": 0, "duplicates": 1}
    storage = client.application.extensions["hook_handler"].storage
    assert storage.feedback_cards() == {card}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "feedback"),
        ({"feedback": []}, "feedback"),
        (
            {
                "feedback": [
                    {"card": "c", "outcome": "maybe", "outcomeTimestamp": "2026-11-21T10:00:00Z"}
                ]
            },
            "feedback.0.outcome",
        ),
        (
            {"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "yesterday"}]},
            "feedback.0.outcomeTimestamp",
        ),
        (
            {
                "feedback": [
                    {
                        "card": "c",
                        "outcome": "accepted",
                        "outcomeTimestamp": "2026-11-21T10:00:00Z",
                        "overrideReason": {"reason": {"code": "x"}},
                    }
                ]
            },
            "feedback.0",
        ),
    ],
)
def test_invalid_feedback_is_400_naming_the_field(
    client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"/cds-services/{SIGN}/feedback", json=body)
    assert response.status_code == 400
    assert response.get_json()["issue"][0]["expression"] == [field]


def test_feedback_for_unknown_service_is_404(client: FlaskClient) -> None:
    assert client.post("/cds-services/nope/feedback", json=_feedback("c")).status_code == 404


def _request_with_note_and_token(templates: dict[str, str]) -> dict[str, Any]:
    request = hook_request("implant-criteria-met.json", templates)
    note = request["prefetch"]["documents"]["entry"][0]["resource"]
    text = f"Psychology consult. History of {NOTE_PHRASE}. Favorable candidate."
    note["content"][0]["attachment"]["data"] = base64.b64encode(text.encode()).decode()
    request["fhirServer"] = "https://ehr.example.org/fhir"
    request["fhirAuthorization"] = fhir_authorization("super-secret-token-123")
    return request


def test_every_evaluation_is_audited_without_tokens_or_text(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    request = _request_with_note_and_token(templates)
    body = client.post(f"/cds-services/{SIGN}", json=request).get_json()
    [record] = list(client.application.extensions["hook_handler"].storage.audit_trail())
    assert record.hook_instance == request["hookInstance"]
    assert record.service_id == SIGN and record.policy == "default" and record.policy_version
    assert record.request_type == "implant"
    assert list(record.topics) == [c["source"]["topic"]["code"] for c in body["cards"]]
    assert "DocumentReference/implant-ok-doc8" in record.evidence_ids
    assert list(record.card_uuids) == [c["uuid"] for c in body["cards"]]
    stored = json.dumps(record.as_json())
    assert "super-secret-token-123" not in stored and NOTE_PHRASE not in stored


def test_logs_carry_no_tokens_or_note_text(
    templates: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(as_of=AS_OF))
    logging.getLogger("cds_service").propagate = True
    try:
        with caplog.at_level(logging.DEBUG, logger="cds_service"):
            client = app.test_client()
            client.post(f"/cds-services/{SIGN}", json=_request_with_note_and_token(templates))
            with responses.RequestsMock() as mock:
                mock.get(
                    "https://ehr.example.org/fhir/Procedure?patient=s1-patient&_count=200",
                    status=401,
                )
                request = hook_request("s1-implant-spondylosis.json", templates)
                del request["prefetch"]["procedures"]
                request["fhirServer"] = "https://ehr.example.org/fhir"
                request["fhirAuthorization"] = fhir_authorization("super-secret-token-123")
                assert client.post(f"/cds-services/{SIGN}", json=request).status_code == 412
    finally:
        logging.getLogger("cds_service").propagate = False
    formatter = JsonLineFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    evaluated = [json.loads(line) for line in lines if '"msg": "hook evaluated"' in line]
    assert evaluated and {"hook_instance", "service", "status", "topics", "duration_ms"} <= set(
        evaluated[0]
    )
    for line in lines:
        json.loads(line)
        assert "super-secret-token-123" not in line
        assert NOTE_PHRASE not in line and "Favorable candidate" not in line
        assert "s1-patient" not in line and "implant-ok-patient" not in line


def test_audit_cli_lists_the_trail(
    tmp_path: Path, templates: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    app = create_app(Settings(as_of=AS_OF, database_url=url))
    request = hook_request("s1-implant-spondylosis.json", templates)
    app.test_client().post(f"/cds-services/{SIGN}", json=request)
    capsys.readouterr()
    assert main(["audit", "--database-url", url]) == 0
    [line] = capsys.readouterr().out.strip().splitlines()
    assert json.loads(line)["hookInstance"] == request["hookInstance"]
    assert main(["audit", "--database-url", url, "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""


def test_cors_allows_only_configured_origins(templates: dict[str, str]) -> None:
    client = create_app(
        Settings(as_of=AS_OF, cors_origins=("https://ehr-ui.example.org",))
    ).test_client()
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    allowed = client.options(
        f"/cds-services/{SIGN}", headers={"Origin": "https://ehr-ui.example.org", **preflight}
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ehr-ui.example.org"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "content-type" in allowed.headers["Access-Control-Allow-Headers"].lower()
    denied = client.options(
        f"/cds-services/{SIGN}", headers={"Origin": "https://evil.example.com", **preflight}
    )
    assert "Access-Control-Allow-Origin" not in denied.headers
    get = client.get("/cds-services", headers={"Origin": "https://ehr-ui.example.org"})
    assert get.headers["Access-Control-Allow-Origin"] == "https://ehr-ui.example.org"


def test_no_cors_headers_by_default(client: FlaskClient) -> None:
    response = client.get("/cds-services", headers={"Origin": "https://ehr-ui.example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_audit_failure_is_503_not_a_decision(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    from sqlalchemy import text

    storage = client.application.extensions["hook_handler"].storage
    with storage.engine.begin() as connection:
        connection.execute(text("DROP TABLE audit"))
    response = client.post(
        f"/cds-services/{SIGN}", json=hook_request("s1-implant-spondylosis.json", templates)
    )
    assert response.status_code == 503
    assert "cards" not in response.get_json()
