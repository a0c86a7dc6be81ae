"""Criteria evaluation: a pure function of (facts, policy, as-of date) → findings.

Which criteria apply comes from the policy (data); each criterion id maps to one
small function here that reads facts and returns findings with their evidence.
No I/O happens in this module.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from cds_service.catalogue import Catalogue
from cds_service.facts import (
    ADJUVANT_CLASSES,
    ClinicalFacts,
    Evidence,
    MedicationFact,
    PainScore,
    ProcedureFact,
)
from cds_service.policy import Policy
from cds_service.request_type import REFILL, RequestContext, classify

MET, MISSING, NOT_MET, CONTRAINDICATED, UNKNOWN = (
    "met",
    "missing",
    "not-met",
    "contraindicated",
    "unknown",
)
ALERT, ADVISORY, INFO, NOT_CHECKED = "alert", "advisory", "info", "not-checked"
FAILED_STATUSES = {"stopped", "completed", "active", "on-hold"}


@dataclass(frozen=True)
class Finding:
    criterion: str
    status: str
    headline: str
    evidence: tuple[Evidence, ...] = ()
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evaluation:
    request: RequestContext
    policy_name: str
    policy_version: str
    findings: tuple[Finding, ...]
    criteria_met: bool
    data_problems: tuple[str, ...]


Criterion = Callable[[ClinicalFacts, RequestContext, Policy], list[Finding]]


def _reduction(before: float, after: float) -> float | None:
    return (before - after) / before * 100 if before > 0 else None


# --- documentation criteria -------------------------------------------------------------


def _failed(meds: list[MedicationFact]) -> list[MedicationFact]:
    return [m for m in meds if m.status in FAILED_STATUSES and m.failure_reasons]


def _with_reasons(med: MedicationFact) -> Evidence:
    reasons = " and ".join(sorted(r.replace("-", " ") for r in med.failure_reasons))
    e = med.evidence
    return replace(e, what=f"{e.what}: {reasons}", unstructured=med.reasons_unstructured)


def conservative_therapy(
    facts: ClinicalFacts, ctx: RequestContext, policy: Policy
) -> list[Finding]:
    settings = policy.settings["conservativeTherapy"]
    classes = settings["requiredClasses"][ctx.pain_type]
    groups = {
        "systemic-opioid": [m for m in facts.medications if "systemic-opioid" in m.classes],
        "adjuvant": [m for m in facts.medications if m.classes & set(ADJUVANT_CLASSES)],
    }
    labels = {
        "systemic-opioid": "a systemic opioid",
        "adjuvant": "an adjuvant analgesic (anticonvulsant, antidepressant or NSAID)",
    }
    evidence: list[Evidence] = []
    missing: list[str] = []
    reasons: set[str] = set()
    for cls in classes:
        failed = _failed(groups[cls])
        evidence += [_with_reasons(m) for m in failed]
        reasons.update(r for m in failed for r in m.failure_reasons)
        if not failed:
            tried = [m.evidence.cite() for m in groups[cls]]
            detail = (
                f" ({'; '.join(tried)} on file without a documented failure reason)"
                if tried
                else ""
            )
            missing.append(
                f"{labels[cls]} ended for inadequate relief or intolerable side effects{detail}"
            )
    if (
        not missing
        and settings["failureReasons"] == "all"
        and reasons != {"inadequate-relief", "side-effects"}
    ):
        missing.append("both inadequate relief and intolerable side effects (policy requires both)")
    if missing:
        return [
            Finding(
                "conservative-therapy",
                MISSING,
                "failure of optimized systemic therapy not documented",
                tuple(evidence),
                tuple(missing),
            )
        ]
    return [Finding("conservative-therapy", MET, "systemic therapy failed", tuple(evidence))]


def psych_evaluation(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    evaluations = list(facts.psych_evaluations)
    notes: list[str] = []
    max_age = policy.settings["psychEvaluationMaxAgeMonths"]
    if max_age:
        oldest = facts.as_of - dt.timedelta(days=int(max_age * 30.44))
        stale = [e for e in evaluations if e.when is not None and e.when.date() < oldest]
        evaluations = [e for e in evaluations if e not in stale]
        notes += [f"{e.evidence.cite()} is older than {max_age} months" for e in stale]
    if not evaluations:
        return [
            Finding(
                "psych-evaluation",
                MISSING,
                "no psychological evaluation on file",
                missing=(
                    "a psychological evaluation by a qualified mental-health professional "
                    "documenting a favorable candidate",
                ),
                notes=tuple(notes),
            )
        ]
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    conclusive = [e for e in evaluations if e.conclusion is not None]
    if not conclusive:
        return [
            Finding(
                "psych-evaluation",
                NOT_MET,
                "evaluation on file without a favorable conclusion",
                tuple(e.evidence for e in evaluations),
                ("a documented conclusion that the patient is a favorable candidate",),
                tuple(notes),
            )
        ]
    latest_when = max((e.when or floor) for e in conclusive)
    latest = [e for e in conclusive if (e.when or floor) == latest_when]
    later_open = [
        e for e in evaluations if e.conclusion is None and (e.when or floor) > latest_when
    ]
    notes += [f"{e.evidence.cite()} is later but states no conclusion" for e in later_open]
    evidence = tuple(e.evidence for e in latest)
    if all(e.conclusion == "favorable" for e in latest):
        return [
            Finding("psych-evaluation", MET, "favorable candidate", evidence, notes=tuple(notes))
        ]
    return [
        Finding(
            "psych-evaluation",
            NOT_MET,
            "evaluation does not find a favorable candidate",
            evidence,
            (
                "a psychological evaluation concluding the patient is a favorable "
                "candidate (the latest one does not, or defers)",
            ),
            tuple(notes),
        )
    ]


_PERCENT = re.compile(
    r"(\d{1,3}(?:\.\d+)?)\s*%\s*(?:pain\s+)?(?:reduction|relief|improvement|decrease)"
)
_QUALITATIVE_SUCCESS = re.compile(r"\b(?:successful|success|good|excellent|adequate|acceptable)\b")
_NEGATED_SUCCESS = re.compile(
    r"\b(?:not|un|no|without)\s*(?:\w+\s+)?(?:successful|success|good|adequate|acceptable)"
)


def _scores_between(
    scores: tuple[PainScore, ...], start: dt.datetime, end: dt.datetime
) -> list[PainScore]:
    return [s for s in scores if start <= s.when <= end]


def _trial_result(
    trial: ProcedureFact, facts: ClinicalFacts, policy: Policy
) -> tuple[float, tuple[Evidence, ...]] | None:
    settings = policy.settings["trialResponse"]
    if trial.start is None:
        return None
    lookback = trial.start - dt.timedelta(days=settings["baselineLookbackDays"])
    before = [s for s in facts.pain_scores if lookback <= s.when < trial.start]
    window_end = (trial.end or trial.start) + dt.timedelta(days=settings["observationWindowDays"])
    during = _scores_between(facts.pain_scores, trial.start, window_end)
    if before and during:
        baseline, best = before[-1], min(during, key=lambda s: s.value)
        reduction = _reduction(baseline.value, best.value)
        if reduction is not None:
            return reduction, (trial.evidence, baseline.evidence, best.evidence)
    stated = _PERCENT.search(trial.outcome_text)
    if stated:
        return float(stated.group(1)), (
            replace(
                trial.evidence,
                what=f"{trial.evidence.what}: {stated.group(0)} stated",
                unstructured=True,
            ),
        )
    return None


def trial_response(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    trials = [t for t in facts.completed_procedures("trial-procedure") if t.status == "completed"]
    if not trials:
        return [
            Finding(
                "trial-response",
                MISSING,
                "no intrathecal trial documented",
                missing=(
                    f"a temporary intrathecal/epidural catheter trial with a quantified "
                    f"pain reduction {policy.threshold_text()}",
                ),
            )
        ]
    for trial in reversed(trials):
        result = _trial_result(trial, facts, policy)
        if result is None:
            continue
        reduction, evidence = result
        if policy.passes_threshold(reduction):
            return [
                Finding("trial-response", MET, f"trial reduced pain by {reduction:.0f}%", evidence)
            ]
        return [
            Finding(
                "trial-response",
                NOT_MET,
                f"trial reduced pain by {reduction:.0f}%, below {policy.threshold_text()}",
                evidence,
                (f"a trial with pain reduction {policy.threshold_text()}",),
            )
        ]
    latest = trials[-1]
    text = latest.outcome_text.lower()
    if (
        policy.settings["trialResponse"]["acceptQualitativeSuccess"]
        and _QUALITATIVE_SUCCESS.search(text)
        and not _NEGATED_SUCCESS.search(text)
    ):
        return [
            Finding(
                "trial-response",
                MET,
                "trial documented as successful (not quantified)",
                (replace(latest.evidence, unstructured=True),),
                notes=("The policy accepts a qualitative trial result.",),
            )
        ]
    return [
        Finding(
            "trial-response",
            MISSING,
            "trial on file but pain reduction not quantified",
            tuple(t.evidence for t in trials),
            (
                "pain scores (0-10) before and during the trial, or a stated percentage "
                f"reduction {policy.threshold_text()}",
            ),
        )
    ]


def _intrathecal_start(facts: ClinicalFacts) -> tuple[dt.datetime, Evidence] | None:
    starts = [
        (p.start, p.evidence)
        for p in facts.procedures
        if p.status == "completed"
        and p.start
        and p.concepts & {"implant-procedure", "refill-procedure"}
    ]
    starts += [(m.start, m.evidence) for m in facts.medications if m.intrathecal and m.start]
    dated = [(when, evidence) for when, evidence in starts if when is not None]
    return min(dated, key=lambda item: item[0]) if dated else None


def continued_efficacy(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    presume = policy.settings["existingPumpPresumesEfficacy"] and bool(ctx.pump_evidence)
    start = _intrathecal_start(facts)
    baseline = latest = None
    if start is not None:
        before = [s for s in facts.pain_scores if s.when < start[0]]
        after = [s for s in facts.pain_scores if s.when >= start[0]]
        baseline = before[-1] if before else None
        latest = after[-1] if after else None
    if start is not None and baseline and latest:
        reduction = _reduction(baseline.value, latest.value)
        evidence = (start[1], baseline.evidence, latest.evidence)
        if reduction is not None and policy.passes_threshold(reduction):
            return [
                Finding(
                    "continued-efficacy",
                    MET,
                    f"pain {reduction:.0f}% below pre-intrathecal baseline",
                    evidence,
                )
            ]
        shown = f"{reduction:.0f}%" if reduction is not None else "not computable (baseline 0)"
        return [
            Finding(
                "continued-efficacy",
                NOT_MET,
                f"pain reduction {shown}, below {policy.threshold_text()}",
                evidence,
                (f"pain reduction {policy.threshold_text()} maintained on intrathecal therapy",),
            )
        ]
    if presume:
        return [
            Finding(
                "continued-efficacy",
                MET,
                "efficacy presumed from the established pump",
                ctx.pump_evidence[:3],
                notes=(f"Policy {policy.name} presumes efficacy when a pump is in place.",),
            )
        ]
    missing = []
    if start is None:
        missing.append("the date intrathecal therapy began (pump implant or first refill)")
    if baseline is None:
        missing.append("a pain score (0-10) from before intrathecal therapy began")
    if latest is None:
        missing.append("a current pain score (0-10) on intrathecal therapy")
    cited = tuple(
        e
        for e in (
            start[1] if start else None,
            baseline and baseline.evidence,
            latest and latest.evidence,
        )
        if e
    )
    return [
        Finding(
            "continued-efficacy",
            MISSING,
            "continued ≥50% pain reduction not documented"
            if policy.threshold_text() == "≥50%"
            else "continued pain reduction not documented",
            cited,
            tuple(missing),
        )
    ]


# --- contraindications --------------------------------------------------------------------


def life_expectancy(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    settings = policy.settings["lifeExpectancy"]
    months = settings["minimumMonths"]
    terminal = facts.active_diagnoses("terminal-prognosis")
    if terminal:
        return [
            Finding(
                "life-expectancy",
                CONTRAINDICATED,
                f"terminal illness or hospice: life expectancy under {months:g} months likely",
                tuple(d.evidence for d in terminal),
                notes=(
                    "A permanent pump is not advised; a temporary catheter or systemic therapy "
                    "is advised instead.",
                ),
            )
        ]
    if settings["missingPrognosis"][ctx.pain_type] == "warn":
        return [
            Finding(
                "life-expectancy",
                MISSING,
                "no prognosis documented for cancer pain",
                missing=(f"a documented life expectancy over {months:g} months",),
            )
        ]
    return [Finding("life-expectancy", MET, "no shortened prognosis documented")]


def active_infection(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    concept = (
        policy.settings["refillInfectionConcept"]
        if ctx.request_type == REFILL
        else "active-infection"
    )
    active = facts.active_diagnoses(concept)
    if active:
        hold = " (safety hold on refill)" if ctx.request_type == REFILL else ""
        return [
            Finding(
                "active-infection",
                CONTRAINDICATED,
                f"active infection documented{hold}",
                tuple(d.evidence for d in active),
            )
        ]
    resolved = [d.evidence for d in facts.diagnoses if concept in d.concepts and not d.active]
    notes = tuple(f"{e.cite()} is resolved or inactive" for e in resolved)
    return [Finding("active-infection", MET, "no active infection documented", notes=notes)]


def coagulopathy(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    findings: list[Finding] = []
    active = facts.active_diagnoses("coagulopathy")
    if active:
        findings.append(
            Finding(
                "coagulopathy",
                CONTRAINDICATED,
                "coagulopathy or bleeding disorder documented",
                tuple(d.evidence for d in active),
            )
        )
    else:
        findings.append(Finding("coagulopathy", MET, "no coagulopathy documented"))
    anticoagulants = [d.evidence for d in facts.active_diagnoses("anticoagulant-use")]
    anticoagulants += [
        m.evidence
        for m in facts.medications
        if "anticoagulant-drug" in m.classes and m.status in ("active", "on-hold")
    ]
    if anticoagulants:
        findings.append(
            Finding(
                "coagulopathy",
                ADVISORY,
                "on anticoagulants: plan peri-procedural management",
                tuple(anticoagulants),
                notes=("Anticoagulant use alone is not a contraindication.",),
            )
        )
    return findings


# --- refill safety and advisories ----------------------------------------------------------


def _refills(facts: ClinicalFacts) -> list[ProcedureFact]:
    return [
        p
        for p in facts.completed_procedures("refill-procedure")
        if p.start and p.status == "completed"
    ]


def empty_pump(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    limit = policy.settings["maxDaysBetweenRefills"]
    refills = _refills(facts)
    if not refills:
        return [
            Finding(
                "empty-pump",
                NOT_CHECKED,
                "no earlier refill on record",
                notes=(
                    "No earlier refill is on record, so the interval since the last refill "
                    "could not be checked.",
                ),
            )
        ]
    last = refills[-1]
    assert last.start is not None
    days = (facts.as_of - last.start.date()).days
    if days > limit:
        return [
            Finding(
                "empty-pump",
                ALERT,
                f"{days} days since last refill (max {limit}): pump may have run empty",
                (last.evidence,),
                notes=(
                    "Opioid tolerance may be lost: refill at a significantly reduced "
                    "concentration and re-titrate; never resume the prior dose.",
                ),
            )
        ]
    return [Finding("empty-pump", MET, f"last refill {days} days ago", (last.evidence,))]


def monitoring_adherence(
    facts: ClinicalFacts, ctx: RequestContext, policy: Policy
) -> list[Finding]:
    limit = policy.settings["maxDaysBetweenRefills"]
    refills = _refills(facts)
    late = []
    for earlier, later in itertools.pairwise(refills):
        assert earlier.start is not None and later.start is not None
        gap = (later.start.date() - earlier.start.date()).days
        if gap > limit:
            late.append(
                replace(
                    later.evidence,
                    what=f"{later.evidence.what}: {gap} days after the previous refill",
                )
            )
    if late:
        return [
            Finding(
                "monitoring-adherence",
                ADVISORY,
                f"{len(late)} refill interval(s) over {limit} days",
                tuple(late),
                notes=("Confirm regular pain-team follow-up and refill scheduling.",),
            )
        ]
    return [Finding("monitoring-adherence", MET, "refills on schedule")]


def dose_range(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    findings = []
    ranges = {r.ingredient: r for r in policy.dose_ranges}
    for order in facts.orders:
        for ingredient, mg_per_day in order.mg_per_day.items():
            limits = ranges.get(ingredient)
            if limits is None or mg_per_day <= limits.typical_max_mg_per_day:
                continue
            low = (
                f"{limits.typical_min_mg_per_day:g}–"
                if limits.typical_min_mg_per_day is not None
                else "up to "
            )
            headline = (
                f"{ingredient} ≈{mg_per_day:.2f} mg/day, above the typical "
                f"{low}{limits.typical_max_mg_per_day:g} mg/day"
            )
            notes = [f"Computed from {order.dose_basis}."]
            if limits.long_term_max_mg_per_day and mg_per_day > limits.long_term_max_mg_per_day:
                notes.append(
                    f"Over {limits.long_term_max_mg_per_day:g} mg/day is usually seen only after "
                    "2+ years of therapy; check granuloma risk and titration history."
                )
            if limits.source:
                notes.append(f"Range: {limits.source}.")
            findings.append(
                Finding("dose-range", ADVISORY, headline, (order.evidence,), notes=tuple(notes))
            )
    return findings


CAVEATS = {
    "fibromyalgia": (
        "fibromyalgia: opioids are not first-line; "
        "intrathecal therapy is mechanistically questionable"
    ),
    "spondylosis-without-radiculopathy": (
        "spondylosis without radiculopathy may respond less well to intrathecal opioids"
    ),
    "generalized-pain": "generalized pain: intrathecal therapy is a last resort only",
}


def evidence_caveat(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    findings = []
    for concept, headline in CAVEATS.items():
        diagnoses = facts.active_diagnoses(concept)
        if concept == "spondylosis-without-radiculopathy" and facts.active_diagnoses(
            "radiculopathy"
        ):
            continue
        if diagnoses:
            findings.append(
                Finding("evidence-caveat", INFO, headline, tuple(d.evidence for d in diagnoses))
            )
    return findings


CRITERIA: dict[str, Criterion] = {
    "conservative-therapy": conservative_therapy,
    "psych-evaluation": psych_evaluation,
    "trial-response": trial_response,
    "continued-efficacy": continued_efficacy,
    "life-expectancy": life_expectancy,
    "active-infection": active_infection,
    "coagulopathy": coagulopathy,
    "monitoring-adherence": monitoring_adherence,
    "dose-range": dose_range,
    "empty-pump": empty_pump,
    "evidence-caveat": evidence_caveat,
}


def _account_for_gaps(finding: Finding, facts: ClinicalFacts, catalogue: Catalogue) -> Finding:
    """A criterion that looks met on incomplete data is unknown, never met."""
    gaps = sorted(set(catalogue.depends_on(finding.criterion)) & facts.incomplete_types)
    if not gaps:
        return finding
    note = f"Some {', '.join(gaps)} data could not be read, so this could not be fully checked."
    if finding.status == MET:
        return replace(
            finding,
            status=UNKNOWN,
            headline=f"could not be fully checked ({finding.headline})",
            notes=(*finding.notes, note),
        )
    return replace(finding, notes=(*finding.notes, note))


# Statuses that let criteria-met through; any other (even one added later) blocks it.
NON_BLOCKING_STATUSES = frozenset({MET, NOT_CHECKED, ADVISORY, INFO})


def evaluate(facts: ClinicalFacts, policy: Policy, catalogue: Catalogue) -> Evaluation:
    """Apply the policy's criteria for this request type and pain type to the facts."""
    ctx = classify(facts)
    findings: list[Finding] = []
    if ctx.request_type is not None:
        for criterion in policy.required_criteria(ctx.request_type, ctx.pain_type):
            for finding in CRITERIA[criterion](facts, ctx, policy):
                findings.append(_account_for_gaps(finding, facts, catalogue))
    criteria_met = ctx.request_type is not None and all(
        f.status in NON_BLOCKING_STATUSES for f in findings
    )
    return Evaluation(
        ctx, policy.name, policy.version, tuple(findings), criteria_met, facts.data_problems
    )
