"""The safety asymmetry end to end: an uncertain contraindication in a recent note is
"verify" (never met); people merely present are not the experiencer of the patient's facts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cds_service.clinical_nlp import default_note_reader
from cds_service.hook_handler import load_services
from cds_service.notes_eval import with_note
from tests.conftest import AS_OF, SIGN, load_fixture

READER = default_note_reader()


def _topics_and_cards(bundle: dict[str, Any]) -> tuple[set[str], list[dict[str, Any]]]:
    from cds_service.app import create_app
    from cds_service.config import Settings
    from cds_service.replay import request_from_bundle

    client = create_app(Settings(as_of=AS_OF)).test_client()
    request = request_from_bundle(bundle, "order-sign", load_services()[SIGN].prefetch)
    body = client.post(
        f"/cds-services/{SIGN}", data=json.dumps(request), content_type="application/json"
    ).get_json()
    return {c["source"]["topic"]["code"] for c in body["cards"]}, body["cards"]


def _note(text: str) -> dict[str, Any]:
    return {"id": "safety", "format": "text", "text": text}


@pytest.mark.parametrize(
    ("base", "text", "topic"),
    [
        (
            "implant-criteria-met.json",
            "Possible pump pocket infection; cultures sent.",
            "active-infection",
        ),
        (
            "implant-criteria-met.json",
            "Suspicious for wound infection at the incision.",
            "active-infection",
        ),
        ("implant-criteria-met.json", "Possible hospice referral discussed.", "life-expectancy"),
    ],
)
def test_an_uncertain_contraindication_is_verify_never_met(
    base: str, text: str, topic: str
) -> None:
    topics, cards = _topics_and_cards(with_note(load_fixture(base), _note(text), AS_OF))
    assert "criteria-met" not in topics and topic in topics
    card = next(c for c in cards if c["source"]["topic"]["code"] == topic)
    assert "verify" in card["summary"] and card["indicator"] == "warning"


def test_the_same_record_without_the_note_is_met() -> None:
    topics, _cards = _topics_and_cards(load_fixture("implant-criteria-met.json"))
    assert topics == {"criteria-met"}


@pytest.mark.parametrize(
    "text",
    [
        "Discussed with patient and family: pump pocket infection present.",
        "Family meeting today. Pump pocket infection with purulent drainage noted.",
        "Exam with family at bedside: pump pocket infection.",
    ],
)
def test_people_present_do_not_make_the_patient_s_finding_theirs(text: str) -> None:
    assert READER.summarize(text).has("SITE_INFECTION")


@pytest.mark.parametrize(
    "text",
    ["Mother has a pump pocket infection.", "FHx: meningitis (brother)."],
)
def test_relatives_findings_are_theirs(text: str) -> None:
    summary = READER.summarize(text)
    assert not summary.has("SITE_INFECTION", "SYSTEMIC_INFECTION", "CNS_INFECTION")
    assert not summary.unsure("SITE_INFECTION", "SYSTEMIC_INFECTION", "CNS_INFECTION")


def _without(bundle: dict[str, Any], *references: str) -> dict[str, Any]:
    bundle = dict(bundle)
    bundle["entry"] = [
        e
        for e in bundle["entry"]
        if f"{e['resource']['resourceType']}/{e['resource']['id']}" not in references
    ]
    return bundle


@pytest.mark.parametrize(
    ("text", "status_words"),
    [
        (
            "Intrathecal trial performed 9/1. Baseline pain 8/10; at 6 hours after the bolus 3/10.",
            "reduced pain by 62%",
        ),
        (
            "IT morphine trial 9/1: baseline pain 8/10, after the bolus 6/10.",
            "below",
        ),
    ],
)
def test_a_trial_documented_only_in_a_note_counts(text: str, status_words: str) -> None:
    """No coded trial Procedure: the note's before/after scores are the trial (and say so)."""
    bundle = _without(load_fixture("implant-criteria-met.json"), "Procedure/implant-ok-proc10")
    topics, cards = _topics_and_cards(with_note(bundle, _note(text), AS_OF))
    if status_words == "below":
        card = next(c for c in cards if c["source"]["topic"]["code"] == "trial-response")
        assert "below" in card["summary"] and "criteria-met" not in topics
    else:
        assert topics == {"criteria-met"}
        detail = next(c for c in cards if c["source"]["topic"]["code"] == "criteria-met")["detail"]
        assert "trial in a note" in detail and "unstructured note" in detail


def test_without_the_note_the_trial_is_missing() -> None:
    bundle = _without(load_fixture("implant-criteria-met.json"), "Procedure/implant-ok-proc10")
    topics, _cards = _topics_and_cards(bundle)
    assert "trial-response" in topics and "criteria-met" not in topics


@pytest.mark.parametrize(
    ("text", "met"),
    [
        ("Refill visit. Since the pump, pain down from 8/10 to 3/10.", True),
        ("Refill visit. Since the pump, pain down from 8/10 to 7/10.", False),
    ],
)
def test_continued_efficacy_from_a_refill_note(text: str, met: bool) -> None:
    """Without a coded score on therapy, the refill note's own before/after numbers count."""
    bundle = _without(load_fixture("refill-criteria-met.json"), "Observation/refill-ok-pain9")
    topics, cards = _topics_and_cards(with_note(bundle, _note(text), AS_OF))
    if met:
        assert topics == {"criteria-met"}
    else:
        card = next(c for c in cards if c["source"]["topic"]["code"] == "continued-efficacy")
        assert "a note states pain" in card["summary"] and "criteria-met" not in topics


def test_continued_efficacy_without_the_note_is_missing() -> None:
    bundle = _without(load_fixture("refill-criteria-met.json"), "Observation/refill-ok-pain9")
    topics, _cards = _topics_and_cards(bundle)
    assert "continued-efficacy" in topics


@pytest.mark.parametrize(
    ("text", "category", "asserted"),
    [
        ("Enrolled in hospice? No.", "TERMINAL", False),
        ("Pocket infection? no", "SITE_INFECTION", False),
        ("Met with pt and wife, agreed to home hospice.", "TERMINAL", True),
        ("Pt lives with husband, on home hospice.", "TERMINAL", True),
    ],
)
def test_questions_answered_and_people_named(text: str, category: str, asserted: bool) -> None:
    """A one-word answer settles its question; a spouse named is not the experiencer."""
    assert READER.summarize(text).has(category) is asserted


def test_abbreviations_do_not_end_sentences() -> None:
    from cds_service.clinical_nlp import SENTENCE_END

    assert SENTENCE_END.split("Seen by Dr. Fry. LE est. 3 months.") == [
        "Seen by Dr. Fry.",
        "LE est. 3 months.",
    ]
    assert SENTENCE_END.split("Told Mrs. Dang she has weeks. Next.") == [
        "Told Mrs. Dang she has weeks.",
        "Next.",
    ]
    assert len(SENTENCE_END.split("Infected? No - resolved. Next.")) == 3


def test_trial_note_categories_exist_in_the_note_concepts() -> None:
    """The pre-check may only name categories the trial reader defines (a typo reads nothing)."""
    from cds_service.clinical_nlp import load_note_concepts
    from cds_service.evaluation import TRIAL_NOTE_CATEGORIES

    defined = {t["category"] for t in load_note_concepts()["targets"]}
    assert set(TRIAL_NOTE_CATEGORIES) <= defined


@pytest.mark.parametrize(
    ("base", "text", "why"),
    [
        (
            "refill-criteria-met.json",
            "Rellenado de bomba en casa. La bomba se vació hace 10 días, no pudo rellenar.",
            "in a language the note reader does not read",
        ),
        (
            "implant-criteria-met.json",
            "Catheter tract ce1lu1itis extending frorn 1urnbar incision to left f1ank.",
            "OCR garbled",
        ),
    ],
)
def test_a_note_the_reader_cannot_read_is_never_met_and_the_card_names_it(
    base: str, text: str, why: str
) -> None:
    topics, cards = _topics_and_cards(with_note(load_fixture(base), _note(text), AS_OF))
    assert "criteria-met" not in topics
    details = " ".join(c.get("detail", "") for c in cards)
    assert why in details and "DocumentReference/" in details, details[:2000]


@pytest.mark.parametrize(
    ("dictated", "written"),
    [
        # three spoken stops, one comma: plainly dictated
        (
            "residual 4.8 cc period refilled comma no issues period next refill in three "
            "months period",
            "residual 4.8 cc. refilled, no issues. next refill in three months.",
        ),
        # "period" once or twice is a word ("trial period"), not punctuation
        ("Trial period was 3 days. Washout period 1 week.", None),
    ],
)
def test_spoken_punctuation_is_read_only_in_a_dictated_note(
    dictated: str, written: str | None
) -> None:
    from cds_service.clinical_nlp import _as_written

    assert _as_written(dictated) == (written or dictated)
