"""Each criterion's declared data types (criteria.json ``dependsOn``) are held to its code.

Over every criteria case and fixture: (1) a criterion reads no data type it does not
declare, and (2) making any declared type unreadable turns its "met" into "could not
be fully checked". Together they mean a gap in any data a criterion uses blocks
criteria-met.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from functools import cache
from typing import Any

import pytest

from cds_service.catalogue import default_catalogue
from cds_service.clinical_nlp import default_note_reader
from cds_service.codes import default_codesets
from cds_service.evaluation import CRITERIA, MET, UNKNOWN, evaluate, run_criterion
from cds_service.facts import FACT_SOURCES, ClinicalFacts, extract_facts
from cds_service.gathering import Template, gather
from cds_service.hook_handler import draft_orders, load_services
from cds_service.policy import load_preset
from cds_service.replay import request_from_bundle
from cds_service.request_type import classify
from tests.conftest import FIXTURES, ROOT
from tests.test_criteria_cases import CASES, build_bundle


@cache
def _templates() -> tuple[Template, ...]:
    return tuple(load_services()["itdd-order-sign"].templates())


def _facts(bundle: dict[str, Any], hook: str, as_of: dt.date) -> ClinicalFacts:
    templates = list(_templates())
    request = request_from_bundle(bundle, hook, {t.key: t.query for t in templates})
    record = gather(request, templates, client_factory=_no_client)
    return extract_facts(
        record, draft_orders(request), default_codesets(), default_note_reader(), as_of
    )


def _no_client(server: str, token: str | None) -> Any:
    raise AssertionError("prefetch is complete: nothing may be fetched")


def _policy(name: str) -> Any:
    return load_preset(str(ROOT / name) if name.endswith(".json") else name)


def _scenarios() -> list[tuple[str, ClinicalFacts, Any]]:
    """(label, facts, policy) for every criteria case and every fixture."""
    found = []
    for case in CASES:
        facts = _facts(build_bundle(case), case["hook"], dt.date.fromisoformat(case["asOf"]))
        found.append((case["id"], facts, _policy(case["policy"])))
    for path in sorted(FIXTURES.glob("*.json")):
        bundle = json.loads(path.read_text())
        found.append(
            (path.stem, _facts(bundle, "order-sign", dt.date(2026, 11, 21)), _policy("default"))
        )
    return found


SCENARIOS = _scenarios()


def test_every_criterion_is_declared_in_the_catalogue() -> None:
    assert set(CRITERIA) <= set(default_catalogue().criteria)


def test_every_fact_attribute_has_a_declared_source() -> None:
    names = {f.name for f in dataclasses.fields(ClinicalFacts)}
    methods = {
        n for n in vars(ClinicalFacts) if not n.startswith("_") and callable(vars(ClinicalFacts)[n])
    }
    assert names | methods <= set(FACT_SOURCES)


@pytest.mark.parametrize("criterion", sorted(CRITERIA))
def test_criterion_reads_only_what_it_declares(criterion: str) -> None:
    declared = set(default_catalogue().depends_on(criterion))
    read: set[str] = set()
    for _label, facts, policy in SCENARIOS:
        ctx = classify(facts)
        if ctx.request_type is None:
            continue
        _findings, types_read = run_criterion(criterion, facts, ctx, policy)
        read |= types_read
    assert read <= declared, f"{criterion} reads {sorted(read - declared)} without declaring it"


def _met_cases(criterion: str) -> list[tuple[str, ClinicalFacts, Any]]:
    cases = []
    for label, facts, policy in SCENARIOS:
        ctx = classify(facts)
        if ctx.request_type is None:
            continue
        if criterion not in policy.required_criteria(ctx.request_type, ctx.pain_type):
            continue
        findings = evaluate(facts, policy, default_catalogue()).findings
        if any(f.criterion == criterion and f.status == MET for f in findings):
            cases.append((label, facts, policy))
    return cases


# evidence-caveat only ever informs (it has no "met" to lose); every other criterion
# with declared data must have a met scenario in the table.
INFORMATIONAL = {"evidence-caveat"}


@pytest.mark.parametrize(
    ("criterion", "resource_type"),
    [
        (c, t)
        for c in sorted(set(CRITERIA) - INFORMATIONAL)
        for t in default_catalogue().depends_on(c)
    ],
)
def test_any_declared_type_unreadable_blocks_met(criterion: str, resource_type: str) -> None:
    cases = _met_cases(criterion)
    assert cases, f"no scenario where {criterion} is met: the table needs one"
    for label, facts, policy in cases:
        gap = dataclasses.replace(facts, incomplete_types=frozenset({resource_type}))
        statuses = {
            f.status
            for f in evaluate(gap, policy, default_catalogue()).findings
            if f.criterion == criterion
        }
        assert MET not in statuses, f"{label}: {criterion} still met without {resource_type}"
        assert UNKNOWN in statuses
