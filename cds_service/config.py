"""Runtime settings, read once from the environment with embedded defaults."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Settings:
    """What an operator can set; everything has a default so the service runs with none."""

    policy_override: str | None = None
    as_of: dt.date | None = None
    fhir_connect_timeout: float = 3.05
    fhir_read_timeout: float = 10.0
    fhir_max_pages: int = 50
    max_body_bytes: int = 50 * 1024 * 1024
    log_level: str = "INFO"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            policy_override=os.environ.get("CDS_POLICY") or None,
            fhir_connect_timeout=_float("CDS_FHIR_CONNECT_TIMEOUT", 3.05),
            fhir_read_timeout=_float("CDS_FHIR_READ_TIMEOUT", 10.0),
            fhir_max_pages=int(_float("CDS_FHIR_MAX_PAGES", 50)),
            max_body_bytes=int(_float("CDS_MAX_BODY_BYTES", 50 * 1024 * 1024)),
            log_level=os.environ.get("CDS_LOG_LEVEL", "INFO"),
        )

    def evaluation_date(self) -> dt.date:
        """The as-of date: fixed for replay, otherwise today (UTC)."""
        return self.as_of or dt.datetime.now(dt.UTC).date()
