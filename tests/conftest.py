"""Shared test helpers: the app under a fixed evaluation date, fixtures and schemas."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_service.app import create_app
from cds_service.config import Settings
from cds_service.replay import request_from_bundle
from cds_service.resources import validator

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fhir_fixtures"
TEST_DATA = Path(__file__).resolve().parent / "data"
AS_OF = dt.date(2026, 11, 21)
SIGN, SELECT = "itdd-order-sign", "itdd-order-select"


def card_topics() -> set[str]:
    """Every topic a card can carry: the catalogue's criteria (criteria-met included)."""
    from cds_service.catalogue import default_catalogue

    return set(default_catalogue().criteria)


def free_port() -> int:
    """A loopback port nobody is listening on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, seconds: float) -> None:
    """Poll ``url`` until it answers 200, or fail the test after ``seconds``."""
    import time

    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {seconds:g} s")


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def topics(response: dict[str, Any]) -> set[str]:
    return {card["source"]["topic"]["code"] for card in response["cards"]}


def assert_valid_response(response: dict[str, Any]) -> None:
    errors = list(validator("cds-hooks-response.schema.json").iter_errors(response))
    assert not errors, [e.message for e in errors]


@pytest.fixture
def client() -> FlaskClient:
    return create_app(Settings(as_of=AS_OF)).test_client()


@pytest.fixture
def templates(client: FlaskClient) -> dict[str, str]:
    services = client.get("/cds-services").get_json()["services"]
    return next(s["prefetch"] for s in services if s["id"] == SIGN)


def hook_request(
    name: str, templates: dict[str, str], hook: str = "order-sign", keys: set[str] | None = None
) -> dict[str, Any]:
    return request_from_bundle(load_fixture(name), hook, templates, keys)


# --- under CI, a skipped integration test is a failure ------------------------------------

_SKIPPED_INTEGRATION: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "integration" in report.keywords:
        _SKIPPED_INTEGRATION.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") == "true" and _SKIPPED_INTEGRATION:
        count = len(_SKIPPED_INTEGRATION)
        print(f"\nCI=true: {count} skipped integration test(s) fail the run:")
        for nodeid in _SKIPPED_INTEGRATION[:10]:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
