"""Simulate blind use of the safety screen, round by round, to choose its thresholds.

Run: python tools/note-screen/simulate.py 18=fbfb388 19=d4b3df6 20=db13b4b 21=b6fdbf7 22=f00aee6

Each ``ROUND=COMMIT`` names a corpus round and the commit at which it was measured blind.
For each round the rules of that commit read the round (from a temporary git worktree, in a
subprocess), a screen is trained on the rounds before it only (by build.py's own fit,
scored by the service's scorer), and the two are combined as the hook combines
them: a note is flagged when the rules flag it or the screen's probability reaches the
threshold. Printed per concept and threshold: misses and false alarms summed over the
rounds, and how often the screen flags notes of the other concepts. Needs scikit-learn.
"""

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from cds_service.cli import CORPUS_SPLITS  # noqa: E402
from cds_service.note_reading.screen import SCREENED_CONCEPTS, NoteScreen  # noqa: E402
from cds_service.notes_eval import expected, load_corpus, note_text  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "notes"
THRESHOLDS = (0.3, 0.4, 0.5, 0.6)
READ_ROUND = """
import json, sys
from pathlib import Path
from cds_service.clinical_nlp import default_note_reader
from cds_service.notes_eval import load_corpus, predicted
reader = default_note_reader()
print(json.dumps({n["id"]: predicted(reader, n) for n in load_corpus(Path(sys.argv[1]))}))
"""


def split_of(round_number: int) -> str:
    name = f"dev-r{round_number}"
    return name if name in CORPUS_SPLITS else "test"


def blind_rules(round_number: int, commit: str) -> dict[str, bool]:
    """The rules of ``commit`` on the round's notes (one worktree, removed afterwards)."""
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), commit],
            check=True,
        )
        try:
            out = subprocess.run(
                [sys.executable, "-c", READ_ROUND, str(CORPUS / f"{split_of(round_number)}.jsonl")],
                env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                cwd=tree,  # "-c" puts the working folder first on sys.path
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True
            )
    return dict(json.loads(out))


def _build_module() -> ModuleType:
    """build.py beside this file: the screen is trained here exactly as it is shipped."""
    path = Path(__file__).with_name("build.py")
    spec = importlib.util.spec_from_file_location("build_screen", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(arguments: list[str]) -> None:
    build = _build_module()
    rounds = dict(arg.split("=", 1) for arg in arguments)
    corpus = {split: load_corpus(CORPUS / f"{split}.jsonl") for split in CORPUS_SPLITS}
    totals = {(c, t): [0, 0, 0] for c in SCREENED_CONCEPTS for t in ("rules", *THRESHOLDS)}
    for number, commit in sorted(rounds.items(), key=lambda kv: int(kv[0])):
        rules = blind_rules(int(number), commit)
        split = split_of(int(number))
        before = [n for s in CORPUS_SPLITS[: CORPUS_SPLITS.index(split)] for n in corpus[s]]
        # trained on the rounds before this one only, scored by the service's own scorer
        screen = NoteScreen(build.fit(before))
        scores = [screen.probabilities(note_text(n)) for n in corpus[split]]
        for concept in SCREENED_CONCEPTS:
            for note, score in zip(corpus[split], scores, strict=True):
                p = score[concept]
                for threshold in ("rules", *THRESHOLDS):
                    tally = totals[(concept, threshold)]
                    if note["concept"] != concept:
                        tally[2] += threshold != "rules" and p >= threshold
                        continue
                    flag = rules[note["id"]] or (threshold != "rules" and p >= threshold)
                    truth = expected(note)
                    tally[0] += truth and not flag
                    tally[1] += flag and not truth
    for (concept, threshold), (misses, alarms, other) in totals.items():
        print(
            f"{concept:10} {threshold!s:5}  misses {misses:3}  false alarms {alarms:3}"
            f"  other concepts' notes flagged {other:3}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
