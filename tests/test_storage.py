"""Storage on SQLite and a real PostgreSQL: idempotent feedback, audit trail, jti replay cache."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from cds_service.storage import AuditRecord, Storage

POSTGRES = os.environ.get("CDS_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "sqlite":
        store = Storage(f"sqlite:///{tmp_path / 'cds.db'}")
    else:
        if not POSTGRES:
            pytest.skip(
                "CDS_TEST_POSTGRES_URL is not set (scripts/postgres-test-server starts one)"
            )
        store = Storage(POSTGRES)
        with store.engine.begin() as connection:
            for table in ("feedback", "audit", "jwt_replay"):
                connection.execute(text(f"DELETE FROM {table}"))
    yield store
    store.close()


def _entry(card: str, outcome: str = "overridden") -> dict[str, object]:
    entry: dict[str, object] = {
        "card": card,
        "outcome": outcome,
        "outcomeTimestamp": "2026-11-21T10:00:00Z",
    }
    if outcome == "overridden":
        entry["overrideReason"] = {
            "reason": {"system": "x", "code": "clinical-judgment"},
            "userComment": "ok",
        }
    return entry


def test_feedback_is_idempotent(storage: Storage) -> None:
    card = str(uuid.uuid4())
    assert storage.store_feedback("svc", [_entry(card), _entry(str(uuid.uuid4()), "accepted")]) == (
        2,
        0,
    )
    assert storage.store_feedback("svc", [_entry(card)]) == (0, 1)
    assert storage.feedback_count() == 2


def test_audit_trail_round_trip_and_since(storage: Storage) -> None:
    old = AuditRecord(
        "h1",
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "svc",
        "default",
        "1",
        "refill",
        ("psych-evaluation",),
        ("Procedure/p1",),
        ("c1",),
    )
    new = AuditRecord(
        "h2",
        dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
        "svc",
        "strict",
        "1",
        "implant",
        ("criteria-met",),
        ("Observation/o1", "Procedure/p2"),
        ("c2",),
    )
    storage.record_evaluation(old)
    storage.record_evaluation(new)
    assert list(storage.audit_trail()) == [old, new]
    assert list(storage.audit_trail(dt.datetime(2026, 6, 1, tzinfo=dt.UTC))) == [new]


def test_jti_can_be_claimed_once(storage: Storage) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    assert storage.claim_jti("iss", "abc", expires)
    assert not storage.claim_jti("iss", "abc", expires)
    assert storage.claim_jti("other-iss", "abc", expires)


def test_expired_jtis_are_pruned(storage: Storage) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    assert storage.claim_jti("iss", "old", past)
    assert storage.claim_jti("iss", "old", dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))


def test_second_storage_on_the_same_database_shares_state(storage: Storage) -> None:
    other = Storage(storage.url)
    try:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
        assert storage.claim_jti("iss", "shared", expires)
        assert not other.claim_jti("iss", "shared", expires)
    finally:
        other.close()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    store = Storage(f"sqlite:///{tmp_path / 'wal.db'}")
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    store.close()
