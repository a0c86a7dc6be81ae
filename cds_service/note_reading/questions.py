"""A contraindication named in an open question is asked about, not found.

"Claims query: was the insured terminally ill at the time of purchase?", "Pocket infected?":
the sentence asks. ConText has no rule for a question mark after its target, so the
mention read as asserted. A question is a reason to look, not a finding: the mention becomes
uncertain ("could not be fully checked - verify"), and like any doubt it is answered only by
a later negation of the same concept in the note ("Answer: no evidence of terminal illness").
A question the note answers on the spot ("Infected? Yes", "? no") is left to the rules.
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
    r"[ \t]*[:\-]?[ \t]*[\[(]?(?:yes|no|y|n|none|neg(?:ative)?|pos(?:itive)?|confirmed|denied|"
    r"absent|present|unknown|n/a)\b",
    re.I,
)


def as_questions(text: str, mentions: list[Mention]) -> list[Mention]:
    """The mentions, with an asserted contraindication in an open question made uncertain.
    ``text`` is the text the mentions' offsets point into."""
    return [
        _asked(text, m) if m.category in ASKED_CATEGORIES and m.asserted else m for m in mentions
    ]


def _asked(text: str, mention: Mention) -> Mention:
    end = mention.start + len(mention.text)
    question = _UNTIL_QUESTION.match(text, end)
    if question is None or _ANSWER.match(text, question.end()):
        return mention
    return replace(mention, uncertain=True)
