"""Storage on SQLite and a real PostgreSQL: idempotent feedback, audit trail, jti replay cache."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from cds_service import storage as storage_module
from cds_service.config import default_database_path, default_database_url
from cds_service.errors import ConfigurationError
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


# --- a database that cannot be used stops start-up, naming the setting -------------------


def test_unknown_driver_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"CDS_DATABASE_URL .*unknown database driver"):
        Storage("foo://x")


def test_driver_that_is_not_installed_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="not installed"):
        Storage("mysql://user@127.0.0.1/db")


def test_sqlite_file_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "cds.db"
    with pytest.raises(ConfigurationError, match=re.escape(f"directory {missing.parent} for")):
        Storage(f"sqlite:///{missing}")
    assert not missing.parent.exists()


def test_default_state_directory_is_created_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    store = Storage(default_database_url())
    store.close()
    assert default_database_path().is_file()
    assert stat.S_IMODE(default_database_path().parent.stat().st_mode) == 0o700


def test_reading_never_creates_a_database(tmp_path: Path) -> None:
    path = tmp_path / "cds.db"
    expected = re.escape(f"--database-url: SQLite database {path} ")
    with pytest.raises(ConfigurationError, match=expected):
        Storage(f"sqlite:///{path}", create=False, setting="--database-url")
    assert not path.exists()
    Storage(f"sqlite:///{path}").close()
    reader = Storage(f"sqlite:///{path}", create=False)
    assert list(reader.audit_trail()) == []
    reader.close()


def test_refused_connection_is_one_line_without_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Storage("postgresql+psycopg://u:secretpw@127.0.0.1:1/db")
    message = str(caught.value)
    assert message.startswith("CDS_DATABASE_URL: cannot connect to postgresql+psycopg://u:***@")
    assert "secretpw" not in message and "\n" not in message


def test_silent_server_times_out_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    # A listener that never answers: TCP connects, the PostgreSQL handshake never comes.
    monkeypatch.setattr(storage_module, "CONNECT_TIMEOUT_SECONDS", 2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(ConfigurationError, match="cannot connect"):
            Storage(f"postgresql+psycopg://u@127.0.0.1:{port}/db")
        assert time.monotonic() - started < 8
