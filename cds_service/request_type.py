"""Decide what the draft orders ask for: trial, implant, refill, replacement, or nothing of ours.

The decision is made from the order facts and the patient's pump history; code
sets behind both live in data. An order that only *might* be intrathecal (a
non-route-specific morphine J-code, home-infusion nursing) counts only when
another intrathecal signal stands beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cds_service.facts import ClinicalFacts, Evidence

TRIAL, IMPLANT, REFILL, REPLACEMENT = "trial", "implant", "refill", "replacement"
CANCER, NON_MALIGNANT = "cancer", "non-malignant"


@dataclass(frozen=True)
class RequestContext:
    request_type: str | None
    pain_type: str
    orders: tuple[Evidence, ...]
    pump_evidence: tuple[Evidence, ...]
    notes: tuple[str, ...]


def existing_pump_evidence(facts: ClinicalFacts) -> list[Evidence]:
    """Signs that a permanent pump is already in place, as of the evaluation date."""
    evidence = [d.evidence for d in facts.active_diagnoses("pump-presence")]
    evidence += [
        p.evidence
        for p in facts.procedures
        if p.status == "completed" and p.concepts & {"implant-procedure", "refill-procedure"}
    ]
    evidence += [
        m.evidence
        for m in facts.medications
        if m.intrathecal and m.status in ("active", "completed", "stopped", "on-hold")
    ]
    return evidence


def pain_type(facts: ClinicalFacts) -> str:
    cancer = facts.active_diagnoses("malignancy") + facts.active_diagnoses("neoplasm-related-pain")
    return CANCER if cancer else NON_MALIGNANT


def classify(facts: ClinicalFacts) -> RequestContext:
    pump = existing_pump_evidence(facts)
    kind_orders: dict[str, list[Evidence]] = {TRIAL: [], IMPLANT: [], REFILL: [], "possible": []}
    for order in facts.orders:
        if order.concepts & {"implant-procedure", "pump-device"}:
            kind_orders[IMPLANT].append(order.evidence)
        elif "trial-procedure" in order.concepts:
            kind_orders[TRIAL].append(order.evidence)
        elif order.concepts & {"refill-procedure", "pump-management-service"} or order.intrathecal:
            kind_orders[REFILL].append(order.evidence)
        elif order.possible_pump_drug or "home-infusion-nursing" in order.concepts:
            kind_orders["possible"].append(order.evidence)

    definite = kind_orders[IMPLANT] or kind_orders[TRIAL] or kind_orders[REFILL]
    notes: list[str] = []
    if kind_orders[IMPLANT]:
        request_type = REPLACEMENT if pump else IMPLANT
    elif kind_orders[TRIAL]:
        request_type = TRIAL
    elif kind_orders[REFILL] or (kind_orders["possible"] and (pump or definite)):
        request_type = REFILL if pump else IMPLANT
        if not pump:
            notes.append(
                "No implanted pump is documented, so this intrathecal drug order was evaluated "
                "against first-implant criteria. If a pump exists (implanted elsewhere) or this is "
                "a trial dose, document it."
            )
    else:
        request_type = None
    orders = tuple(e for key in (IMPLANT, TRIAL, REFILL, "possible") for e in kind_orders[key])
    return RequestContext(request_type, pain_type(facts), orders, tuple(pump), tuple(notes))
