"""A real HAPI FHIR server for the integration tests: the one CI started, or our own.

CI (.ci/run) starts scripts/hapi-fhir-server once and exports CDS_TEST_FHIR_SERVER and
CDS_TEST_FHIR_TOKEN. Without them, the session starts its own server when Java and
Maven are installed, and the tests skip with the reason when they are not.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from tests.conftest import ROOT, free_port

STARTUP_SECONDS = 420  # includes the first Maven build on an empty repository


@dataclass(frozen=True)
class FhirServer:
    base: str
    token: str


def _wait_for_metadata(base: str, process: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"HAPI FHIR server exited with {process.returncode} during start-up")
        try:
            if requests.get(f"{base}/metadata", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(
        f"HAPI FHIR server at {base} did not answer /metadata in {STARTUP_SECONDS} s"
    )


@pytest.fixture(scope="session")
def hapi() -> Iterator[FhirServer]:
    base = os.environ.get("CDS_TEST_FHIR_SERVER")
    if base:
        _wait_for_metadata(base, None)
        yield FhirServer(base, os.environ.get("CDS_TEST_FHIR_TOKEN", ""))
        return
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"{' and '.join(missing)} not installed: the HAPI FHIR integration tests need JDK 17 "
            "and Maven (see scripts/hapi-fhir-server)"
        )
    token = secrets.token_urlsafe(16)
    port = free_port()
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "hapi-fhir-server"), str(port)],
        env={**os.environ, "HAPI_REQUIRE_TOKEN": token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/fhir"
    try:
        _wait_for_metadata(base, process)
        yield FhirServer(base, token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
