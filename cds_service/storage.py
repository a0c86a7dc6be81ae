"""Durable storage: CDS feedback, the evaluation audit trail, and the JWT replay cache.

SQLAlchemy over SQLite by default (WAL, synchronous FULL, so a committed row
survives the process being killed) or PostgreSQL for several instances. Writes are
idempotent where the protocol allows a client to resend: the same feedback entry,
or the same token id, is stored once.

A database that cannot be used (unknown driver, unreachable server, a SQLite file in a
missing directory) is a ConfigurationError at start-up, named after the setting it came
from, instead of a traceback or a 503 on every later call.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    exc,
    make_url,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from cds_service.config import default_database_path
from cds_service.errors import ConfigurationError

# Seconds to wait for a database server to accept a connection: an unreachable host must
# stop start-up quickly, not after the operating system's TCP timeout (minutes).
CONNECT_TIMEOUT_SECONDS = 5

metadata = MetaData()

feedback_table = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(128), nullable=False),
    Column("card_uuid", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("outcome_timestamp", String(40), nullable=False),
    Column("accepted_suggestions", Text, nullable=False, default="[]"),
    Column("override_reason", Text, nullable=True),
    Column("user_comment", Text, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "service_id", "card_uuid", "outcome", "outcome_timestamp", name="uq_feedback_entry"
    ),
)

audit_table = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hook_instance", String(128), nullable=False, index=True),
    Column("evaluated_at", DateTime(timezone=True), nullable=False, index=True),
    Column("service_id", String(128), nullable=False),
    Column("policy", String(64), nullable=False),
    Column("policy_version", String(32), nullable=False),
    Column("request_type", String(32), nullable=True),
    Column("topics", Text, nullable=False),
    Column("evidence_ids", Text, nullable=False),
    Column("card_uuids", Text, nullable=False),
)

jti_table = Table(
    "jwt_replay",
    metadata,
    Column("issuer", String(512), primary_key=True),
    Column("jti", String(256), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)


@dataclass(frozen=True)
class AuditRecord:
    hook_instance: str
    evaluated_at: dt.datetime
    service_id: str
    policy: str
    policy_version: str
    request_type: str | None
    topics: tuple[str, ...]
    evidence_ids: tuple[str, ...]
    card_uuids: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "hookInstance": self.hook_instance,
            "evaluatedAt": self.evaluated_at.isoformat(),
            "service": self.service_id,
            "policy": self.policy,
            "policyVersion": self.policy_version,
            "requestType": self.request_type,
            "topics": list(self.topics),
            "evidence": list(self.evidence_ids),
            "cards": list(self.card_uuids),
        }


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _first_line(error: BaseException) -> str:
    """The driver's own reason (``orig`` for DBAPI errors), one line, for a one-line message."""
    reason = getattr(error, "orig", None) or error
    lines = str(reason).strip().splitlines()
    return lines[0][:300] if lines else type(reason).__name__


def _parse(url: str, setting: str) -> URL:
    try:
        return make_url(url)
    except (exc.ArgumentError, ValueError) as error:
        raise ConfigurationError(f"{setting} is not a database URL") from error


def _engine(url: URL, setting: str) -> Engine:
    """An engine for ``url``; a driver that is unknown or not installed is a setting error."""
    if url.get_backend_name() == "sqlite" and not url.database:
        # One in-memory database shared by every thread of this process (tests, replay).
        return create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    try:
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except exc.NoSuchModuleError as error:
        raise ConfigurationError(
            f"{setting} names an unknown database driver {url.drivername!r}"
        ) from error
    except ImportError as error:
        raise ConfigurationError(
            f"{setting} needs a database driver that is not installed ({error})"
        ) from error


def _sqlite_file(url: URL) -> Path | None:
    """The SQLite database file, or None for in-memory and ``file:`` URI databases."""
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _check_sqlite_file(path: Path, create: bool, setting: str) -> None:
    """Refuse a SQLite file that reading would silently create, or whose directory is missing.

    Only the per-user state directory of the default path is created: any other missing
    directory is most likely a typo in the setting.
    """
    if not create:
        if not path.is_file():
            which = "the default " if path == default_database_path() else ""
            raise ConfigurationError(
                f"{setting}: {which}SQLite database {path} does not exist "
                "(audit reads the database serve writes; it never creates one)"
            )
        return
    if path.parent.is_dir():
        return
    if path != default_database_path():
        raise ConfigurationError(
            f"{setting}: directory {path.parent} for the SQLite database does not exist"
        )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"cannot create {path.parent} for the default database ({error.strerror}); "
            "set CDS_DATABASE_URL"
        ) from error


class Storage:
    """The service's database.

    ``create=False`` (the ``audit`` command) reads what exists and changes nothing: no
    new database file, no tables. ``setting`` names where ``url`` came from, for errors.
    """

    def __init__(self, url: str, *, create: bool = True, setting: str = "CDS_DATABASE_URL"):
        self.url = url
        parsed = _parse(url, setting)
        self._shown_url = parsed.render_as_string(hide_password=True)
        self._setting = setting
        sqlite_file = _sqlite_file(parsed)
        if sqlite_file is not None:
            _check_sqlite_file(sqlite_file, create, setting)
        self.engine: Engine = _engine(parsed, setting)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._insert = (
            postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        )
        self._check_connection()
        if create:
            self._create_schema()

    def _check_connection(self) -> None:
        """Connect once now, so a wrong or unreachable database stops start-up in one line."""
        try:
            with self.engine.connect():
                pass
        except exc.SQLAlchemyError as error:
            self.engine.dispose()
            raise ConfigurationError(
                f"{self._setting}: cannot connect to {self._shown_url}: {_first_line(error)}"
            ) from error

    def _create_schema(self) -> None:
        """Create missing tables; a lost race (several workers start at once) is retried."""
        for _ in range(3):
            try:
                metadata.create_all(self.engine, checkfirst=True)
                return
            except (exc.OperationalError, exc.ProgrammingError, exc.IntegrityError):
                continue
        try:
            metadata.create_all(self.engine, checkfirst=True)
        except exc.SQLAlchemyError as error:
            raise ConfigurationError(
                f"{self._setting}: cannot create the tables in {self._shown_url}: "
                f"{_first_line(error)}"
            ) from error

    def close(self) -> None:
        self.engine.dispose()

    # --- feedback -------------------------------------------------------------------------

    def store_feedback(self, service_id: str, entries: list[dict[str, Any]]) -> tuple[int, int]:
        """Store feedback entries in one transaction; returns (stored, already present)."""
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "service_id": service_id,
                "card_uuid": entry["card"],
                "outcome": entry["outcome"],
                "outcome_timestamp": entry["outcomeTimestamp"],
                "accepted_suggestions": json.dumps(entry.get("acceptedSuggestions") or []),
                "override_reason": json.dumps((entry.get("overrideReason") or {}).get("reason")),
                "user_comment": (entry.get("overrideReason") or {}).get("userComment"),
                "received_at": now,
            }
            for entry in entries
        ]
        stored = 0
        with self.engine.begin() as connection:
            for row in rows:
                statement = (
                    self._insert(feedback_table)
                    .values(**row)
                    .on_conflict_do_nothing()
                    .returning(feedback_table.c.id)
                )
                # RETURNING, not rowcount: psycopg reports -1 for ON CONFLICT DO NOTHING.
                stored += len(connection.execute(statement).all())
        return stored, len(rows) - stored

    def feedback_count(self) -> int:
        with self.engine.connect() as connection:
            return len(connection.execute(select(feedback_table.c.id)).all())

    def feedback_cards(self) -> set[str]:
        with self.engine.connect() as connection:
            return {row[0] for row in connection.execute(select(feedback_table.c.card_uuid))}

    # --- audit ----------------------------------------------------------------------------

    def record_evaluation(self, record: AuditRecord) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                audit_table.insert().values(
                    hook_instance=record.hook_instance,
                    evaluated_at=record.evaluated_at,
                    service_id=record.service_id,
                    policy=record.policy,
                    policy_version=record.policy_version,
                    request_type=record.request_type,
                    topics=json.dumps(list(record.topics)),
                    evidence_ids=json.dumps(list(record.evidence_ids)),
                    card_uuids=json.dumps(list(record.card_uuids)),
                )
            )

    def audit_trail(self, since: dt.datetime | None = None) -> Iterator[AuditRecord]:
        query = select(audit_table).order_by(audit_table.c.evaluated_at, audit_table.c.id)
        if since is not None:
            query = query.where(audit_table.c.evaluated_at >= since)
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                yield AuditRecord(
                    hook_instance=row.hook_instance,
                    evaluated_at=_utc(row.evaluated_at),
                    service_id=row.service_id,
                    policy=row.policy,
                    policy_version=row.policy_version,
                    request_type=row.request_type,
                    topics=tuple(json.loads(row.topics)),
                    evidence_ids=tuple(json.loads(row.evidence_ids)),
                    card_uuids=tuple(json.loads(row.card_uuids)),
                )

    # --- JWT replay cache -----------------------------------------------------------------

    def claim_jti(self, issuer: str, jti: str, expires_at: dt.datetime) -> bool:
        """True the first time (issuer, jti) is seen; False for a replay. Shared by all workers."""
        now = dt.datetime.now(dt.UTC)
        with self.engine.begin() as connection:
            connection.execute(delete(jti_table).where(jti_table.c.expires_at < now))
            statement = (
                self._insert(jti_table)
                .values(issuer=issuer, jti=jti, expires_at=expires_at)
                .on_conflict_do_nothing()
                .returning(jti_table.c.jti)
            )
            return connection.execute(statement).first() is not None
