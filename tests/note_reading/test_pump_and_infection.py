"""Empty pump / missed refill and active infection: dev sets replayed, tricky statements pinned.

Both are safety concepts: a note that documents an empty pump, a missed or overdue refill, or an
active infection must never read as "nothing found" (the criteria would then be met). The dev
sets (tests/data/notes-dev/{empty-pump,infection}.jsonl) are labeled like the corpus (README in
tests/data/notes) and written in styles the train split lacks: abbreviations (RV, LRA, asp 0cc,
d/c, BCx, c/d/i, ppx), ED withdrawal presentations, HTML tables, dictated stories, SOAP notes,
prophylaxis and monitoring wordings. A note reads positive as the criteria read it: a category
asserted, or only uncertain (the criteria then ask to verify).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from cds_service.clinical_nlp import NOTE_CONCEPTS_DIR, default_note_reader
from cds_service.note_text import attachment_text

READER = default_note_reader()
DEV = Path(__file__).resolve().parents[1] / "data" / "notes-dev"
PUMP = ("EMPTY_PUMP", "MISSED_REFILL")
INFECTION = ("SITE_INFECTION", "CNS_INFECTION", "SYSTEMIC_INFECTION")
CATEGORIES = {"empty-pump": PUMP, "infection": INFECTION}

# Dev negatives the reader is known to flag (false alarms: the safe side). No positive is missed.
KNOWN_FALSE_ALARMS = {
    "infection-522": "an HTML culture table from 2021: the organism cell 'MRSA' is a block of "
    "its own, so the dates in the other cells cannot make it history",
    "empty-pump-697": "'In 2021 her pump ran empty ...': a year before the mention does not "
    "make it history (only a year just after it does)",
}


def _load(name: str) -> list[dict[str, Any]]:
    path = DEV / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _text(note: dict[str, Any]) -> str:
    if note["format"] == "html":
        return attachment_text(note["text"].encode("utf-8"), "text/html") or ""
    return str(note["text"])


def _positive(note: dict[str, Any]) -> bool:
    label = note["label"]
    return bool(
        label["empty_or_missed"] if note["concept"] == "empty-pump" else label["active_infection"]
    )


def _flagged(text: str, categories: tuple[str, ...]) -> bool:
    summary = READER.summarize(text)
    return summary.has(*categories) or summary.unsure(*categories)


NOTES = _load("empty-pump") + _load("infection")


def test_the_dev_sets_are_large_and_balanced() -> None:
    for concept in CATEGORIES:
        notes = [n for n in NOTES if n["concept"] == concept]
        positives = sum(_positive(n) for n in notes)
        assert len(notes) >= 60 and 0.4 <= positives / len(notes) <= 0.6
    assert len({n["id"] for n in NOTES}) == len(NOTES)


@pytest.mark.parametrize("note", [n for n in NOTES if _positive(n)], ids=lambda n: str(n["id"]))
def test_every_documented_event_is_flagged(note: dict[str, Any]) -> None:
    """Safety: no positive dev note may read as nothing found."""
    assert _flagged(_text(note), CATEGORIES[note["concept"]]), note["text"]


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_FALSE_ALARMS[n["id"]], strict=True))
        if n["id"] in KNOWN_FALSE_ALARMS
        else n
        for n in NOTES
        if not _positive(n)
    ],
    ids=lambda n: str(n["id"]),
)
def test_negatives_are_not_flagged(note: dict[str, Any]) -> None:
    assert not _flagged(_text(note), CATEGORIES[note["concept"]]), note["text"]


@pytest.mark.parametrize("concept", list(CATEGORIES))
def test_dev_sensitivity_and_specificity(concept: str) -> None:
    notes = [n for n in NOTES if n["concept"] == concept]
    flagged = {n["id"]: _flagged(_text(n), CATEGORIES[concept]) for n in notes}
    positives = [n for n in notes if _positive(n)]
    negatives = [n for n in notes if not _positive(n)]
    sensitivity = sum(flagged[n["id"]] for n in positives) / len(positives)
    specificity = sum(not flagged[n["id"]] for n in negatives) / len(negatives)
    assert sensitivity >= 0.98 and specificity >= 0.97


# --- empty pump and missed refill -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Reservoir aspirated dry.",
        "Refill: asp 0cc, exp vol 2.1cc.",
        "Residual 0. Refilled 20 mL.",
        "Actual 0 mL (expected 1.5). Refilled.",
        "Residual aspirated: 0.0 cc (expected 1.2).",
        "RV 0.3 mL, LRA on.",
        "Pump found empty at today's visit.",
        "Pump empty on arrival; refilled at 50%.",
        "Pt states she ran out on Wednesday.",
        "The intrathecal pump was found to be completely empty.",
        "Nothing aspirated from the reservoir.",
        "<table><tr><td>Actual</td><td>0 mL</td></tr></table>",
        "Expected | Actual | Diff\n2.8 mL   | 0.0 mL | -2.8 mL",
        "<table><tr><td>Reservoir status</td><td>EMPTY</td></tr></table>",
        "Critical low reservoir alarm active.",
        "Low reservoir alarm beeping since Sunday.",
        "Pt called: the alarm has been going off since Monday.",
        # a relative reporting is not the experiencer; "nan" is Haitian Creole, not a grandmother
        "Per mum, pump alarm beeping since Sunday.",
        'Pt: "machin nan ap sonnen" x3 d. Interrogation: reservoir empty (0 mL calculated).',
        # a year told before another clause does not reach the event; an alarm log reviewed
        "Implanted in 2021 when she moved here; pump ran empty today.",
        "Reviewed pump alarm log: LRA sounding since Sunday.",
        "Explained alarm; pump beeping at home since Tuesday.",
        # ... and no further: not across "came for her refill, and"
        "She never came for her refill, and the pump ran dry.",
        # round 20: the pump emitting an alert
        "Pt's ITB pump has been emitting a repeating two-tone alert since 0900.",
        "Dressing dry; reservoir empty on interrogation.",
        "Reservoir aspirated 0.3 mL, expected 4.2 mL.",
        # round 21: a relative at the bedside reports; a quoted "has been beeping"
        'Wife at bedside reports his pump "has been beeping for a few days".',
        # round 22: the pump "crying" as the alarm is described at home
        "Her husband told me the pump has been crying since Sunday.",
        # round 19: a negation inside the phrase is what it states; depletion
        "Recurrence of spasticity after reservoir depletion discovered 2026-04-02.",
        "LRA sounding in clinic.",
        "<ul><li><b>Alarm:</b> low reservoir (active)</li></ul>",
        "Pump alarm sounded overnight.",
        "Pt's wife called: pump beeping, low reservoir on the programmer.",
        "Daughter reports her dad's pump alarm going off since last night.",
        "Nursing home staff report the pt's pump alarm has been sounding for 2 days.",
        "Withdrawal symptoms attributed to the pump running low; RV 0.5 mL.",
        "ED: baclofen withdrawal from an empty intrathecal pump.",
        "Pump ran empty 11/2026 (missed refill), re-titrating.",  # this year: may be current
        "IT morphine pump - reservoir aspirated by pain team at bedside: 0 mL. Refilled 20 mL.",
        # round 12: the spouse on the phone
        'Pt\'s wife on phone: "the machine ran out" Friday - beeping for two days before.',
        # round 11: "dinging", the calling spouse's spouse is the patient
        'Pt called 9:05a - "pump is dinging". Last refill 2/1, due 3/1, today 3/4.',
        'Wife called (Linda): husband\'s pump "ran dry" per the rep this AM.',
        # ... the patient's own pump beside a demonstration
        "Demo pump shown to wife. Pt's own pump alarming today, RV 0.4 mL.",
    ],
)
def test_empty_pump_and_alarm_statements_are_flagged(text: str) -> None:
    text = attachment_text(text.encode(), "text/html") or "" if text.startswith("<") else text
    assert READER.summarize(text).has("EMPTY_PUMP")


@pytest.mark.parametrize(
    "text",
    [
        "Missed refill 6/3.",
        "Pt missed her scheduled pump refill.",
        "Refill overdue x 3 wks; pt no-showed 2x.",
        "Pt no-showed for refill 11/2 and 11/9.",
        "Pt is 9 days late for refill.",
        "Refill 12 days late.",
        "Now 4 days past her alarm date.",
        "Pump past its alarm date.",
        "Overdue by 10 days for ITB refill.",
        "Her refill was due on the 2nd, she did not come in.",
        "He was supposed to come in for his pump refill on the 3rd period he did not show.",
        "Pt skipped her refill in May (cost).",
        # round 12: due and alarm dates passed
        "The refill due date passed 18 days ago and the alarm date 11 days ago.",
        # round 14: not reaching the patient does not negate the overdue refill
        "Home infusion RN called: cannot reach pt, refill now 10 d overdue past alarm date.",
        # round 19: a negation inside the phrase is what it states
        "Refill was due 06/05, not done (no transport).",
        "Refill not done.",
        # round 23: a relative's speaker label; the pump reported on is the patient's
        "Wife: pump refill appointment was yesterday, they cancelled because of the snow.",
        # round 27: an aside between the refill and "not done"
        "Pump refill was due 3/14 (alarm date 3/12 per the card) - not done, pt admitted.",
    ],
)
def test_missed_and_late_refills_are_flagged(text: str) -> None:
    assert READER.summarize(text).has("MISSED_REFILL")


@pytest.mark.parametrize(
    "text",
    [
        "Low reservoir alarm date 12/15. Reservoir 8.2 mL.",
        "Low reservoir alarm reset to 2.0 mL; next alarm date 3/30.",
        "LRA set to 2.0 mL. Next refill 1/4, before the alarm date.",
        "Interrogation: no alarm events logged; reservoir 7.9 mL.",
        "Pump interrogation: no low reservoir alarm, no critical alarm, reservoir 11 mL.",
        "Alarms: none. RV 6.6 mL.",
        "Pump alarmed twice this week; on interrogation it is the battery (ERI) alarm.",
        "Low battery alarm (ERI) sounding; reservoir 10 mL.",
        "Motor stall alarm logged 9/2; reservoir volume as expected.",
        "Patient education: if the alarm sounds, call the pump clinic.",
        "Education: low reservoir alarm tones demonstrated.",
        "Pt asks what the alarm sounds like.",
        "Pt read online about a man whose pump ran dry.",
        "She told me about a friend from church whose pump ran dry.",
        "Her husband's pump alarm went off last week.",
        "Hx: pump ran empty in 2022 (insurance), since then refills on time.",
        "Pump ran empty in 2020; refills on time since.",
        "Patient's previous pump (explanted 2020) ran dry once.",
        "If she cannot come in before 8/12 her pump will run empty.",
        "Risk of pump running empty discussed.",
        "Pt worried about running out while traveling.",
        "ED: withdrawal from catheter disconnection; reservoir 15 mL, no alarms.",
        "She ran out of her oxycodone.",
        "Pump site clean and dry.",
        "Residual higher than expected (7.5 mL vs 4.0 mL).",
        "No missed refills in 5 yrs.",
        "Missed refills: 0.",
        "Reviewed: missing a refill can cause withdrawal.",
        "Described the danger of letting the pump run empty.",
        "Pt unsure whether the pump alarmed last week.",
        "<table><tr><td>LRA</td><td>2 mL</td></tr></table>",
        # round 12: a difference from the expected volume is no volume
        "Last refill 2/8, residual within 0.3 mL of expected.",
        # round 10: an explanted pump by brand, teaching the alarm sound
        "Prior SynchroMed (explanted 2022) had run dry twice. Current Prometra: residual ok.",
        "Taught pt and caregiver the low reservoir alarm sound; played the demo.",
        # round 8: a demonstration device, how the pump behaves, last year
        "During education the demonstration pump was set to sound the low reservoir alarm.",
        "Your pump beeps when it gets low; we will always refill you before that date.",
        "Last year your pump ran empty once when you were traveling.",
        # round 17: the year of an event told before it; an alarm taught or configured; a
        # dictated note that speaks its full stops ("period") but only one comma
        "She had one episode in 2019 where the pump ran empty; refills on time since then.",
        "Reviewed pump alarm with pt (played the sample tone).",
        # round 18: teaching material, a documentation term, an earlier device by kind
        "Explained to Mr and Mrs Dunne what to do if it sounds; alarm card given.",
        "Late entry: pump representative confirmed the next refill date.",
        "Previous IT pump (explanted 2025 for infection) once ran dry. Current pump on time.",
        # round 19: alarms shown on a training pump; a reservoir that would be emptied
        "In-service: demonstrated the low-reservoir and critical alarms on a training pump.",
        "At the current rate the reservoir would be emptied at ~7.5 weeks; refill q6 weeks.",
        # an alert that is a message, not the pump's
        "Plan: calendar reminders, portal alerts.",
        # round 20: a dry dressing; told in a past year that it ran out; CSF from the catheter
        "PACU: pump interrogated, reservoir 18.5 mL, no alarms; dressing dry.",
        'Pt was told in 2022 that he had "run out" once; none since.',
        "Old pump aspirated 9.6 mL (expected 9.8 mL). Catheter aspirated 0.3 mL CSF - patent.",
        "Residual 2.2 mL as expected. The low reservoir alarm is set for July 14th.",
        "patient had one episode in 2019 where the pump ran empty comma since then all of her "
        "refills have been on time period residual 4.8 cc period next refill in three "
        "months period",
    ],
)
def test_pump_non_events_are_not_flagged(text: str) -> None:
    text = attachment_text(text.encode(), "text/html") or "" if text.startswith("<") else text
    assert not _flagged(text, PUMP)


# --- infection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Pocket: erythema, warmth, fluct., purulent d/c. Cx sent.", "SITE_INFECTION"),
        ("Lumbar incision with erythema, induration and purulent drainage.", "SITE_INFECTION"),
        ("Abscess adjacent to the pump on CT.", "SITE_INFECTION"),
        ("Cellulitis at the pump site, on cephalexin.", "SITE_INFECTION"),
        ("Wound dehiscence with pus at the abdominal incision.", "SITE_INFECTION"),
        ("Wound vac placed for infected lumbar incision.", "SITE_INFECTION"),
        ("MRSA pocket infection dx 11/2026, on IV vanc day 5.", "SITE_INFECTION"),
        ("Pocket swab | MRSA", "SITE_INFECTION"),
        ("MSSA bacteremia, source pump pocket.", "SITE_INFECTION"),
        ("Meningitis, catheter-associated (CSF cx: S. aureus).", "CNS_INFECTION"),
        ("Epidural abscess at the catheter tip on MRI.", "CNS_INFECTION"),
        ("Arachnoiditis from bacterial infection (CSF cx positive).", "CNS_INFECTION"),
        ("Bacteremia, Strep agalactiae, on IV penicillin.", "SYSTEMIC_INFECTION"),
        ("Septic shock from cholangitis, on norepinephrine.", "SYSTEMIC_INFECTION"),
        ("BCx 2/2 GNR, T 39.2. Started cefepime.", "SYSTEMIC_INFECTION"),
        ("Fever 38.9; blood cx: GPC in clusters 2/2.", "SYSTEMIC_INFECTION"),
        (
            "Husband reports she has had fevers to 102; blood cultures are growing GPC.",
            "SYSTEMIC_INFECTION",
        ),
        (
            "<table><tr><td>BCx</td><td>S. aureus 2/2</td></tr></table><p>On nafcillin.</p>",
            "SYSTEMIC_INFECTION",
        ),
        # sepsis is a clinical diagnosis: negative blood cultures do not rule it out
        (
            "Admitted to the ICU with sepsis secondary to RLL pneumonia, blood cultures "
            "negative, lactate 4.1.",
            "SYSTEMIC_INFECTION",
        ),
        # every bottle growing the organism; a decimal does not end the culture's clause
        ("2/2 bottles GPC in clusters; vanc started.", "SYSTEMIC_INFECTION"),
        ("Blood cultures drawn at T 38.9 grew MRSA.", "SYSTEMIC_INFECTION"),
        # a course started is no history; a risk list does not reach the next clause
        ("Started vancomycin for pocket infection.", "SITE_INFECTION"),
        ("Risks include infection; pocket now with purulent drainage.", "SITE_INFECTION"),
        (
            "Completed 6 wks IV vancomycin for the pocket infection but now has purulent "
            "drainage again.",
            "SITE_INFECTION",
        ),
        # what is denied is the contaminant, not the infection
        ("True infection, not contaminant: pump pocket infection.", "SITE_INFECTION"),
        ("Pocket cellulitis, not resolved; restarted cephalexin.", "SITE_INFECTION"),
        ("Checklist\nActive pocket infection: Y\nCultures sent: Y", "SITE_INFECTION"),
    ],
)
def test_active_infections_are_asserted_with_their_site(text: str, category: str) -> None:
    text = attachment_text(text.encode(), "text/html") or "" if text.startswith("<") else text
    assert READER.summarize(text).has(category)


@pytest.mark.parametrize(
    "text",
    [
        "Afebrile, no chills, pocket erythematous with purulent drainage.",
        "O: T 38.2, no meningismus, pocket erythematous with purulent drainage.",
        "Lungs clear, no murmur, lumbar incision with pus.",
        "Pt denies fever, reports pus draining from the incision.",
        # a pair of signs does not start at a denied sign and carry its "no" onto the next
        "Pt has no erythema, pocket with purulent drainage.",
        "Exam: no erythema, pocket with purulent drainage",
        "No redness, but swelling with drainage at the pocket.",
    ],
)
def test_a_negation_does_not_cross_into_the_next_clause(text: str) -> None:
    assert READER.summarize(text).has("SITE_INFECTION")


@pytest.mark.parametrize(
    "text",
    [
        "No fever, pump alarm sounding since Monday.",
        "Afebrile, no spasms, reservoir empty.",
        "No alarms until yesterday, now LRA sounding.",
    ],
)
def test_a_negation_does_not_cross_into_the_next_pump_clause(text: str) -> None:
    assert READER.summarize(text).has("EMPTY_PUMP")


@pytest.mark.parametrize(
    "text",
    [
        "Incision c/d/i. No s/s inf.",
        "Pocket: no erythema, no drainage, no fluctuance.",
        # "X: no <finding>" negates forward, as "no <finding>" does
        "US: no pocket abscess.",
        "Pocket: no erythema or drainage.",
        "Preop: no active infection. UA neg.",
        "No fever, chills, pocket erythema or purulent drainage.",
        "Cefazolin 2 g IV ppx pre-incision; vanc powder in pocket.",
        "Vancomycin powder placed in the pocket for infection prophylaxis.",
        "Monitor for s/s infection; pt educated.",
        "Plan: monitor the incision for drainage or redness.",
        "Patient instructed to monitor for signs of infection and call.",
        "R/o meningitis: CSF WBC 2, cx neg x 72h; abx d/c'd.",
        "Presumed meningitis on admission - LP: CSF WBC 3, culture no growth.",
        "Seroma, infection ruled out.",
        "Blood cultures: 1 of 4 bottles CoNS, felt to be a contaminant.",
        "1/2 bottles S. epidermidis, likely contaminant; repeat cultures no growth.",
        "Sepsis ruled out, cultures negative, abx stopped.",
        "Fever workup: UA negative, BCx no growth x 48 h, CXR clear, C. diff not sent.",
        # a consent's list of risks; a completed course; surveillance labs
        "The consent lists infection (pocket infection, meningitis) among the risks.",
        "Completed 6 wks IV vancomycin in March for pocket infection; new pocket healed well.",
        "CBC, ESR and CRP every 2 weeks for infection surveillance. Incisions healing.",
        # "never" negates the few words after it (medspaCy's defaults have only "never had")
        "He testified the claimant's pocket has never been infected.",
        "Pocket never infected.",
        "Counseled re s/s infection (fever, redness, drainage). Return precautions.",
        # the event a relative clause says resolved, across its comma
        "She had a pocket infection in twenty nineteen requiring explant, which resolved fully.",
        "Hx pocket infection 2021 - treated, resolved.",
        "Pocket infection (MRSA) s/p explant 3/2024, completed 6 weeks IV vancomycin.",
        "s/p abx course for pocket infx, completed 1/5; healed.",
        "Meningitis as a child (1979).",
        "Son had meningitis as a child.",
        "Wife being treated for cellulitis; pt without symptoms.",
        "MRSA nasal colonization - decolonized pre-op.",
        "MRSA screen negative.",
        "Aseptic meningitis after IT bolus, cultures negative.",
        "Arachnoiditis (chronic adhesive) - indication for ITDD.",
        "Infection risk ~2% discussed.",
        "Pt worried about infection because her neighbor's pump got infected.",
        "URI symptoms x3 days, afebrile, likely viral.",
        # round 23: only a pump report after a relative's label is the patient's
        "Wife: hospitalized with urosepsis last week",
        'Mum: "Is it infected?"',
        "She asks about her husband: he has cellulitis in the leg.",
        # round 27: another person than a relative
        "Neighbour has a wound infection, pt anxious.",
        "Employee health: a co-worker has cellulitis of the hand; pt concerned. Pocket normal.",
        # a finding's status after a comma or a dash
        "Pocket cellulitis in March, resolved.",
        "Pocket cellulitis, healed.",
        # a contraindication's form field answered absent, a dotted leader
        "Checklist\nActive infection (systemic or at implant site) ....... N\nERI ...... Y",
        "Pump site review\nActive infection at implant site: no\nNext refill: 9/3",
    ],
)
def test_infection_non_events_are_not_flagged(text: str) -> None:
    assert not _flagged(text, INFECTION)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("A: fever, source unclear; catheter infection not excluded.", "SITE_INFECTION"),
        ("Meningitis cannot be excluded; LP today.", "CNS_INFECTION"),
        ("Concern for pocket infection; cultures sent.", "SITE_INFECTION"),
    ],
)
def test_an_unsettled_infection_is_uncertain_not_absent(text: str, category: str) -> None:
    """'not excluded' is not 'excluded': the criteria must ask to verify."""
    summary = READER.summarize(text)
    assert summary.unsure(category) and not summary.has(category)


# --- the concept files --------------------------------------------------------------------------


def _patterns() -> list[tuple[str, str]]:
    found = []
    for name in ("empty-pump", "infection"):
        document = json.loads((NOTE_CONCEPTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        found += [(name, t["pattern"]) for t in document["targets"] if "pattern" in t]
    return found


def test_target_patterns_have_no_unbounded_gaps() -> None:
    """Gaps are bounded ({0,n}); '*' and '+' are applied to single characters only."""
    for name, pattern in _patterns():
        assert not re.search(r"\)[*+]", pattern), name
        assert not re.search(r"\.[*+]", pattern), name


@pytest.mark.parametrize(
    "unit",
    [
        "pump reservoir alarm low critical LRA refill missed overdue past alarm date ",
        "asp 0 mL | 0.0 cc | residual 0 RV 0 actual 0 ",
        "pocket incision wound erythema drainage purulent cellulitis abscess culture ",
        "blood cultures BCx MRSA 2/2 staph meningitis CSF cx infection sepsis ",
        "no, pocket with, pump is, : no ",
    ],
)
def test_reading_stays_fast_on_dense_keyword_text(unit: str) -> None:
    """Guards scan a bounded window from where a match can start, so time stays linear."""
    text = unit * (20_000 // len(unit))
    start = time.monotonic()
    READER.summarize(text)
    assert time.monotonic() - start < 5.0


def test_the_concept_files_match_their_generator() -> None:
    """empty-pump.json and infection.json are built by a script; they must not drift."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "tools/note-concepts/build_pump_infection.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
