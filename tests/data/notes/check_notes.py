"""Validate the note corpus in this folder: schema, unique ids/texts, split and balance checks.

Splits by round: ``train`` (tuned on), ``dev``, ``dev-r2`` to ``dev-r28``
(rounds 1 to 28 held out: each reported once, then tuned on) and ``test``
(round 29, the current held-out set, never tuned on).  A writing-style family lies wholly in
one split, so the held-out figures measure styles the reader was not built from.

Run:  .venv/bin/python tests/data/notes/check_notes.py   (exits non-zero on any problem)
"""

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from cds_service.cli import CORPUS_SPLITS

HERE = Path(__file__).resolve().parent
SPLITS = CORPUS_SPLITS  # the rounds notes-eval reports, in order


def main() -> int:
    schema = json.loads((HERE / "schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    problems = []
    rows: dict[str, list[dict[str, Any]]] = {}
    for split in SPLITS:
        rows[split] = []
        for n, line in enumerate((HERE / f"{split}.jsonl").read_text().splitlines(), 1):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{split}:{n}: bad JSON: {e}")
                continue
            for err in validator.iter_errors(rec):
                problems.append(f"{split}:{n} {rec.get('id')}: {err.json_path}: {err.message}")
            rows[split].append(rec)
    every = [r for split in SPLITS for r in rows[split]]
    for what, key in (("id", "id"), ("text", "text")):
        dup = [k for k, c in Counter(r[key] for r in every).items() if c > 1]
        if dup:
            problems.append(f"duplicate {what}s: {dup[:5]}")
    fam_splits: dict[str, set[str]] = {}
    for split, lst in rows.items():
        for r in lst:
            fam_splits.setdefault(r["style_family"], set()).add(split)
    mixed = [f for f, s in fam_splits.items() if len(s) > 1]
    if mixed:
        problems.append(f"style families present in more than one split: {mixed}")
    per_concept = Counter(r["concept"] for r in every)
    for c, k in per_concept.items():
        if k < 80:
            problems.append(f"concept {c} has only {k} notes")
    for c in per_concept:
        held_out = [r for r in rows["test"] if r["concept"] == c]
        if len(held_out) < 40:
            problems.append(f"concept {c} has only {len(held_out)} held-out test notes")
    for p in problems:
        print(p)
    print(
        f"{len(every)} records ("
        + ", ".join(f"{len(rows[split])} {split}" for split in SPLITS)
        + f"), "
        f"{len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
