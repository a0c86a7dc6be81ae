"""The note safety screen: its features, its scorer against scikit-learn, its data file, and
how its flags reach the criteria (only ever as "verify")."""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cds_service.cli import CORPUS_SPLITS
from cds_service.clinical_nlp import NoteReader, default_note_reader, load_note_concepts
from cds_service.errors import ConfigurationError
from cds_service.note_reading.screen import MAX_SCREEN_CHARS, NoteScreen, features
from cds_service.notes_eval import load_corpus
from cds_service.resources import DATA_DIR, load_validated
from tests.conftest import TEST_DATA

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = DATA_DIR / "note-screen.json"


def _build_module() -> ModuleType:
    path = ROOT / "tools" / "note-screen" / "build.py"
    spec = importlib.util.spec_from_file_location("build_screen", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_features_are_words_pairs_and_padded_character_ngrams() -> None:
    found = features("Pump dry")
    assert found[:3] == ["w:pump", "w:dry", "b:pump dry"]
    assert "c: pu" in found and "c:ry " in found and "c: dry " in found
    assert all(f[:2] in ("w:", "b:", "c:") for f in found)


def test_features_read_only_the_first_screen_chars() -> None:
    tail = " abscess"
    assert "w:abscess" not in features("x" * MAX_SCREEN_CHARS + tail)
    assert "w:abscess" in features("x" * (MAX_SCREEN_CHARS - len(tail) - 1) + " " + tail)


def _tiny_corpus() -> list[dict[str, Any]]:
    texts = {
        "empty-pump": [
            ("reservoir aspirated dry, pump empty", True),
            ("pump alarm beeping, refill overdue", True),
            ("refill done on time, reservoir volume as expected", False),
            ("no alarm, pump full", False),
        ],
        "infection": [
            ("pocket abscess with purulent drainage", True),
            ("wound clean, no erythema", False),
        ],
        "prognosis": [
            ("life expectancy weeks, hospice", True),
            ("prognosis years, no hospice", False),
        ],
    }
    label_key = {"empty-pump": "empty_or_missed", "infection": "active_infection"}
    notes = []
    for concept, rows in texts.items():
        for i, (text, positive) in enumerate(rows):
            label: dict[str, Any] = (
                {"category": "short" if positive else "long"}
                if concept == "prognosis"
                else {label_key[concept]: positive}
            )
            notes.append(
                {"id": f"{concept}-{i}", "concept": concept, "format": "text", "text": text}
                | {"label": label}
            )
    return notes


def test_scorer_matches_scikit_learn_on_what_it_built() -> None:
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    build = _build_module()
    notes = _tiny_corpus()
    build.MIN_DF = 1
    document = {"about": "test", "trainedOn": {"train": len(notes)}, **build.fit(notes)}
    screen = NoteScreen(document)
    vectorizer = TfidfVectorizer(analyzer=features, min_df=1, sublinear_tf=True)
    matrix = vectorizer.fit_transform([n["text"] for n in notes])
    probes = ["pump beeping and dry", "abscess draining", "hospice, weeks", "unrelated words"]
    for concept in ("empty-pump", "infection", "prognosis"):
        labels = [n["concept"] == concept and _positive(n) for n in notes]
        model = LogisticRegression(C=build.C, max_iter=5000, class_weight="balanced")
        model.fit(matrix, labels)
        expected = model.predict_proba(vectorizer.transform(probes))[:, 1]
        for probe, p in zip(probes, expected, strict=True):
            # The file keeps four significant digits: agreement to well under a percent.
            assert screen.probabilities(probe)[concept] == pytest.approx(p, abs=5e-3)


def _positive(note: dict[str, Any]) -> bool:
    label = note["label"]
    return bool(label.get("category") == "short" or any(v is True for v in label.values()))


def test_the_shipped_screen_was_trained_on_every_split_but_test() -> None:
    document = load_validated(SHIPPED, "note-screen.schema.json")
    expected = {
        split: len(load_corpus(TEST_DATA / "notes" / f"{split}.jsonl"))
        for split in CORPUS_SPLITS
        if split != "test"
    }
    # Also fails when the corpus changed and the screen was not rebuilt.
    assert document["trainedOn"] == expected


def _small_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "about": "test",
        "trainedOn": {"train": 1},
        "features": ["w:zorblat", "w:quimble", "w:snarfel"],
        "idf": [1.0, 1.0, 1.0],
        "models": {
            "empty-pump": {"intercept": -2.0, "threshold": 0.5, "coef": [6.0, 0.0, 0.0]},
            "infection": {"intercept": -2.0, "threshold": 0.5, "coef": [0.0, 6.0, 0.0]},
            "prognosis": {"intercept": -2.0, "threshold": 0.5, "coef": [0.0, 0.0, 6.0]},
        },
    }
    document.update(changes)
    return document


def test_flags_follow_the_thresholds() -> None:
    screen = NoteScreen(_small_document())
    assert screen.flagged("the pump went zorblat") == {"empty-pump"}
    assert screen.flagged("nothing here") == frozenset()
    # One feature, L2-normalised to 1: logit -2 + 6 = 4.
    assert screen.probabilities("quimble")["infection"] == pytest.approx(1 / (1 + math.exp(-4)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"features": ["w:zorblat", "x:quimble", "w:snarfel"]}, "not a w:, b: or c: string"),
        ({"features": ["w:zorblat", "w:zorblat", "w:snarfel"]}, "repeated"),
        ({"idf": [1.0, 0.0, 1.0]}, "idf holds 0.0"),
        ({"idf": [1.0, float("nan"), 1.0]}, "idf holds nan"),
        ({"idf": [1.0, 1.0]}, "idf has 2 values, not 3"),
    ],
)
def test_a_malformed_screen_stops_start_up(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        NoteScreen(_small_document(**changes))


def test_a_coef_of_the_wrong_length_stops_start_up() -> None:
    document = _small_document()
    document["models"]["infection"]["coef"] = [1.0]
    with pytest.raises(ConfigurationError, match="infection coef has 1 values"):
        NoteScreen(document)


@pytest.mark.parametrize("key", ["test", "models"])
def test_the_schema_refuses_a_screen_trained_on_test_or_without_a_model(
    key: str, tmp_path: Path
) -> None:
    document = _small_document()
    if key == "test":
        document["trainedOn"] = {"train": 1, "test": 250}
    else:
        del document["models"]["prognosis"]
    path = tmp_path / "note-screen.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"note-screen\.json: invalid"):
        load_validated(path, "note-screen.schema.json")


@pytest.fixture(scope="module")
def small_screen_reader() -> NoteReader:
    """The real rules with the small, hand-made screen above (flags are then predictable)."""
    concepts = copy.deepcopy(load_note_concepts())
    concepts["screen"] = _small_document()
    return NoteReader(concepts)


def test_a_prognosis_figure_the_rules_read_stands_over_the_screen(
    small_screen_reader: NoteReader,
) -> None:
    # The screen reads words, not numbers: with a figure read, its prognosis flag is dropped.
    text = "Snarfel; oncology: life expectancy about 2 years."
    assert small_screen_reader.summarize(text).prognosis_months == 24
    assert small_screen_reader.screened(text) == frozenset()
    assert small_screen_reader.screened("Snarfel, said the family.") == {"prognosis"}


def test_the_shipped_screen_flags_no_public_synthea_note() -> None:
    """Notes nobody here wrote (Synthea's): the screen must not turn them into warnings."""
    import base64

    from cds_service.note_text import attachment_text

    reader = default_note_reader()
    read = 0
    for path in sorted((ROOT / "fhir_fixtures" / "synthea").glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")).get("entry", []):
            resource = entry["resource"]
            if resource["resourceType"] != "DocumentReference":
                continue
            for content in resource.get("content", []):
                attachment = content["attachment"]
                if "data" in attachment:
                    text = attachment_text(
                        base64.b64decode(attachment["data"]), attachment["contentType"]
                    )
                    assert not reader.screened(text or ""), (path.name, resource["id"])
                    read += 1
    assert read >= 100


# --- the screen's flags as the criteria see them ------------------------------------------

AS_OF = dt.date(2026, 11, 21)


@pytest.fixture(scope="module")
def handler_with_small_screen(small_screen_reader: NoteReader) -> Any:
    from dataclasses import replace

    from cds_service.config import Settings
    from cds_service.hook_handler import HookHandler

    handler = HookHandler(replace(Settings(), as_of=AS_OF))
    handler.note_reader = small_screen_reader
    return handler


def _cards(handler: Any, bundle: dict[str, Any]) -> list[dict[str, Any]]:
    from cds_service.replay import request_from_bundle

    service = handler.services["itdd-order-sign"]
    request = request_from_bundle(bundle, "order-sign", service.prefetch)
    return list(handler.handle(service.id, request)["cards"])


@pytest.mark.parametrize(
    ("text", "base", "criterion"),
    [
        ("Phone call: the pump went zorblat overnight.", "refill-criteria-met.json", "empty-pump"),
        ("Wound check: quimble noted.", "implant-criteria-met.json", "active-infection"),
        ("Oncology: snarfel.", "implant-criteria-met.json", "life-expectancy"),
    ],
)
def test_a_screened_note_makes_its_criterion_verify_never_met(
    handler_with_small_screen: Any, text: str, base: str, criterion: str
) -> None:
    from cds_service.notes_eval import with_note
    from tests.conftest import load_fixture

    note = {"id": "screen", "format": "text", "text": text}
    cards = _cards(handler_with_small_screen, with_note(load_fixture(base), note, AS_OF))
    topics = {card["source"]["topic"]["code"] for card in cards}
    assert "criteria-met" not in topics and criterion in topics
    card = next(c for c in cards if c["source"]["topic"]["code"] == criterion)
    assert card["indicator"] == "warning"
    assert "verify" in card["summary"] and "note safety screen" in card["detail"]
    assert "DocumentReference/corpus-screen" in card["detail"]


def test_without_a_flag_the_same_record_is_met(handler_with_small_screen: Any) -> None:
    from cds_service.notes_eval import with_note
    from tests.conftest import load_fixture

    note = {"id": "screen", "format": "text", "text": "Phone call: all well overnight."}
    bundle = with_note(load_fixture("refill-criteria-met.json"), note, AS_OF)
    topics = {c["source"]["topic"]["code"] for c in _cards(handler_with_small_screen, bundle)}
    assert topics == {"criteria-met"}


def test_the_rules_reading_is_asked_for_only_when_a_prognosis_is_flagged(
    small_screen_reader: NoteReader,
) -> None:
    """Screening a note must not force its full reading (the cost the lazy NoteFact saves)."""
    calls: list[str] = []

    def read() -> Any:
        calls.append("read")
        return small_screen_reader.summarize("Snarfel.")

    assert small_screen_reader.screened("The pump went zorblat.", read) == {"empty-pump"}
    assert calls == []
    assert small_screen_reader.screened("Snarfel.", read) == {"prognosis"}
    assert calls == ["read"]
