"""Validate the note corpus in this folder: schema, unique ids/texts, split and balance checks.

Run:  .venv/bin/python tests/data/notes/check_notes.py   (exits non-zero on any problem)
"""

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

HERE = Path(__file__).resolve().parent


def main() -> int:
    schema = json.loads((HERE / "schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    problems = []
    rows: dict[str, list[dict[str, Any]]] = {}
    for split in ("train", "test"):
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
    every = rows["train"] + rows["test"]
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
        problems.append(f"style families present in both splits: {mixed}")
    per_concept = Counter(r["concept"] for r in every)
    for c, k in per_concept.items():
        if k < 80:
            problems.append(f"concept {c} has only {k} notes")
    share = len(rows["train"]) / len(every)
    if not 0.5 <= share <= 0.6:
        problems.append(f"train share {share:.2f} outside 0.50-0.60")
    for p in problems:
        print(p)
    print(
        f"{len(every)} records ({len(rows['train'])} train, {len(rows['test'])} test), "
        f"{len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
