"""Where a ConText modifier's reach ends, beyond what medspaCy's rules can say.

medspaCy scopes a modifier to its sentence (and to the terminators its rule names). A
parenthesis is an aside, and a negation inside one denies something in the aside, not
what the sentence goes on to say: "UC callback: BCx (pt declined ED transfer) now + GPC
2/2" does not negate the culture. So a negation cue inside a parenthesis is dropped for a
target after that parenthesis. Other cues in an aside do reach out, because asides are
how notes label what surrounds them: "(carried forward) not suitable", "Her father (pt's
husband) went on hospice", "UTI treated (resolved)". A cue outside still reaches into an
aside ("no fever (or chills)").

A negation inside a contraindication's own matched phrase is what the phrase states ("Refill
was due 06/05, not done" is a missed refill, not a denied one), so it is dropped too; only
for the contraindication categories, where reading the phrase as asserted is the safe side.

A grid's cell is read by itself. The table readers write each body cell as a line "row
label: value (column)"; a target that is the column's name ("~4 mo (LE)": the estimate is
named by its column) takes no negation, doubt, hypothesis or history from another cell of
the row ("NOT listed (Decision)") or from the row's label ("Pt 67M (IT pump, hx vertebral
fx)"), only from its own value ("not estimated (LE)"). Someone else named in the label
("Pt's wife: ...") still reaches it.
"""

from __future__ import annotations

import re
from typing import Any

# The flags an aside cannot pass on to what follows it, by ConText category.
FLAG_OF_CATEGORY = {"NEGATED_EXISTENCE": "negated"}
# The categories whose phrases may hold their own negation word ("not done", "not refilled").
OWN_NEGATION_CATEGORIES = frozenset(
    {"EMPTY_PUMP", "MISSED_REFILL", "SITE_INFECTION", "CNS_INFECTION", "SYSTEMIC_INFECTION"}
)
# The flags a row's other cells and its label cannot pass on to a column-name target.
CELL_FLAG_OF_CATEGORY = {
    "NEGATED_EXISTENCE": "negated",
    "POSSIBLE_EXISTENCE": "uncertain",
    "HYPOTHETICAL": "hypothetical",
    "HISTORICAL": "historical",
}
# A column's name closing a cell's line ("(LE)", "(Life expectancy)").
COLUMN_TARGET = re.compile(r"\([^()\n]{1,30}\)[ \t]*$")
# Longer "parentheses" are not asides but runaway or unbalanced brackets.
MAX_ASIDE_CHARS = 200


def asides(text: str) -> list[tuple[int, int]]:
    """The (open, close) offsets of each balanced parenthesis pair, innermost included."""
    pairs: list[tuple[int, int]] = []
    opened: list[int] = []
    for at, char in enumerate(text):
        if char == "(":
            opened.append(at)
        elif char == ")" and opened:
            start = opened.pop()
            if at - start <= MAX_ASIDE_CHARS:
                pairs.append((start, at))
    return pairs


def _shut_in(modifier_at: int, target_at: int, pairs: list[tuple[int, int]]) -> bool:
    """True when the modifier sits in an aside that closes before the target."""
    return any(start < modifier_at < end < target_at for start, end in pairs)


def dropped_flags(doc: Any) -> dict[int, set[str]]:
    """Per target (by start character), the flags whose every modifier is shut in an aside.

    A flag is dropped only when no modifier outside an aside also sets it, so this can
    only narrow what ConText found, and only for negations written inside parentheses.
    """
    pairs = asides(doc.text)
    reaching: dict[int, dict[str, bool]] = {}
    for target, modifier in doc._.context_graph.edges:
        modifier_at = doc[modifier.modifier_span[0]].idx
        cell = _column_cell(doc.text, target.start_char, target.end_char)
        if cell is not None and modifier.category in CELL_FLAG_OF_CATEGORY:
            flag = CELL_FLAG_OF_CATEGORY[modifier.category]
            shut = not cell[0] <= modifier_at < cell[1]
        else:
            aside_flag = FLAG_OF_CATEGORY.get(modifier.category)
            if aside_flag is None:
                continue
            flag = aside_flag
            own = target.label_ in OWN_NEGATION_CATEGORIES and (
                target.start_char < modifier_at < target.end_char
            )
            shut = own or _shut_in(modifier_at, target.start_char, pairs)
        flags = reaching.setdefault(target.start_char, {})
        flags[flag] = flags.get(flag, True) and shut
    return {
        start: {flag for flag, shut in flags.items() if shut}
        for start, flags in reaching.items()
        if any(flags.values())
    }


def _column_cell(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The (start, end) of the value of the grid cell whose column name is the target at
    ``start``-``end``, or None when the target is no column name closing a "label: value"
    line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if not COLUMN_TARGET.match(text, start, line_end):
        return None
    colon = text.find(": ", line_start, start)
    return None if colon < 0 else (colon + 2, end)
