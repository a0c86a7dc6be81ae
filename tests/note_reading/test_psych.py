"""The conclusion of a psychological evaluation read from notes: the psych dev set replayed,
and pinned cases.

``tests/data/notes-dev/psych.jsonl`` holds notes written for this reader, in the corpus format
(see ``tests/data/notes/README.md`` for the label): psych-901..990 were written before the
rules, in styles the training split does not use (clearance and "no contraindication from a
behavioral health standpoint" wordings, "OK to proceed", "green light", bare "Cleared.", HTML
tables, heavy abbreviations, SOAP and interval-history notes reporting the result second-hand;
and as negatives conditional, pending, deferred and refused clearances, other people, other
procedures, a pain physician's own opinion, superseded clearances, evaluations scheduled but
not done); psych-200..644 are probes written while the rules were built. Each note is read as
a hook call reads it, and the reader's conclusion must match the label.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from cds_service.clinical_nlp import candidacy, default_note_reader
from cds_service.note_text import attachment_text
from cds_service.notes_eval import PREDICTORS, note_text

READER = default_note_reader()
DEV = Path(__file__).resolve().parent.parent / "data" / "notes-dev" / "psych.jsonl"
NOTES = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
FIRST = [n for n in NOTES if int(n["id"].split("-")[1]) >= 900]

# Favorable notes the reader is known to miss (not favorable is the safe side), and why.
KNOWN_MISSES = {
    "psych-263": "a bare 'approp' after 'Psych:' is not read: it is also how a mental status "
    "exam is charted ('Psych: appropriate')",
    "psych-326": "ConText's 'history of' scope reaches the conclusion later in the sentence",
    "psych-328": "'educated' (hypothetical) and 'wife' (family) reach the conclusion later in "
    "the sentence",
}


def _read(text: str) -> str | None:
    media = "text/html" if text.lstrip().startswith("<") else "text/plain"
    return candidacy(READER.summarize(attachment_text(text.encode(), media) or ""))


def test_the_dev_set_is_big_and_balanced() -> None:
    assert len(FIRST) >= 60
    assert sum(n["label"]["favorable"] for n in FIRST) * 2 == len(FIRST)
    assert len({n["id"] for n in NOTES}) == len(NOTES)
    assert all(n["concept"] == "psych" for n in NOTES)


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_MISSES[n["id"]]))
        if n["id"] in KNOWN_MISSES
        else n
        for n in NOTES
    ],
    ids=[n["id"] for n in NOTES],
)
def test_dev_note(note: dict[str, Any]) -> None:
    summary = READER.summarize(note_text(note))
    favorable = PREDICTORS["psych"](summary)
    assert favorable is note["label"]["favorable"], note.get("why", note["text"][:120])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the held-out split's wordings, and their negations
        ("Psych: cleared from a psychological standpoint for ITDD trial.", "favorable"),
        ("NOT cleared from a psych standpoint - active SUD.", "unfavorable"),
        (
            "No contraindication from a behavioral health standpoint to intrathecal pump.",
            "favorable",
        ),
        (
            "There are psychological contraindications at this time (untreated bipolar d/o).",
            "unfavorable",
        ),
        ("Psych: OK to proceed with ITP (no active SI, no SUD).", "favorable"),
        ("Not OK to proceed.", "unfavorable"),
        ("Interval hx: pre-implant psych eval 6/3 - green light given.", "favorable"),
        ("Psych: no green light yet; needs SUD assessment first.", "unfavorable"),
        ("Disposition: Cleared.", "favorable"),
        ("Psych: NOT cand @ this time - active EtOH use.", "unfavorable"),
        ("Psych eval c/w approp cand for ITP.", "favorable"),
        ("<table><tr><td>Psych</td><td>Cleared 3/3 (Dr. Fry)</td></tr></table>", "favorable"),
        # a negation, a condition or a doubt inside the phrase
        ("I would not recommend proceeding with the pump at this time.", "unfavorable"),
        ("She is not, in my opinion, a suitable candidate at this time.", "unfavorable"),
        ("Cleared for intrathecal trial once her depression is adequately treated.", None),
        ("Psych: approp cand ONLY IF abstinent x 3 mo.", None),
        ("OK to proceed once psych clears her.", None),
        ("Psych clearance pending - appt 11/30.", None),
        ("Unclear whether he is psychologically appropriate for ITDD.", None),
        ("Psych cleared? pending", None),
        # a condition about the drug trial is no psychological condition
        (
            "Favorable candidate - proceed with intrathecal trial and, if successful, implant.",
            "favorable",
        ),
        # a negation earlier in the sentence is about other findings
        ("Psych: denies SI/HI, no SUD, approp cand for ITP.", "favorable"),
        ("No psychological contraindications, and she is cleared to proceed.", "favorable"),
        # someone or something else
        ("Appropriate candidate from a pain standpoint; psych eval still needed.", None),
        ("Psych clearance for SCS (2017, Dr. Ames) on file; no eval for IT therapy yet.", None),
        ("Medically cleared for implant by cardiology. Psychology evaluation pending.", None),
        ("Her roommate told her the psych eval was easy and that she was cleared.", None),
        ("Psychiatric: appropriate mood and affect, linear thought.", None),
        ("Trial response: favorable (pain 8 -> 3).", None),
        # round 7's wordings: a verdict after the evaluation's return, "nothing ... that should
        # stop her", a negation that ends with its clause, a soft line wrap inside the phrase
        ("Psych evaluation returned from Dr. Hanna - favorable, no concerns raised.", "favorable"),
        ("Psych evaluation returned from Dr. Hanna - favorable response to SSRIs.", None),
        (
            "I see nothing from a mental health standpoint that should stop her from moving "
            "forward with the intrathecal trial.",
            "favorable",
        ),
        ("Psychology (Dr. Kim): evaluated 3/4; no concerns, supports moving forward.", "favorable"),
        ("She was cleared\nby psychology for the SCS trial in 2021.", None),
        ("From the pain end he is a good candidate for the pump; psych screen first.", None),
        # round 8: "no psychological reason you can't have the pump", misspellings, a
        # clearance for a rehab admission, a clearance listed under past history, a quoted
        # older message in an e-mail reply
        ("She found no psychological reason you can't have the pump.", "favorable"),
        ("There is no reason you can't have lunch before the visit.", None),
        ("Dr Haines says your ok to procede with the pump trail.", "favorable"),
        ("Psychology cleared him for admission to acute inpatient rehab.", None),
        (
            "PMH:\n- HTN\n- MDD, in remission; pre-implant psych eval for IT pump 11/2023: "
            "appropriate candidate (Dr. Ibarra)\n- GERD",
            "favorable",
        ),
        (
            "[4/6] She's now a suitable candidate; cleared to proceed with the trial.\n\n"
            "> [3/2] I'm deferring the decision pending a PHQ-9 recheck.",
            "favorable",
        ),
        # a clearance quoted in a reply is a second-hand report of the evaluator's conclusion
        # (round 23's author labels four so); a newer word in the reply still stands over it
        ("> [3/2] She is a suitable candidate for the IT trial.", "favorable"),
        (
            "[4/6] I am deferring the decision pending a PHQ-9 recheck.\n\n"
            "> [3/2] She is a suitable candidate for the IT trial.",
            None,
        ),
        ("> Is she cleared for the pump?", None),
        # a psychological report's conclusion as a one-word field; not after a trial's
        # heading, not without a psych heading, not when the report also defers
        (
            "Pre-implant psychological assessment\n- Mood stable, coping adequate.\n"
            "Conclusion: Favourable.",
            "favorable",
        ),
        ("Psychology screening done: [X] Yes\nResult: [X] Favorable", "favorable"),
        ("Psych eval 3/2 on file.\nIT morphine trial 4/2\nResult: favorable.", None),
        ("Pain clinic review\nImpression: Suitable.", None),
        (
            "Psychological assessment\nConclusion: appropriate.\n"
            "I recommend deferring the implant until her depression is treated.",
            "unfavorable",
        ),
        # round 9: a pair cell, "in place", "completed; no contraindication", a negation on
        # the list item above, the family named beside the patient
        ("Psychology clearance for ITB\u2028Yes - favorable (10/2/24)", "favorable"),
        ("Pre-trial psych clearance was in place (favorable, 4/11 - Dr. Weiss).", "favorable"),
        (
            "[X] 4. Psychological evaluation completed; no contraindication identified.",
            "favorable",
        ),
        (
            "- 70F, severe spinal stenosis, not a surgical candidate (EF 25%)\n"
            "- Psych: no contraindication (Dr. Albrecht, 2/2024)",
            "favorable",
        ),
        (
            'Psychology note (2019): "family and patient are appropriate candidates for ITB."',
            "favorable",
        ),
        ("Her family members are appropriate candidates for caregiver training.", None),
        # round 10: another procedure after "to proceed with", the pain view without an
        # article, a clearance that can no longer be relied upon, a superseded deferral, a
        # report that came back, a screening completed by someone
        ("Ms. Tran is psychologically appropriate to proceed with the SCS trial.", None),
        ("Good cand for IT pump from pain standpoint. Psych eval req'd prior.", None),
        (
            "In 2019 he was felt to be an appropriate candidate for an intrathecal pump. I do not "
            "think the 2019 clearance can be relied upon, and I have asked Dr. Fenwick to see him "
            "again for a repeat evaluation.",
            "unfavorable",
        ),
        (
            "Dr. Abernathy now recommends proceeding with the intrathecal trial. I agree this "
            "supersedes the January deferral.",
            "favorable",
        ),
        (
            "The psych report for her pump trial came back: favorable, no concerns raised.",
            "favorable",
        ),
        (
            "Psychological screening completed by Dr. Chu; no contraindication to implantation.",
            "favorable",
        ),
        # round 11: a lifted deferral, "psych eval was faxed to them and is favorable"
        (
            "Summary: no contraindication from a mental-health standpoint to an implantable "
            "intrathecal pump. The deferral from the first visit is lifted.",
            "favorable",
        ),
        ("Per their RN, psych eval was faxed to them 6/3 and is favorable.", "favorable"),
        ("Psych eval was faxed 6/3 and is pending review.", None),
        # round 12: a surgeon's view of candidacy, an evaluation "has NOT been done", a
        # checklist's cells
        (
            'Neurosurgery (Dr. Bauer) saw pt 11/5 and felt she is "an excellent pump '
            'candidate". The psychological evaluation has NOT been done.',
            None,
        ),
        ("Onc f/u. Psychology evaluation has not been arranged.", None),
        (
            "ITP w/u: MRI L-spine ✓ | psych ✓ cleared 4/9 (Dr S) | trial ☐ | ins auth pending",
            "favorable",
        ),
        # round 13: a transcriber's "[to?]", "cleard", psycho-oncology "saw pt", a
        # pump-specific evaluation ordered after a clearance for something else
        ("Impression: no psych contra-indication [to?] pump implant.", "favorable"),
        ("Psych cleared for ITP? pending", None),
        ("psych cleard for ITP trial 9/12 - see scand report.", "favorable"),
        (
            "Psycho-oncology (Dr. Iyer) saw pt 4/4 - no contraindication to intrathecal pump.",
            "favorable",
        ),
        (
            'Psych: "Cleared by psychology" (see 2021 note). Attending correction: that clearance '
            "was written for the spinal cord stimulator. A pump-specific evaluation has been "
            "ordered.",
            "unfavorable",
        ),
        # round 14: "no new eval needed", a fresh evaluation wanted and the prior clearance
        # superseded, misspellings, a checklist's "pending" on the next line
        (
            "Original implant 2018 -- psych clearance favorable (Dr. Ortiz). Reviewed, accepted; "
            "no new eval needed.",
            "favorable",
        ),
        (
            "Since original implant (psych cleared 2015) pt had an inpatient psych admission. Dr. "
            "M wants a fresh psych eval before replacement -- prior clearance superseded.",
            "unfavorable",
        ),
        (
            "Pain team requests updated clearance. No psychiatric contraindication to the pump.",
            "favorable",
        ),
        (
            "psych evaluaton came back, she was deemd an apropriate candiate for the pump trial",
            "favorable",
        ),
        (
            "[x] Psychology -- cleared for trial 8/8\n[x] UDS\n[ ] Trial date -- pending insurance",
            "favorable",
        ),
        # an earlier evaluation's conclusion, reported in a follow-up, is history
        (
            "Initial eval 3/4 deferred a recommendation (PHQ-9 19). Recommendation: appropriate "
            "to proceed with intrathecal drug delivery from a psychological standpoint.",
            "favorable",
        ),
        ("Initial eval 3/4 deferred a recommendation (PHQ-9 19).", None),
        ("Deferred: untreated depression (PHQ-9 19).", "unfavorable"),
        # a newer event supersedes an older clearance
        (
            "Prior psych clearance (2022); a new psychological evaluation is required.",
            "unfavorable",
        ),
        # a form's options row reads as its ticked options
        (
            "BH Clearance Form\nDetermination: [x] Cleared  [ ] Cleared w/ conditions  "
            "[ ] Not cleared  [ ] Deferred\nProcedure: intrathecal pump",
            "favorable",
        ),
        ("Psych outcome: [ ] Favorable  [X] Not favorable  [ ] Deferred", "unfavorable"),
        # ... but not on a form about another procedure
        (
            "Procedure: [x] spinal cord stimulator  [ ] intrathecal pump  [ ] bariatric\n"
            "Determination: [x] Cleared  [ ] Not cleared  [ ] Deferred",
            "unfavorable",
        ),
        # an unresolved SmartLink token is a placeholder, not words
        (
            "Recommend: {Recommendation:14455} proceeding with intrathecal morphine trial.",
            "favorable",
        ),
        # text carried forward from an older note does not count against today's conclusion
        (
            "Previous impression (copied fwd, 02/11/2023): NOT a candidate at this time. Defer.\n"
            "Today 01/22/2025: Recommendation: favorable candidate for IT morphine trial.",
            "favorable",
        ),
        ("Previous impression (copied fwd, 02/11/2023): favorable candidate for IT pump.", None),
        # round 17: a verdict after "eval back", quoted or not; the last visit's deferral is
        # history when today's visit clears him
        ('A/P: psych eval back (Dr. Lind 5/1): "Cleared." Schedule IT trial.', "favorable"),
        ("Psych eval came back - cleared.", "favorable"),
        ("Psych eval back: cleared for SCS only.", None),
        ("Psych eval came back - cleared once sober.", None),
        (
            "Last BHC visit (11/20) deferred d/t daily etoh. Now 4 mo sober.\n"
            "Cleared from psych standpoint for intrathecal pump trial.",
            "favorable",
        ),
        ("Last BHC visit (11/20) deferred d/t daily etoh.", None),
        # round 19: the newest conclusion governs when the text says it is newer
        (
            "IME 04/03: psychological candidacy deferred; records not received.\n"
            "ADDENDUM 04/22: records reviewed. I amend my opinion: he is a suitable "
            "psychological candidate.",
            "favorable",
        ),
        (
            "Since my 02/2024 note, which had deferred his candidacy, he completed CBT. "
            "Conclusion: he is now cleared from a psychological standpoint.",
            "favorable",
        ),
        # ... not without such a word, and not when the negative comes last
        ("Cleared from a psychological standpoint. Candidacy deferred pending UDS.", None),
        ("Cleared from a psychological standpoint. Candidacy deferred.", "unfavorable"),
        ("Deferred 02/2024. Cleared from a psychological standpoint.", "unfavorable"),
        ("Psych: now cleared. ADDENDUM: not a candidate until sober.", "unfavorable"),
        # the evaluation's own report; the evaluator's finding after the sources it drew on
        (
            "Psychological evaluation: report states she is a favorable candidate for the trial.",
            "favorable",
        ),
        (
            "With collateral information from his wife, and testing, I found him to be a "
            "suitable psychological candidate for the pump.",
            "favorable",
        ),
        ("Patient states she was cleared by psychology.", None),
        # round 20: a prior deferral said to be superseded; the rehab unit's psychologist
        (
            "Re-assessment after deferral on 02/28. Since then 8 CBT sessions. Updated "
            "impression: he is now an appropriate candidate for the IT trial from a "
            "psychological standpoint. Prior deferral superseded by this note.",
            "favorable",
        ),
        ("B: T11 SCI; cleared by rehab psych 3/5 - no contraindication to pump.", "favorable"),
        (
            "Psych clearance received: appropriate candidate for intrathecal pump (rehab psych, "
            "4/18).",
            "favorable",
        ),
        ("Cleared for acute rehab admission.", None),
        # round 21: a favorable evaluation named as such; a table cell after a bracket; a
        # letter's "no psychological reason you should not go forward"
        ("Pump implanted 2022 after favorable pre-implant psychological evaluation.", "favorable"),
        ("Psych evaluation (pre-implant): Completed - Favorable", "favorable"),
        (
            "I found no psychological reason you should not go forward with the pump trial.",
            "favorable",
        ),
        ("Pt should not proceed with the IT trial from a psychological standpoint.", None),
        # round 27: an open first impression answered by a dated addendum; an open question
        # told in the past perfect; a committee's psych column; a preference between
        # therapies; a score band; a donor's clearance; a report still to come
        (
            "[Visit 3/01] Impression: possibly an appropriate candidate, pending testing. "
            "[Addendum 3/15] Testing valid. Final impression: favorable candidate for the pump.",
            "favorable",
        ),
        (
            "Before the fall the psych evaluation had not been done. Recommendations: no "
            "psychological contraindication to the intrathecal trial.",
            "favorable",
        ),
        (
            "Cttee 6/2\n| # | Pt | Psych | Decision |\n| 1 | 0192 | cleared (Dr K) | approve |",
            "favorable",
        ),
        (
            "Cttee 6/2\n| # | Pt | Psych | Decision |\n| 1 | 0192 | cleared | approve |\n"
            "| 2 | 0448 | deferred | hold |",
            "unfavorable",  # two rows: the psych verdict is not clearly this patient's
        ),
        ("Team and patient favour intrathecal therapy over a stimulator.", None),
        # round 26: another procedure's clearance; a copy provided is no condition; a
        # summary of care's procedure row
        ("Pre-op psychological evaluation: favourable for lumbar arthrodesis.", None),
        # the evaluation named by what it preceded; a requirement alert answered as met
        (
            "<table><tr><td>Psych pre-implant</td><td>Cleared - no contraindication</td></tr>"
            "</table>",
            "favorable",
        ),
        (
            "Alert: pre-implant psychological evaluation required before ordering. Reason: [x] "
            "Requirement met - psych evaluation 03/02 (no psychological contraindication).",
            "favorable",
        ),
        (
            "Psychiatric evaluation before implantation (copy provided by the patient): patient "
            "suitable for the intrathecal system; no psychiatric contraindication.",
            "favorable",
        ),
        (
            "Psych clearance letter received. No psych assessment for ITDD on file; re-referred.",
            None,
        ),
        (
            "<table><tr><th>Procedure</th><th>Date</th><th>Result</th></tr><tr><td>Psychological "
            "evaluation (pre-implant, targeted drug delivery system)</td><td>2025-02-03</td>"
            "<td>No contraindication; proceed</td></tr></table>",
            "favorable",
        ),
        ("SIPAT 12 (excellent candidate range).", None),
        ("Living donor evaluation: donor is psychologically cleared to donate.", None),
        (
            "Checklist: psych cleared. Correction: psych eval done 5/5 but the written report "
            "has not been received.",
            None,
        ),
        (
            "Orientee filed a note saying favorable candidate for IT pump; wrong chart. No "
            "psychology evaluation in chart for this patient.",
            None,
        ),
    ],
)
def test_pinned_case(text: str, expected: str | None) -> None:
    assert _read(text) == expected


def test_psych_phrases_do_not_take_the_place_of_other_concepts() -> None:
    """A psych phrase near another concept's phrase leaves that phrase to be read."""
    summary = READER.summarize("Psych cleared for ITP 2/2; pump alarm sounding since this morning.")
    assert summary.has("EMPTY_PUMP") and candidacy(summary) == "favorable"
    summary = READER.summarize(
        "Cleared by psychology for the pump, nausea and sedation on oxycodone."
    )
    assert summary.has("SIDE_EFFECTS") and candidacy(summary) == "favorable"


def test_reading_a_large_psych_note_stays_fast() -> None:
    """The patterns are linear: 100 KB dense in psych phrases is read in seconds, not minutes."""
    unit = "Seen and cleared by psychology for the pump trial, not a candidate per cardiology. "
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    start = time.perf_counter()
    READER.summarize(text)
    assert time.perf_counter() - start < 5.0


def test_psych_json_matches_its_generator(tmp_path: Any) -> None:
    """psych.json is built by tools/note-concepts/build_psych.py; it must not drift."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "psych.json"
    subprocess.run(
        [sys.executable, str(root / "tools/note-concepts/build_psych.py"), str(out)],
        check=True,
        capture_output=True,
    )
    committed = root / "cds_service/data/note-concepts/psych.json"
    assert out.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
