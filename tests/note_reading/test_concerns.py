"""Concern cues: a contraindication the concept patterns cannot classify reads "verify".

The safety asymmetry (issue 10): a word that may document an empty pump, a missed refill,
an infection or a terminal prognosis, about the patient now, in a sentence no concept
pattern settled, makes the concept *uncertain* (so its criterion says "could not be fully
checked — verify"), never asserted. Negated, hypothetical, historical, someone else's, or
plainly-not-a-finding wordings are dropped, like any mention.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cds_service.clinical_nlp import (
    NOTE_CONCEPTS_DIR,
    default_note_reader,
    load_note_concepts,
)
from cds_service.errors import ConfigurationError
from cds_service.note_text import attachment_text

READER = default_note_reader()
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("A: Superficial skin infection at refill site.", "SITE_INFECTION"),
        ("Small pustule at the old needle site, culture sent.", "SITE_INFECTION"),
        ("He has elected hospice, which starts Monday.", "TERMINAL"),
        ("Goals of care: comfort care only.", "TERMINAL"),
        ("Pump alarm beeping since Sunday.", "EMPTY_PUMP"),
        ("Programmer shows the reservoir depleted.", "EMPTY_PUMP"),
        ("He forgot his refill appt last week.", "MISSED_REFILL"),
        ("On vanc for bacteremia.", "SYSTEMIC_INFECTION"),
        ("Pocket swollen, erythematous and tender today.", "SITE_INFECTION"),
        ("Aspirated 8 mL cloudy fluid from the pocket.", "SITE_INFECTION"),
        ('They were told "probably less than 6 months."', "TERMINAL"),
        # a horizon in words beside a prognosis phrase stays a concern (SURVIVAL_HORIZON_CUE)
        ("Dr. Y does not expect him to survive beyond the spring.", "TERMINAL"),
        ("Not expected to survive the admission per ICU team.", "TERMINAL"),
        # a prognosis phrase with no figure to read leaves a time-left cue standing
        ("The prognosis quoad vitam is infaust, we estimate some weeks.", "TERMINAL"),
        ("Expected survival under half a year.", "TERMINAL"),
        ("Medical team estimates hours to days.", "TERMINAL"),
        # a relative who calls or reports is not the one the note is about
        ('Daughter called - oncologist told the family "probably less than a month."', "TERMINAL"),
        ("Wife calling: pt transitioned to the inpatient hospice unit this AM.", "TERMINAL"),
        ("Drainage from the pump pocket grew MSSA; on Keflex.", "SITE_INFECTION"),
        ('Daughter reports the pump "has been beeping for a week".', "EMPTY_PUMP"),
        # a family member reporting is not the experiencer
        ('Tel enc w pt\'s son: were told "maybe 2 months" left.', "TERMINAL"),
        # flowsheet fields and dictated punctuation read as typed
        ("PUMP_REFILL\nexp_vol_mL=2.4\nasp_vol_mL=0.0\n", "EMPTY_PUMP"),
        ("cultures are growing serratia comma and he is on IV cefepime period", "SITE_INFECTION"),
        # a span of time left on its own, an outlook judged, an end-stage disease
        ("Visit: intake minimal, mottling.\nFamily informed - days to weeks.", "TERMINAL"),
        ("family aware of poor outlook", "TERMINAL"),
        ("skilled visit. dx end stage COPD w/ home O2 4L", "TERMINAL"),
        ("End-stage heart failure, not a transplant candidate.", "TERMINAL"),
        # carried forward from an older note: not asserted today, but a reason to verify
        (
            "Prior assessment (copied fwd 11/20): purulent drainage from the pocket.",
            "SITE_INFECTION",
        ),
        # "a month" straight after a quote mark is a span of time left, as "less than a month"
        ('Son says the surgeon told them "a month, maybe."', "TERMINAL"),
        # round 21: a team's estimate written as "most likely <span>"
        ("Advanced HF team: most likely 3 to 6 months on home milrinone.", "TERMINAL"),
        # round 18: a relative who tells is the teller; the alarm card's date is the patient's
        (
            "When I phoned mum she told me they missed the refill appointment on 20/02.",
            "MISSED_REFILL",
        ),
        ("The alarm card in her school bag gives an alarm date of 24/02/2026.", "EMPTY_PUMP"),
        # a relative who reports calls the patient by what the patient is to them
        ("Daughter reports father missed his refill appt 10/1, now sweaty.", "MISSED_REFILL"),
    ],
)
def test_an_unclassified_contraindication_word_makes_the_concept_uncertain(
    text: str, category: str
) -> None:
    summary = READER.summarize(text)
    assert summary.unsure(category) or summary.has(category), summary
    if not summary.has(category):
        assert category in summary.uncertain  # a cue never asserts


@pytest.mark.parametrize(
    "text",
    [
        "No infection at the pocket.",
        "Infection ruled out: aspirate culture negative.",
        "Monitor incision for infection; call with fever.",
        "Reviewed signs of infection with pt and husband.",
        "Risk of infection discussed.",
        "Pocket infection in 2019, explanted, resolved.",
        "Mother died of sepsis.",
        "Pt worried about running out while traveling.",
        "Low reservoir alarm date 1/9.",
        "Pump alarmed twice; on interrogation it is the battery (ERI) alarm.",
        "Missed refills: 0.",
        "Pump site clean and dry.",
        "fluticasone / salmeterol dry powder inhaler",
        "She ran out of her oxycodone.",
        "Hospice not indicated at this time.",
        "Functional prognosis guarded.",
        "Follow up in 3 months.",
        "Trial period of 3 days, then review.",
        # a prognosis for recovery, however judged, is no survival
        "Claimant's prognosis for full recovery is guarded.",
        "Pain meds: one or two tablets every 6 hours.",
        "Plan: next refill 05/21, DEXA due 06/2025, RTC 3 mo.",
        "Prognosis for functional recovery is guarded.",
        "Oncology: prognosis pending restaging PET next week.",
        "Spasms lasting days to weeks after each missed dose in the past.",
        "Time-limited prognosis? - No.",
        "ESRD (end-stage renal disease) on HD MWF.",
        # round 27: a time to heal; a prognosis for a limb's function
        "Burn wounds expected to heal in 2-3 weeks.",
        "Prognosis for grip function guarded; may need tendon transfer.",
        # a question and its one-word answer, on its line or the next
        "Check-in form\nHave you heard any alarm from your pump? No\nAny new weakness? No",
        "Any pump alarm since the last refill?\nNo\nNext refill: 8/12",
    ],
)
def test_negated_planned_past_and_other_wordings_raise_no_concern(text: str) -> None:
    summary = READER.summarize(text)
    concerned = {"EMPTY_PUMP", "MISSED_REFILL", "SITE_INFECTION", "SYSTEMIC_INFECTION"}
    assert not summary.uncertain & (concerned | {"CNS_INFECTION", "TERMINAL"}), summary


def test_copied_forward_text_is_not_a_current_assertion() -> None:
    """A statement marked as copied is older than the note: not asserted, so a favorable
    finding in it does not count and a contraindication in it is only uncertain (verify)."""
    copied = READER.summarize("Psych: favorable candidate for IT pump [copied].")
    assert not copied.has("FAVORABLE_CANDIDATE")
    pump = READER.summarize('Pump "empty" (copied from 6/1 note).')
    assert not pump.has("EMPTY_PUMP") and pump.unsure("EMPTY_PUMP")


def test_a_sentence_settled_by_a_concept_pattern_raises_no_concern() -> None:
    # "pocket" + negation is read by the infection patterns; the cue "infection" in the
    # same sentence adds nothing.
    assert not READER.summarize("Pump pocket without erythema or infection.").uncertain
    # ... but a cue in another sentence is still read.
    summary = READER.summarize("Pocket without erythema. Superficial infection at needle site.")
    assert summary.unsure("SITE_INFECTION") or summary.has("SITE_INFECTION")


def test_a_label_value_table_row_is_read_as_one_statement() -> None:
    def read(row: str):  # type: ignore[no-untyped-def]
        markup = f"<table>{row}</table>".encode()
        return READER.summarize(attachment_text(markup, "text/html") or "")

    assert read("<tr><td>Prognosis</td><td>weeks</td></tr>").prognosis_months == 1.0
    assert not read("<tr><td>Infection screen</td><td>Negative</td></tr>").uncertain
    assert not read("<tr><td>Alarms</td><td>None</td></tr>").uncertain
    assert read("<tr><td>Hospice</td><td>declined</td></tr>").has("HOSPICE_NOT_CURRENT")
    # A label holding a forward-reaching cue ("Denies") does not negate its value.
    assert read("<tr><td>Denies nausea</td><td>Pump alarm sounded</td></tr>").has("EMPTY_PUMP")


def test_the_concern_file_matches_its_generator() -> None:
    script = ROOT / "tools" / "note-concepts" / "build_concerns.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def _concerns_with(tmp_path: Path, **change: object) -> Path:
    document = json.loads((ROOT / "cds_service" / "data" / "note-concerns.json").read_text())
    document["concerns"][0].update(change)
    path = tmp_path / "note-concerns.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"concernFor": "NO_SUCH_CATEGORY"}, "names unknown ['NO_SUCH_CATEGORY']"),
        ({"settledBy": ["EMPTY_PUMP", "NOPE"]}, "names unknown ['NOPE']"),
        ({"category": "EMPTY_PUMP"}, "invalid at concerns.0.category"),
        ({"why": "x"}, "invalid at concerns.0.why"),
    ],
)
def test_a_concern_naming_what_no_concept_defines_stops_start_up(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_note_concepts(NOTE_CONCEPTS_DIR, _concerns_with(tmp_path, **change))


def test_a_repeated_concern_category_stops_start_up(tmp_path: Path) -> None:
    document = json.loads((ROOT / "cds_service" / "data" / "note-concerns.json").read_text())
    document["concerns"].append(document["concerns"][0])
    path = tmp_path / "note-concerns.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigurationError, match="is repeated"):
        load_note_concepts(NOTE_CONCEPTS_DIR, path)


@pytest.mark.parametrize("where", ["end", "start"])
def test_a_stray_cell_pair_mark_in_a_long_note_costs_one_scan(where: str) -> None:
    """A plain-text note may hold U+2028 anywhere; pairing scans each segment once (an
    unanchored pattern rescanned a 20 KB segment from every position: 4 s; 200 KB: hours)."""
    import time

    filler = "word " * 20_000
    text = filler + "\u2028x" if where == "end" else "x\u2028" + filler
    start = time.monotonic()
    READER.plan(text)
    assert time.monotonic() - start < 5.0


def test_how_long_an_alarm_has_sounded_is_not_time_left() -> None:
    summary = READER.summarize('Wife reports his pump "has been beeping for a few days".')
    assert "TERMINAL" not in summary.uncertain and summary.has("EMPTY_PUMP")


def test_a_duration_is_not_time_left() -> None:
    """ "has been beeping for a week" is how long, not a prognosis ("a week" needs a qualifier:
    "less than a week")."""
    summary = READER.summarize('Daughter reports the pump "has been beeping for a week".')
    assert "TERMINAL" not in summary.uncertain and not summary.has("TERMINAL")


def test_a_context_rule_limited_to_unknown_categories_stops_start_up(tmp_path: Path) -> None:
    """A rule's allowedTypes must name categories the concept files define (a typo would
    silently let the rule modify nothing)."""
    folder = tmp_path / "concepts"
    shutil.copytree(NOTE_CONCEPTS_DIR, folder)
    common = json.loads((folder / "common.json").read_text())
    common["contextRules"][0]["allowedTypes"] = ["EMPTY_PUMPP"]
    (folder / "common.json").write_text(json.dumps(common))
    with pytest.raises(ConfigurationError, match="no concept defines: EMPTY_PUMPP"):
        load_note_concepts(folder)


def test_an_earlier_device_does_not_make_the_hospice_beside_it_history() -> None:
    summary = READER.summarize("Hospice RN: previous IT pump (explanted 2025) once ran dry.")
    assert summary.has("TERMINAL")
    assert not summary.has("EMPTY_PUMP") and not summary.unsure("EMPTY_PUMP")


def test_a_context_rule_may_be_limited_to_concern_cues(tmp_path: Path) -> None:
    """Concern cues run through the same ConText rules, so allowedTypes may name them."""
    folder = tmp_path / "concepts"
    shutil.copytree(NOTE_CONCEPTS_DIR, folder)
    common = json.loads((folder / "common.json").read_text())
    common["contextRules"][0]["allowedTypes"] = ["EMPTY_PUMP", "EMPTY_PUMP_CUE"]
    (folder / "common.json").write_text(json.dumps(common))
    assert load_note_concepts(folder)["contextRules"][0]["allowedTypes"] == [
        "EMPTY_PUMP",
        "EMPTY_PUMP_CUE",
    ]
