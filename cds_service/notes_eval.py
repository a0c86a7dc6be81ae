"""How well the note reader reads: per-concept sensitivity and specificity on a labeled corpus.

The corpus (``tests/data/notes/{train,test}.jsonl``) holds short notes labeled for the
five note-read concepts. Each note is read exactly as a hook call reads it (attachment
text, then the note reader), and its reading is judged the way the criteria judge it:

- psych: ``candidacy`` is "favorable";
- trial: a trial response is stated (before/after scores or a relief percentage);
- prognosis: "short" when hospice/terminal is asserted or a prognosis under the policy
  minimum is stated;
- empty-pump: an empty pump, alarm or missed refill is asserted;
- infection: a site or systemic infection is asserted.

A reading the reader is unsure about ("verify") counts as positive for a contraindication
concept (that is what the criteria do with it) and as negative for a favorable one; so
does a contraindication note the safety screen flags (note_reading/screen.py). With a
reader built without the screen (``notes-eval --rules-only``) the figures are the rules'
alone.

Beside the per-note figures, ``unsafe_outcomes`` puts every positive safety note of a
split (empty pump, active infection, short prognosis) into a fully documented record and
runs the hook: any that still ends at ``criteria-met`` is an unsafe outcome.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cds_service.clinical_nlp import NoteReader, NoteSummary, candidacy
from cds_service.note_text import attachment_text

CONCEPTS = ("psych", "trial", "prognosis", "empty-pump", "infection")
SAFETY_CONCEPTS = ("prognosis", "empty-pump", "infection")
MINIMUM_MONTHS = 6.0
EVAL_AS_OF = dt.date(2026, 11, 21)


def load_corpus(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def note_text(note: dict[str, Any]) -> str:
    """The note's text as a hook call would see it (HTML through the attachment reader)."""
    media = "text/html" if note["format"] == "html" else "text/plain"
    return attachment_text(note["text"].encode("utf-8"), media) or ""


def expected(note: dict[str, Any]) -> bool:
    """The label as a yes/no for the concept's positive class."""
    label = note["label"]
    return bool(
        {
            "psych": lambda: label["favorable"],
            "trial": lambda: label["trial"],
            "prognosis": lambda: label["category"] == "short",
            "empty-pump": lambda: label["empty_or_missed"],
            "infection": lambda: label["active_infection"],
        }[note["concept"]]()
    )


def _short_prognosis(summary: NoteSummary) -> bool:
    months = summary.prognosis_months
    return (
        summary.has("TERMINAL")
        or summary.unsure("TERMINAL")
        or (months is not None and months < MINIMUM_MONTHS)
        or not summary.complete
    )


PUMP = ("EMPTY_PUMP", "MISSED_REFILL")
INFECTION = ("SITE_INFECTION", "CNS_INFECTION", "SYSTEMIC_INFECTION")
PREDICTORS: dict[str, Callable[[NoteSummary], bool]] = {
    "psych": lambda s: candidacy(s) == "favorable",
    "trial": lambda s: (
        (s.pain_before is not None and s.pain_after is not None) or s.percent_relief is not None
    ),
    "prognosis": _short_prognosis,
    # A note not fully read is flagged too: the hook then says "could not be fully
    # checked", never met.
    "empty-pump": lambda s: s.has(*PUMP) or s.unsure(*PUMP) or not s.complete,
    "infection": lambda s: s.has(*INFECTION) or s.unsure(*INFECTION) or not s.complete,
}


def predicted(reader: NoteReader, note: dict[str, Any]) -> bool:
    """Whether the hook would flag the note's concept: its rules reading, or for a
    contraindication concept the safety screen (a "verify", so a flag)."""
    text = note_text(note)
    summary = reader.summarize(text)
    if note["concept"] in SAFETY_CONCEPTS and note["concept"] in reader.screened(
        text, lambda: summary
    ):
        return True
    return PREDICTORS[note["concept"]](summary)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    def add(self, note_id: str, truth: bool, guess: bool) -> None:
        if truth and guess:
            self.tp += 1
        elif truth:
            self.fn += 1
            self.misses.append(note_id)
        elif guess:
            self.fp += 1
            self.false_alarms.append(note_id)
        else:
            self.tn += 1

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def specificity(self) -> float:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else 1.0


def tally(reader: NoteReader, notes: Iterable[dict[str, Any]]) -> dict[str, Tally]:
    tallies = {concept: Tally() for concept in CONCEPTS}
    for note in notes:
        tallies[note["concept"]].add(note["id"], expected(note), predicted(reader, note))
    return tallies


# --- record-level safety ---------------------------------------------------------------------


def _document(note: dict[str, Any], patient: str, day: dt.date) -> dict[str, Any]:
    media = "text/html" if note["format"] == "html" else "text/plain"
    return {
        "resourceType": "DocumentReference",
        "id": f"corpus-{note['id']}",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "date": f"{day.isoformat()}T09:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": media,
                    "data": base64.b64encode(note["text"].encode("utf-8")).decode("ascii"),
                }
            }
        ],
    }


def with_note(bundle: dict[str, Any], note: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """The bundle with the note added as a progress note of its patient, dated ``day``."""
    edited = copy.deepcopy(bundle)
    patient = next(
        e["resource"]["id"] for e in edited["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    edited["entry"].append({"resource": _document(note, patient, day)})
    return edited


# Which fully documented fixture each safety concept's notes go into.
SAFETY_BASES = {
    "prognosis": ("implant-criteria-met.json",),
    "infection": ("implant-criteria-met.json", "refill-criteria-met.json"),
    "empty-pump": ("refill-criteria-met.json",),
}


def _bases(note: dict[str, Any]) -> tuple[str, ...]:
    """The records a safety note must block. At a refill only an infection at the pump site
    is a hold (a systemic infection elsewhere blocks trials and implants, not refills)."""
    bases = SAFETY_BASES[note["concept"]]
    if note["concept"] == "infection" and note["label"].get("site") != "pump-site":
        return tuple(b for b in bases if not b.startswith("refill"))
    return bases


def unsafe_outcomes(
    notes: Iterable[dict[str, Any]],
    run_bundle: Callable[[dict[str, Any]], set[str]],
    load_bundle: Callable[[str], dict[str, Any]],
) -> list[str]:
    """Positive safety notes that leave a fully documented record at criteria-met."""
    unsafe = []
    for note in notes:
        if note["concept"] not in SAFETY_CONCEPTS or not expected(note):
            continue
        for base in _bases(note):
            bundle = with_note(load_bundle(base), note, EVAL_AS_OF)
            if "criteria-met" in run_bundle(bundle):
                unsafe.append(f"{note['id']} in {base}")
    return unsafe


def report(split_tallies: dict[str, dict[str, Tally]], unsafe: dict[str, list[str]]) -> str:
    """The table the README shows: per concept, per split, with counts."""
    lines = [
        "| concept | split | notes | sensitivity | specificity |",
        "|---|---|---|---|---|",
    ]
    for concept in CONCEPTS:
        for split, tallies in split_tallies.items():
            t = tallies[concept]
            total = t.tp + t.fp + t.tn + t.fn
            lines.append(
                f"| {concept} | {split} | {total} | {t.sensitivity:.1%} ({t.tp}/{t.tp + t.fn}) "
                f"| {t.specificity:.1%} ({t.tn}/{t.tn + t.fp}) |"
            )
    lines.append("")
    for split, found in unsafe.items():
        lines.append(f"unsafe outcomes ({split}): {len(found)}" + (f": {found}" if found else ""))
    return "\n".join(lines)
