"""FHIR resources → clinical facts: the only place that knows FHIR element paths.

Everything downstream (request typing, criteria, cards) works on these plain
facts, so it can be tested without FHIR and stays a pure function of its input.
Records dated after the as-of date are left out: an evaluation "as of" a day sees
only what was known then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from cds_service.clinical_nlp import (
    EMPTY_SUMMARY,
    NoteReader,
    NoteSummary,
    ReadingBudget,
    candidacy,
    failure_reasons,
)
from cds_service.codes import CodedText, CodeSets
from cds_service.fhir_parsing import ParsedRecord
from cds_service.fhir_values import (
    coded,
    end_of_day,
    notes_text,
    period_bounds,
    record_day,
    to_datetime,
)
from cds_service.note_text import attachment_text

ACTIVE_CLINICAL = {"active", "recurrence", "relapse"}
IGNORED_STATUS = {"entered-in-error"}
ADJUVANT_CLASSES = ("adjuvant-anticonvulsant", "adjuvant-antidepressant", "adjuvant-nsaid")
DIAGNOSIS_CONCEPTS = (
    "malignancy",
    "neoplasm-related-pain",
    "fibromyalgia",
    "spondylosis-without-radiculopathy",
    "radiculopathy",
    "generalized-pain",
    "pump-presence",
    "active-infection",
    "infection-refill-hold",
    "coagulopathy",
    "anticoagulant-use",
    "terminal-prognosis",
    "spasticity",
)
PROCEDURE_CONCEPTS = (
    "trial-procedure",
    "implant-procedure",
    "refill-procedure",
    "psych-evaluation-procedure",
    "pump-removal",
    "hospice-care",
)
MEDICATION_CLASSES = (
    "systemic-opioid",
    *ADJUVANT_CLASSES,
    "anticoagulant-drug",
    "pump-drug",
    "route-specific-pump-drug",
    "intrathecal-capable-drug",
)
# What each coded record type is read for: anything else is never used by a criterion.
CONCEPTS_READ = {
    "Condition": DIAGNOSIS_CONCEPTS,
    "Procedure": PROCEDURE_CONCEPTS,
    "MedicationRequest": MEDICATION_CLASSES,
}
ORDER_CONCEPTS = (
    "trial-procedure",
    "implant-procedure",
    "pump-device",
    "refill-procedure",
    "pump-management-service",
    "home-infusion-nursing",
    "pump-removal",
)


@dataclass(frozen=True)
class Evidence:
    """Where a fact came from, so every card can cite it."""

    reference: str
    when: dt.date | None
    what: str
    unstructured: bool = False
    # A coded record recognised by its name (display or text), not by a code we list.
    by_name: bool = False

    def cite(self) -> str:
        day = self.when.isoformat() if self.when else "undated"
        if self.unstructured:
            suffix = " — from an unstructured note, verify"
        elif self.by_name:
            suffix = " — coded record recognised by its name"
        else:
            suffix = ""
        return f"{self.what} ({self.reference}, {day}){suffix}"


@dataclass(frozen=True)
class DiagnosisFact:
    concepts: frozenset[str]
    active: bool
    evidence: Evidence


@dataclass(frozen=True)
class MedicationFact:
    classes: frozenset[str]
    intrathecal: bool
    status: str
    failure_reasons: frozenset[str]
    reasons_unstructured: bool
    start: dt.datetime | None
    evidence: Evidence


@dataclass(frozen=True)
class ProcedureFact:
    concepts: frozenset[str]
    status: str
    start: dt.datetime | None
    end: dt.datetime | None
    outcome_text: str
    summary: NoteSummary
    evidence: Evidence


@dataclass(frozen=True)
class PainScore:
    value: float
    when: dt.datetime
    evidence: Evidence


@dataclass(frozen=True)
class PsychEvaluation:
    """A psych evaluation: a coded procedure's stated conclusion, or a psych note's reading.

    A note's conclusion is read only when the psych-evaluation criterion asks, so that a
    note the reader could not read fully is charged to that criterion alone.
    """

    stated: str | None
    when: dt.datetime | None
    evidence: Evidence
    note: NoteFact | None = None

    @property
    def conclusion(self) -> str | None:
        return candidacy(self.note.summary) if self.note is not None else self.stated


@dataclass(frozen=True)
class NoteFact:
    """One clinical note (DocumentReference), read by the note reader only when a criterion asks.

    Most notes of a long record fall outside every window a criterion looks at, so
    reading them lazily saves most of the NLP time without changing any result.
    """

    when: dt.datetime | None
    is_psych_note: bool
    text: str = field(repr=False)
    reader: NoteReader | None = field(repr=False, compare=False)
    evidence: Evidence
    # The call's reading budget, and where a read cut short is recorded (see ReadLedger).
    budget: ReadingBudget | None = field(default=None, repr=False, compare=False)
    reading: ReadLedger | None = field(default=None, repr=False, compare=False)

    @cached_property
    def _summary(self) -> NoteSummary:
        if self.reader is None or not self.text:
            return EMPTY_SUMMARY
        return self.reader.summarize(self.text, self.budget)

    @property
    def summary(self) -> NoteSummary:
        """What the note asserts; a note not fully read marks notes unread for the criterion."""
        summary = self._summary
        if not summary.complete and self.reading is not None:
            self.reading.mark("DocumentReference", self._unreadable_note(summary))
        return summary

    def _unreadable_note(self, summary: NoteSummary) -> str | None:
        """The card's words for a note that could not be read at all, naming the note."""
        what = UNREADABLE_WHY.get(summary.unreadable or "")
        if what is None:
            return None
        day = self.evidence.when.isoformat() if self.evidence.when else "undated"
        return f"{self.evidence.reference} ({day}) {what}; read it before relying on this."

    def asserts(self, *categories: str) -> bool:
        """Whether the note asserts any of the categories; notes that cannot are not read."""
        if self.reader is None or not self.reader.may_mention(self.text, categories):
            return False
        return self.summary.has(*categories)

    def unsure(self, *categories: str) -> bool:
        """Whether the note mentions a category about the patient but only uncertainly."""
        if self.reader is None or not self.reader.may_mention(self.text, categories):
            return False
        return self.summary.unsure(*categories)

    @cached_property
    def _screened(self) -> frozenset[str]:
        if self.reader is None or not self.text:
            return frozenset()
        return self.reader.screened(self.text, lambda: self._summary)

    def screened(self, concept: str) -> bool:
        """Whether the safety screen says the note may report ``concept`` (a reason to
        verify, never evidence: note_reading/screen.py)."""
        return concept in self._screened


@dataclass(frozen=True)
class OrderFact:
    """One draft order from ``context.draftOrders``."""

    concepts: frozenset[str]
    resource_type: str
    is_drug: bool
    intrathecal: bool
    route_specific_drug: bool
    possible_pump_drug: bool
    ingredients: tuple[str, ...]
    mg_per_day: dict[str, float]
    dose_basis: str
    evidence: Evidence


# Why a note could not be read (NoteSummary.unreadable), in a clinician's words.
UNREADABLE_WHY = {
    "language": "is written in good part in a language the note reader does not read",
    "ocr": "is a scanned document whose text came through OCR garbled",
}


class ReadLedger:
    """Data types found not fully read while one criterion ran (a note cut by a cap, say).

    Notes are read lazily, inside the criteria, so whether a criterion's data was complete
    is only known after it ran; evaluation opens and closes the ledger around each one.
    """

    def __init__(self) -> None:
        self._marked: set[str] = set()
        self._why: dict[str, None] = {}  # ordered, without repeats

    def begin(self) -> None:
        self._marked = set()
        self._why = {}

    def mark(self, resource_type: str, why: str | None = None) -> None:
        """Record a type not fully read, and what a clinician should know about it."""
        self._marked.add(resource_type)
        if why is not None:
            self._why[why] = None

    def end(self) -> frozenset[str]:
        marked, self._marked = frozenset(self._marked), set()
        return marked

    def explanations(self) -> tuple[str, ...]:
        """What the criterion that just ran could not read, in words (taken once)."""
        why, self._why = tuple(self._why), {}
        return why


@dataclass(frozen=True)
class ClinicalFacts:
    patient_id: str
    as_of: dt.date
    diagnoses: tuple[DiagnosisFact, ...] = ()
    medications: tuple[MedicationFact, ...] = ()
    procedures: tuple[ProcedureFact, ...] = ()
    pain_scores: tuple[PainScore, ...] = ()
    psych_evaluations: tuple[PsychEvaluation, ...] = ()
    orders: tuple[OrderFact, ...] = ()
    notes: tuple[NoteFact, ...] = ()
    data_problems: tuple[str, ...] = ()
    incomplete_types: frozenset[str] = field(default_factory=frozenset)
    reading: ReadLedger = field(default_factory=ReadLedger, compare=False, repr=False)

    def active_diagnoses(self, concept: str) -> list[DiagnosisFact]:
        return [d for d in self.diagnoses if d.active and concept in d.concepts]

    def notes_between(self, start: dt.datetime, end: dt.datetime) -> list[NoteFact]:
        return [n for n in self.notes if n.when is not None and start <= n.when <= end]

    def completed_procedures(self, concept: str) -> list[ProcedureFact]:
        return sorted(
            (
                p
                for p in self.procedures
                if concept in p.concepts and p.status in ("completed", "in-progress")
            ),
            key=lambda p: p.start or dt.datetime.min.replace(tzinfo=dt.UTC),
        )


# The FHIR resource types each part of ClinicalFacts is built from. Criteria declare the
# types they read (data/criteria.json ``dependsOn``); evaluation holds them to it by
# recording, through this map, what each criterion actually touched.
FACT_SOURCES: dict[str, frozenset[str]] = {
    "diagnoses": frozenset({"Condition"}),
    "active_diagnoses": frozenset({"Condition"}),
    "medications": frozenset({"MedicationRequest"}),
    "procedures": frozenset({"Procedure"}),
    "completed_procedures": frozenset({"Procedure"}),
    "pain_scores": frozenset({"Observation"}),
    "psych_evaluations": frozenset({"Procedure", "DocumentReference"}),
    "notes": frozenset({"DocumentReference"}),
    "notes_between": frozenset({"DocumentReference"}),
    "orders": frozenset(),  # the draft orders of the request itself
    "patient_id": frozenset(),
    "as_of": frozenset(),
    "data_problems": frozenset(),
    "incomplete_types": frozenset(),
    "reading": frozenset(),
}


def _match_kind(code: CodedText, concepts: Mapping[str, str]) -> dict[str, bool]:
    """How evidence was recognised: a coded record matched only by name says so; only a
    record with no coding at all (free text) is unstructured."""
    by_name = all(how == "text" for how in concepts.values())
    return {"unstructured": by_name and not code.codings, "by_name": by_name and bool(code.codings)}


def _after_as_of(when: dt.datetime | None, cutoff: dt.datetime) -> bool:
    return when is not None and when > cutoff


# --- Conditions -------------------------------------------------------------------------


def _condition_active(condition: Any, cutoff: dt.datetime) -> bool:
    """Active as of the cutoff: by clinicalStatus, unless it abated only after the cutoff.

    A missing clinicalStatus counts as active (clinical-reference §2). A condition
    recorded as resolved whose abatement date lies after the evaluation date was
    still active on that date.
    """
    verification = {c.code for c in coded(condition.verificationStatus).codings}
    if verification & {"refuted", "entered-in-error"}:
        return False
    abated = to_datetime(condition.abatementDateTime) or period_bounds(condition.abatementPeriod)[1]
    if abated is not None:
        return abated > cutoff
    codes = {c.code for c in coded(condition.clinicalStatus).codings if c.code}
    return not codes or bool(codes & ACTIVE_CLINICAL)


def _diagnoses(
    record: ParsedRecord, codesets: CodeSets, cutoff: dt.datetime
) -> list[DiagnosisFact]:
    facts = []
    for condition in record.of_type("Condition"):
        code = coded(condition.code)
        concepts = codesets.concepts_of(code, DIAGNOSIS_CONCEPTS)
        if not concepts:
            continue
        onset = to_datetime(condition.onsetDateTime) or period_bounds(condition.onsetPeriod)[0]
        recorded = to_datetime(condition.recordedDate)
        if _after_as_of(onset or recorded, cutoff):
            continue
        facts.append(
            DiagnosisFact(
                concepts=frozenset(concepts),
                active=_condition_active(condition, cutoff),
                evidence=Evidence(
                    f"Condition/{condition.id}",
                    record_day(
                        condition.onsetDateTime, condition.onsetPeriod, condition.recordedDate
                    ),
                    code.label(),
                    **_match_kind(code, concepts),
                ),
            )
        )
    return facts


# --- Medications ------------------------------------------------------------------------


def _medication_code(request: Any) -> CodedText:
    if request.medicationCodeableConcept is not None:
        return coded(request.medicationCodeableConcept)
    reference = request.medicationReference
    return CodedText(text=(reference.display or "") if reference is not None else "")


def _route_is_intrathecal(request: Any, codesets: CodeSets) -> bool:
    for dosage in request.dosageInstruction or []:
        if dosage.route is not None and codesets.is_a("intrathecal-route", coded(dosage.route)):
            return True
        if dosage.text and "intrathecal" in dosage.text.lower():
            return True
    return False


def _medication_classes(code: CodedText, codesets: CodeSets) -> set[str]:
    return set(codesets.concepts_of(code, MEDICATION_CLASSES))


def _medication_fact(
    request: Any, codesets: CodeSets, reading: CallReading
) -> MedicationFact | None:
    code = _medication_code(request)
    classes = _medication_classes(code, codesets)
    if not classes:
        return None
    intrathecal = (
        _route_is_intrathecal(request, codesets)
        or "route-specific-pump-drug" in classes
        or "intrathecal" in code.searchable_text()
    )
    if intrathecal:
        # Intrathecal morphine, baclofen, clonidine, bupivacaine are pump drugs,
        # never conservative therapy.
        classes -= {"systemic-opioid", *ADJUVANT_CLASSES}
        classes.add("pump-drug")
    structured_reason = coded(request.statusReason)
    reason_text = " | ".join(
        t for t in (structured_reason.searchable_text(), notes_text(request.note)) if t
    )
    reasons = failure_reasons(reading.summarize(reason_text, "MedicationRequest"))
    start = to_datetime(request.authoredOn)
    if request.dispenseRequest is not None and request.dispenseRequest.validityPeriod is not None:
        start = period_bounds(request.dispenseRequest.validityPeriod)[0] or start
    return MedicationFact(
        classes=frozenset(classes),
        intrathecal=intrathecal,
        status=request.status or "unknown",
        failure_reasons=reasons,
        reasons_unstructured=bool(reasons) and not structured_reason.codings,
        start=start,
        evidence=Evidence(
            f"MedicationRequest/{request.id}",
            record_day(
                request.dispenseRequest.validityPeriod if request.dispenseRequest else None,
                request.authoredOn,
            ),
            code.label(),
        ),
    )


def _medications(
    record: ParsedRecord, codesets: CodeSets, reading: CallReading, cutoff: dt.datetime
) -> list[MedicationFact]:
    facts = []
    for request in record.of_type("MedicationRequest"):
        if (
            request.status in IGNORED_STATUS
            or request.status == "draft"
            or request.intent == "proposal"
        ):
            continue
        fact = _medication_fact(request, codesets, reading)
        if fact is not None and not _after_as_of(fact.start, cutoff):
            facts.append(fact)
    return facts


# --- Procedures and psych evaluations ---------------------------------------------------


def _procedures(
    record: ParsedRecord, codesets: CodeSets, reading: CallReading, cutoff: dt.datetime
) -> list[ProcedureFact]:
    facts = []
    for procedure in record.of_type("Procedure"):
        if procedure.status in IGNORED_STATUS:
            continue
        code = coded(procedure.code)
        concepts = codesets.concepts_of(code, PROCEDURE_CONCEPTS)
        if not concepts:
            continue
        start, end = period_bounds(procedure.performedPeriod)
        start = to_datetime(procedure.performedDateTime) or start
        if _after_as_of(start, cutoff):
            continue
        outcome = coded(procedure.outcome).searchable_text()
        outcome_text = " | ".join(t for t in (outcome, notes_text(procedure.note)) if t)
        facts.append(
            ProcedureFact(
                concepts=frozenset(concepts),
                status=procedure.status or "unknown",
                start=start,
                end=end,
                outcome_text=outcome_text,
                summary=(
                    reading.summarize(outcome_text, "Procedure") if outcome_text else EMPTY_SUMMARY
                ),
                evidence=Evidence(
                    f"Procedure/{procedure.id}",
                    record_day(procedure.performedDateTime, procedure.performedPeriod),
                    code.label(),
                    **_match_kind(code, concepts),
                ),
            )
        )
    return facts


def _document_text(record: ParsedRecord, document: Any) -> str:
    """All readable text of a note: inline data, fetched attachments, and its description."""
    texts = []
    for index, content in enumerate(document.content or []):
        attachment = content.attachment
        if attachment is None:
            continue
        fetched = record.attachments.get((str(document.id), index))
        if attachment.data:
            text = attachment_text(attachment.data, attachment.contentType or "text/plain")
        elif fetched is not None:
            text = attachment_text(fetched[0], fetched[1] or attachment.contentType or "text/plain")
        else:
            text = None
        if text:
            texts.append(text)
    if document.description:
        texts.append(document.description)
    return "\n".join(texts)


def _notes(
    record: ParsedRecord, codesets: CodeSets, reading: CallReading, cutoff: dt.datetime
) -> list[NoteFact]:
    facts = []
    for document in record.of_type("DocumentReference"):
        if (
            document.status in ("entered-in-error", "superseded")
            or document.docStatus == "entered-in-error"
        ):
            continue
        when = to_datetime(document.date)
        if document.context is not None and document.context.period is not None:
            when = period_bounds(document.context.period)[0] or when
        if _after_as_of(when, cutoff):
            continue
        kind = coded(document.type)
        facts.append(
            NoteFact(
                when=when,
                is_psych_note=codesets.is_a("psych-note", kind),
                text=_document_text(record, document),
                reader=reading.reader,
                evidence=Evidence(
                    f"DocumentReference/{document.id}",
                    record_day(
                        document.context.period if document.context else None, document.date
                    ),
                    kind.label(),
                    unstructured=True,
                ),
                budget=reading.budget,
                reading=reading.ledger,
            )
        )
    return sorted(facts, key=lambda n: n.when or dt.datetime.min.replace(tzinfo=dt.UTC))


def _psych_evaluations(
    procedures: list[ProcedureFact], notes: list[NoteFact]
) -> list[PsychEvaluation]:
    """Evaluations from psych procedures (conclusion from outcome/note) and psych-typed notes."""
    evaluations = [
        PsychEvaluation(
            stated=candidacy(p.summary),
            when=p.start,
            evidence=replace(
                p.evidence, unstructured=p.evidence.unstructured or bool(p.outcome_text)
            ),
        )
        for p in procedures
        if "psych-evaluation-procedure" in p.concepts and p.status == "completed"
    ]
    evaluations += [
        PsychEvaluation(stated=None, when=n.when, evidence=n.evidence, note=n)
        for n in notes
        if n.is_psych_note
    ]
    return evaluations


# --- Pain scores ------------------------------------------------------------------------


def _pain_scores(record: ParsedRecord, codesets: CodeSets, cutoff: dt.datetime) -> list[PainScore]:
    scores = []
    for observation in record.of_type("Observation"):
        if observation.status in ("entered-in-error", "cancelled", "preliminary", "registered"):
            continue
        if not codesets.is_a("pain-score", coded(observation.code)):
            continue
        quantity = observation.valueQuantity
        value = (
            float(quantity.value) if quantity is not None and quantity.value is not None else None
        )
        if value is None and observation.valueInteger is not None:
            value = float(observation.valueInteger)
        when = (
            to_datetime(observation.effectiveDateTime)
            or period_bounds(observation.effectivePeriod)[0]
            or to_datetime(observation.effectiveInstant)
        )
        if value is None or when is None or not 0 <= value <= 10 or when > cutoff:
            continue
        scores.append(
            PainScore(
                value,
                when,
                Evidence(
                    f"Observation/{observation.id}",
                    record_day(
                        observation.effectiveDateTime,
                        observation.effectivePeriod,
                        observation.effectiveInstant,
                    ),
                    f"pain {value:g}/10",
                ),
            )
        )
    return sorted(scores, key=lambda s: s.when)


# --- Draft orders -----------------------------------------------------------------------


def _per_day(timing: Any) -> float | None:
    repeat = getattr(timing, "repeat", None)
    if repeat is None or repeat.period is None:
        return None
    days_per_unit = {
        "s": 1 / 86400,
        "min": 1 / 1440,
        "h": 1 / 24,
        "d": 1,
        "wk": 7,
        "mo": 30,
        "a": 365,
    }
    unit = days_per_unit.get(repeat.periodUnit or "")
    if unit is None or float(repeat.period) <= 0:
        return None
    return float(repeat.frequency or 1) / (float(repeat.period) * unit)


_MG_PER = {"mg": 1.0, "ug": 0.001, "mcg": 0.001, "g": 1000.0}


def _mg(quantity: Any) -> float | None:
    if quantity is None or quantity.value is None:
        return None
    unit = (quantity.code or quantity.unit or "").lower()
    factor = _MG_PER.get(unit)
    return float(quantity.value) * factor if factor is not None else None


def _dose_from_dosage(request: Any) -> tuple[float | None, str]:
    for dosage in request.dosageInstruction or []:
        for dose_rate in dosage.doseAndRate or []:
            rate = dose_rate.rateQuantity
            per_day_unit = rate is not None and (rate.code or rate.unit or "").lower() in (
                "mg/d",
                "mg/day",
            )
            if rate is not None and per_day_unit and rate.value is not None:
                return float(rate.value), f"dosage rate {float(rate.value):g} mg/day"
            dose = _mg(dose_rate.doseQuantity)
            frequency = _per_day(dosage.timing)
            if dose is not None and frequency is not None:
                return dose * frequency, "dosage instruction"
    return None, ""


def _dose_from_units(
    request: Any, code: CodedText, codesets: CodeSets
) -> tuple[dict[str, float], str]:
    dispense = request.dispenseRequest
    if dispense is None or dispense.quantity is None or dispense.expectedSupplyDuration is None:
        return {}, ""
    duration = dispense.expectedSupplyDuration
    days = float(duration.value or 0) * {"d": 1, "wk": 7, "mo": 30}.get(
        duration.code or duration.unit or "d", 0
    )
    if days <= 0:
        return {}, ""
    hcpcs = codesets.system("hcpcs")
    for coding in code.codings:
        units = codesets.hcpcs_drug_units.get(coding.code) if coding.system == hcpcs else None
        if units:
            total = float(dispense.quantity.value or 0) * float(units["mgPerUnit"])
            basis = (
                f"{coding.code} × {float(dispense.quantity.value or 0):g} units "
                f"= {total:g} mg over {days:g} days"
            )
            return {units["ingredient"]: total / days}, basis
    return {}, ""


def _order_fact(resource: Any, codesets: CodeSets) -> OrderFact:
    resource_type = resource.get_resource_type()
    reference = f"{resource_type}/{resource.id or '(no id)'}"
    if resource_type == "MedicationRequest":
        code = _medication_code(resource)
        classes = _medication_classes(code, codesets)
        intrathecal = (
            _route_is_intrathecal(resource, codesets)
            or "route-specific-pump-drug" in classes
            or "intrathecal" in code.searchable_text()
        )
        ingredients = codesets.ingredients_of(code)
        mg_per_day, basis = _dose_from_units(resource, code, codesets)
        if not mg_per_day and len(ingredients) == 1:
            dose, basis = _dose_from_dosage(resource)
            if dose is not None:
                mg_per_day = {ingredients[0]: dose}
        return OrderFact(
            concepts=frozenset(classes),
            resource_type=resource_type,
            is_drug=True,
            intrathecal=intrathecal,
            route_specific_drug="route-specific-pump-drug" in classes,
            possible_pump_drug=bool(classes & {"pump-drug", "intrathecal-capable-drug"}),
            ingredients=ingredients,
            mg_per_day=mg_per_day,
            dose_basis=basis,
            evidence=Evidence(reference, record_day(resource.authoredOn), code.label()),
        )
    code = coded(getattr(resource, "code", None))
    if resource_type == "DeviceRequest" and resource.codeCodeableConcept is not None:
        code = coded(resource.codeCodeableConcept)
    concepts = codesets.concepts_of(code, ORDER_CONCEPTS)
    return OrderFact(
        concepts=frozenset(concepts),
        resource_type=resource_type,
        is_drug=False,
        intrathecal=False,
        route_specific_drug=False,
        possible_pump_drug=False,
        ingredients=(),
        mg_per_day={},
        dose_basis="",
        evidence=Evidence(
            reference, record_day(getattr(resource, "authoredOn", None)), code.label()
        ),
    )


def order_facts(draft_orders: list[Any], codesets: CodeSets) -> tuple[OrderFact, ...]:
    return tuple(_order_fact(resource, codesets) for resource in draft_orders)


@dataclass
class CallReading:
    """Free text read during one call: the reader, the call's budget, what was cut short.

    Short texts (stop reasons, procedure outcomes) are read while the facts are built; a
    cut there marks the whole type unread. Notes are read later, inside the criteria, and
    report to the ledger instead.
    """

    reader: NoteReader
    budget: ReadingBudget | None
    ledger: ReadLedger = field(default_factory=ReadLedger)
    unread_types: set[str] = field(default_factory=set)

    def summarize(self, text: str, resource_type: str) -> NoteSummary:
        summary = self.reader.summarize(text, self.budget)
        if not summary.complete:
            self.unread_types.add(resource_type)
        return summary


def extract_facts(
    record: ParsedRecord,
    draft_orders: list[Any],
    codesets: CodeSets,
    reader: NoteReader,
    as_of: dt.date,
    budget: ReadingBudget | None = None,
) -> ClinicalFacts:
    """Reduce the parsed record and the draft orders to the facts the criteria read."""
    cutoff = end_of_day(as_of)
    reading = CallReading(reader, budget)
    procedures = _procedures(record, codesets, reading, cutoff)
    notes = _notes(record, codesets, reading, cutoff)
    medications = _medications(record, codesets, reading, cutoff)
    problems = [
        f"some {kind} free text was not read (reading budget or caps)"
        for kind in sorted(reading.unread_types)
    ]
    return ClinicalFacts(
        patient_id=record.patient_id,
        as_of=as_of,
        diagnoses=tuple(_diagnoses(record, codesets, cutoff)),
        medications=tuple(medications),
        procedures=tuple(procedures),
        pain_scores=tuple(_pain_scores(record, codesets, cutoff)),
        psych_evaluations=tuple(_psych_evaluations(procedures, notes)),
        orders=order_facts(draft_orders, codesets),
        notes=tuple(notes),
        data_problems=(*record.problems, *problems),
        incomplete_types=frozenset(record.incomplete_types | reading.unread_types),
        reading=reading.ledger,
    )
