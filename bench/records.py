"""Generated patient records of a chosen size with a realistic mix of resources.

The mix follows what a pain-practice record holds after years of pump therapy: many
pain scores, many medication orders, regular refill procedures, some notes (a few of
them psychology notes) and a problem list. The refill order being signed is a draft
MedicationRequest. Deterministic for a given size and seed.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from typing import Any

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"

MIX = (
    ("Observation", 0.45),
    ("MedicationRequest", 0.25),
    ("Procedure", 0.12),
    ("Condition", 0.08),
    ("DocumentReference", 0.10),
)
CONDITIONS = [
    ("G89.4", "Chronic pain syndrome"),
    ("M96.1", "Postlaminectomy syndrome"),
    ("I10", "Essential hypertension"),
    ("E11.9", "Type 2 diabetes mellitus"),
    ("M54.16", "Radiculopathy, lumbar region"),
    ("F32.A", "Depression, unspecified"),
    ("K59.00", "Constipation, unspecified"),
    ("Z97.8", "Presence of implanted intrathecal pump"),
]
MEDICATIONS = [
    ("1049621", "oxycodone hydrochloride 5 MG Oral Tablet", "Inadequate pain relief"),
    ("310431", "gabapentin 300 MG Oral Capsule", "Sedation and dizziness"),
    ("596926", "duloxetine 30 MG Delayed Release Oral Capsule", "Ineffective"),
    ("197361", "amlodipine 5 MG Oral Tablet", None),
    ("860975", "metformin hydrochloride 500 MG Oral Tablet", None),
    ("198440", "acetaminophen 500 MG Oral Tablet", None),
]
PROCEDURES = [
    ("62370", "Electronic analysis, programming and refill of intrathecal pump"),
    ("99213", "Office visit, established patient"),
    ("72100", "X-ray lumbar spine"),
]
NOTE_TEXT = (
    "Pain clinic follow-up. Patient reports pain {pain}/10 on current intrathecal regimen. "
    "Pump site clean and dry, no evidence of infection. Reservoir volume adequate. "
    "Continues home exercise program; sleep fair. No new neurological deficits. "
    "Plan: continue current dose, refill as scheduled, follow up in 8 weeks. "
)


def _when(rng: random.Random, as_of: dt.date, years: float = 5) -> dt.datetime:
    days = rng.uniform(1, years * 365)
    return dt.datetime.combine(as_of, dt.time(10), dt.UTC) - dt.timedelta(days=days)


def generate(size: int, as_of: dt.date = dt.date(2026, 11, 21), seed: int = 7) -> dict[str, Any]:
    """A collection Bundle with ``size`` resources for one patient, plus a draft refill order."""
    rng = random.Random(seed)
    pid = f"bench-{size}"
    subject = {"reference": f"Patient/{pid}"}
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": pid,
            "gender": "female",
            "birthDate": "1961-05-05",
            "name": [{"family": "Bench"}],
        }
    ]
    counts = {kind: max(1, round((size - 1) * share)) for kind, share in MIX}
    counts["Observation"] += size - 1 - sum(counts.values())
    for n in range(counts["Condition"]):
        code, display = CONDITIONS[n % len(CONDITIONS)]
        resources.append(
            {
                "resourceType": "Condition",
                "id": f"{pid}-c{n}",
                "subject": subject,
                "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
                "code": {
                    "coding": [{"system": ICD, "code": code, "display": display}],
                    "text": display,
                },
                "onsetDateTime": _when(rng, as_of, 10).date().isoformat(),
            }
        )
    for n in range(counts["MedicationRequest"]):
        code, display, reason = MEDICATIONS[n % len(MEDICATIONS)]
        resource = {
            "resourceType": "MedicationRequest",
            "id": f"{pid}-m{n}",
            "subject": subject,
            "status": "stopped" if reason else "active",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [{"system": RX, "code": code, "display": display}]
            },
            "authoredOn": _when(rng, as_of).date().isoformat(),
        }
        if reason:
            resource["statusReason"] = {"text": reason}
        resources.append(resource)
    resources.append(
        {
            "resourceType": "Procedure",
            "id": f"{pid}-implant",
            "subject": subject,
            "status": "completed",
            "performedDateTime": "2021-03-01",
            "code": {
                "coding": [
                    {
                        "system": CPT,
                        "code": "62362",
                        "display": "Implantation of programmable intrathecal pump",
                    }
                ]
            },
        }
    )
    resources.append(
        {
            "resourceType": "Procedure",
            "id": f"{pid}-psych",
            "subject": subject,
            "status": "completed",
            "performedDateTime": "2021-01-10",
            "code": {
                "coding": [{"system": CPT, "code": "90791", "display": "Psychiatric evaluation"}]
            },
            "outcome": {"text": "Favorable candidate for intrathecal drug delivery"},
        }
    )
    refills = 0
    for n in range(counts["Procedure"] - 2):
        # Refills every 60 days since the implant; the rest are visits and imaging.
        if n % len(PROCEDURES) == 0 and refills < 30:
            code, display = PROCEDURES[0]
            when = (as_of - dt.timedelta(days=30 + 60 * refills)).isoformat()
            refills += 1
        else:
            code, display = PROCEDURES[1 + n % 2]
            when = _when(rng, as_of).date().isoformat()
        resources.append(
            {
                "resourceType": "Procedure",
                "id": f"{pid}-p{n}",
                "subject": subject,
                "status": "completed",
                "performedDateTime": when,
                "code": {"coding": [{"system": CPT, "code": code, "display": display}]},
            }
        )
    resources.append(_pain(pid, "baseline", 8, dt.datetime(2021, 2, 1, 10, tzinfo=dt.UTC)))
    for n in range(counts["Observation"] - 1):
        resources.append(_pain(pid, str(n), rng.choice([2, 3, 3, 4]), _when(rng, as_of, 5.5)))
    for n in range(counts["DocumentReference"]):
        text = f"Visit {n}. " + NOTE_TEXT.format(pain=rng.choice([2, 3, 4])) * 2
        psych = n % 20 == 0
        resources.append(
            {
                "resourceType": "DocumentReference",
                "id": f"{pid}-d{n}",
                "subject": subject,
                "status": "current",
                "date": _when(rng, as_of).isoformat(),
                "type": {"coding": [{"system": LOINC, "code": "34791-4" if psych else "11506-3"}]},
                "content": [
                    {
                        "attachment": {
                            "contentType": "text/plain",
                            "data": base64.b64encode(text.encode()).decode(),
                        }
                    }
                ],
            }
        )
    resources.append(
        {
            "resourceType": "MedicationRequest",
            "id": f"{pid}-draft",
            "subject": subject,
            "status": "draft",
            "intent": "order",
            "authoredOn": as_of.isoformat(),
            "medicationCodeableConcept": {
                "coding": [{"system": RX, "code": "7052", "display": "morphine"}],
                "text": "Morphine preservative-free, intrathecal",
            },
            "dosageInstruction": [
                {
                    "route": {"coding": [{"system": "http://snomed.info/sct", "code": "72607000"}]},
                    "doseAndRate": [
                        {"rateQuantity": {"value": 3, "code": "mg/d", "unit": "mg/day"}}
                    ],
                }
            ],
        }
    )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def _pain(pid: str, suffix: str, value: float, when: dt.datetime) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"{pid}-o{suffix}",
        "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": when.isoformat(),
        "code": {"coding": [{"system": LOINC, "code": "72514-3"}]},
        "valueQuantity": {"value": value},
    }
