"""Note reading with medspaCy ConText: conclusions, reasons, prognosis, pump events, pain timing."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.clinical_nlp import (
    MAX_CHUNK_CHARS,
    MAX_CUES_PER_CHUNK,
    MAX_MATCHES_PER_CHUNK,
    MAX_MATCHES_PER_NOTE,
    MAX_NOTE_CHARS,
    NOT_READ,
    ReadingBudget,
    candidacy,
    default_note_reader,
    failure_reasons,
)

READER = default_note_reader()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Impression: favorable candidate for intrathecal pump implantation.", "favorable"),
        ("No psychological contraindications; cleared for implantation.", "favorable"),
        ("The patient is not a suitable candidate at this time.", "unfavorable"),
        ("Not a candidate for permanent implantation.", "unfavorable"),
        ("Poor candidate given untreated depression.", "unfavorable"),
        ("Recommend deferring the implant; re-evaluate after treatment.", "unfavorable"),
        ("Would be a good candidate if depression is treated.", None),
        ("Possibly a suitable candidate pending further testing.", None),
        ("Evaluation completed; report to follow.", None),
        (
            "Good candidate overall, but psychiatry recommends deferral until sobriety.",
            "unfavorable",
        ),
        ("Denies suicidal ideation. Favorable candidate.", "favorable"),
    ],
)
def test_candidacy(text: str, expected: str | None) -> None:
    assert candidacy(READER.summarize(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Stopped: inadequate pain relief", {"inadequate-relief"}),
        ("Discontinued due to nausea and sedation", {"side-effects"}),
        ("No side effects; stopped for cost", set()),
        ("Ineffective and not tolerated", {"inadequate-relief", "side-effects"}),
        ("Patient moved away", set()),
    ],
)
def test_failure_reasons(text: str, expected: set[str]) -> None:
    assert failure_reasons(READER.summarize(text)) == expected


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("Metastatic disease. Expected survival approximately 3 months.", 3.0),
        ("Life expectancy of about 6 weeks.", pytest.approx(6 * 7 / 30.44)),
        ("Prognosis: expected to live 2 years or more.", 24.0),
        ("No prognosis discussed.", None),
    ],
)
def test_prognosis(text: str, months: object) -> None:
    assert READER.summarize(text).prognosis_months == months


@pytest.mark.parametrize(
    ("text", "asserted"),
    [
        ("Pump alarm sounded on 11/02; reservoir was empty.", True),
        ("Denies pump alarm.", False),
        ("Educated that if the pump runs empty, life-threatening withdrawal can occur.", False),
        ("Discussed the risk of the pump running empty.", False),
        ("Patient missed refill appointment last week.", True),
    ],
)
def test_empty_pump_events(text: str, asserted: bool) -> None:
    assert READER.summarize(text).has("EMPTY_PUMP", "MISSED_REFILL") is asserted


@pytest.mark.parametrize(
    ("text", "asserted"),
    [
        ("No evidence of infection at the pocket site.", False),
        ("Rule out pocket infection.", False),
        ("Pocket infection resolved.", False),
        ("Erythema and drainage: pocket infection.", True),
        ("Active infection: cellulitis of the flank.", True),
        # "Complications: none" negates its own line, not the findings above it
        (
            "BRIEF OP NOTE\nPre-op dx: IT pump pocket infection\n"
            "Findings: 15 mL purulent fluid in pocket\nEBL: 30 mL   Complications: none",
            True,
        ),
        # exam shorthand: Ø and a line of minus-signed findings are "no"
        ("incision: -erythema, -drainage, -fluct, Ø fever. c/d/i.", False),
        ("Pocket: Ø erythema, Ø warmth, Ø fluctuance.", False),
        ("r/o'd pocket inf: CRP 4, US no collection.", False),
        ("pocket: +erythema, +fluctuance, -fever; purulent drainage expressed", True),
        # an organism as a labelled value (a culture table's cell)
        ("Blood #1: MRSA", True),
        # a labelled field is a statement of its own: the exam's "no" stays on its line
        ("Exam: lumbar incision erythema, warmth, no fluctuance\nDx: cellulitis of incision", True),
        # an Epic SmartList field is its chosen value
        ('Dx: {Blank single:19197::"cellulitis of lumbar incision"}', True),
        # a history section ends at the next header of an H&P, not only at Assessment/Plan
        ("PMH: HTN, DVT\nPE: pocket erythema and purulent drainage", True),
        ("PMH: pocket infection 2019, explanted and treated", False),
        # a negation inside an aside denies the aside only, not what follows it
        ("Lab called (she refused admission) - blood cx now growing GNR 2/2.", True),
        ("Seen early (no fever at home) for spreading pocket cellulitis.", True),
        # ... while other asides still label their sentence
        ("Her brother (pt's twin) is septic in the ICU.", False),
        ("(copied from 2023 note) pump pocket infection, on cefazolin", False),
        # a cue written after its finding covers that finding, not the list before it
        ("Klebsiella bacteremia on day 4 of ertapenem, afebrile, cough resolved.", True),
        ("Pocket infection resolved, wound healed.", False),
        # a relative who is only present does not make the findings theirs
        ("Video visit with husband present; pt here with husband - pocket abscess.", True),
        ("Clinic visit (accompanied by her son): incision cellulitis, on doxycycline.", True),
        ("Lives with her son, who is being treated for MRSA cellulitis.", False),
        # a radiology comparison line names the prior study; a finding later in it stays
        ("Comparison: 3/1 (pocket abscess)", False),
        (
            "Comparison: prior CT 3/1 showed small collection, now enlarged rim-enhancing "
            "pocket abscess.",
            True,
        ),
        # round 11: a finished course, the patient's own worry (only its object)
        ("PA f/u: completed 14 d doxycycline for pocket cellulitis (finished 5/30).", False),
        ("Completed I&D for pocket abscess today; still draining pus.", True),
        ("Pt worried about pocket infection.", False),
        ("She is worried about the pocket: red, hot, draining pus.", True),
        ("Monitor for sepsis, BCx 2/2 MRSA.", True),
        # years ago is history; a question asks, and a later negation answers it
        ("Per wife, he had an infection in the pump years ago at another hospital.", False),
        (
            "Q: fever POD2 after pump implant - infection? Impression: no evidence of infection.",
            False,
        ),
        ("Pocket infection? Yes - purulent drainage.", True),
        # an answer that the other diagnosis is not it does not negate the next one
        (
            "Derm asked whether this is contact dermatitis; they felt not - favor cellulitis "
            "of the pocket, T 38.3.",
            True,
        ),
        # a negation ends with its list item; a wrapped line goes on
        ("- no fever, no chills\n- pocket with purulent drainage", True),
        ("- no fever, no chills,\npocket erythema or purulent drainage", False),
        # round 8: a clause about a relative, an organism's initial, "- no signs" alone
        ("Lives with wife, who is on IV antibiotics for MRSA bacteremia.", False),
        ("Lives with wife, who found him febrile; pocket abscess draining.", True),
        ("Pocket infection (E. faecalis) 2/2023 treated with explant.", False),
        ("Pocket infection (S. aureus) on culture, on vancomycin.", True),
        ("Asked us whether to worry about meningitis - no signs, no LP.", False),
        ("Cellulitis - no signs of abscess.", True),
        # a relative's home is where the visit took place
        ("Video visit (patient at daughter's home in Lodi): pocket abscess, draining.", True),
        ("Her daughter is on IV antibiotics for a pocket abscess.", False),
        # return precautions name what to watch for, not what is there
        ("Healing well. Call us sooner for spreading redness or drainage.", False),
        ("Reviewed when to call (fever, pocket swelling, drainage).", False),
        ("Return precautions: fever, purulent drainage.", False),
        # a completed course of treatment is history; one under way is not
        ("Finished a 14-day doxycycline course for incision cellulitis in May.", False),
        ("On day 9 of 14 of cefazolin for pocket infection, still draining.", True),
    ],
)
def test_infection_mentions(text: str, asserted: bool) -> None:
    assert READER.summarize(text).has("SITE_INFECTION", "SYSTEMIC_INFECTION") is asserted


@pytest.mark.parametrize(
    ("text", "asserted"),
    [
        ("Enrolled in hospice.", True),
        ("Not terminally ill; no hospice referral.", False),
        # a code status is not a negation of what follows it
        ("DNR/DNI (Z66)\nadmitted to home hospice 3/4", True),
        ("Do-not-resuscitate order on file. Now under hospice care.", True),
        # "X declined," negates X, not the rest of the list
        ("dialysis declined, comfort feeding, hospice to follow", True),
        ("Hospice declined, wants chemotherapy.", False),
    ],
)
def test_hospice_and_terminal_statements(text: str, asserted: bool) -> None:
    assert READER.summarize(text).has("TERMINAL") is asserted


def test_pain_timeline_from_trial_note() -> None:
    summary = READER.summarize(
        "Baseline pain 9/10. At 6 hours after the intrathecal bolus pain was 3/10; "
        "at 24 hours 6/10."
    )
    assert (summary.pain_before, summary.pain_after) == (9.0, 3.0)


def test_stated_percent_relief_and_its_negation() -> None:
    assert READER.summarize("Trial produced 60% pain relief.").percent_relief == 60.0
    assert READER.summarize("Did not achieve 50% pain relief.").percent_relief is None


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_read_without_error(text: str) -> None:
    summary = READER.summarize(text)
    assert summary.pain_before is None or 0 <= summary.pain_before <= 10
    assert summary.percent_relief is None or 0 <= summary.percent_relief <= 100


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300),
    st.sampled_from(["text/plain", "text/html", "application/pdf", "", "text/html; x"]),
)
def test_any_attachment_bytes_are_decoded_or_refused(data: bytes, content_type: str) -> None:
    from cds_service.note_text import attachment_text

    result = attachment_text(data, content_type)
    assert result is None or isinstance(result, str)


# --- Bounded reading: caps, the per-call budget, and what the summary says about them ------

LITERALS = [
    "favorable candidate", "pump alarm", "pocket infection", "hospice", "nausea", "sedation",
    "missed refill", "inadequate relief", "life expectancy", "defer", "sepsis", "pain score",
]  # fmt: skip
NEGATIONS = ["no", "denies", "not", "without", "negative for", "if", "rule out", "history of"]
FILLER = "Routine follow-up visit, vitals reviewed and stable today. "  # names no target


def _dense(separator: str, size: int) -> str:
    """Target phrases each after a negation cue: as many modifiers as targets."""
    unit = separator.join(f"{NEGATIONS[i % 8]} {lit}" for i, lit in enumerate(LITERALS))
    return ((unit + separator) * (size // len(unit) + 1))[:size]


def _filler(size: int) -> str:
    return (FILLER * (size // len(FILLER) + 1))[:size]


ADVERSARIAL = {
    "dense, no sentence breaks": _dense(" ", 100_000),
    "dense, sentence breaks": _dense(". ", 100_000),
    "dense, 340 KB": _dense(" ", 340_000),
    "pain scores": "baseline 9/10 after 3/10 " * 4_000,
    "cue words around each phrase": ("if " * 300 + "pump alarm. ") * 100,
    "one 50 KB word": "x" * 50_000 + " pump alarm",
    "semicolons": "; " * 20_000 + "pump alarm",
}


class PipelineSpy:
    """Records every chunk of text that reaches spaCy (the costly part), in either pipeline."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.chunks: list[str] = []  # read by the concept pipeline
        self.concern_chunks: list[str] = []  # read again for concern cues
        self._real = READER._run_pipeline
        monkeypatch.setattr(READER, "_run_pipeline", self)

    def __call__(self, chunk: str, nlp: object = None) -> object:
        (self.chunks if nlp is None else self.concern_chunks).append(chunk)
        return self._real(chunk, nlp)

    @property
    def chars(self) -> int:
        """Characters sent to spaCy by both pipelines."""
        return sum(len(c) for c in [*self.chunks, *self.concern_chunks])

    @property
    def squares(self) -> int:
        """ConText's work grows with the square of a Doc: the sum of squared chunk sizes."""
        return sum(len(c) ** 2 for c in [*self.chunks, *self.concern_chunks])


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> PipelineSpy:
    return PipelineSpy(monkeypatch)


def _assert_bounded_chunks(chunks: list[str]) -> None:
    for chunk in chunks:
        assert len(chunk) <= MAX_CHUNK_CHARS
        assert len(READER._cue_starts(chunk)) <= MAX_CUES_PER_CHUNK
        assert len(READER._targets.findall(chunk)) <= MAX_MATCHES_PER_CHUNK


def test_ordinary_notes_are_read_completely(spy: PipelineSpy) -> None:
    text = (
        "Psychology evaluation. Baseline pain 8/10. Denies suicidal ideation. "
        "No psychological contraindications; cleared for implantation. "
        "Impression: favorable candidate.\n" + _filler(3_000)
    )
    summary = READER.summarize(text)
    assert summary.complete and candidacy(summary) == "favorable"
    # The relevant sentences, in one Doc per section (a header starts a new one).
    assert len(spy.chunks) == 2 and spy.chunks[1].startswith("Impression:")
    assert READER.summarize("").complete and READER.summarize(_filler(5_000)).complete


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_notes_are_read_in_bounded_work_and_marked_incomplete(
    name: str, spy: PipelineSpy
) -> None:
    text = ADVERSARIAL[name]
    summary = READER.summarize(text)
    assert summary.complete is False
    _assert_bounded_chunks(spy.chunks)
    # The concern pass reads only chunks already read, each at most once more.
    assert set(spy.concern_chunks) <= set(spy.chunks)
    assert len(spy.concern_chunks) <= len(spy.chunks)
    assert spy.chars <= 2 * MAX_NOTE_CHARS
    assert len(spy.chunks) <= MAX_MATCHES_PER_NOTE  # every chunk holds at least one match
    assert sum(len(READER._targets.findall(c)) for c in spy.chunks) <= MAX_MATCHES_PER_NOTE


@pytest.mark.parametrize(
    "unit",
    [
        "no pump alarm. ",
        "if if if if if if if if if if pump alarm. ",
        "denies nausea; no sedation; favorable candidate. ",
        "Pain score 9/10 before, 3/10 after; no infection; if hospice. ",
    ],
)
def test_work_at_most_doubles_when_the_note_doubles(
    unit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linear cost below the caps: chars sent, chunks and squared chunk sizes scale by ≤ 2."""
    work = []
    for repeats in (20, 40):
        spy = PipelineSpy(monkeypatch)
        READER.summarize(unit * repeats)
        work.append((spy.chars, len(spy.chunks), spy.squares))
    (chars, chunks, squares), (chars2, chunks2, squares2) = work
    assert chars < chars2 <= 2 * chars + len(unit)
    assert chunks2 <= 2 * chunks + 1
    assert squares2 <= 2 * squares + MAX_CHUNK_CHARS**2


def test_a_mention_in_the_read_part_is_asserted_one_beyond_the_cap_is_not() -> None:
    text = "Pump alarm sounded; reservoir was empty. " + _filler(MAX_NOTE_CHARS) + "In hospice."
    summary = READER.summarize(text)
    assert summary.has("EMPTY_PUMP")
    assert not summary.has("TERMINAL")
    assert summary.complete is False
    assert READER.may_mention(text, ("TERMINAL",))  # cannot be ruled out: not fully read


def test_may_mention_scans_no_more_than_is_read() -> None:
    """Past the cap it cannot rule a mention out, so it answers True without scanning."""
    assert not READER.may_mention(_filler(MAX_NOTE_CHARS), ("TERMINAL",))
    assert READER.may_mention(_filler(MAX_NOTE_CHARS + 1), ("TERMINAL",))
    assert READER.summarize(_filler(MAX_NOTE_CHARS + 1)).complete is False


def test_relevant_sentences_are_packed_into_chunks_within_the_size_cap(spy: PipelineSpy) -> None:
    sentence = "Pump alarm sounded " + "overnight and beeped loudly for several minutes " * 4 + ". "
    summary = READER.summarize(sentence * 60)
    assert summary.complete and summary.has("EMPTY_PUMP")
    assert all(len(c) <= MAX_CHUNK_CHARS for c in spy.chunks)
    assert all(len(c) > MAX_CHUNK_CHARS - 2 * len(sentence) for c in spy.chunks[:-1])


def test_the_sentence_cut_by_the_cap_is_not_read() -> None:
    """A cut can separate a phrase from what negates it ('... infection | has resolved')."""
    head = _filler(MAX_NOTE_CHARS - len(". Pocket infection")) + ". "
    text = head + "Pocket infection has resolved."
    assert text[:MAX_NOTE_CHARS].endswith(". Pocket infection")
    summary = READER.summarize(text)
    assert not summary.has("SITE_INFECTION")
    assert summary.complete is False


def test_matches_beyond_the_per_note_cap_are_not_read(spy: PipelineSpy) -> None:
    text = "Erythema and drainage: pocket infection. " + "Pain score 5/10. " * 600 + "In hospice."
    summary = READER.summarize(text)
    assert summary.has("SITE_INFECTION") and not summary.has("TERMINAL")
    assert summary.complete is False
    assert sum(len(READER._targets.findall(c)) for c in spy.chunks) <= MAX_MATCHES_PER_NOTE


def test_an_over_long_sentence_is_split_and_marked_incomplete(spy: PipelineSpy) -> None:
    text = "Favorable candidate for the pump, " + "and then some more words " * 200 + "nausea"
    summary = READER.summarize(text)
    assert summary.has("FAVORABLE_CANDIDATE", "SIDE_EFFECTS")
    assert summary.complete is False
    assert len(spy.chunks) == 2
    _assert_bounded_chunks(spy.chunks)


def test_html_cells_are_separate_sentences_but_plain_line_wraps_are_not() -> None:
    from cds_service.note_text import attachment_text

    html = b"<table><tr><td>Denies nausea</td><td>Pump alarm sounded</td></tr></table>"
    assert READER.summarize(attachment_text(html, "text/html") or "").has("EMPTY_PUMP")
    assert not READER.summarize("Patient denies nausea and\npump alarm today.").has("EMPTY_PUMP")


def test_an_exhausted_budget_reads_nothing_and_says_so(spy: PipelineSpy) -> None:
    for budget in (ReadingBudget(0), ReadingBudget(10**6, deadline=time.monotonic() - 1)):
        summary = READER.summarize("Enrolled in hospice. " + _filler(1_000), budget)
        assert summary == NOT_READ and summary.complete is False
        assert budget.exhausted
    assert spy.chunks == []
    assert READER.summarize("", ReadingBudget(0)).complete  # nothing to read is not a gap


def test_the_budget_is_shared_by_the_notes_of_one_call() -> None:
    first = "Pump alarm sounded. " + _filler(1_000)
    second = "Enrolled in hospice. " + _filler(1_000)
    budget = ReadingBudget(len(first) + 30)
    assert READER.summarize(first, budget).complete
    partial = READER.summarize(second, budget)
    assert partial.complete is False and partial.has("TERMINAL")  # its first 30 chars were read
    assert READER.summarize(second, budget) == NOT_READ
    assert budget.remaining == 0


def test_the_deadline_stops_between_chunks_and_keeps_what_was_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    budget = ReadingBudget.lasting(60.0)
    real = READER._run_pipeline

    def expire_after_first_chunk(chunk: str, nlp: object = None) -> object:
        budget.deadline = time.monotonic() - 1
        return real(chunk, nlp)

    monkeypatch.setattr(READER, "_run_pipeline", expire_after_first_chunk)
    # Two blocks, so two chunks; longer than a cached short text.
    text = "Pump alarm sounded. " + _filler(400) + "\u2029Enrolled in hospice."
    summary = READER.summarize(text, budget)
    assert summary.has("EMPTY_PUMP") and not summary.has("TERMINAL")
    assert summary.complete is False


def test_the_short_text_cache_never_serves_a_budget_cut_read() -> None:
    text = "Discontinued due to nausea; pocket infection"
    cut = READER.summarize(text, ReadingBudget(10))
    assert cut.complete is False and not cut.has("SIDE_EFFECTS")
    whole = READER.summarize(text)
    assert whole.complete and whole.has("SIDE_EFFECTS", "SITE_INFECTION")
    assert READER.summarize(text, ReadingBudget(0)) == NOT_READ  # cached, yet not served


def test_budget_accounting_does_not_depend_on_the_cache() -> None:
    text = "Stopped: inadequate pain relief, unique text 7f3a"
    budget = ReadingBudget(1_000)
    READER.summarize(text, budget)  # first read: a cache miss
    READER.summarize(text, budget)  # a cache hit costs the same characters
    assert budget.remaining == 1_000 - 2 * len(text)


NOTE_PIECES = st.sampled_from(
    [*LITERALS, *NEGATIONS, " ", ". ", "; ", "\n", "\u2029", "x" * 300, "if " * 20, "3/10 "]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(NOTE_PIECES, max_size=200).map("".join))
def test_every_plan_is_bounded(text: str) -> None:
    plan = READER.plan(text)
    _assert_bounded_chunks(list(plan.chunks))
    assert sum(len(c) for c in plan.chunks) <= len(text)


def test_the_nlp_lock_is_held_for_one_chunk_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Between chunks the lock is free, so another thread's note interleaves with a long one."""
    free_between_chunks = []
    real = READER._run_pipeline

    def check_lock(chunk: str, nlp: object = None) -> object:
        free_between_chunks.append(not READER._lock.locked())
        return real(chunk, nlp)

    monkeypatch.setattr(READER, "_run_pipeline", check_lock)
    READER.summarize(ADVERSARIAL["dense, sentence breaks"])
    assert len(free_between_chunks) > 10 and all(free_between_chunks)


@pytest.mark.parametrize(
    ("text", "asserted"),
    [
        ("PMH: pump pocket infection 2021, treated.", False),
        ("Past medical history:\n- pump pocket infection", False),
        ("FHx: mother with meningitis.", False),
        ("Family history: none. Assessment: pump pocket infection.", True),
        ("PMH: HTN. HPI: pump pocket infection since Monday.", True),
        ("Family history\u2029- meningitis (brother)\u2029- sepsis (father)", False),
        ("Family history\n- meningitis (brother)\nExam\n- pump pocket infection", True),
        # a bare "History:" is past history, for its line when its content is on it
        ("History: pump pocket infection 2021 (MRSA), treated with explant.", False),
        ("History: HTN, DM\nPocket red, purulent drainage today.", True),
        ("History of present illness: pocket abscess draining.", True),
        ('He asks whether "the infection is still in there."', False),
        # a header with its content in its own block (an HTML list item) ends with it
        ("PMH: COPD, HTN\u2029Pocket red, purulent drainage.", True),
        ("PMH:\u2029pocket infection 2021", False),
    ],
)
def test_section_headers_decide_whose_and_when(text: str, asserted: bool) -> None:
    """Under family history a mention is a relative's, under past history it is history."""
    summary = READER.summarize(text)
    assert summary.has("SITE_INFECTION", "SYSTEMIC_INFECTION") is asserted


def test_a_doubt_answered_by_a_later_negation_is_no_doubt() -> None:
    """ "r/o pocket abscess" then "no abscess on US" is answered; a doubt after the
    negation, or an assertion, stands."""
    answered = READER.summarize("Admitted to r/o pocket abscess. No abscess on US.")
    assert not answered.unsure("SITE_INFECTION")
    meningitis = READER.summarize("Admitted to r/o meningitis. LP normal, no meningitis.")
    assert not meningitis.unsure("CNS_INFECTION")
    later = READER.summarize("No pocket infection last year. Now r/o pocket infection.")
    assert later.unsure("SITE_INFECTION")


def test_a_quoted_earlier_message_is_verify_not_asserted() -> None:
    """A line quoted from an earlier e-mail is not this note's assertion: a contraindication
    in it reads "verify"; a figure after ">" is no quotation."""
    quoted = READER.summarize("Thanks, will see him today.\n> Pocket abscess, draining pus.")
    assert not quoted.has("SITE_INFECTION") and quoted.unsure("SITE_INFECTION")
    assert READER.summarize("Life expectancy:\n> 1 yr per oncology").prognosis_months == 12
