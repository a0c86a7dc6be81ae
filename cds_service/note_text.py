"""Clinical-note text: attachment content (plain text or HTML) to readable text.

HTML is parsed by libxml2 (through lxml) in one linear pass with recovery on, no network
and no tree: a hostile attachment (unclosed tags, ``<![`` runs, deep nesting, huge
attributes) gives text or an empty string, never an exception or super-linear time.
Structural breaks (blocks, ``<br>``, list items, table rows and cells) become
``SEGMENT_BREAK`` so the note reader never lets one sentence run across them. A table row
of exactly two plain cells is a label and its value ("Prognosis | weeks", "Infection
screen | Negative"): it is written ``label CELL_PAIR value`` so the reader can read it as
one statement "label: value" — unless the label holds words that would reach into the
value ("Denies nausea | Pump alarm sounded"), which the reader, knowing its ConText cue
words, keeps apart. In a table whose first row names three or more columns (``<th>`` cells),
each plain body row of as many cells is one segment, a line per cell, "row label: value
(column)" ("+1 h: 5 (NRS)", "Pocket: pending (Culture)"): a cell means what its row and
column say, the row's cells stay together (a result beside its intervention), and a line's
"none" negates only its own line (the reader's line-bound rules). Any other row keeps each
cell apart.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re

from lxml import etree

MAX_NOTE_BYTES = 1_000_000
# U+2029 PARAGRAPH SEPARATOR: whitespace to every str method, and a hard sentence break to the
# note reader. Plain newlines are not breaks (plain-text notes wrap lines mid-sentence).
SEGMENT_BREAK = "\u2029"
# U+2028 LINE SEPARATOR (also whitespace to str methods): between the two cells of a
# label/value table row.
CELL_PAIR = "\u2028"
SKIPPED_TAGS = frozenset({"script", "style", "template"})
BOLD_TAGS = frozenset({"b", "strong"})
# A plain cell that reads as a column name: words, an optional unit or scale in parentheses
# ("Time", "Pain (0-10)", "VAS (mm)"), no value of its own.
# (a digit only inside a word, "SpO2", never a value of its own, "A 12"; a bare "#" is the
# row-number column of minutes and trackers)
COLUMN_NAME = re.compile(
    r"#|[A-Za-z](?:[A-Za-z /#%.&-]|(?<=[A-Za-z0-9])\d){0,29}(?:\s?\([^()]{1,12}\))?"
)
BREAK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip


class _TextTarget:
    """lxml parser target: collects text as the parser streams events, so no tree is built.

    A streamed target keeps memory and time linear and cannot recurse, however deep the
    nesting; skipped elements are tracked by depth because their end tags may be implied.
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._skip_depth = 0
        # Where the open table row's text starts in ``parts`` and how many cells it has
        # opened; None outside a row, or once the row is not a plain label/value pair.
        self._row_start: int | None = None
        self._row_cells = 0
        self._row_headers = 0
        self._cell_starts: list[int] = []  # where each cell of the open row starts in parts
        # The open table's column names (from a first row of <th> cells), else None.
        self._columns: list[str] | None = None
        self._table_rows = 0
        # Open <b>/<strong> elements, and whether the open row holds text outside them: a
        # first row of bold <td> cells names the columns as a row of <th> does.
        self._bold_depth = 0
        self._row_plain_text = False

    def start(self, tag: str | bytes, attrib: dict[str | bytes, str | bytes]) -> None:
        """Open an element: a break before blocks and cells, or start skipping script/style."""
        name = _name(tag)
        if self._skip_depth or name in SKIPPED_TAGS:
            self._skip_depth += 1
        elif name in BREAK_TAGS:
            self._break()
            self._open_row_part(name)
        elif name in BOLD_TAGS:
            self._bold_depth += 1

    def end(self, tag: str | bytes) -> None:
        """Close an element: a break after blocks and cells, so neighbours never run together."""
        if self._skip_depth:
            self._skip_depth -= 1
        elif (name := _name(tag)) in BREAK_TAGS:
            self._break()
            if name == "tr":
                self._close_row()
        elif name in BOLD_TAGS:
            self._bold_depth = max(0, self._bold_depth - 1)

    def data(self, data: str | bytes) -> None:
        """Text content, unless inside script, style or template."""
        if not self._skip_depth:
            text = data if isinstance(data, str) else data.decode("utf-8", "replace")
            if self._row_start is not None and not self._bold_depth and text.strip():
                self._row_plain_text = True
            self.parts.append(text)

    def comment(self, text: str | bytes) -> None:
        """Comments are markup, not note text (the parser drops them anyway)."""

    def close(self) -> str:
        """The text gathered so far (also called by us when the parser gives up)."""
        return "".join(self.parts)

    def _open_row_part(self, name: str) -> None:
        """Track a table row's cells; a nested row or table makes the row not a pair."""
        if name == "tr":
            self._row_start = None if self._row_start is not None else len(self.parts)
            self._row_cells = self._row_headers = 0
            self._cell_starts = []
            self._row_plain_text = False
        elif name in ("td", "th") and self._row_start is not None:
            self._row_cells += 1
            self._row_headers += name == "th"
            self._cell_starts.append(len(self.parts))
        elif name == "table":
            self._row_start = None
            self._columns = None
            self._table_rows = 0

    def _close_row(self) -> None:
        """Write a closed two-cell row as ``label CELL_PAIR value`` in one segment.

        Only rows whose two cells hold one piece of text each (a cell with its own blocks,
        a list or paragraphs, is not a plain value), that are not a row of column headers
        (two <th>), and whose first cell is a label, not a number: "2.6 | 0.0" under
        "Exp vol | Asp vol" is a record of two values.
        """
        start, self._row_start = self._row_start, None
        first_row = self._table_rows == 0
        self._table_rows += 1
        if start is None:
            self._columns = None  # a nested table: its rows and ours are not a grid
            return
        cells = self._cells()
        all_headers = (
            self._row_headers == self._row_cells
            or not self._row_plain_text
            or (cells is not None and all(COLUMN_NAME.fullmatch(c) for c in cells))
        )
        if first_row and self._row_cells >= 3 and all_headers:
            self._columns = cells  # None when a header cell holds blocks
            return
        if self._columns is not None and cells is not None and len(cells) == len(self._columns):
            self._write_grid_row(start, cells, self._columns)
            return
        if self._row_cells != 2 or self._row_headers == 2 or cells is None or "" in cells:
            return
        label, value = cells
        if not any(c.isalpha() for c in label):
            return
        self.parts[start:] = [label, CELL_PAIR, value, SEGMENT_BREAK]

    def _cells(self) -> list[str] | None:
        """The open row's cell texts, or None when a cell holds blocks (not a plain value)."""
        bounds = [*self._cell_starts, len(self.parts)]
        cells = []
        for begin, end in itertools.pairwise(bounds):
            pieces = [t.strip() for t in "".join(self.parts[begin:end]).split(SEGMENT_BREAK)]
            pieces = [t for t in pieces if t]
            if len(pieces) > 1:
                return None
            cells.append(pieces[0] if pieces else "")
        return cells

    def _write_grid_row(self, start: int, cells: list[str], columns: list[str]) -> None:
        self.parts[start:] = [grid_row_text(cells, columns), SEGMENT_BREAK]

    def _break(self) -> None:
        """One break between texts; runs of empty blocks (deep nesting) add no more."""
        if self.parts and self.parts[-1] != SEGMENT_BREAK:
            self.parts.append(SEGMENT_BREAK)


# A cell saying its column's thing is absent ("| alarm | ... | none |").
NONE_VALUE = re.compile(r"none|no|nil|neg|negative|absent|n", re.I)


def grid_row_text(cells: list[str], columns: list[str]) -> str:
    """A body row under named columns: "row label: value (column)", a line per cell; a cell
    saying "none" as "row label: no column" ("6/10: no alarm"), the way it is said."""
    # The corner header often names the scale or the row kind ("VAS (mm)", "Time").
    label = " ".join(t for t in (columns[0], cells[0]) if t)
    segments = [
        _cell_text(label, value, column)
        for column, value in zip(columns[1:], cells[1:], strict=True)
        if value
    ]
    return "\n".join(segments or [label])


def _cell_text(label: str, value: str, column: str) -> str:
    if NONE_VALUE.fullmatch(value):
        return f"{label}: no {column}" if label else f"no {column}"
    return f"{label}: {value} ({column})" if label else f"{column}: {value}"


# A plain-text table row: cells between pipes ("Pt | Dx | LE", "| 0 h | 8 |"); a markdown
# rule under its header ("|---|:--|") is skipped.
_PIPE_RULE = re.compile(r"[ \t]*\|?(?:[ \t]*:?-{2,}:?[ \t]*\|)+[ \t]*(?::?-{2,}:?[ \t]*)?")


def _pipe_cells(line: str) -> list[str] | None:
    """The cells of a pipe-table line, or None when it is no such row."""
    if line.count("|") < 2:
        return None
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [cell.strip() for cell in inner.split("|")]


def pipe_grids(text: str) -> str:
    """Plain text with each pipe table under named columns written as the HTML reader writes
    a grid: a segment per body row, a line per cell ("Pt D. Harrow: <6 mo (LE)").

    Trackers and planners are pasted into notes as pipe text ("Pt | Dx | LE | Next refill");
    read line by line, a value ("<6 mo") lies lines away from its column's name ("LE").
    A table counts only when its first row is three or more column names (no values) and
    the rows under it have as many cells; any other line is left as it is.
    """
    if text.count("|") < 4:
        return text
    lines = text.split("\n")
    out: list[str] = []
    at = 0
    while at < len(lines):
        columns = _pipe_cells(lines[at])
        end = at + 1
        if columns and len(columns) >= 3 and all(COLUMN_NAME.fullmatch(c) for c in columns):
            if end < len(lines) and _PIPE_RULE.fullmatch(lines[end]):
                end += 1
            rows = []
            while end < len(lines) and len(row := _pipe_cells(lines[end]) or []) == len(columns):
                rows.append(row)
                end += 1
            if rows:
                out.append(SEGMENT_BREAK.join(grid_row_text(r, columns) for r in rows))
                out.append(SEGMENT_BREAK)
                at = end
                continue
        out.append(lines[at])
        at += 1
    return "\n".join(out)


def _name(tag: str | bytes) -> str:
    """An element's lower-case name (lxml gives str; the stubs also allow bytes)."""
    return (tag if isinstance(tag, str) else tag.decode("utf-8", "replace")).lower()


def html_to_text(markup: str) -> str:
    """The text of an HTML fragment or document, with structural breaks as SEGMENT_BREAK.

    Fed as UTF-8 bytes with the encoding fixed, so an in-document ``<?xml encoding?>`` or
    ``<meta charset>`` cannot make lxml refuse or mis-decode it; entities are decoded once by
    libxml2 (the HTML parser loads no DTD and resolves no external entities). Whatever the
    parser could read before an error is kept: broken markup loses only what it garbles.
    """
    target = _TextTarget()
    parser = etree.HTMLParser(
        target=target,
        encoding="utf-8",
        recover=True,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        parser.feed(markup.encode("utf-8", errors="replace"))
        parser.close()
    except etree.LxmlError:
        return target.close()  # with recover=True libxml2 seldom gives up; keep what it read
    return target.close()


def attachment_text(content: bytes | str, content_type: str) -> str | None:
    """Readable text of an attachment's content, or None when it is not text we read.

    fhir.resources already base64-decodes ``Attachment.data`` into bytes; a str is
    still base64 (raw JSON that did not go through the model).
    """
    if isinstance(content, str):
        try:
            content = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            return None
    raw = content[:MAX_NOTE_BYTES]
    media = content_type.split(";")[0].strip().lower()
    if media not in ("text/plain", "text/html", ""):
        return None
    text = raw.decode("utf-8", errors="replace")
    return html_to_text(text) if media == "text/html" else pipe_grids(text)
