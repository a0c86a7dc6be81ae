"""Build cds_service/data/note-screen.json: the safety screen's models (note_reading/screen.py).

Run: python tools/note-screen/build.py   (needs scikit-learn, in the ``test`` extra).

Trains one logistic regression per screened concept on every corpus split except
``test``: a concept's own notes carry their labels, and every other concept's notes are
negatives for it (without them the model, having seen only pump notes, flags one psych or
trial note in four as a possible empty pump). Features are note_reading.screen.features
(handed to scikit-learn as its analyzer), weighted by TF-IDF with sublinear term frequency
and an L2 norm, which is what the scorer recomputes.

The thresholds were chosen by a round-by-round simulation of blind use
(tools/note-screen/simulate.py): for each round, a model trained only on the rounds before
it, flags combined with the rules as they stood when that round arrived; each threshold is
the highest of 0.3, 0.4, 0.5 and 0.6 with the fewest positive notes missed. First (before
round 23 was read) on rounds 18 to 22; again in session 11, before round 28 was read, on
rounds 18 to 24, 26 and 27 (2,250 notes; round 25 was written as tuning data): prognosis
0.4 (6 of the rules' 17 misses left, for 14 more false alarms), empty pump 0.5 (2 of 10
left; 0.6 left 3), infection 0.4 (none of 3 left).
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from cds_service.cli import CORPUS_SPLITS  # noqa: E402
from cds_service.note_reading.screen import SCREENED_CONCEPTS, features  # noqa: E402
from cds_service.notes_eval import expected, load_corpus, note_text  # noqa: E402

OUT = ROOT / "cds_service" / "data" / "note-screen.json"
CORPUS = ROOT / "tests" / "data" / "notes"
MIN_DF = 5
C = 10.0
THRESHOLDS = {"prognosis": 0.4, "empty-pump": 0.5, "infection": 0.4}
SIGNIFICANT = 4


def training_notes() -> dict[str, list[dict]]:
    return {
        split: load_corpus(CORPUS / f"{split}.jsonl") for split in CORPUS_SPLITS if split != "test"
    }


def fit(notes: list[dict]) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=features, min_df=MIN_DF, sublinear_tf=True)
    matrix = vectorizer.fit_transform([note_text(n) for n in notes])
    names = vectorizer.get_feature_names_out().tolist()
    models = {}
    for concept in SCREENED_CONCEPTS:
        labels = [n["concept"] == concept and expected(n) for n in notes]
        model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
        model.fit(matrix, labels)
        models[concept] = {
            "intercept": round_(float(model.intercept_[0])),
            "threshold": THRESHOLDS[concept],
            "coef": [round_(float(x)) for x in model.coef_[0]],
        }
    return {
        "features": names,
        "idf": [round_(float(x)) for x in vectorizer.idf_],
        "models": models,
    }


def round_(x: float) -> float:
    return float(f"{x:.{SIGNIFICANT}g}")


def main() -> None:
    splits = training_notes()
    notes = [n for split in splits.values() for n in split]
    document = {
        "about": (
            "Built by tools/note-screen/build.py from tests/data/notes (all splits but test); "
            "do not edit by hand."
        ),
        "trainedOn": {split: len(found) for split, found in splits.items()},
        **fit(notes),
    }
    OUT.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{OUT.name}: {len(document['features'])} features from {len(notes)} notes")


if __name__ == "__main__":
    main()
