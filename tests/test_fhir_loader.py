"""Loading bundles: id-keeping PUT transactions, counts, and server errors on one line each."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from cds_service.cli import main
from cds_service.fhir_loader import LoadError, transaction_from_bundle
from tests.conftest import FIXTURES, load_fixture

BASE = "http://fhir.test/fhir"


def test_collection_becomes_put_transaction_keeping_ids() -> None:
    bundle = load_fixture("s1-implant-spondylosis.json")
    transaction = transaction_from_bundle(bundle)
    assert transaction["type"] == "transaction"
    assert [e["request"] for e in transaction["entry"]] == [
        {"method": "PUT", "url": f"{e['resource']['resourceType']}/{e['resource']['id']}"}
        for e in bundle["entry"]
    ]


@pytest.mark.parametrize(
    ("bundle", "text"),
    [
        ({"resourceType": "Patient"}, "not a FHIR Bundle"),
        ({"resourceType": "Bundle", "type": "searchset"}, "cannot be loaded"),
        (
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": "Patient"}}],
            },
            "no id",
        ),
    ],
)
def test_unloadable_bundles(bundle: dict[str, Any], text: str) -> None:
    with pytest.raises(LoadError, match=text):
        transaction_from_bundle(bundle)


def _answer(statuses: list[str]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [{"response": {"status": s}} for s in statuses],
    }


@responses.activate
def test_load_prints_counts_per_type(capsys: pytest.CaptureFixture[str]) -> None:
    responses.post(BASE, json=_answer(["201 Created"] * 6))
    assert main(["load", str(FIXTURES / "s1-implant-spondylosis.json"), "--fhir-server", BASE]) == 0
    out = capsys.readouterr().out
    assert "  Condition              3  (created 3, updated 0, unchanged 0)" in out
    assert "  total                  6  (created 6, updated 0, unchanged 0)" in out


@responses.activate
def test_server_errors_are_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    responses.post(
        BASE,
        status=400,
        json={
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": "processing",
                    "diagnostics": "Invalid reference Patient/x",
                    "expression": ["Bundle.entry[1].resource.subject"],
                },
                {"severity": "error", "code": "invalid", "diagnostics": "Unknown code 'bogus'"},
            ],
        },
    )
    code = main(["load", str(FIXTURES / "s1-implant-spondylosis.json"), "--fhir-server", BASE])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert err == [
        "error: s1-implant-spondylosis.json: HTTP 400 error: Invalid reference Patient/x "
        "(Bundle.entry[1].resource.subject)",
        "error: s1-implant-spondylosis.json: HTTP 400 error: Unknown code 'bogus'",
    ]


def test_unreachable_server_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "load",
            str(FIXTURES / "s1-implant-spondylosis.json"),
            "--fhir-server",
            "http://127.0.0.1:9/fhir",
        ]
    )
    err = capsys.readouterr().err
    assert code != 0 and "could not reach" in err and "Traceback" not in err


def test_partial_prefetch_needs_a_server(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["replay", str(FIXTURES / "s1-implant-spondylosis.json"), "--prefetch", "partial"])
    assert code != 0
    assert "needs --fhir-server" in capsys.readouterr().err
