"""Code-set matching: (system, code) rules, ranges, exclusions and the name fallback."""

from __future__ import annotations

import pytest

from cds_service.codes import CodedText, Coding, default_codesets

CODES = default_codesets()
ICD = CODES.system("icd10cm")
RX = CODES.system("rxnorm")
CPT = CODES.system("cpt")


def icd(code: str, display: str = "") -> CodedText:
    return CodedText((Coding(ICD, code, display),))


@pytest.mark.parametrize(
    ("code", "concept", "expected"),
    [
        ("C50.911", "malignancy", True),
        ("C7A.010", "malignancy", True),
        ("C96.9", "malignancy", True),
        ("C97", "malignancy", False),
        ("D03.9", "malignancy", False),
        ("Z85.3", "malignancy", False),
        ("D68.4", "coagulopathy", True),
        ("D68.51", "coagulopathy", False),
        ("D68.62", "coagulopathy", False),
        ("D69.6", "coagulopathy", True),
        ("D66", "coagulopathy", True),
        ("M46.30", "active-infection", True),
        ("M46.1", "active-infection", False),
        ("A41.9", "active-infection", True),
        ("G89.3", "neoplasm-related-pain", True),
        ("M47.816", "spondylosis-without-radiculopathy", True),
        ("M47.26", "spondylosis-without-radiculopathy", False),
        ("M797", "fibromyalgia", True),
    ],
)
def test_icd_rules(code: str, concept: str, expected: bool) -> None:
    assert CODES.is_a(concept, icd(code)) is expected


def test_codes_are_system_scoped() -> None:
    assert not CODES.is_a("malignancy", CodedText((Coding("http://example.org/local", "C50.9"),)))


def test_device_presence_needs_the_pump_named() -> None:
    assert not CODES.is_a("pump-presence", icd("Z97.8", "Presence of other specified devices"))
    assert CODES.is_a("pump-presence", icd("Z97.8", "Presence of implanted intrathecal pump"))


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
    coded_history = icd("Z85.3", "Personal history of malignant neoplasm of breast")
    assert not CODES.is_a("malignancy", coded_history)
    assert CODES.is_a("fibromyalgia", CodedText(text="Fibromyalgia"))
    assert not CODES.is_a("fibromyalgia", CodedText(text="No fibromyalgia"))
    assert not CODES.is_a("malignancy", CodedText(text="history of carcinoma"))
