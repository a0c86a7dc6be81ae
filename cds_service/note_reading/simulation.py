"""A note that says it is about no patient: a simulation, a skills station, a teaching case.

Education departments chart in the same system as clinicians: a simulation-lab log ("SIM
LAB - intrathecal trial monitoring scenario ... manikin"), a skills-fair record of a
demonstration pump alarming, an in-service built on de-identified composites. Such a note
is full of the words the concepts look for ("purulent pump pocket" on a moulage, a scripted
NRS 8 -> 3, "psych eval FAVORABLE" in a scripted chart), and none of it is about anyone.

A note counts as such only when it says both where it was written (a teaching setting:
simulation, skills lab or fair, in-service, scenario, learners, debrief, ...) and that no
patient is involved (an explicit "no patient", "no real patient involved", or a training
object standing in for one: manikin, task trainer, training or demonstration pump, case
stem, de-identified composite). A note that names a real patient ("real pt, bed 2B") is
never one, whatever else it says: an orientee's precepted refill is a real record.
"""

from __future__ import annotations

import re

TEACHING_SETTING = re.compile(
    r"\bsim(?:ulation)?[\s-]*(?:lab|center|centre|scenario|station|session)\b|\bsimulation\b"
    r"|\bskills?[\s-]+(?:lab|fair|station|day)\b|\bin-?service\b|\bscenario\b|\blearners?\b"
    r"|\bdebrief\w*|\bteaching\s+(?:point|case|session)\b|\bcase\s+stem\b|\bmoulage\b",
    re.I,
)
NO_PATIENT = re.compile(
    # an explicit statement ("No patient involved.", "Training model; no patient.")
    r"\bno\s+(?:real\s+|actual\s+|live\s+)?(?:patient|pt)s?(?:\s+(?:was\s+|were\s+)?"
    r"(?:involved|present|used|participated))?\s*(?:[.;)]|$)"
    r"|\bnot\s+a\s+real\s+(?:patient|pt)\b"
    # a training object standing in for the patient
    r"|\bmanikins?\b|\bmannequins?\b|\btask[\s-]+trainers?\b|\btraining\s+(?:model|pump|device)s?\b"
    r"|\bdemonstration\s+(?:pump|device|model)s?\b|\bsimulated\s+(?:patient|chart|pump)s?\b"
    r"|\bscripted\s+(?:chart|case|patient|scenario)\b|\bde-?identified\s+composites?\b"
    r"|\bfictional\s+(?:patient|case)s?\b",
    re.I | re.M,
)
# "real pt", "real patient" not preceded by "no " / "not a ": the note is about someone.
REAL_PATIENT = re.compile(r"(?<!\bno\s)(?<!\bnot\sa\s)\breal\s+(?:patient|pt)\b", re.I)


def about_no_patient(text: str) -> bool:
    """Whether the note says it is a teaching record about no patient (see the module)."""
    return (
        TEACHING_SETTING.search(text) is not None
        and NO_PATIENT.search(text) is not None
        and REAL_PATIENT.search(text) is None
    )
