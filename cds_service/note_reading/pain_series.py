"""A trial's pain scores as a column of a flowsheet.

Trial nurses chart the response as a table: a time per row, a pain column among vital
signs ("| 0800 pre | 6.5 | 16 | 96 |", or an HTML table, which the note text turns into
rows such as "Time 1000: 4 (NRS)"). The sentence reader reads scores written in prose and
in rows of their own; a column has no words beside its numbers, so it is read here: the
scores of the one column headed by a pain scale (NRS, VAS, EVA, EN, pain), in row order.
The score before is the row marked pre-dose or baseline (else the first row), the score
after is the lowest of the rows below it (the peak effect, as a timeline is read). VAS in
millimetres is read on the 0-10 scale. Only a note that names a drug-delivery trial is
read this way, and a series needs three scores at least; not a note that says its trial was
postponed, cancelled, held or not done.
"""

from __future__ import annotations

import re

SCALE = (
    r"(?:NRS|NPRS|VAS|EVA|EN|ENS|pain(?:\s+(?:score|NRS|NPRS|VAS))?|score\s+de\s+douleur|douleur)"
    r"(?:\s*\(?\s*(?:mm|/10|0-10)\s*\)?)?"
)
SCALE_CELL = re.compile(rf"^\s*{SCALE}\s*$", re.I)
# "Time 1000: 4 (NRS)": a table row the note text wrote out, value then column
GRID_ROW = re.compile(
    rf"^(?P<label>[^\n]{{0,40}}?):\s*(?P<value>\d{{1,3}}(?:\.\d{{1,2}})?)\s*\(\s*(?P<column>{SCALE})\s*\)\s*$",
    re.I | re.M,
)
NUMBER_CELL = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,2})?)\s*$")
BASELINE = re.compile(
    r"\b(?:pre|pre-?(?:dose|injection|trial|test|bolus)|baseline|T\s*0|H\s*0|0\s*h)\b", re.I
)
TRIAL_CUE = re.compile(
    r"\b(?:intrathecal|intra-thecal|IT|ITT|ITDD|test\s+dose|bolus|trial|morphine|hydromorphone|"
    r"ziconotide|fentanyl|bupivacaine|sufentanil)\b",
    re.I,
)
NOT_DRUG_TRIAL = re.compile(
    r"\b(?:SCS|spinal\s+cord\s+stim\w*|stimulator|ESI|epidural\s+steroid|medial\s+branch|MBB|RFA|"
    r"radiofrequency|facet|SI[- ]joint|trigger[- ]point|ketamine|blood\s+patch|nerve\s+block)\b",
    re.I,
)
# The note's trial did not happen (yet): a column of scores is then of something else (an IV
# PCA after grafting, a ward's routine scores).
TRIAL_NOT_DONE = re.compile(
    r"\b(?:trial|test\s+dose|bolus)\s+(?:was\s+|is\s+|has\s+been\s+)?(?:postponed|cancel+ed|deferred|"
    r"held|on\s+hold|aborted|not\s+(?:yet\s+)?(?:done|performed|given))\b",
    re.I,
)
MIN_SCORES = 3


def series_response(text: str) -> tuple[float, float] | None:
    """(before, after) on the 0-10 scale from a flowsheet's pain column, or None."""
    if not TRIAL_CUE.search(text) or NOT_DRUG_TRIAL.search(text) or TRIAL_NOT_DONE.search(text):
        return None
    rows = _grid_rows(text) or _pipe_rows(text)
    if len(rows) < MIN_SCORES:
        return None
    start = next((i for i, (label, _) in enumerate(rows) if BASELINE.search(label)), 0)
    later = [value for _, value in rows[start + 1 :]]
    if not later:
        return None
    values = [value for _, value in rows]
    scale = 10.0 if max(values) > 10 and max(values) <= 100 else 1.0
    if max(values) > 100:
        return None
    return rows[start][1] / scale, min(later) / scale


def _grid_rows(text: str) -> list[tuple[str, float]]:
    """The rows of the one pain column written out as "label: value (column)"."""
    found = list(GRID_ROW.finditer(text))
    columns = {m.group("column").lower() for m in found}
    if len(columns) != 1:
        return []
    return [(m.group("label"), float(m.group("value"))) for m in found]


def _pipe_rows(text: str) -> list[tuple[str, float]]:
    """The rows of a plain-text pipe table under a header with one pain-scale cell."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        cells = _cells(line)
        columns = [i for i, cell in enumerate(cells) if SCALE_CELL.match(cell)]
        if len(cells) < 2 or len(columns) != 1:
            continue
        column = columns[0]
        rows: list[tuple[str, float]] = []
        for row in lines[index + 1 :]:
            row_cells = _cells(row)
            if not row_cells:
                if rows:
                    continue  # a blank line inside the table
                break
            if len(row_cells) != len(cells):
                break
            value = NUMBER_CELL.match(row_cells[column])
            if value is None:
                break
            label = " ".join(c for i, c in enumerate(row_cells) if i != column)
            rows.append((label, float(value.group(1))))
        return rows
    return []


def _cells(line: str) -> list[str]:
    if "|" not in line:
        return []
    return [cell.strip() for cell in line.strip().strip("|").split("|")]
