"""Build cds_service/data/note-spelling.json: the concept words whose misspellings are read
as them, and the real words one edit from them that are never "corrected".

Run: python tools/note-concepts/build_spelling.py [word-list]   (default: Debian's
wamerican-large, /usr/share/dict/american-english-large; apt-get install wamerican-large).
The word list is needed only here: the service reads the JSON. Edit CONCEPT_WORDS, not the
JSON, and add to EXTRA_REAL_WORDS a real (medical) word the list lacks that must not change.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from cds_service.note_reading.spelling import MIN_LENGTH, one_edit

OUT = ROOT / "cds_service" / "data" / "note-spelling.json"
DEFAULT_LIST = Path("/usr/share/dict/american-english-large")
# The words the concept patterns and their ConText cues turn on, by concept.
CONCEPT_WORDS = {
    "prognosis": [
        "terminal", "terminally", "hospice", "prognosis", "expectancy", "survival", "survive",
        "palliative", "metastatic", "metastases", "metastasis", "estimate", "estimated",
    ],
    "empty pump": [
        "reservoir", "residual", "aspirated", "aspiration", "withdrawal", "overdue",
        "depleted", "alarming", "interrogation", "interrogated", "baclofen", "morphine",
        "hydromorphone", "refilled", "refill",
    ],
    "infection": [
        "infection", "infected", "abscess", "purulent", "purulence", "cellulitis",
        "meningitis", "bacteremia", "sepsis", "septic", "erythema", "erythematous",
        "drainage", "draining", "fluctuance", "fluctuant", "culture", "cultures",
        "induration", "indurated", "vancomycin", "cefazolin",
    ],
    "psych": [
        "psychological", "psychologist", "psychology", "psychiatric", "psychiatrist",
        "candidate", "candidacy", "favorable", "favourable", "suitable", "appropriate",
        "acceptable", "clearance", "contraindication", "contraindications", "evaluation",
        "proceed", "recommend", "recommended",
    ],
    "trial": ["intrathecal", "epidural", "relief", "improvement", "infusion", "catheter"],
    "context cues": [
        "denies", "without", "possible", "possibly", "probable", "pending", "resolved",
        "history", "negative", "positive", "unlikely", "excluded",
    ],
}  # fmt: skip
# Real words one edit from a concept word that the word list lacks.
EXTRA_REAL_WORDS = [
    "denier", "deniers", "septal", "sceptic", "cultured", "refills",
    # Spanish, in interpreter-mediated notes
    "terminar", "candidata", "candidatas",
]  # fmt: skip


def build(word_list: Path) -> dict[str, list[str]]:
    words = sorted({w for group in CONCEPT_WORDS.values() for w in group})
    dictionary = {
        line.strip().lower()
        for line in word_list.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.strip().isalpha()
    }
    dictionary |= set(EXTRA_REAL_WORDS)
    near = {
        variant
        for word in words
        for variant in one_edit(word)
        if len(variant) >= MIN_LENGTH and variant in dictionary and variant not in words
    }
    return {"words": words, "realWords": sorted(near)}


def main() -> None:
    word_list = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_LIST
    document = build(word_list)
    OUT.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(
        f"{OUT}: {len(document['words'])} words, {len(document['realWords'])} real words near them"
    )


if __name__ == "__main__":
    main()
