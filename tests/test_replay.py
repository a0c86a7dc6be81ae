"""Every fixture replays, through the CLI and the app, to its expected set of topic codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cds_service.cli import main
from cds_service.replay import ReplayInputError, evaluate_template, request_from_bundle
from tests.conftest import FIXTURES, TEST_DATA, assert_valid_response, load_fixture, topics

CASES: list[dict[str, Any]] = json.loads((TEST_DATA / "fixture_outcomes.json").read_text())


def test_every_fixture_has_an_expected_outcome() -> None:
    covered = {case["fixture"] for case in CASES}
    assert covered == {path.name for path in FIXTURES.glob("*.json")}


@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c['fixture']}-{c['policy']}-{c['hook']}-{c['asOf']}"
)
def test_fixture_replays_to_expected_topics(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "replay",
            str(FIXTURES / case["fixture"]),
            "--as-of",
            case["asOf"],
            "--policy",
            case["policy"],
            "--hook",
            case["hook"],
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    response = json.loads(captured.out)
    assert_valid_response(response)
    assert topics(response) == set(case["topics"]), case["why"]
    if "criteria-met" in case["topics"]:
        assert all(c["indicator"] != "critical" for c in response["cards"])


def test_replay_defaults_to_order_sign_and_today(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(FIXTURES / "s1-implant-spondylosis.json")]) == 0
    assert "trial-response" in topics(json.loads(capsys.readouterr().out))


def test_replay_accepts_a_cds_hooks_request(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = {
        "patient": "Patient/{{context.patientId}}",
        "conditions": "Condition?patient={{context.patientId}}",
        "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
        "procedures": "Procedure?patient={{context.patientId}}",
        "documents": "DocumentReference?patient={{context.patientId}}",
        "painScores": "Observation?patient={{context.patientId}}&code=http://loinc.org|72514-3",
    }
    request = request_from_bundle(
        load_fixture("s1-implant-spondylosis.json"), "order-sign", templates
    )
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    assert main(["replay", str(path), "--as-of", "2026-11-21"]) == 0
    assert topics(json.loads(capsys.readouterr().out)) == {
        "conservative-therapy",
        "trial-response",
        "psych-evaluation",
        "evidence-caveat",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a FHIR Bundle"),
        ('{"resourceType": "Patient", "id": "x"}', "neither a FHIR Bundle"),
        ('{"resourceType": "Bundle", "type": "collection", "entry": []}', "no Patient"),
        (
            '{"resourceType": "Bundle", "type": "collection", '
            '"entry": [{"resource": {"resourceType": "Patient"}}]}',
            "no id",
        ),
    ],
)
def test_bad_replay_input_is_one_line_on_stderr(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "input.json"
    path.write_text(content)
    code = main(["replay", str(path)])
    captured = capsys.readouterr()
    assert code != 0
    assert captured.out == ""
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err


def test_missing_file_and_bad_policy_fail_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "/nonexistent/bundle.json"]) != 0
    assert "no such file" in capsys.readouterr().err
    assert (
        main(["replay", str(FIXTURES / "s1-implant-spondylosis.json"), "--policy", "lenient"]) != 0
    )
    err = capsys.readouterr().err
    assert "unknown policy 'lenient'" in err and len(err.strip().splitlines()) == 1


def test_bad_as_of_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["replay", str(FIXTURES / "s1-implant-spondylosis.json"), "--as-of", "21/11/2026"])
    assert exit_info.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_template_evaluation_filters_by_patient_and_code() -> None:
    resources = [
        {
            "resourceType": "Observation",
            "id": "a",
            "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
        },
        {
            "resourceType": "Observation",
            "id": "b",
            "subject": {"reference": "Patient/q"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
        },
        {
            "resourceType": "Observation",
            "id": "c",
            "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        },
    ]
    bundle = evaluate_template(
        "Observation?patient={{context.patientId}}&code=http://loinc.org|72514-3", "p", resources
    )
    assert bundle is not None
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["a"]
    with pytest.raises(ReplayInputError):
        evaluate_template("Observation?patient=p&_sort=date", "p", resources)


def test_drafts_go_to_context_not_prefetch() -> None:
    templates = {"medicationRequests": "MedicationRequest?patient={{context.patientId}}"}
    request = request_from_bundle(
        load_fixture("s0-refill-morphine-fibromyalgia.json"), "order-sign", templates
    )
    drafts = [e["resource"]["status"] for e in request["context"]["draftOrders"]["entry"]]
    prefetched = [
        e["resource"]["status"] for e in request["prefetch"]["medicationRequests"]["entry"]
    ]
    assert drafts and set(drafts) == {"draft"}
    assert "draft" not in prefetched
