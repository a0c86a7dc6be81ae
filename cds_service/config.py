"""Runtime settings, read once from the environment with embedded defaults."""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from cds_service.errors import ConfigurationError


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive, got {raw!r}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def _list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


def _log_level(name: str, default: str) -> str:
    """The level name, checked now: ``logging`` would only fail later, with a traceback."""
    raw = os.environ.get(name) or default
    known = [level for level in logging.getLevelNamesMapping() if level != "NOTSET"]
    if raw.upper() not in known:
        raise ConfigurationError(f"{name} must be one of {', '.join(known)}, got {raw!r}")
    return raw.upper()


def default_database_path() -> Path:
    """The served SQLite file: one absolute per-user path, whatever the working directory.

    A path relative to the working directory made ``audit`` run elsewhere read (and
    create) a different, empty database. XDG Base Directory: ``$XDG_STATE_HOME`` if it
    is absolute, else ``~/.local/state``.
    """
    state = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(state):
        try:
            state = str(Path.home() / ".local" / "state")
        except RuntimeError as exc:  # no $HOME and no password-database entry
            raise ConfigurationError(
                "cannot find a home directory for the default database; set CDS_DATABASE_URL"
            ) from exc
    return Path(state) / "itdd-cds" / "itdd-cds.db"


def default_database_url() -> str:
    """``sqlite:///`` + the absolute default path (four slashes in all)."""
    return f"sqlite:///{default_database_path()}"


def _database_url(name: str) -> str:
    """The URL, with its driver checked now so a typo fails even where no database is opened."""
    raw = os.environ.get(name)
    if not raw:
        return default_database_url()
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    expected = "expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        raise ConfigurationError(f"{name} is not a database URL; {expected}") from exc
    try:
        url.get_dialect()
    except NoSuchModuleError as exc:
        raise ConfigurationError(
            f"{name} names an unknown database driver {url.drivername!r}; {expected}"
        ) from exc
    return raw


@dataclass(frozen=True)
class Settings:
    """What an operator can set; everything has a default so the service runs with none.

    The dataclass defaults suit tests and replay (in-memory database); ``from_env``
    gives the served defaults (a SQLite file at ``default_database_path()``) and checks
    the syntax of every variable, so a typo stops start-up with one line naming it.
    """

    policy_override: str | None = None
    as_of: dt.date | None = None
    fhir_connect_timeout: float = 3.05
    fhir_read_timeout: float = 10.0
    fhir_max_pages: int = 50
    hook_time_budget: float = 4.0
    max_body_bytes: int = 50 * 1024 * 1024
    log_level: str = "INFO"
    database_url: str = "sqlite://"
    fhir_server_allowlist: tuple[str, ...] = ()
    allow_http_localhost: bool = False
    jwt_required: bool = False
    trusted_clients_file: str | None = None
    public_base_url: str | None = None
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    bench_baseline: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from ``CDS_*`` variables; raises ConfigurationError naming a bad one."""
        return cls(
            policy_override=os.environ.get("CDS_POLICY") or None,
            fhir_connect_timeout=_float("CDS_FHIR_CONNECT_TIMEOUT", 3.05),
            fhir_read_timeout=_float("CDS_FHIR_READ_TIMEOUT", 10.0),
            fhir_max_pages=int(_float("CDS_FHIR_MAX_PAGES", 50)),
            hook_time_budget=_float("CDS_HOOK_TIME_BUDGET", 4.0),
            max_body_bytes=int(_float("CDS_MAX_BODY_BYTES", 50 * 1024 * 1024)),
            log_level=_log_level("CDS_LOG_LEVEL", "INFO"),
            database_url=_database_url("CDS_DATABASE_URL"),
            fhir_server_allowlist=_list("CDS_FHIR_SERVER_ALLOWLIST"),
            allow_http_localhost=_bool("CDS_ALLOW_HTTP_LOCALHOST", False),
            jwt_required=_bool("CDS_JWT_REQUIRED", False),
            trusted_clients_file=os.environ.get("CDS_TRUSTED_CLIENTS_FILE") or None,
            public_base_url=os.environ.get("CDS_PUBLIC_BASE_URL") or None,
            cors_origins=_list("CDS_CORS_ORIGINS"),
            bench_baseline=_bool("CDS_BENCH_BASELINE", False),
        )

    def evaluation_date(self) -> dt.date:
        """The as-of date: fixed for replay, otherwise today (UTC)."""
        return self.as_of or dt.datetime.now(dt.UTC).date()
