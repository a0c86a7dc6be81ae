"""Code-set matching: (system, code) rules, ranges, exclusions and the name fallback.

The cases are data: ``tests/data/code_cases.json`` holds the rows the code sets were
tuned on (each with the reason a clinician would give), and
``tests/data/code_cases_heldout.json`` holds displays written after the tuning, from
value sets and product lists that were not used to choose names or cues; its accuracy
is asserted against the floor recorded in the file, so a change that loses held-out
cases fails even though nobody designed for them.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from cds_service.codes import (
    NAME_TEXT_MAX_CHARS,
    NAME_TEXT_PART_CHARS,
    CodedText,
    CodeSets,
    Coding,
    default_codesets,
    name_present,
    names_regex,
    normalize_name_text,
)
from cds_service.errors import ConfigurationError
from cds_service.resources import DATA_DIR, read_json, validator
from tests.conftest import TEST_DATA

CODES = default_codesets()
ICD = CODES.system("icd10cm")
RX = CODES.system("rxnorm")
CPT = CODES.system("cpt")
SNOMED = CODES.system("snomed")

CASES: list[dict[str, Any]] = json.loads((TEST_DATA / "code_cases.json").read_text())
HELDOUT: dict[str, Any] = json.loads((TEST_DATA / "code_cases_heldout.json").read_text())


def _coded(case: dict[str, Any]) -> CodedText:
    """A case row as the element facts.py would build: codings (aliases resolved) and text."""
    codings = case.get("codings") or (
        [{"system": case["system"], "code": case["code"], "display": case.get("display", "")}]
        if "system" in case
        else []
    )
    return CodedText(
        tuple(
            Coding(CODES.systems.get(c["system"], c["system"]), c["code"], c.get("display", ""))
            for c in codings
        ),
        case.get("text", ""),
    )


def _outcome(case: dict[str, Any]) -> str:
    return CODES.match(case["concept"], _coded(case)) or "none"


def _case_id(case: dict[str, Any]) -> str:
    shown = case.get("display") or case.get("text") or case.get("code") or "codings"
    return f"{case['concept']}:{shown[:60]}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_code_cases(case: dict[str, Any]) -> None:
    assert _outcome(case) == case["expect"], case["why"]


def test_heldout_accuracy_stays_at_its_floor() -> None:
    """Displays nobody tuned for: a change may not lose cases that the last tuning got right."""
    cases = HELDOUT["cases"]
    misses = [
        f"{c['concept']}: {c.get('display') or c.get('text')!r} -> {_outcome(c)}, "
        f"expected {c['expect']} ({c['why']})"
        for c in cases
        if _outcome(c) != c["expect"]
    ]
    accuracy = 1 - len(misses) / len(cases)
    assert accuracy >= HELDOUT["minAccuracy"], "\n".join(misses)


def test_case_files_cover_both_answers_for_every_new_concept() -> None:
    """Each concept this work touched has a positive and a negative row, so none is vacuous."""
    for concept in (
        "malignancy",
        "active-infection",
        "terminal-prognosis",
        "hospice-care",
        "psych-evaluation-procedure",
        "systemic-opioid",
        "adjuvant-anticonvulsant",
        "adjuvant-antidepressant",
        "adjuvant-nsaid",
    ):
        answers = {c["expect"] for c in CASES if c["concept"] == concept}
        assert "none" in answers and answers - {"none"}, concept


def test_codes_are_system_scoped() -> None:
    assert not CODES.is_a("malignancy", CodedText((Coding("http://example.org/local", "C50.9"),)))


def test_device_presence_needs_the_pump_named() -> None:
    icd = CodedText((Coding(ICD, "Z97.8", "Presence of other specified devices"),))
    assert not CODES.is_a("pump-presence", icd)
    named = CodedText((Coding(ICD, "Z97.8", "Presence of implanted intrathecal pump"),))
    assert CODES.is_a("pump-presence", named)


def test_injection_codes_count_as_trial_only_when_named_a_trial() -> None:
    assert not CODES.is_a(
        "trial-procedure", CodedText((Coding(CPT, "62322", "Lumbar epidural steroid"),))
    )
    assert CODES.is_a(
        "trial-procedure", CodedText((Coding(CPT, "62322", "Intrathecal morphine trial"),))
    )
    assert CODES.is_a("trial-procedure", CodedText((Coding(CPT, "62326"),)))


def test_drug_names_match_product_level_codes() -> None:
    product = CodedText((Coding(RX, "1049621", "oxycodone hydrochloride 5 MG Oral Tablet"),))
    assert CODES.match("systemic-opioid", product) == "text"
    assert CODES.match("systemic-opioid", CodedText((Coding(RX, "7804"),))) == "code"


def test_diagnosis_names_are_a_fallback_only_for_uncoded_entries() -> None:
    coded_history = CodedText(
        (Coding(ICD, "Z85.3", "Personal history of malignant neoplasm of breast"),)
    )
    assert not CODES.is_a("malignancy", coded_history)
    assert CODES.is_a("fibromyalgia", CodedText(text="Fibromyalgia"))
    assert not CODES.is_a("fibromyalgia", CodedText(text="No fibromyalgia"))
    assert not CODES.is_a("malignancy", CodedText(text="history of carcinoma"))


# --- the three fallback modes, on a minimal code-set document -----------------------------


def _document(fallback: str) -> dict[str, Any]:
    """The shipped file with one test concept whose textFallback is ``fallback``."""
    document = copy.deepcopy(read_json(DATA_DIR / "codesets.json"))
    document["concepts"]["probe"] = {
        "description": "probe",
        "codes": [{"system": "icd10cm", "code": "X01"}, {"system": "snomed", "code": "111"}],
        "names": ["probe disease"],
        "textFallback": fallback,
    }
    return document


@pytest.mark.parametrize(
    ("fallback", "system", "expected"),
    [
        ("always", "icd10cm", "text"),
        ("always", "snomed", "text"),
        ("unless-enumerated", "icd10cm", None),  # ICD is enumerated: a miss is deliberate
        ("unless-enumerated", "snomed", "text"),  # SNOMED is not: the display decides
        ("uncoded-only", "icd10cm", None),
        ("uncoded-only", "snomed", None),  # the old mode: any coding of ours stops names
    ],
)
def test_fallback_modes(fallback: str, system: str, expected: str | None) -> None:
    codesets = CodeSets(_document(fallback))
    element = CodedText((Coding(codesets.system(system), "999", "Probe disease, chronic"),))
    assert codesets.match("probe", element) == expected


def test_unless_enumerated_ignores_enumerated_systems_the_concept_has_no_rules_in() -> None:
    """A CPT code on a diagnosis says nothing about it: only this concept's own systems count."""
    codesets = CodeSets(_document("unless-enumerated"))
    element = CodedText((Coding(codesets.system("cpt"), "99213", "Probe disease follow-up"),))
    assert codesets.match("probe", element) == "text"


def test_schema_accepts_the_shipped_file_and_rejects_an_unknown_fallback_mode() -> None:
    schema = validator("codesets.schema.json")
    assert not list(schema.iter_errors(read_json(DATA_DIR / "codesets.json")))
    bad = _document("sometimes")
    assert list(schema.iter_errors(bad))


def test_schema_requires_the_enumerated_systems_and_negation_tables() -> None:
    schema = validator("codesets.schema.json")
    for key in ("enumeratedSystems", "negation", "sources"):
        document = _document("always")
        del document[key]
        assert list(schema.iter_errors(document)), key


def test_an_unknown_enumerated_system_alias_is_refused() -> None:
    document = _document("always")
    document["enumeratedSystems"].append("icd10-cm")  # a typo of the alias
    with pytest.raises(ConfigurationError, match="icd10-cm"):
        CodeSets(document)


def test_a_dangling_source_tag_is_refused() -> None:
    document = _document("always")
    document["concepts"]["probe"]["codes"][1]["source"] = "nowhere"
    with pytest.raises(ConfigurationError, match="nowhere"):
        CodeSets(document)


def test_every_code_added_with_a_display_cites_a_known_source() -> None:
    """Codes and displays were confirmed somewhere: no display without its citation."""
    document = read_json(DATA_DIR / "codesets.json")
    for name, body in document["concepts"].items():
        for rule in body["codes"]:
            if "display" in rule:
                assert rule.get("source") in document["sources"], (name, rule)


def test_excluded_codes_veto_the_name_fallback_too() -> None:
    element = CodedText((Coding(SNOMED, "1"), Coding(ICD, "C90.01", "Multiple myeloma")))
    assert not CODES.is_a("malignancy", element)


# --- negation and bounds -------------------------------------------------------------------


def test_normalization_makes_dash_and_space_variants_alike() -> None:
    assert normalize_name_text("Non-small  cell\tLUNG") == "non small cell lung"
    assert CODES.is_a("malignancy", CodedText(text="non small cell carcinoma"))


def test_name_present_takes_its_cues_from_the_file() -> None:
    pattern = names_regex(("probe disease",))
    assert pattern is not None
    assert name_present("Probe disease", pattern, CODES.negation)
    assert not name_present("No probe disease", pattern, CODES.negation)
    assert not name_present("Probe disease, ruled out", pattern, CODES.negation)
    assert name_present("No relief from probe disease", pattern, CODES.negation)  # pseudo cue


def test_a_name_beyond_the_bound_is_not_read() -> None:
    """Only the first NAME_TEXT_MAX_CHARS characters are searched, whatever the caller sends."""
    pattern = names_regex(("sepsis",))
    assert pattern is not None
    near = "x " * 100 + "sepsis"
    far = "x " * NAME_TEXT_MAX_CHARS + "sepsis"
    assert name_present(near, pattern, CODES.negation)
    assert not name_present(far, pattern, CODES.negation)


def test_a_display_is_read_up_to_its_part_bound() -> None:
    inside = "a" * (NAME_TEXT_PART_CHARS - 10) + " sepsis"
    outside = "a" * NAME_TEXT_PART_CHARS + " sepsis"
    assert CODES.is_a("active-infection", CodedText((Coding("urn:x", "1", inside),)))
    assert not CODES.is_a("active-infection", CodedText((Coding("urn:x", "1", outside),)))


def test_a_megabyte_of_cue_words_and_names_is_matched_in_bounded_time() -> None:
    """Worst case for the cue regexes: every word a cue or a name, one megabyte of it."""
    pattern = names_regex(("cancer", "sepsis"))
    assert pattern is not None
    hostile = ("no r/o history of cancer sepsis resolved " * 30000)[:1_000_000]
    started = time.perf_counter()
    assert not name_present(hostile, pattern, CODES.negation)
    assert CODES.concepts_of(CodedText(text=hostile), tuple(CODES.concepts)) is not None
    assert time.perf_counter() - started < 2.0
