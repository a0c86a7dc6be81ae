"""Worst-case clinical notes: how long attachment_text + NoteReader.summarize take on each.

Standalone; prints one line per adversarial input with its wall time (and, when the reader
reports it, whether the note was fully read). Every case runs in its own forked child so a
slow case is stopped at ``--timeout`` seconds and reported as "> T s" instead of stalling
the run; the note reader is built once in the parent before forking.

Usage: .venv/bin/python bench/notes_worst_case.py [--timeout 120] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cds_service.clinical_nlp import (  # noqa: E402
    NoteReader,
    default_note_reader,
    load_note_concepts,
)
from cds_service.note_text import attachment_text  # noqa: E402

SIZE = 100_000
CONCEPTS = load_note_concepts()
LITERALS = [lit for t in CONCEPTS["targets"] for lit in t["literals"]]
NEGATIONS = ["no", "denies", "not", "without", "negative for", "ruled out", "free of"]
ORDINARY = (
    "Psychology evaluation for intrathecal pump candidacy. Patient reports chronic low back "
    "pain for 12 years, baseline pain 8/10. Denies suicidal ideation. No psychological "
    "contraindications; cleared for implantation. Impression: favorable candidate. "
    "Trial produced 60% pain relief. At 6 hours after the bolus pain was 3/10.\n"
)


def _fill(unit: str, size: int = SIZE) -> str:
    """Repeat ``unit`` until the text is ``size`` characters long."""
    return (unit * (size // len(unit) + 1))[:size]


def _dense(separator: str, size: int = SIZE) -> str:
    """Every target literal in turn, joined by ``separator``: the most matches per character."""
    return _fill(separator.join(LITERALS) + separator, size)


def _dense_negation(separator: str, size: int = SIZE) -> str:
    """Target literals each preceded by a negation cue: as many ConText modifiers as targets."""
    pairs = [f"{NEGATIONS[i % len(NEGATIONS)]} {lit}" for i, lit in enumerate(LITERALS)]
    return _fill(separator.join(pairs) + separator, size)


def _html(markup: str) -> tuple[bytes, str]:
    return markup.encode(), "text/html"


def _plain(text: str) -> tuple[bytes, str]:
    return text.encode(), "text/plain"


CASES: dict[str, Callable[[], tuple[bytes, str]]] = {
    "ordinary note (0.4 KB)": lambda: _plain(ORDINARY),
    "ordinary note x250 (100 KB)": lambda: _plain(_fill(ORDINARY)),
    "dense targets, no sentence breaks": lambda: _plain(_dense(" ")),
    "dense targets, sentence breaks": lambda: _plain(_dense(". ")),
    "dense negation cues, no breaks": lambda: _plain(_dense_negation(" ")),
    "dense negation cues, breaks": lambda: _plain(_dense_negation(". ")),
    "dense negation cues, no breaks, 340 KB": lambda: _plain(_dense_negation(" ", 340_000)),
    "pain scores 9/10 repeated": lambda: _plain(_fill("baseline 9/10 after 3/10 ")),
    "worst within the caps: 32 'if' + 1 phrase per 1 KB sentence": lambda: _plain(
        _fill(("if " * 32 + "word " * 170)[:980] + " pump alarm. ")
    ),
    "html: '<a ' repeated": lambda: _html(_fill("<a ")),
    "html: '<![<![' repeated": lambda: _html(_fill("<![")),
    "html: '<![<![' alone": lambda: _html("<![<!["),
    "html: 20k nested <div>": lambda: _html("<div>" * 20_000 + "pump alarm" + "</div>" * 20_000),
    "html: one 100 KB attribute": lambda: _html('<p title="' + "x" * SIZE + '">pump alarm</p>'),
    "html: unclosed comment": lambda: _html("<!--" + _fill("pump alarm ")),
    "html: '<' repeated": lambda: _html(_fill("<")),
    "html: '&#' repeated": lambda: _html(_fill("&#")),
    "html: dense table cells": lambda: _html(
        "<table>" + _fill("<tr><td>no </td><td>pump alarm </td><td>favorable candidate </td></tr>")
    ),
    "html: dense list items": lambda: _html("<ul>" + _fill("<li>denies nausea pump alarm ")),
}


def _run_case(name: str, reader: NoteReader, queue: mp.Queue) -> None:
    """In the child: build the input, read it, send back the time and the completeness flag."""
    content, media = CASES[name]()
    started = time.perf_counter()
    try:
        text = attachment_text(content, media) or ""
        summary = reader.summarize(text)
        outcome = f"complete={getattr(summary, 'complete', '?')}"
    except Exception as error:  # noqa: BLE001 - the bench reports any failure as a result
        outcome = f"raised {type(error).__name__}"
    queue.put((time.perf_counter() - started, outcome))


def _measure(name: str, reader: NoteReader, timeout: float) -> str:
    """One case in a forked child, stopped after ``timeout`` seconds."""
    context = mp.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_run_case, args=(name, reader, queue))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return f"> {timeout:g} s"
    if queue.empty():
        return f"child exited with {child.exitcode}"
    elapsed, outcome = queue.get()
    return f"{elapsed:9.3f} s  {outcome}"


def main() -> None:
    """Print the time of every selected case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--only", nargs="*", help="case names (substring match)")
    args = parser.parse_args()
    reader = default_note_reader()
    reader.summarize(ORDINARY)  # warm up the pipeline before forking
    names = [n for n in CASES if not args.only or any(o in n for o in args.only)]
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name:<{width}}  {_measure(name, reader, args.timeout)}", flush=True)


if __name__ == "__main__":
    main()
