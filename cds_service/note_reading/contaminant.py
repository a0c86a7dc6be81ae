"""A positive culture the note itself calls a contaminant.

"1 of 4 BCx bottles with coag-neg staph at 38 h" reads as a bloodstream infection, and a
sentence later "ID: likely contaminant, no antibiotics" settles it; ConText's scope ends at
the sentence, so the culture mention stood. When the note calls the result a contaminant
(or contamination), every organism it names is one that contaminates cultures (skin flora:
coagulase-negative staphylococci, Cutibacterium, Corynebacterium, Bacillus, Micrococcus),
and nothing in it says otherwise (a true infection, "not a contaminant", a superseded
report, a doubt such as "?contaminant" or "vs", every bottle or sample positive, any word
of cerebrospinal fluid or meningitis), the
culture mentions are not an infection finding. Mentions of anything else (sepsis, pus,
cellulitis, meningitis, fever) stand.
"""

from __future__ import annotations

import re

from cds_service.note_reading.mention import Mention

INFECTION_CATEGORIES = frozenset({"SYSTEMIC_INFECTION", "SITE_INFECTION"})
CALLED_CONTAMINANT = re.compile(
    r"(?<!not\s)(?<!not\sa\s)(?<!\?)(?<!\?\s)\b(?:contaminants?|contamination|contaminated)\b(?!\s*\?)",
    re.I,
)
OTHERWISE = re.compile(
    r"\btrue\s+(?:infection|bacter\w*|positive|pathogen)|\bnot\s+(?:a\s+|the\s+)?contamin"
    r"|supersed|\bvs\.?\s|\bversus\b|\bcannot\s+(?:exclude|rule\s+out)|\bcan't\s+(?:exclude|rule\s+out)"
    r"|\b(\d)\s*(?:/|of)\s*\1\b(?!\s*(?:neg|no\s+growth|NG))",
    re.I,
)
PATHOGEN = re.compile(
    r"\b(?:MRSA|MSSA|aureus|coli|klebsiella|pseudomonas|aeruginosa|enterococc\w*|faecalis|"
    r"faecium|strep\w*|pyogenes|agalactiae|candida|GNRs?|gram[- ]?negative|serratia|"
    r"enterobacter\w*|proteus|acinetobacter|lugdunensis|SARM)\b",
    re.I,
)
CULTURE_WORDS = re.compile(
    r"cultur|\bcx\b|bcx|bottle|flacon|hemoc|hémoc|gram|grew|growth|isolat|staph|\bCoNS\b|coag"
    r"|epidermidis|acnes|cutibacter|propioni|coryne|skin\s+germ",
    re.I,
)


# Cerebrospinal fluid is never settled this way: skin flora in the CSF of a patient with an
# intrathecal catheter may be the catheter's infection, whatever the blood cultures were.
CSF = re.compile(r"\b(?:CSF|LCR|cerebrospinal|spinal\s+fluid|mening\w*|ventricul\w*)\b", re.I)


def called_contaminant(text: str) -> bool:
    """Whether the note settles its positive culture as a contaminant, and nothing else."""
    return bool(
        CALLED_CONTAMINANT.search(text)
        and not OTHERWISE.search(text)
        and not PATHOGEN.search(text)
        and not CSF.search(text)
    )


def without_contaminants(mentions: list[Mention], contaminant: bool) -> list[Mention]:
    """The mentions, less the culture mentions of a note that calls its culture a contaminant."""
    if not contaminant:
        return mentions
    return [
        m
        for m in mentions
        if not (m.category in INFECTION_CATEGORIES and CULTURE_WORDS.search(m.text))
    ]
