"""The criteria table: each case is a fixture bundle edited by data, replayed through the CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path
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

CASES: list[dict[str, Any]] = json.loads((TEST_DATA / "criteria_cases.json").read_text())
SUBJECT_TYPES = {
    "Condition",
    "Observation",
    "Procedure",
    "MedicationRequest",
    "ServiceRequest",
    "DocumentReference",
    "DeviceRequest",
}


def build_bundle(case: dict[str, Any]) -> dict[str, Any]:
    """The base fixture with the case's resources removed and added (added ones get the patient)."""
    bundle = copy.deepcopy(json.loads((FIXTURES / case["base"]).read_text()))
    patient = next(
        e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    removed = set(case["remove"])
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    assert removed <= present, f"case removes resources the base does not have: {removed - present}"
    bundle["entry"] = [
        e
        for e in bundle["entry"]
        if f"{e['resource']['resourceType']}/{e['resource']['id']}" not in removed
    ]
    for resource in copy.deepcopy(case["add"]):
        if resource["resourceType"] in SUBJECT_TYPES:
            resource.setdefault("subject", {"reference": f"Patient/{patient}"})
        bundle["entry"].append({"resource": resource})
    return bundle


def test_table_is_large_and_covers_every_criterion() -> None:
    assert len(CASES) >= 30
    seen = {topic for case in CASES for topic in case["topics"]}
    assert seen >= card_topics()
    assert len({case["id"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_case(case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(build_bundle(case)))
    policy = case["policy"]
    if policy.endswith(".json"):
        policy = str(ROOT / policy)
    code = main(
        ["replay", str(path), "--as-of", case["asOf"], "--policy", policy, "--hook", case["hook"]]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    response = json.loads(captured.out)
    assert_valid_response(response)
    assert topics(response) == set(case["topics"]), case["why"]
    for card in response["cards"]:
        assert "**Evidence used:**" in card["detail"]
