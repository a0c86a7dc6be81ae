"""The corpus measure itself: labels, tallies and the unsafe-outcome check."""

from __future__ import annotations

from typing import Any

import pytest

from cds_service import notes_eval
from cds_service.cli import CORPUS_SPLITS
from tests.conftest import TEST_DATA, load_fixture


def test_tally_counts_and_rates() -> None:
    tally = notes_eval.Tally()
    for note_id, truth, guess in [("a", True, True), ("b", True, False), ("c", False, False)]:
        tally.add(note_id, truth, guess)
    tally.add("d", False, True)
    assert (tally.tp, tally.fn, tally.tn, tally.fp) == (1, 1, 1, 1)
    assert tally.sensitivity == 0.5 and tally.specificity == 0.5
    assert tally.misses == ["b"] and tally.false_alarms == ["d"]


@pytest.mark.parametrize(
    ("concept", "label", "positive"),
    [
        ("psych", {"favorable": True}, True),
        ("trial", {"trial": False}, False),
        ("prognosis", {"category": "long"}, False),
        ("prognosis", {"category": "short"}, True),
        ("empty-pump", {"empty_or_missed": True}, True),
        ("infection", {"active_infection": False}, False),
    ],
)
def test_expected_reads_each_label(concept: str, label: dict[str, Any], positive: bool) -> None:
    assert notes_eval.expected({"concept": concept, "label": label}) is positive


def test_unsafe_outcomes_flag_only_positive_safety_notes_left_at_criteria_met() -> None:
    notes = [
        {
            "id": "e1",
            "concept": "empty-pump",
            "format": "text",
            "text": "x",
            "label": {"empty_or_missed": True},
        },
        {
            "id": "e2",
            "concept": "empty-pump",
            "format": "text",
            "text": "x",
            "label": {"empty_or_missed": False},
        },
        {
            "id": "i1",
            "concept": "infection",
            "format": "text",
            "text": "x",
            "label": {"active_infection": True, "site": "systemic"},
        },
        {
            "id": "p1",
            "concept": "psych",
            "format": "text",
            "text": "x",
            "label": {"favorable": True},
        },
    ]
    runs: list[str] = []

    def always_met(bundle: dict[str, Any]) -> set[str]:
        runs.append(bundle["entry"][-1]["resource"]["id"])
        return {"criteria-met"}

    unsafe = notes_eval.unsafe_outcomes(notes, always_met, load_fixture)
    # A systemic infection is judged in the implant record only, not at a refill.
    assert unsafe == ["e1 in refill-criteria-met.json", "i1 in implant-criteria-met.json"]
    assert runs == ["corpus-e1", "corpus-i1"]


TUNED_SPLITS = [split for split in CORPUS_SPLITS if split != "test"]


def test_the_corpus_is_split_and_large_enough() -> None:
    tuned = [
        note
        for split in TUNED_SPLITS
        for note in notes_eval.load_corpus(TEST_DATA / "notes" / f"{split}.jsonl")
    ]
    test = notes_eval.load_corpus(TEST_DATA / "notes" / "test.jsonl")
    assert len(tuned) + len(test) >= 400
    assert not {n["id"] for n in tuned} & {n["id"] for n in test}
    assert not {n["style_family"] for n in tuned} & {n["style_family"] for n in test}
    for concept in notes_eval.CONCEPTS:
        labels = [notes_eval.expected(n) for n in tuned + test if n["concept"] == concept]
        assert len(labels) >= 80 and 0.3 < sum(labels) / len(labels) < 0.7
        held_out = [notes_eval.expected(n) for n in test if n["concept"] == concept]
        assert len(held_out) >= 40 and 0.3 < sum(held_out) / len(held_out) < 0.7


# The tuned rounds' safety notes, replayed through the hook by the rules alone: none may end
# at criteria-met (a regression guard on tuning data; the held-out figures are the README's).
# Without the safety screen, since the screen was trained on these very notes and would
# hide a regression of the rules. dev-r2 holds one known gap of the rules: a daughter's
# call ("mom has maybe 2-3 months") reads "mom" as a relative; dev-r22 another: a
# hypothetical hospice in the same sentence settles "we are looking at a few months at most";
# dev-r23 four that only the screen catches: a quoted "was '6-12 months', now 'short weeks'"
# update, an alarm date passed with no refill (dates three lines apart), blood cultures whose
# sentence also names a superseded "contaminant" report, and a bacteraemia still being treated
# under a "Hx:" label; dev-r24 four English prognoses the screen catches; dev-r25 one: a
# transfer to a palliative-care residence known only by its name ("Maison Aube-Lumière");
# dev-r28 four the screen catches: a prognosis given to the son (wakeel) in transliterated
# Arabic, a quoted hepatology "likely under 3 months" beside "<6 mo sobriety", a Portuguese
# "uns seis meses, talvez menos", and a typhoid bacteraemia beside a normal pump pocket.
KNOWN_UNSAFE = {
    "dev-r2": ["prognosis-225 in implant-criteria-met.json"],
    "dev-r22": ["prognosis-2242 in implant-criteria-met.json"],
    "dev-r23": [
        "prognosis-2330 in implant-criteria-met.json",
        "empty-pump-2321 in refill-criteria-met.json",
        "infection-2301 in implant-criteria-met.json",
        "infection-2348 in implant-criteria-met.json",
    ],
    "dev-r24": [
        "prognosis-2401 in implant-criteria-met.json",
        "prognosis-2407 in implant-criteria-met.json",
        "prognosis-2413 in implant-criteria-met.json",
        "prognosis-2414 in implant-criteria-met.json",
    ],
    "dev-r25": ["prognosis-2536 in implant-criteria-met.json"],
    "dev-r28": [
        "prognosis-2813 in implant-criteria-met.json",
        "prognosis-2832 in implant-criteria-met.json",
        "prognosis-2847 in implant-criteria-met.json",
        "infection-2837 in implant-criteria-met.json",
    ],
}


@pytest.mark.parametrize("split", TUNED_SPLITS)
def test_no_tuned_safety_note_ends_at_criteria_met(
    split: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from cds_service.cli import main

    assert main(["notes-eval", "--split", split, "--rules-only"]) == 0
    out = capsys.readouterr().out
    known = KNOWN_UNSAFE.get(split, [])
    expected = f"unsafe outcomes ({split}): {len(known)}" + (f": {known}" if known else "")
    assert expected in out, out[-600:]
