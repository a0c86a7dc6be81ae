"""Criteria evaluation as a pure function: edges, contraindications and the safety invariant."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.catalogue import default_catalogue
from cds_service.clinical_nlp import EMPTY_SUMMARY, default_note_reader
from cds_service.evaluation import Evaluation, evaluate
from cds_service.facts import (
    ClinicalFacts,
    DiagnosisFact,
    Evidence,
    MedicationFact,
    OrderFact,
    PainScore,
    ProcedureFact,
    PsychEvaluation,
)
from cds_service.policy import load_preset

AS_OF = dt.date(2026, 11, 21)
UTC = dt.UTC
CATALOGUE = default_catalogue()
READER = default_note_reader()


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def ev(ref: str, day: str = "2026-01-01") -> Evidence:
    return Evidence(ref, dt.date.fromisoformat(day), ref)


def order(*concepts: str, intrathecal: bool = False) -> OrderFact:
    return OrderFact(
        frozenset(concepts),
        "ServiceRequest",
        intrathecal,
        intrathecal,
        False,
        False,
        (),
        {},
        "",
        ev("ServiceRequest/draft"),
    )


IMPLANT_ORDER = order("implant-procedure")
REFILL_ORDER = order("refill-procedure")


def diagnosis(concept: str, ref: str, active: bool = True) -> DiagnosisFact:
    return DiagnosisFact(frozenset({concept}), active, ev(ref))


def med(
    cls: str, ref: str, reasons: frozenset[str] = frozenset({"inadequate-relief"})
) -> MedicationFact:
    return MedicationFact(
        frozenset({cls}), False, "stopped", reasons, False, at("2025-01-01"), ev(ref)
    )


def proc(
    concept: str, ref: str, day: str, end: str | None = None, outcome: str = ""
) -> ProcedureFact:
    return ProcedureFact(
        frozenset({concept}),
        "completed",
        at(day, 8),
        at(end, 8) if end else None,
        outcome,
        READER.summarize(outcome) if outcome else EMPTY_SUMMARY,
        ev(ref, day),
    )


def pain(value: float, day: str, ref: str) -> PainScore:
    return PainScore(value, at(day), ev(ref, day))


def psych(conclusion: str | None, day: str, ref: str) -> PsychEvaluation:
    return PsychEvaluation(conclusion, at(day), ev(ref, day))


def documented_implant(**changes: object) -> ClinicalFacts:
    base = {
        "patient_id": "p",
        "as_of": AS_OF,
        "medications": (
            med("systemic-opioid", "MedicationRequest/o"),
            med("adjuvant-nsaid", "MedicationRequest/n"),
        ),
        "procedures": (proc("trial-procedure", "Procedure/t", "2026-09-01", "2026-09-03"),),
        "pain_scores": (
            pain(8, "2026-08-20", "Observation/b"),
            pain(4, "2026-09-02", "Observation/d"),
        ),
        "psych_evaluations": (psych("favorable", "2026-07-01", "DocumentReference/e"),),
        "orders": (IMPLANT_ORDER,),
    }
    base.update(changes)
    return ClinicalFacts(**base)  # type: ignore[arg-type]


def run(facts: ClinicalFacts, policy: str = "default") -> Evaluation:
    return evaluate(facts, load_preset(policy), CATALOGUE)


def statuses(evaluation: Evaluation) -> dict[str, str]:
    return {f.criterion: f.status for f in evaluation.findings}


def test_documented_implant_meets_criteria() -> None:
    evaluation = run(documented_implant())
    assert evaluation.request.request_type == "implant"
    assert evaluation.criteria_met


def test_exactly_fifty_percent_passes_inclusive_but_not_strict_threshold() -> None:
    facts = documented_implant()  # 8 -> 4 is exactly 50%
    assert statuses(run(facts))["trial-response"] == "met"
    exclusive = load_preset("default")
    settings_copy = {
        **exclusive.settings,
        "painReduction": {"thresholdPercent": 50, "inclusive": False},
    }
    strict = exclusive.__class__(**{**exclusive.__dict__, "settings": settings_copy})
    result = evaluate(facts, strict, CATALOGUE)
    assert not result.criteria_met
    assert {f.criterion: f.status for f in result.findings}["trial-response"] == "not-met"


def test_forty_nine_percent_fails() -> None:
    facts = documented_implant(
        pain_scores=(
            pain(10, "2026-08-20", "Observation/b"),
            pain(5.1, "2026-09-02", "Observation/d"),
        )
    )
    evaluation = run(facts)
    assert statuses(evaluation)["trial-response"] == "not-met"
    assert not evaluation.criteria_met


def test_unquantified_trial_is_missing_documentation() -> None:
    facts = documented_implant(
        pain_scores=(),
        procedures=(
            proc("trial-procedure", "Procedure/t", "2026-09-01", outcome="trial successful"),
        ),
    )
    assert statuses(run(facts))["trial-response"] == "missing"
    assert statuses(run(facts, "cms-ncd-280.14"))["trial-response"] == "met"


def test_latest_unfavorable_psych_evaluation_wins() -> None:
    facts = documented_implant(
        psych_evaluations=(
            psych("favorable", "2026-01-01", "Procedure/p1"),
            psych("unfavorable", "2026-06-01", "DocumentReference/p2"),
        )
    )
    evaluation = run(facts)
    assert statuses(evaluation)["psych-evaluation"] == "not-met"
    assert not evaluation.criteria_met


def test_active_infection_contraindicates_and_resolved_does_not() -> None:
    active = run(documented_implant(diagnoses=(diagnosis("active-infection", "Condition/i"),)))
    assert statuses(active)["active-infection"] == "contraindicated"
    assert not active.criteria_met
    resolved = run(
        documented_implant(diagnoses=(diagnosis("active-infection", "Condition/i", active=False),))
    )
    assert resolved.criteria_met


def test_anticoagulant_use_warns_without_blocking() -> None:
    evaluation = run(documented_implant(diagnoses=(diagnosis("anticoagulant-use", "Condition/z"),)))
    assert [f.status for f in evaluation.findings if f.criterion == "coagulopathy"] == [
        "met",
        "advisory",
    ]
    assert evaluation.criteria_met


def test_cancer_pain_needs_no_psych_evaluation_and_only_opioid_failure() -> None:
    facts = documented_implant(
        diagnoses=(diagnosis("malignancy", "Condition/c"),),
        psych_evaluations=(),
        medications=(med("systemic-opioid", "MedicationRequest/o"),),
    )
    evaluation = run(facts)
    assert evaluation.request.pain_type == "cancer"
    assert "psych-evaluation" not in statuses(evaluation)
    assert statuses(evaluation)["conservative-therapy"] == "met"
    # A missing prognosis in cancer pain is a documentation gap, so no criteria-met.
    assert statuses(evaluation)["life-expectancy"] == "missing"


def test_replacement_when_a_pump_exists() -> None:
    facts = documented_implant(
        procedures=(proc("implant-procedure", "Procedure/old", "2019-01-01"),)
    )
    assert run(facts).request.request_type == "replacement"


def test_incomplete_condition_data_blocks_criteria_met() -> None:
    evaluation = run(
        documented_implant(
            incomplete_types=frozenset({"Condition"}),
            data_problems=("Condition/x could not be read",),
        )
    )
    assert statuses(evaluation)["active-infection"] == "unknown"
    assert not evaluation.criteria_met


def test_refill_interval_under_and_over_the_maximum() -> None:
    base = (
        proc("implant-procedure", "Procedure/i", "2024-01-01"),
        proc("refill-procedure", "Procedure/r1", "2026-06-01"),
    )
    scores = (pain(8, "2023-12-01", "Observation/b"), pain(3, "2026-09-01", "Observation/l"))
    recent = documented_implant(
        orders=(REFILL_ORDER,),
        pain_scores=scores,
        procedures=(*base, proc("refill-procedure", "Procedure/r2", "2026-09-01")),
    )
    assert statuses(run(recent))["empty-pump"] == "met"
    assert run(recent).criteria_met
    late = documented_implant(orders=(REFILL_ORDER,), pain_scores=scores, procedures=base)
    evaluation = run(late)
    assert statuses(evaluation)["empty-pump"] == "alert"
    assert not evaluation.criteria_met


DOCUMENTATION = ("conservative-therapy", "psych-evaluation", "trial-response", "continued-efficacy")


@st.composite
def records(draw: st.DrawFn) -> ClinicalFacts:
    """Random mixes of the building blocks, including contradictory and partial ones."""
    meds = draw(
        st.lists(
            st.sampled_from(
                [
                    med("systemic-opioid", "MedicationRequest/o"),
                    med("adjuvant-nsaid", "MedicationRequest/n"),
                    med("systemic-opioid", "MedicationRequest/o2", frozenset()),
                    med(
                        "adjuvant-anticonvulsant",
                        "MedicationRequest/g",
                        frozenset({"side-effects"}),
                    ),
                ]
            ),
            max_size=4,
        )
    )
    procs = draw(
        st.lists(
            st.sampled_from(
                [
                    proc("trial-procedure", "Procedure/t", "2026-09-01", "2026-09-03"),
                    proc("trial-procedure", "Procedure/t2", "2026-03-01"),
                    proc("implant-procedure", "Procedure/i", "2024-01-01"),
                    proc(
                        "refill-procedure",
                        "Procedure/r",
                        draw(st.sampled_from(["2026-10-01", "2026-05-01"])),
                    ),
                ]
            ),
            max_size=4,
        )
    )
    scores = draw(
        st.lists(
            st.builds(
                pain,
                st.integers(0, 10).map(float),
                st.sampled_from(["2023-12-01", "2026-08-20", "2026-09-02", "2026-10-01"]),
                st.just("Observation/x"),
            ),
            max_size=4,
        )
    )
    psychs = draw(
        st.lists(
            st.builds(
                psych,
                st.sampled_from(["favorable", "unfavorable", None]),
                st.sampled_from(["2024-01-01", "2026-07-01"]),
                st.just("DocumentReference/p"),
            ),
            max_size=2,
        )
    )
    dx = draw(
        st.lists(
            st.builds(
                diagnosis,
                st.sampled_from(
                    [
                        "malignancy",
                        "active-infection",
                        "coagulopathy",
                        "terminal-prognosis",
                        "fibromyalgia",
                        "pump-presence",
                    ]
                ),
                st.just("Condition/c"),
                st.booleans(),
            ),
            max_size=3,
        )
    )
    orders = draw(
        st.lists(
            st.sampled_from([IMPLANT_ORDER, REFILL_ORDER, order("trial-procedure")]),
            min_size=1,
            max_size=2,
        )
    )
    incomplete = draw(
        st.sets(st.sampled_from(["Condition", "Procedure", "Observation"]), max_size=1)
    )
    return ClinicalFacts(
        "p",
        AS_OF,
        tuple(dx),
        tuple(meds),
        tuple(procs),
        tuple(sorted(scores, key=lambda s: s.when)),
        tuple(psychs),
        tuple(orders),
        (),
        frozenset(incomplete),
    )


@settings(max_examples=400, deadline=None)
@given(records(), st.sampled_from(["default", "continuation", "strict", "cms-ncd-280.14"]))
def test_criteria_met_never_while_a_required_criterion_lacks_positive_evidence(
    facts: ClinicalFacts, policy_name: str
) -> None:
    evaluation = run(facts, policy_name)
    if not evaluation.criteria_met:
        return
    policy = load_preset(policy_name)
    required = policy.required_criteria(
        evaluation.request.request_type or "", evaluation.request.pain_type
    )
    found = statuses(evaluation)
    for criterion in required:
        kind = CATALOGUE.kind(criterion)
        if kind in ("documentation", "contraindication"):
            assert found.get(criterion) == "met", (criterion, evaluation.findings)
    for finding in evaluation.findings:
        if finding.criterion in DOCUMENTATION:
            presumed = "presumed" in finding.headline
            assert finding.evidence or presumed, finding
        assert finding.status not in ("missing", "not-met", "contraindicated", "unknown", "alert")
    active = {c for d in facts.diagnoses if d.active for c in d.concepts}
    if evaluation.request.request_type != "refill":
        assert not active & {"coagulopathy", "active-infection"}
    if evaluation.request.request_type in ("implant", "replacement"):
        assert "terminal-prognosis" not in active


def test_old_latest_pain_score_is_named_but_does_not_change_the_status() -> None:
    procedures = (
        proc("implant-procedure", "Procedure/i", "2024-01-01"),
        proc("refill-procedure", "Procedure/r1", "2026-09-01"),
    )
    facts = documented_implant(
        orders=(REFILL_ORDER,),
        procedures=procedures,
        pain_scores=(
            pain(8, "2023-12-01", "Observation/b"),
            pain(3, "2025-12-01", "Observation/l"),
        ),
    )
    evaluation = run(facts)
    [efficacy] = [f for f in evaluation.findings if f.criterion == "continued-efficacy"]
    assert efficacy.status == "met"
    assert any("355 days old" in note for note in efficacy.notes)
    assert evaluation.criteria_met


def test_drugs_tried_without_a_failure_are_cited_once_each() -> None:
    from dataclasses import replace

    from cds_service.evaluation import _by_drug

    def tried(ref: str, label: str) -> MedicationFact:
        fact = med("systemic-opioid", ref, frozenset())
        return replace(fact, evidence=replace(fact.evidence, what=label))

    renewals = [tried(f"MedicationRequest/o{i}", "Oxycodone 5 MG Oral Tablet") for i in range(3)]
    cited = _by_drug([*renewals, tried("MedicationRequest/f1", "Fentanyl patch")])
    assert len(cited) == 2
    assert any("Oxycodone" in c and "and 2 earlier order(s)" in c for c in cited)
    assert any("Fentanyl" in c and "earlier" not in c for c in cited)
