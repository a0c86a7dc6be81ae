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
    r"|late\s+entry|now|since|subsequently|after\s+complet\w+)\b",
    re.I,
)


def superseded(text: str, mentions: Sequence[Mention]) -> frozenset[int]:
    """The starts of negative psych mentions a later conclusion replaces: the newest governs.

    An earlier deferral or "not a candidate" yields only to a favorable conclusion asserted
    after every negative one, with a word between them that says it is newer ("ADDENDUM",
    "I amend my opinion", "he is now cleared"). A negative after the favorable one, or no
    such word, leaves every negative standing (a negative anywhere then wins, as before).
    """
    # (only the negatives candidacy counts: asserted, or negated as "I cannot recommend" is)
    negatives = [
        m
        for m in mentions
        if (m.category in NEGATIVE and (m.asserted or m.negated))
        or (m.category == "FAVORABLE_CANDIDATE" and m.negated)
    ]
    if not negatives:
        return frozenset()
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
