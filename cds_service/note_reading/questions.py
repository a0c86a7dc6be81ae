"""A contraindication named in an open question is asked about, not found.

"Claims query: was the insured terminally ill at the time of purchase?", "Pocket infected?":
the sentence asks. ConText has no rule for a question mark after its target, so the
mention read as asserted. A question is a reason to look, not a finding: the mention becomes
uncertain ("could not be fully checked - verify"), and like any doubt it is answered only by
a later negation of the same concept in the note ("Answer: no evidence of terminal illness").
A question the note answers on the spot is read by its answer: "Infected? Yes" stands as
written, "Pump alarm since the last refill? No" is a negation (ConText's own "? no" rule
reaches back only a few words).
"""

from __future__ import annotations

import re
from dataclasses import replace

from cds_service.note_reading.mention import Mention

# The contraindications whose question is a doubt (a favorable finding in a question is the
# psych patterns' own business: it never concludes).
ASKED_CATEGORIES = frozenset(
    {"TERMINAL", "EMPTY_PUMP", "MISSED_REFILL", "SITE_INFECTION", "SYSTEMIC_INFECTION",
     "CNS_INFECTION"}
)  # fmt: skip
# The rest of the mention's sentence, up to its "?" (at most QUESTION_REACH characters on).
QUESTION_REACH = 80
_UNTIL_QUESTION = re.compile(rf"[^.!;\n\u2029?]{{0,{QUESTION_REACH}}}\?")
_ANSWER = re.compile(
    r"[ \t]*[:\-]?[ \t]*[\[(]?(?:(?P<no>no|n|none|neg(?:ative)?|denied|denies|absent|nil)|yes|y|"
    r"pos(?:itive)?|confirmed|present|unknown|n/a)\b"
    # the whole answer: "No idea", "Not sure" are no answer
    r"(?=[ \t]*(?:[.,;:)\]\n\u2029\u2013-]|$))",
    re.I,
)


def as_questions(text: str, mentions: list[Mention]) -> list[Mention]:
    """The mentions, with a contraindication in an open question made uncertain and one in a
    question answered "no" negated. ``text`` is the text the mentions' offsets point into."""
    return [
        _asked(text, m) if m.category in ASKED_CATEGORIES and m.about_now else m for m in mentions
    ]


def _asked(text: str, mention: Mention) -> Mention:
    end = mention.start + len(mention.text)
    question = _UNTIL_QUESTION.match(text, end)
    if question is None:
        return mention
    answer = _ANSWER.match(text, question.end())
    if answer is None:
        return replace(mention, uncertain=True)
    if answer.group("no"):
        return replace(mention, negated=True, uncertain=False)
    return mention
