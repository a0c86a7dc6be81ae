"""The conclusion of a psychological evaluation, from what a note asserts.

The target categories come from ``data/note-concepts/psych.json``:

- ``FAVORABLE_CANDIDATE``: the patient is cleared (from a psychological standpoint, by
  psychology), a suitable / appropriate / favorable candidate, has no psychological
  contraindication, is OK to proceed, has the green light, is recommended to proceed; also a
  verdict in a slot ("Psych eval 3/3: cleared", "Candidacy: favorable", a "Cleared" table cell).
- ``UNFAVORABLE_CANDIDATE`` and ``DEFERRAL``: a negative conclusion (a negation before a
  favorable phrase, "poor candidate", "I cannot recommend", "clearance withheld", a psychological
  contraindication), a deferral, a hold, a re-evaluation later, or a new evaluation required
  before the pump (a newer event supersedes an older clearance).
- ``PSYCH_UNSETTLED``: the question is still open: a clearance subject to a condition not yet met
  ("cleared once her depression is treated", "only if abstinent"), an evaluation, clearance or
  report still pending, scheduled or awaited, or no conclusion yet ("unable to render an
  opinion", "inconclusive", "possibly", "unclear whether").
- ``PSYCH_OTHER``: phrases that look favorable but are about someone or something else (a
  clearance for an SCS or bariatric surgery, a cardiology or anesthesia clearance, a pain
  physician's own "candidate from a pain standpoint", another person's clearance, hearsay, a
  verdict about the trial response or an infection). They conclude nothing: being longer, they
  take the place of the favorable phrase they contain.

Negative and open cues that come before a favorable phrase ("not", "possibly", "once psych
clears her") are targets of their own that stop where the favorable phrase starts, so both are
read, and the rules here decide between them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from cds_service.note_reading.mention import Mention

NEGATIVE = ("UNFAVORABLE_CANDIDATE", "DEFERRAL")
OPEN = ("PSYCH_UNSETTLED",)


class _Summary(Protocol):
    @property
    def negated(self) -> frozenset[str]: ...

    def has(self, *categories: str) -> bool: ...


def candidacy(summary: _Summary) -> str | None:
    """'favorable', 'unfavorable', or None when the note states no clear conclusion.

    A negative conclusion anywhere wins: a deferral or 'not a suitable candidate' outweighs a
    favorable phrase elsewhere in the same note. A negative phrase counts even when ConText
    marks it negated, since its own negation ("I cannot recommend", "clearance not granted") is
    what makes it negative; so does a negated favorable phrase. A favorable phrase counts only
    when asserted (ConText: not negated, uncertain, hypothetical, historical or about family)
    and when the note does not also leave the question open (a condition not yet met, an
    evaluation or report still pending, no determination made): when in doubt, not favorable.
    """
    if summary.has(*NEGATIVE) or summary.negated & {*NEGATIVE, "FAVORABLE_CANDIDATE"}:
        return "unfavorable"
    if summary.has(*OPEN):
        return None
    if summary.has("FAVORABLE_CANDIDATE"):
        return "favorable"
    return None


# Words that say a later conclusion replaces an earlier one: an addendum, an amended or
# updated opinion, a change since the earlier note ("now cleared", "since my 02/2024 note").
_SUPERSEDING = re.compile(
    r"\b(?:addend(?:um|a)|amend(?:ed|s|ment)?|revis(?:ed|ion)|updated?|correction|corrected"
    r"|late\s+entry|now|since|subsequently|after\s+complet\w+|final|requirements?\s+met)\b",
    re.I,
)
# An open question told in the past perfect ("the psych eval had not yet been done" before the
# injury) was open then; a conclusion the note gives later answers it, with or without a word
# saying it is newer.
_PAST_PERFECT = re.compile(r"\bhad\s+not\b|\bhadn't\b|\bhad\s+yet\s+to\b", re.I)


def superseded(text: str, mentions: Sequence[Mention]) -> frozenset[int]:
    """The starts of negative or open psych mentions a later conclusion replaces: the newest
    governs.

    An earlier deferral, "not a candidate" or open question ("probably a candidate, but I'd
    like to see the MMPI first") yields only to a favorable conclusion asserted after every
    one of them, with a word between them that says it is newer ("ADDENDUM", "Final
    impression", "I amend my opinion", "he is now cleared"). A negative or open mention after
    the favorable one, or no such word, leaves every one standing (a negative anywhere then
    wins, an open question leaves the conclusion open, as before). Open questions told in the
    past perfect alone yield without such a word (``_PAST_PERFECT``).
    """
    # (only the negatives candidacy counts: asserted, or negated as "I cannot recommend" is)
    negatives = [
        m
        for m in mentions
        if (m.category in NEGATIVE and (m.asserted or m.negated))
        or (m.category == "FAVORABLE_CANDIDATE" and m.negated)
        or (m.category in OPEN and m.asserted)
    ]
    if not negatives:
        return frozenset()
    if all(m.category in OPEN and _PAST_PERFECT.search(_sentence_of(text, m)) for m in negatives):
        last_open = max(m.start for m in negatives)
        if any(
            m.category == "FAVORABLE_CANDIDATE" and m.asserted and m.start > last_open
            for m in mentions
        ):
            return frozenset(m.start for m in negatives)
    last_negative = max(m.start + len(m.text) for m in negatives)
    for favorable in mentions:
        if favorable.category != "FAVORABLE_CANDIDATE" or not favorable.asserted:
            continue
        if favorable.start < last_negative:
            continue
        between = text[min(m.start for m in negatives) : favorable.start + len(favorable.text)]
        if _SUPERSEDING.search(between):
            return frozenset(m.start for m in negatives)
    return frozenset()


def _sentence_of(text: str, mention: Mention) -> str:
    """The sentence (or line) of ``text`` the mention lies in."""
    end = mention.start + len(mention.text)
    begin = max(text.rfind(stop, 0, mention.start) for stop in ".!?\n") + 1
    ends = [at for stop in ".!?\n" if (at := text.find(stop, end)) >= 0]
    return text[begin : min(ends) if ends else len(text)]


# A psychological report's conclusion as a field with a one-word value ("Conclusion:
# Favourable.", "Result: [X] Favorable", "Impression: Suitable"): the concept patterns want
# the candidate or the psych words in the same sentence, and a report's field has neither.
# It counts only under a psych heading or line within CONCLUSION_REACH characters before it,
# with no trial, block or procedure word between (whose result the field would be).
CONCLUSION_REACH = 400
_CONCLUSION_FIELD = re.compile(
    r"(?:^|(?<=[\n\u2029]))[ \t]*(?:[-*\u2022][ \t]*)?(?:conclusions?|impression|results?|outcome|"
    r"recommendations?|opinion|avis|determination|disposition)[ \t]*[:=][ \t]*"
    r"(?:\[[ \t]*[xX\u2713\u2714][ \t]*\][ \t]*)?"
    r"(?P<value>favou?rable|suitable|appropriate|acceptable|cleared|approved)"
    r"(?=[ \t]*(?:[.;,]|$|[\n\u2029]))",
    re.I,
)
_PSYCH_CONTEXT = re.compile(
    r"psycholog|psychiatr|\bpsych\b|neuropsych|behaviou?ral\s+health|mental\s+health|psychosocial",
    re.I,
)
_PROCEDURE_BETWEEN = re.compile(
    r"\b(?:trial|test\s+dose|bolus|injection|procedure|block|ESI|stimulat\w*|surgery|operation)\b",
    re.I,
)


def conclusion_fields(text: str) -> list[str]:
    """The favorable one-word conclusion fields of a psychological report in ``text``."""
    found = []
    for field in _CONCLUSION_FIELD.finditer(text):
        before = text[max(0, field.start() - CONCLUSION_REACH) : field.start()]
        contexts = list(_PSYCH_CONTEXT.finditer(before))
        if contexts and not _PROCEDURE_BETWEEN.search(before[contexts[-1].end() :]):
            found.append(field.group())
    return found


# A favorable verdict in a grid's psych column, as the table readers write a cell ("# 1:
# favorable (Dr M 4/22) (Psych)": row, value, column). Selection-committee minutes and
# trackers give the conclusion only there. It counts when it is the note's one such cell (a
# grid of several patients may hold another patient's row) and its cell holds no open or
# negative word ("favorable pending UDS", "not cleared").
_PSYCH_COLUMN = (
    r"\((?:psych\w*|psychology|psychological|psychosocial|behaviou?ral\s+health|mental\s+health|"
    r"BHC?)\)[ \t]*(?=$|[\n\u2029])"
)
_ANY_PSYCH_CELL = re.compile(r"[^\n\u2029]" + _PSYCH_COLUMN, re.I | re.M)
_PSYCH_COLUMN_CELL = re.compile(
    r"(?:^|(?<=[\n\u2029]))[^\n\u2029:]{0,60}:[ \t]*(?P<value>favou?rable|cleared|suitable|"
    r"appropriate|acceptable|approved)\b(?P<rest>[^\n\u2029]{0,60})" + _PSYCH_COLUMN,
    re.I | re.M,
)
_OPEN_IN_CELL = re.compile(
    r"\b(?:pending|once|if|until|unless|not|no|deferred|conditional\w*|awaiting|provided|only)\b|\?",
    re.I,
)


def psych_column_cells(text: str) -> list[str]:
    """The favorable psych-column grid cell of ``text``, when it is the only psych cell."""
    if len(_ANY_PSYCH_CELL.findall(text)) != 1:
        return []
    cells = list(_PSYCH_COLUMN_CELL.finditer(text))
    if len(cells) != 1 or _OPEN_IN_CELL.search(cells[0].group("rest")):
        return []
    return [cells[0].group()]


# ... and a psychological evaluation as a grid's row, its verdict in a result column
# ("Procedure Psychological evaluation (pre-implant, ITDD): No contraindication; proceed
# (Result/Comment)"), as a summary of care lists procedures. The whole cell must be the
# verdict, and the note must hold one such row.
_PSYCH_ROW_CELL = re.compile(
    r"(?:^|(?<=[\n\u2029]))(?P<label>[^\n\u2029:]{0,160}):[ \t]*(?P<value>[^\n\u2029]{1,80}?)[ \t]*"
    r"\((?:results?(?:\s*/\s*comments?)?|comments?|outcome|conclusions?|impression|"
    r"recommendations?|determination|findings?|interpretation)\)[ \t]*(?=$|[\n\u2029])",
    re.I | re.M,
)
_PSYCH_EVALUATION = re.compile(
    r"\b(?:psycholog\w*|psychiatr\w*|psych|psychosocial|neuropsych\w*|behaviou?ral\s+health|"
    r"mental\s+health)\s+(?:pre-?\w+\s+)?(?:eval\w*|assessment|consult\w*|screen\w*|clearance|testing)",
    re.I,
)
_FAVORABLE_VERDICT = re.compile(
    r"(?:no\s+(?:psycholog\w*\s+|psychiatr\w*\s+|psych\s+)?contraindications?"
    r"(?:\s+(?:identified|found|noted))?|favou?rable|cleared|suitable|appropriate|acceptable|approved|"
    r"ok(?:ay)?\s+to\s+proceed)(?:\s*[;,.-]\s*(?:ok(?:ay)?\s+to\s+)?proceed)?[ \t.]*",
    re.I,
)


def psych_row_cells(text: str) -> list[str]:
    """The favorable result cell of the one psychological-evaluation row of a grid in ``text``."""
    rows = [m for m in _PSYCH_ROW_CELL.finditer(text) if _PSYCH_EVALUATION.search(m.group("label"))]
    if len({m.group("label") for m in rows}) != 1 or len(rows) != 1:
        return []
    row = rows[0]
    return [row.group()] if _FAVORABLE_VERDICT.fullmatch(row.group("value")) else []
