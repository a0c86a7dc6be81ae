"""Exceptions that carry an HTTP status, and the OperationOutcome bodies they become."""

from __future__ import annotations

from typing import Any


class ConfigurationError(Exception):
    """A data file, policy or setting is invalid: the service must not start with it."""


class ClientError(Exception):
    """The caller sent something we cannot act on; maps to a 4xx response."""

    def __init__(
        self, status: int, message: str, expression: str | None = None, code: str = "invalid"
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.expression = expression
        self.code = code


class ServiceUnavailableError(Exception):
    """A dependency of ours (the audit store) failed: 503, never blamed on the caller."""


class DataUnavailableError(ClientError):
    """The patient data could be had neither from prefetch nor from the FHIR server (412)."""

    def __init__(self, message: str, expression: str | None = None):
        super().__init__(412, message, expression, code="not-found")


def operation_outcome(
    message: str, *, code: str = "invalid", expression: str | None = None, severity: str = "error"
) -> dict[str, Any]:
    """A FHIR OperationOutcome naming the problem (and the field, when there is one)."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}
