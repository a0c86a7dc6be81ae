"""Criteria evaluation: a pure function of (facts, policy, as-of date) → findings.

Which criteria apply comes from the policy (data); each criterion id maps to one
small function here that reads facts and returns findings with their evidence.
No I/O happens in this module.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

from cds_service.catalogue import Catalogue
from cds_service.clinical_nlp import NoteSummary
from cds_service.facts import (
    ADJUVANT_CLASSES,
    FACT_SOURCES,
    ClinicalFacts,
    Evidence,
    MedicationFact,
    NoteFact,
    PainScore,
    ProcedureFact,
)
from cds_service.fhir_values import end_of_day
from cds_service.policy import Policy
from cds_service.request_type import REFILL, RequestContext, classify

log = logging.getLogger(__name__)

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


def _by_drug(meds: list[MedicationFact]) -> list[str]:
    """One citation per drug (its latest order, with how many earlier ones): ten years of
    monthly renewals are one line to a clinician, not a hundred."""
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    by_label: dict[str, list[MedicationFact]] = {}
    for med in meds:
        by_label.setdefault(med.evidence.what.lower(), []).append(med)
    cited = []
    for orders in by_label.values():
        latest = max(orders, key=lambda m: m.start or floor)
        earlier = f" and {len(orders) - 1} earlier order(s)" if len(orders) > 1 else ""
        cited.append(latest.evidence.cite() + earlier)
    return cited


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
            tried = _by_drug(groups[cls])
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


def _scores_between(
    scores: tuple[PainScore, ...], start: dt.datetime, end: dt.datetime
) -> list[PainScore]:
    return [s for s in scores if start <= s.when <= end]


def _trial_window(trial: ProcedureFact, policy: Policy) -> tuple[dt.datetime, dt.datetime]:
    assert trial.start is not None
    days = policy.settings["trialResponse"]["observationWindowDays"]
    return trial.start, (trial.end or trial.start) + dt.timedelta(days=days)


def _trial_texts(
    trial: ProcedureFact, facts: ClinicalFacts, policy: Policy
) -> list[tuple[NoteSummary, Evidence]]:
    """The trial's own outcome/note text and the notes written during its window."""
    start, end = _trial_window(trial, policy)
    texts = (
        [(trial.summary, replace(trial.evidence, unstructured=True))] if trial.outcome_text else []
    )
    texts += [
        (n.summary, n.evidence) for n in facts.notes_between(start - dt.timedelta(days=1), end)
    ]
    return texts


def _trial_result(
    trial: ProcedureFact, facts: ClinicalFacts, policy: Policy
) -> tuple[float, tuple[Evidence, ...]] | None:
    """Pain reduction from coded scores around the trial, else from what its notes state."""
    if trial.start is None:
        return None
    start, end = _trial_window(trial, policy)
    lookback = start - dt.timedelta(days=policy.settings["trialResponse"]["baselineLookbackDays"])
    before = [s for s in facts.pain_scores if lookback <= s.when < start]
    during = _scores_between(facts.pain_scores, start, end)
    if before and during:
        baseline, best = before[-1], min(during, key=lambda s: s.value)
        reduction = _reduction(baseline.value, best.value)
        if reduction is not None:
            return reduction, (trial.evidence, baseline.evidence, best.evidence)
    for summary, evidence in _trial_texts(trial, facts, policy):
        if summary.pain_before is not None and summary.pain_after is not None:
            reduction = _reduction(summary.pain_before, summary.pain_after)
            if reduction is not None:
                what = (
                    f"{evidence.what}: pain {summary.pain_before:g}/10 before, "
                    f"{summary.pain_after:g}/10 during"
                )
                return reduction, (trial.evidence, replace(evidence, what=what, unstructured=True))
        if summary.percent_relief is not None:
            what = f"{evidence.what}: {summary.percent_relief:g}% relief stated"
            return summary.percent_relief, (
                trial.evidence,
                replace(evidence, what=what, unstructured=True),
            )
    return None


# Note concepts that can carry a trial's response (data/note-concepts/trial.json); a note
# naming none of them is not read for one.
TRIAL_NOTE_CATEGORIES = (
    "DRUG_TRIAL",
    "PAIN_SCORE",
    "PAIN_CHANGE",
    "PAIN_TABLE_CELL",
    "PERCENT_RELIEF",
    "TRIAL_SUCCESS",
)


def _note_reduction(note: NoteFact) -> tuple[float, str] | None:
    """The pain reduction a note states for a trial, and how it states it."""
    summary = note.summary
    if summary.pain_before is not None and summary.pain_after is not None:
        reduction = _reduction(summary.pain_before, summary.pain_after)
        if reduction is not None:
            return reduction, f"pain {summary.pain_before:g} before, {summary.pain_after:g} after"
    if summary.percent_relief is not None:
        return summary.percent_relief, f"{summary.percent_relief:g}% relief stated"
    return None


def _latest_note_response(notes: list[NoteFact]) -> tuple[NoteFact, float, str] | None:
    """The latest (non-psych) note stating a pain response: the note, reduction and wording."""
    for note in reversed(notes):
        if note.is_psych_note or not note.asserts(*TRIAL_NOTE_CATEGORIES):
            continue
        result = _note_reduction(note)
        if result is not None:
            return note, result[0], result[1]
    return None


def _note_response_finding(
    criterion: str,
    found: tuple[NoteFact, float, str],
    policy: Policy,
    label: str,
    needed: str,
    notes: tuple[str, ...] = (),
) -> Finding:
    """Met or not met on a response a note states; ``label`` prefixes the headline."""
    note, reduction, how = found
    evidence = (replace(note.evidence, what=f"{note.evidence.what}: {how}"),)
    headline = f"{label} {reduction:.0f}%"
    if policy.passes_threshold(reduction):
        return Finding(criterion, MET, headline, evidence, notes=notes)
    return Finding(
        criterion,
        NOT_MET,
        f"{headline}, below {policy.threshold_text()}",
        evidence,
        (f"{needed} {policy.threshold_text()}",),
        notes,
    )


def _trial_from_notes(facts: ClinicalFacts, policy: Policy) -> Finding | None:
    """A trial documented only in a note (no coded Procedure): the latest one with numbers.

    Its card says it came from an unstructured note; without numbers a note is no trial.
    """
    found = _latest_note_response(list(facts.notes))
    if found is None:
        return None
    return _note_response_finding(
        "trial-response",
        found,
        policy,
        "trial in a note reduced pain by",
        "a trial with pain reduction",
        ("The trial is documented only in a note (no coded procedure).",),
    )


def trial_response(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    trials = [
        t
        for t in facts.completed_procedures("trial-procedure")
        if t.status == "completed" and t.start
    ]
    if not trials:
        from_notes = _trial_from_notes(facts, policy)
        if from_notes is not None:
            return [from_notes]
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
    stated = [
        e for summary, e in _trial_texts(latest, facts, policy) if summary.has("TRIAL_SUCCESS")
    ]
    if policy.settings["trialResponse"]["acceptQualitativeSuccess"] and stated:
        return [
            Finding(
                "trial-response",
                MET,
                "trial documented as successful (not quantified)",
                (latest.evidence, *stated),
                notes=("The policy accepts a qualitative trial result.",),
            )
        ]
    return [
        Finding(
            "trial-response",
            MISSING,
            "trial on file but pain reduction not quantified",
            (*(t.evidence for t in trials), *stated),
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


# Informational only: an old "latest" score is named in the card, it does not change the status.
STALE_SCORE_DAYS = 180


EFFICACY_NOTE_DAYS = 365


def _efficacy_from_notes(
    facts: ClinicalFacts, since: dt.datetime | None, policy: Policy
) -> Finding | None:
    """Without coded scores: the latest recent note (on therapy) stating the pain response."""
    on_therapy = [
        n
        for n in _recent_notes(facts, EFFICACY_NOTE_DAYS)
        if since is None or (n.when is not None and n.when >= since)
    ]
    found = _latest_note_response(on_therapy)
    if found is None:
        return None
    return _note_response_finding(
        "continued-efficacy",
        found,
        policy,
        "a note states pain below baseline on intrathecal therapy by",
        "pain reduction maintained on intrathecal therapy",
    )


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
            age = (facts.as_of - latest.when.date()).days
            stale = (
                (
                    f"The latest pain score is {age} days old; a current score would confirm "
                    "that efficacy is maintained.",
                )
                if age > STALE_SCORE_DAYS
                else ()
            )
            return [
                Finding(
                    "continued-efficacy",
                    MET,
                    f"pain {reduction:.0f}% below pre-intrathecal baseline",
                    evidence,
                    notes=stale,
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
    stated = _efficacy_from_notes(facts, start[0] if start else None, policy)
    if stated is not None:
        return [stated]
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


def _recent_notes(facts: ClinicalFacts, days: int) -> list[NoteFact]:
    end = end_of_day(facts.as_of)
    return facts.notes_between(end - dt.timedelta(days=days), end)


def _hospice_care(facts: ClinicalFacts, days: int) -> list[ProcedureFact]:
    """Hospice care under way, or given within the lookback (hospice means a prognosis of
    six months or less)."""
    since = end_of_day(facts.as_of) - dt.timedelta(days=days)
    return [
        p
        for p in facts.completed_procedures("hospice-care")
        if p.status == "in-progress" or (p.end or p.start or since) >= since
    ]


UNCERTAIN_NOTE = (
    "The note mentions it without stating it clearly (uncertain wording); a "
    "clinician must read it before this criterion can be counted as met."
)


def _verify(
    criterion: str, headline: str, evidence: list[Evidence], note: str = UNCERTAIN_NOTE
) -> Finding:
    """A contraindication a note mentions but does not settle: never met, always verify."""
    return Finding(
        criterion,
        UNKNOWN,
        f"could not be fully checked — verify: {headline}",
        tuple(evidence),
        notes=(note,),
    )


SCREEN_NOTE = (
    "The note reader found no clear statement of it, but the note's wording resembles notes "
    "that report it (note safety screen); a clinician must read the note before this "
    "criterion can be counted as met."
)


def _screened(criterion: str, concept: str, headline: str, notes: list[NoteFact]) -> list[Finding]:
    """A "verify" for the notes the safety screen flags for ``concept`` (none: no finding).

    The screen catches wordings the rules have not met; it can only ask for a reading,
    so this never contraindicates and never meets (note_reading/screen.py).
    """
    flagged = [n.evidence for n in notes if n.screened(concept)]
    return [_verify(criterion, headline, flagged, SCREEN_NOTE)] if flagged else []


def life_expectancy(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    settings = policy.settings["lifeExpectancy"]
    months = settings["minimumMonths"]
    advice = (
        "A permanent pump is not advised; a temporary catheter or systemic therapy "
        "is advised instead."
    )
    notes = _recent_notes(facts, policy.settings["prognosisLookbackDays"])
    terminal = [d.evidence for d in facts.active_diagnoses("terminal-prognosis")]
    terminal += [p.evidence for p in _hospice_care(facts, policy.settings["prognosisLookbackDays"])]
    terminal += [n.evidence for n in notes if n.asserts("TERMINAL")]
    if terminal:
        return [
            Finding(
                "life-expectancy",
                CONTRAINDICATED,
                f"terminal illness or hospice: life expectancy under {months:g} months likely",
                tuple(terminal),
                notes=(advice,),
            )
        ]
    unsure = [n.evidence for n in notes if n.unsure("TERMINAL")]
    if unsure:
        return [
            _verify(
                "life-expectancy", "a recent note may document hospice or terminal illness", unsure
            )
        ]
    # A hedged statement gives a figure only when it is short (note_reading/prognosis.months).
    stated = [
        n
        for n in notes
        if (n.asserts("PROGNOSIS") or n.unsure("PROGNOSIS"))
        and n.summary.prognosis_months is not None
    ]
    long_prognosis: list[Finding] = []
    if stated:
        latest = stated[-1]
        value = latest.summary.prognosis_months
        assert value is not None
        evidence = replace(
            latest.evidence, what=f"{latest.evidence.what}: prognosis ≈{value:.1f} months"
        )
        if value < months:
            return [
                Finding(
                    "life-expectancy",
                    CONTRAINDICATED,
                    f"documented prognosis ≈{value:.1f} months, under {months:g}",
                    (evidence,),
                    notes=(advice,),
                )
            ]
        long_prognosis = [
            Finding(
                "life-expectancy", MET, f"documented prognosis ≈{value:.0f} months", (evidence,)
            )
        ]
    # A stated long prognosis does not outweigh a note the screen flags: it may be the
    # older estimate ("was 6-12 months, now short weeks").
    screened = _screened(
        "life-expectancy", "prognosis", "a recent note may document a short prognosis", notes
    )
    if screened:
        return screened
    if long_prognosis:
        return long_prognosis
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
    refill = ctx.request_type == REFILL
    concept = policy.settings["refillInfectionConcept"] if refill else "active-infection"
    # At a refill a pocket/site or CNS infection is a safety hold (clinical reference §2);
    # before a trial or implant any active infection is a contraindication.
    note_categories = (
        ("SITE_INFECTION", "CNS_INFECTION")
        if refill
        else ("SITE_INFECTION", "CNS_INFECTION", "SYSTEMIC_INFECTION")
    )
    recent = _recent_notes(facts, policy.settings["recentNoteDays"])
    active = [d.evidence for d in facts.active_diagnoses(concept)]
    active += [n.evidence for n in recent if n.asserts(*note_categories)]
    if active:
        hold = " (safety hold on refill)" if refill else ""
        return [
            Finding(
                "active-infection",
                CONTRAINDICATED,
                f"active infection documented{hold}",
                tuple(active),
            )
        ]
    resolved = [d.evidence for d in facts.diagnoses if concept in d.concepts and not d.active]
    notes = tuple(f"{e.cite()} is resolved or inactive" for e in resolved)
    headline = "a recent note may document an infection"
    unsure = [n.evidence for n in recent if n.unsure(*note_categories)]
    if unsure:
        return [_verify("active-infection", headline, unsure)]
    screened = _screened("active-infection", "infection", headline, recent)
    if screened:
        return screened
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


EMPTY_PUMP_ADVICE = (
    "Opioid tolerance may be lost: refill at a significantly reduced concentration and "
    "re-titrate; never resume the prior dose."
)


def empty_pump(facts: ClinicalFacts, ctx: RequestContext, policy: Policy) -> list[Finding]:
    limit = policy.settings["maxDaysBetweenRefills"]
    refills = _refills(facts)
    last = refills[-1] if refills else None
    since = last.start if last is not None else None
    since_last = [
        n
        for n in _recent_notes(facts, policy.settings["recentNoteDays"])
        if since is None or (n.when and n.when >= since)
    ]
    reported = [n.evidence for n in since_last if n.asserts("EMPTY_PUMP", "MISSED_REFILL")]
    if reported:
        return [
            Finding(
                "empty-pump",
                ALERT,
                "note reports an empty pump, alarm or missed refill",
                tuple(reported) + ((last.evidence,) if last else ()),
                notes=(EMPTY_PUMP_ADVICE,),
            )
        ]
    headline = "a note may report an empty pump or missed refill"
    unsure = [n.evidence for n in since_last if n.unsure("EMPTY_PUMP", "MISSED_REFILL")]
    if unsure:
        return [_verify("empty-pump", headline, unsure)]
    days = (facts.as_of - since.date()).days if since is not None else None
    if last is not None and days is not None and days > limit:
        return [
            Finding(
                "empty-pump",
                ALERT,
                f"{days} days since last refill (max {limit}): pump may have run empty",
                (last.evidence,),
                notes=(EMPTY_PUMP_ADVICE,),
            )
        ]
    # Screened only when nothing stronger was found: it can ask for a reading, no more.
    screened = _screened("empty-pump", "empty-pump", headline, since_last)
    if screened:
        return screened
    if last is None or days is None:
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
    return [Finding("empty-pump", MET, f"last refill {days} days ago", (last.evidence,))]


def monitoring_adherence(
    facts: ClinicalFacts, ctx: RequestContext, policy: Policy
) -> list[Finding]:
    limit = policy.settings["maxDaysBetweenRefills"]
    late = []
    for earlier, later in itertools.pairwise(_refills(facts)):
        assert earlier.start is not None and later.start is not None
        gap = (later.start.date() - earlier.start.date()).days
        if gap > limit:
            what = f"{later.evidence.what}: {gap} days after the previous refill"
            late.append(replace(later.evidence, what=what))
    late += [n.evidence for n in _recent_notes(facts, 365) if n.asserts("MISSED_REFILL")]
    if late:
        return [
            Finding(
                "monitoring-adherence",
                ADVISORY,
                f"{len(late)} late or missed refill(s) in the record",
                tuple(late),
                notes=(
                    f"Refills are due at most every {limit} days; "
                    "confirm regular pain-team follow-up.",
                ),
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


class ReadingFacts:
    """ClinicalFacts as one criterion sees them: every attribute read is recorded by type.

    The criterion's declared ``dependsOn`` is what gap accounting uses; this record is
    how tests hold each declaration to the code, and a read that was not declared still
    counts (and is logged) so that a forgotten declaration can never let "met" through.
    """

    def __init__(self, facts: ClinicalFacts):
        self._facts = facts
        self.types_read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        if name not in FACT_SOURCES:
            raise AttributeError(f"ClinicalFacts.{name} has no declared source type")
        self.types_read |= FACT_SOURCES[name]
        return getattr(self._facts, name)


def run_criterion(
    criterion: str, facts: ClinicalFacts, ctx: RequestContext, policy: Policy
) -> tuple[list[Finding], frozenset[str]]:
    """The criterion's findings and the data types it actually read."""
    view = ReadingFacts(facts)
    findings = CRITERIA[criterion](cast(ClinicalFacts, view), ctx, policy)
    return findings, frozenset(view.types_read)


def _account_for_gaps(
    finding: Finding, gaps: list[str], kind: str, why: tuple[str, ...] = ()
) -> Finding:
    """A criterion that looks met on incomplete data is unknown, never met.

    A documentation criterion that looks missing on incomplete data is unknown too: the
    document may be in what could not be read, so "missing" would send the clinician
    looking for paperwork that exists. Contraindications and alerts keep their status.
    """
    if not gaps:
        return finding
    note = f"Some {', '.join(gaps)} data could not be read, so this could not be fully checked."
    notes = (note, *why)
    undecided = finding.status == MET or (
        kind == "documentation" and finding.status in (MISSING, NOT_MET)
    )
    if undecided:
        return replace(
            finding,
            status=UNKNOWN,
            headline=f"could not be fully checked ({finding.headline})",
            notes=(*finding.notes, *notes),
        )
    return replace(finding, notes=(*finding.notes, *notes))


# Statuses that let criteria-met through; any other (even one added later) blocks it.
NON_BLOCKING_STATUSES = frozenset({MET, NOT_CHECKED, ADVISORY, INFO})


def evaluate(facts: ClinicalFacts, policy: Policy, catalogue: Catalogue) -> Evaluation:
    """Apply the policy's criteria for this request type and pain type to the facts."""
    ctx = classify(facts)
    findings: list[Finding] = []
    if ctx.request_type is not None:
        for criterion in policy.required_criteria(ctx.request_type, ctx.pain_type):
            facts.reading.begin()
            results, types_read = run_criterion(criterion, facts, ctx, policy)
            declared = frozenset(catalogue.depends_on(criterion))
            if types_read - declared:
                log.error(
                    "criterion read data it does not declare",
                    extra={"criterion": criterion, "types": sorted(types_read - declared)},
                )
            incomplete = facts.incomplete_types | facts.reading.end()
            why = facts.reading.explanations()
            gaps = sorted((declared | types_read) & incomplete)
            kind = catalogue.kind(criterion)
            findings += [_account_for_gaps(f, gaps, kind, why) for f in results]
    criteria_met = ctx.request_type is not None and all(
        f.status in NON_BLOCKING_STATUSES for f in findings
    )
    return Evaluation(
        ctx, policy.name, policy.version, tuple(findings), criteria_met, facts.data_problems
    )
