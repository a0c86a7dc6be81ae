"""Structured JSON-line logs carrying only whitelisted, non-clinical fields."""

from __future__ import annotations

import json
import logging
import time

from cds_service.errors import ConfigurationError

# Only these `extra` fields reach the log: identifiers of the call, never tokens or patient data.
SAFE_FIELDS = (
    "hook_instance",
    "service",
    "policy",
    "request_type",
    "topics",
    "duration_ms",
    "status",
    "skipped_resources",
    "resource_type",
    "reason",
    "failed_keys",
    "method",
    "path",
)


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in SAFE_FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, default=str)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the service's loggers.

    An unknown level is a ConfigurationError before anything changes: ``setLevel`` would
    raise a bare ValueError, which reached the user as a traceback.
    """
    if level.upper() not in logging.getLevelNamesMapping():
        raise ConfigurationError(f"log level {level!r} (CDS_LOG_LEVEL) is not a logging level")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger("cds_service")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
