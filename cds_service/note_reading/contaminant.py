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

A swab or culture the note calls colonization is settled the same way when the note also
says there is no sign of infection ("surveillance swab MRSA - no clinical signs of infection
-> colonization") and nothing doubts it ("colonization vs infection", "not just
colonization", any word of CSF): the swab and culture mentions that name no infection
themselves go; a pus, cellulitis or abscess mention stands.
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


# A positive swab or culture the note calls colonization, with no sign of infection: "MRSA
# - no clinical signs of infection (wound clean, afebrile) -> colonization, no tx". Burn and
# ICU surveillance swabs grow MRSA and gram-negatives that live on the skin or in the nose
# without infecting; the note's own reading settles them, as it does a contaminant.
CALLED_COLONIZATION = re.compile(
    r"(?<!not\s)(?<!not\sjust\s)(?<!\?)\b(?:coloni[sz](?:ation|ed|er|ing))\b(?!\s*\?)", re.I
)
NO_SIGN_OF_INFECTION = re.compile(
    r"\bno\s+(?:clinical\s+|local\s+|systemic\s+)?(?:signs?|evidence|features)\s+of\s+"
    r"(?:active\s+|local\s+|wound\s+|systemic\s+)?infection\b|\bnot\s+(?:clinically\s+)?infected\b"
    r"|\bwithout\s+(?:clinical\s+)?(?:signs?|evidence)\s+of\s+infection\b",
    re.I,
)
NOT_COLONIZATION = re.compile(
    r"\bnot\s+(?:just\s+|simply\s+|merely\s+)?coloni[sz]|\bcoloni[sz]\w*\s+(?:vs\.?|versus|or)\b"
    r"|\b(?:vs\.?|versus)\s+coloni[sz]|\bsupersed|\btrue\s+infection\b",
    re.I,
)
# the words of an infection itself: a mention holding one stands
INFECTION_WORDS = re.compile(
    r"infect|abscess|\bpus\b|purulen|cellulitis|seps|septic|bacter[ae]mia|osteomyel|mening|"
    r"empyema|phlegmon|erythema|drainage",
    re.I,
)
SWAB_WORDS = re.compile(r"swab|screen|surveillance|nares|nasal|cultur|\bcx\b|grew|growth", re.I)


def called_colonization(text: str) -> bool:
    """Whether the note settles its positive swab or culture as colonization without infection."""
    return bool(
        CALLED_COLONIZATION.search(text)
        and NO_SIGN_OF_INFECTION.search(text)
        and not NOT_COLONIZATION.search(text)
        and not CSF.search(text)
    )


def without_colonization(mentions: list[Mention], colonization: bool) -> list[Mention]:
    """The mentions, less the swab and culture mentions (naming no infection itself) of a
    note that calls its positive result colonization with no sign of infection."""
    if not colonization:
        return mentions
    return [
        m
        for m in mentions
        if not (
            m.category in INFECTION_CATEGORIES
            and (SWAB_WORDS.search(m.text) or PATHOGEN.search(m.text))
            and not INFECTION_WORDS.search(m.text)
        )
    ]
