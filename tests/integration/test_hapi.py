"""Against a real HAPI FHIR server: load, validate, and the same cards with and without prefetch."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cds_service.app import create_app
from cds_service.cli import main
from cds_service.config import Settings
from cds_service.fhir_loader import load_bundle
from cds_service.gathering import gather
from cds_service.hook_handler import load_services
from cds_service.replay import fhir_authorization
from tests.conftest import AS_OF, FIXTURES, SIGN, hook_request, load_fixture
from tests.integration.conftest import FhirServer

pytestmark = pytest.mark.integration
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.json"))
TEMPLATES = load_services()[SIGN].prefetch
LOCAL_SETTINGS = Settings(as_of=AS_OF, allow_http_localhost=True)
LOCAL = create_app(LOCAL_SETTINGS)


@pytest.fixture(scope="module")
def loaded(hapi: FhirServer) -> FhirServer:
    for name in FIXTURE_NAMES:
        load_bundle(load_fixture(name), hapi.base)
    return hapi


def _replay(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(["replay", *args, "--as-of", AS_OF.isoformat()])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def _cards(response: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Topic, indicator and the evidence ids each card cites."""
    return sorted(
        (
            c["source"]["topic"]["code"],
            c["indicator"],
            tuple(sorted(set(re.findall(r"\(([A-Z][A-Za-z]+/[A-Za-z0-9.\-]+), ", c["detail"])))),
        )
        for c in response["cards"]
    )


def test_every_fixture_loads_idempotently_and_validates(hapi: FhirServer) -> None:
    for name in FIXTURE_NAMES:
        bundle = load_fixture(name)
        load_bundle(bundle, hapi.base)
        again = load_bundle(bundle, hapi.base).total()
        assert again["created"] == 0 and again["updated"] == 0, name
        for entry in bundle["entry"]:
            resource = entry["resource"]
            outcome = requests.post(
                f"{hapi.base}/{resource['resourceType']}/$validate",
                json=resource,
                headers={"Content-Type": "application/fhir+json"},
                timeout=60,
            ).json()
            errors = [
                i for i in outcome.get("issue", []) if i.get("severity") in ("error", "fatal")
            ]
            assert not errors, (name, resource["id"], errors)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_same_cards_without_prefetch(
    loaded: FhirServer, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(FIXTURES / name)
    with_prefetch = _replay(capsys, path)
    without = _replay(capsys, path, "--fhir-server", loaded.base, "--fhir-token", loaded.token)
    partial = _replay(capsys, path, "--fhir-server", loaded.base, "--prefetch", "partial")
    assert _cards(without) == _cards(with_prefetch)
    assert _cards(partial) == _cards(with_prefetch)


def _big_record() -> dict[str, Any]:
    """The documented refill patient with 70 extra old pain scores: several pages of results."""
    bundle = copy.deepcopy(load_fixture("refill-criteria-met.json"))
    text = json.dumps(bundle).replace("refill-ok", "paging")
    bundle = json.loads(text)
    for n in range(70):
        when = dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)
        bundle["entry"].append(
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": f"paging-old-{n}",
                    "status": "final",
                    "subject": {"reference": "Patient/paging-patient"},
                    "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                    "effectiveDateTime": when.isoformat(),
                    "valueQuantity": {"value": 9},
                }
            }
        )
    return bundle


def test_paging_follows_next_links(
    loaded: FhirServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _big_record()
    load_bundle(bundle, loaded.base)
    first = requests.get(
        f"{loaded.base}/Observation", params={"patient": "paging-patient"}, timeout=30
    ).json()
    assert any(link["relation"] == "next" for link in first.get("link", []))
    request = hook_request("refill-criteria-met.json", TEMPLATES)
    del request["prefetch"]
    request["context"]["patientId"] = "paging-patient"
    request["fhirServer"] = loaded.base
    record = gather(
        request,
        load_services()[SIGN].templates(),
        LOCAL.extensions["hook_handler"].client_factory(),
    )
    assert len(record.of_type("Observation")) == 72
    path = tmp_path / "paging.json"
    path.write_text(json.dumps(bundle))
    assert _cards(_replay(capsys, str(path), "--fhir-server", loaded.base)) == _cards(
        _replay(capsys, str(path))
    )


def _post_without_prefetch(base: str, token: str | None, settings: Settings | None = None) -> Any:
    request = hook_request("s1-implant-spondylosis.json", TEMPLATES)
    del request["prefetch"]
    request["fhirServer"] = base
    if token:
        request["fhirAuthorization"] = fhir_authorization(token)
    client = create_app(settings or LOCAL_SETTINGS).test_client()
    return client.post(f"/cds-services/{SIGN}", json=request)


def test_right_token_passes_and_wrong_token_is_412(loaded: FhirServer) -> None:
    if not loaded.token:
        pytest.skip("this HAPI server was started without HAPI_REQUIRE_TOKEN")
    assert _post_without_prefetch(loaded.base, loaded.token).status_code == 200
    refused = _post_without_prefetch(loaded.base, "expired-token")
    assert refused.status_code == 412
    assert "HTTP 401" in refused.get_json()["issue"][0]["diagnostics"]
    assert "expired-token" not in refused.get_data(as_text=True)


def test_server_down_is_412_quickly() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    response = _post_without_prefetch(f"http://127.0.0.1:{port}/fhir", "t")
    assert response.status_code == 412
    assert time.monotonic() - started < 5


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/fhir"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def test_hanging_server_is_412_within_the_read_timeout(black_hole: str) -> None:
    started = time.monotonic()
    response = _post_without_prefetch(
        black_hole, "t", Settings(as_of=AS_OF, fhir_read_timeout=1.0, allow_http_localhost=True)
    )
    assert response.status_code == 412
    assert "could not be reached" in response.get_json()["issue"][0]["diagnostics"]
    assert time.monotonic() - started < 4
