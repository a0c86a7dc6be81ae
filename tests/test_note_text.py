"""Attachment content to readable text: linear, crash-free HTML with structural breaks."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.note_text import (
    CELL_PAIR,
    SEGMENT_BREAK,
    attachment_text,
    html_to_text,
    pipe_grids,
)


def _segments(text: str) -> list[str]:
    return [s.strip() for s in text.split(SEGMENT_BREAK) if s.strip()]


def test_attachment_text_handles_bytes_base64_and_html() -> None:
    assert attachment_text(b"plain note", "text/plain") == "plain note"
    encoded = base64.b64encode(b"<p>favorable <b>candidate</b></p><script>x</script>").decode()
    html = attachment_text(encoded, "text/html; charset=utf-8")
    assert html is not None and html.strip() == "favorable candidate"
    assert attachment_text(b"%PDF-1.4", "application/pdf") is None


def test_plain_text_is_left_as_it_is() -> None:
    """Plain notes wrap lines mid-sentence: newlines must not become segment breaks."""
    assert attachment_text(b"Patient denies\npump alarm.", "text/plain") == (
        "Patient denies\npump alarm."
    )


def test_table_cells_list_items_and_blocks_become_separate_segments() -> None:
    markup = (
        "<h2>Review</h2><table><tr><th>Denies</th><td>pump alarm</td></tr>"
        "<tr><td>nausea</td></tr></table><ul><li>one<li>two</ul>x<br>y<p>last</p>"
    )
    assert _segments(html_to_text(markup)) == [
        "Review",
        f"Denies{CELL_PAIR}pump alarm",  # a label/value row: the reader decides (clinical_nlp)
        "nausea",
        "one",
        "two",
        "x",
        "y",
        "last",
    ]


@pytest.mark.parametrize(
    "row, expected",
    [
        ("<tr><td>Prognosis</td><td>weeks</td></tr>", [f"Prognosis{CELL_PAIR}weeks"]),
        (
            "<tr><th>Alarm</th><td colspan=2>ERI (battery)</td></tr>",
            [f"Alarm{CELL_PAIR}ERI (battery)"],
        ),
        ("<tr><td>A</td><td>B</td><td>C</td></tr>", ["A", "B", "C"]),
        ("<tr><td>Plan</td><td><p>one</p><p>two</p></td></tr>", ["Plan", "one", "two"]),
        ("<tr><td>Only</td></tr>", ["Only"]),
        (
            "<tr><th>Exp</th><th>Asp</th></tr><tr><td>2.6</td><td>0.0</td></tr>",
            ["Exp", "Asp", "2.6", "0.0"],
        ),
        (
            "<tr><td>Outer<table><tr><td>k</td><td>v</td></tr></table></td><td>w</td></tr>",
            ["Outer", f"k{CELL_PAIR}v", "w"],
        ),
    ],
)
def test_a_two_cell_row_is_a_label_value_pair_and_other_rows_keep_cells_apart(
    row: str, expected: list[str]
) -> None:
    assert _segments(html_to_text(f"<table>{row}</table>")) == expected


def test_inline_markup_stays_within_a_segment() -> None:
    assert _segments(html_to_text("<p>No <b>pump</b> <i>alarm</i> today</p>")) == [
        "No pump alarm today"
    ]


def test_script_style_and_comments_are_dropped_and_entities_decoded_once() -> None:
    markup = (
        "<style>p{}</style><script>var a = '<p>pump alarm</p>';</script>"
        "<!-- pump alarm --><p>a &amp;lt; b&nbsp;c</p><template><p>hidden</p></template>"
    )
    assert _segments(html_to_text(markup)) == ["a &lt; b\xa0c"]


def test_declared_encodings_do_not_change_the_utf8_reading() -> None:
    markup = '<?xml version="1.0" encoding="latin-1"?><meta charset="koi8-r"><p>café</p>'
    assert _segments(html_to_text(markup)) == ["café"]


@pytest.mark.parametrize(
    "markup",
    [
        "<![<![",
        "<![" * 40_000,
        "<a " * 40_000,
        "<" * 100_000,
        "&#" * 50_000,
        "<!--" + "pump alarm " * 5_000,
        "</p></div></td>" * 10_000,
        "<p " + 'a="b" ' * 20_000 + ">x</p>",
        "\x00<p>\x01\x0b</p>\udcff",
        "",
    ],
    ids=lambda m: repr(m[:12]),
)
def test_malformed_html_gives_text_not_an_exception(markup: str) -> None:
    assert isinstance(html_to_text(markup), str)
    assert isinstance(attachment_text(markup.encode("utf-8", "replace"), "text/html"), str)


def test_deep_nesting_keeps_the_text_after_it() -> None:
    """A streamed parse cannot recurse: 20,000 open elements neither crash nor lose text."""
    markup = "<div>" * 20_000 + "pump alarm" + "</div>" * 20_000 + "after"
    assert _segments(html_to_text(markup)) == ["pump alarm", "after"]


def test_a_huge_attribute_is_not_text() -> None:
    assert _segments(html_to_text('<p title="' + "x" * 100_000 + '">pump alarm</p>')) == [
        "pump alarm"
    ]


def test_output_never_grows_beyond_the_markup() -> None:
    """Linear output: at most one break per tag, so text never exceeds the markup's length."""
    for markup in ("<td>" * 30_000, "<br>" * 30_000, "<p>a</p>" * 10_000):
        assert len(html_to_text(markup)) <= len(markup)


HTML_PIECES = st.sampled_from(
    [
        "<", ">", "</", "/>", "<![", "<![CDATA[", "]]>", "<!--", "-->", "<!DOCTYPE", "<?", "?>",
        "&", "&#", "&#x", ";", "&amp;", "&nbsp;", "<a ", "<p>", "</p>", "<td>", "<tr>", "<li>",
        "<br>", "<script>", "</script>", "<style>", "<table>", '"', "'", "=", " ", "\n",
        "\x00", "é", "\u2029", "pump alarm", "no ", "favorable candidate", "x",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(HTML_PIECES, max_size=60).map("".join))
def test_any_html_ish_string_gives_text(markup: str) -> None:
    assert isinstance(html_to_text(markup), str)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_string_gives_text(markup: str) -> None:
    assert isinstance(html_to_text(markup), str)


def test_a_row_under_three_or_more_named_columns_is_read_cell_by_cell_in_one_segment() -> None:
    """Each cell is "row label: value (column)" on its own line; the row stays one segment, so
    a result stays beside its intervention and a cell's "none" stays on its own line."""
    markup = (
        "<table><thead><tr><th>Time</th><th>NRS</th><th>Notes</th></tr></thead><tbody>"
        "<tr><td>Pre</td><td>8</td><td>Baseline</td></tr>"
        "<tr><td>+1 h</td><td>5</td><td></td></tr></tbody></table>"
    )
    segments = [s for s in html_to_text(markup).split(SEGMENT_BREAK) if s]
    assert segments == [
        "Time",
        "NRS",
        "Notes",
        "Time Pre: 8 (NRS)\nTime Pre: Baseline (Notes)",
        "Time +1 h: 5 (NRS)",
    ]


def test_a_first_row_of_plain_column_names_names_the_columns() -> None:
    """A nursing flow sheet often heads its columns with plain <td> names ("Pain (0-10)")."""
    markup = (
        "<table><tr><td>Time</td><td>Pain (0-10)</td><td>RR</td></tr>"
        "<tr><td>Pre</td><td>7.5</td><td>16</td></tr></table>"
    )
    assert "Time Pre: 7.5 (Pain (0-10))" in html_to_text(markup)


def test_a_first_row_of_bold_cells_names_the_columns() -> None:
    """EHR worksheets often head a table with bold <td> cells, not <th>."""
    markup = (
        "<table><tr><td><b>Element</b></td><td><strong>Documentation</strong></td>"
        "<td><b>Met?</b></td></tr><tr><td>Psych evaluation</td>"
        "<td>Done 1/9/24 - no contraindication</td><td>Y</td></tr></table>"
    )
    assert "Element Psych evaluation: Done 1/9/24 - no contraindication (Documentation)" in (
        html_to_text(markup)
    )


@pytest.mark.parametrize(
    "markup",
    [
        # a first row with a plain value beside bold text is a body row
        "<table><tr><td><b>A</b> 12</td><td><b>B</b></td><td><b>C</b></td></tr>"
        "<tr><td>x</td><td>y</td><td>z</td></tr></table>",
        # ... and so is one whose cells hold values, not names
        "<table><tr><td>Pre</td><td>7.5</td><td>16</td></tr>"
        "<tr><td>x</td><td>y</td><td>z</td></tr></table>",
        # two named columns: the label/value rows below keep their CELL_PAIR reading
        "<table><tr><th>Date</th><th>Event</th></tr><tr><td>2021</td><td>abscess</td></tr></table>",
        # a row with a different number of cells, or a cell holding blocks, is not a grid row
        "<table><tr><th>A</th><th>B</th><th>C</th></tr><tr><td>x</td><td>y</td></tr></table>",
        "<table><tr><th>A</th><th>B</th><th>C</th></tr>"
        "<tr><td>x</td><td><p>y</p><p>z</p></td><td>w</td></tr></table>",
    ],
)
def test_other_tables_are_not_read_as_grids(markup: str) -> None:
    assert "):" not in html_to_text(markup) and " (B)" not in html_to_text(markup)


def test_a_plain_pipe_table_under_named_columns_is_read_as_a_grid() -> None:
    """A pasted tracker: each body row one segment, each cell beside its column's name."""
    text = (
        "Refill planner (pasted):\n"
        "Pt | Dx | LE | Next refill\n"
        "D. Harrow | CRC liver mets | <6 mo | 03/05\n"
        "P. Ince | FBSS | | 11/05\n"
        "(this note: D. Harrow)"
    )
    segments = [s.strip() for s in pipe_grids(text).split(SEGMENT_BREAK) if s.strip()]
    assert segments == [
        "Refill planner (pasted):\nPt D. Harrow: CRC liver mets (Dx)\nPt D. Harrow: <6 mo (LE)\n"
        "Pt D. Harrow: 03/05 (Next refill)",
        "Pt P. Ince: FBSS (Dx)\nPt P. Ince: 11/05 (Next refill)",
        "(this note: D. Harrow)",
    ]
    assert attachment_text(text.encode(), "text/plain") == pipe_grids(text)


def test_a_grid_cell_saying_none_reads_as_no_such_thing() -> None:
    """ "| 6/10 | 3.0 mL | none |" under "alarm": the row says there was no alarm."""
    text = "| date | asp | alarm |\n| 6/10 | 3.2 mL | none |\n"
    assert "date 6/10: no alarm" in pipe_grids(text)
    assert "date 6/10: 3.2 mL (asp)" in pipe_grids(text)


def test_a_row_number_column_counts_as_a_column_name() -> None:
    text = "| # | Pt | Psych |\n| 1 | 4471 | favorable |\n"
    assert "# 1: favorable (Psych)" in pipe_grids(text)


def test_a_markdown_rule_under_the_header_is_skipped() -> None:
    text = "| Time | NRS | Note |\n|---|:--:|---|\n| 0 h | 8 | bolus |\n"
    assert "Time 0 h: 8 (NRS)\nTime 0 h: bolus (Note)" in pipe_grids(text)


@pytest.mark.parametrize(
    "text",
    [
        "Pain 8 | 3 | 2 after the bolus",  # no header of names: values
        "Time | NRS | Note\n0 h | 8\n",  # a row of fewer cells
        "A | B\n1 | 2\n",  # two columns: label/value pairs are the HTML reader's only
        "a | b | c",  # a header without rows
    ],
)
def test_other_pipe_text_is_left_as_it_is(text: str) -> None:
    assert pipe_grids(text) == text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["|", " ", "\n", "Pt", "LE", "8", "-", "---", "x"]), max_size=80))
def test_pipe_grids_never_lose_a_cell(pieces: list[str]) -> None:
    text = "".join(pieces)
    out = pipe_grids(text)
    assert isinstance(out, str)
    words = [w for w in text.replace("|", " ").split() if w.strip("-")]
    for word in words:
        assert word in out


def test_a_question_cell_and_its_one_word_answer_read_as_one_statement() -> None:
    from cds_service.clinical_nlp import default_note_reader

    reader = default_note_reader()
    html = (
        "<table><tr><td>Any alarm?</td><td>No</td></tr>"
        "<tr><td>Next refill</td><td>06/28</td></tr></table>"
    )
    summary = reader.summarize(attachment_text(html.encode(), "text/html") or "")
    assert not summary.has("EMPTY_PUMP") and not summary.unsure("EMPTY_PUMP")
