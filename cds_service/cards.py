"""Findings → CDS Hooks 2.0 cards, most severe first, exactly as the service contract says."""

from __future__ import annotations

import uuid
from typing import Any

from cds_service.catalogue import Catalogue
from cds_service.evaluation import (
    ADVISORY,
    ALERT,
    CONTRAINDICATED,
    INFO,
    MISSING,
    NOT_MET,
    UNKNOWN,
    Evaluation,
    Finding,
)

SUMMARY_LIMIT = 139
INDICATOR_BY_STATUS = {
    CONTRAINDICATED: "critical",
    ALERT: "critical",
    MISSING: "warning",
    NOT_MET: "warning",
    UNKNOWN: "warning",
    ADVISORY: "warning",
    INFO: "info",
}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
SOURCE_LABEL = "ITDD medical necessity"


def _summary(title: str, headline: str) -> str:
    text = f"{title}: {headline}"
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def _detail(finding: Finding, evaluation: Evaluation) -> str:
    lines: list[str] = []
    if finding.evidence:
        lines.append("**Evidence used:**")
        lines += [f"- {e.cite()}" for e in finding.evidence]
    else:
        lines.append("**Evidence used:** none found in the record.")
    if finding.missing:
        lines.append("")
        lines.append("**Missing:**")
        lines += [f"- {m}" for m in finding.missing]
    if finding.notes:
        lines.append("")
        lines += list(finding.notes)
    lines += ["", *_context_lines(evaluation)]
    return "\n".join(lines)


def _context_lines(evaluation: Evaluation) -> list[str]:
    request = evaluation.request
    lines = [
        f"_Request: {request.request_type} ({request.pain_type} pain); policy "
        f"{evaluation.policy_name} {evaluation.policy_version}; orders: "
        f"{', '.join(e.reference for e in request.orders) or 'none'}._"
    ]
    lines += [f"_{note}_" for note in request.notes]
    if evaluation.data_problems:
        lines.append("_Data notes: " + "; ".join(evaluation.data_problems) + "._")
    return lines


def _override_reasons(indicator: str, catalogue: Catalogue) -> list[dict[str, str]]:
    key = "critical" if indicator == "critical" else "warning"
    return [
        {"system": catalogue.override_reason_system, **reason}
        for reason in catalogue.override_reasons[key]
    ]


def _suggestion(
    finding: Finding, patient_id: str, catalogue: Catalogue, seed: uuid.UUID
) -> dict[str, Any] | None:
    template = catalogue.suggestions.get(finding.criterion)
    if template is None or finding.status != MISSING:
        return None
    service_request = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "code": {
            "coding": [dict(template["serviceRequestCode"])],
            "text": template["serviceRequestCode"]["display"],
        },
        "reasonCode": [{"text": template["reason"]}],
    }
    return {
        "label": template["label"],
        "uuid": str(uuid.uuid5(seed, f"suggestion:{finding.criterion}")),
        "isRecommended": True,
        "actions": [
            {"type": "create", "description": template["label"], "resource": service_request}
        ],
    }


def _card(
    finding: Finding,
    indicator: str,
    evaluation: Evaluation,
    patient_id: str,
    catalogue: Catalogue,
    seed: uuid.UUID,
    index: int,
) -> dict[str, Any]:
    title = catalogue.title(finding.criterion)
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid5(seed, f"card:{index}:{finding.criterion}")),
        "summary": _summary(title, finding.headline),
        "indicator": indicator,
        "detail": _detail(finding, evaluation),
        "source": {
            "label": SOURCE_LABEL,
            "topic": {
                "system": catalogue.topic_system,
                "code": finding.criterion,
                "display": title,
            },
        },
    }
    if indicator != "info":
        card["overrideReasons"] = _override_reasons(indicator, catalogue)
    suggestion = _suggestion(finding, patient_id, catalogue, seed)
    if suggestion is not None:
        card["suggestions"] = [suggestion]
        card["selectionBehavior"] = "at-most-one"
    return card


def _criteria_met_finding(evaluation: Evaluation) -> Finding:
    met = [f for f in evaluation.findings if f.status == "met"]
    evidence = tuple(e for f in met for e in f.evidence)
    notes = tuple(f"{f.criterion}: {f.headline}" for f in met)
    unchecked = tuple(n for f in evaluation.findings if f.status == "not-checked" for n in f.notes)
    return Finding(
        "criteria-met",
        INFO,
        f"all {evaluation.request.request_type} criteria documented "
        f"(policy {evaluation.policy_name})",
        evidence,
        notes=(*notes, *unchecked),
    )


def build_cards(
    evaluation: Evaluation, patient_id: str, hook_instance: str, catalogue: Catalogue
) -> list[dict[str, Any]]:
    """One card per finding needing attention, most severe first; criteria-met only if earned."""
    if evaluation.request.request_type is None:
        return []
    seed = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:itdd-cds:{hook_instance}")
    shown = [
        (f, INDICATOR_BY_STATUS[f.status])
        for f in evaluation.findings
        if f.status in INDICATOR_BY_STATUS
    ]
    if evaluation.criteria_met:
        shown.append((_criteria_met_finding(evaluation), "info"))
    shown.sort(key=lambda pair: SEVERITY_ORDER[pair[1]])
    return [
        _card(finding, indicator, evaluation, patient_id, catalogue, seed, index)
        for index, (finding, indicator) in enumerate(shown)
    ]
