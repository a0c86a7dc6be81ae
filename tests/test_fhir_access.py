"""fhirServer checks happen before any outbound request; the time budget bounds every call."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from cds_service.app import create_app
from cds_service.config import Settings
from cds_service.errors import ClientError
from cds_service.fhir_access import check_fhir_server
from cds_service.replay import fhir_authorization
from tests.conftest import AS_OF, SIGN, hook_request


@pytest.mark.parametrize(
    ("url", "allowlist", "localhost", "allowed"),
    [
        ("https://ehr.example.org/fhir", (), False, True),
        ("http://ehr.example.org/fhir", (), False, False),
        ("http://127.0.0.1:8080/fhir", (), False, False),
        ("http://127.0.0.1:8080/fhir", (), True, True),
        ("http://localhost/fhir", (), True, True),
        ("http://10.0.0.5/fhir", (), True, False),
        ("https://169.254.169.254/latest", (), False, False),
        ("https://10.1.2.3/fhir", (), False, False),
        ("https://[::1]/fhir", (), False, False),
        ("https://ehr.example.org/fhir", ("https://ehr.example.org/fhir",), False, True),
        ("https://ehr.example.org/fhir/", ("https://ehr.example.org/fhir",), False, True),
        ("https://ehr.example.org/fhir-evil", ("https://ehr.example.org/fhir",), False, False),
        ("https://ehr.example.org.evil.com/fhir", ("https://ehr.example.org/fhir",), False, False),
        ("https://ehr.example.org:8443/fhir", ("https://ehr.example.org/fhir",), False, False),
        ("https://10.1.2.3/fhir", ("https://10.1.2.3/fhir",), False, True),
    ],
)
def test_check_fhir_server(
    url: str, allowlist: tuple[str, ...], localhost: bool, allowed: bool
) -> None:
    if allowed:
        check_fhir_server(url, allowlist=allowlist, allow_http_localhost=localhost)
    else:
        with pytest.raises(ClientError) as raised:
            check_fhir_server(url, allowlist=allowlist, allow_http_localhost=localhost)
        assert raised.value.status == 400 and raised.value.expression == "fhirServer"


def _without_prefetch(server: str) -> dict[str, Any]:
    templates = create_app(Settings(as_of=AS_OF)).extensions["hook_handler"].services[SIGN].prefetch
    request = hook_request("s1-implant-spondylosis.json", templates)
    del request["prefetch"]
    request["fhirServer"] = server
    request["fhirAuthorization"] = fhir_authorization("tok")
    return request


def test_server_off_the_allowlist_is_400_with_no_outbound_request() -> None:
    app = create_app(Settings(as_of=AS_OF, fhir_server_allowlist=("https://ehr.example.org/fhir",)))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        response = app.test_client().post(
            f"/cds-services/{SIGN}", json=_without_prefetch("https://other.example.org/fhir")
        )
        assert not mock.calls
    assert response.status_code == 400
    assert response.get_json()["issue"][0]["expression"] == ["fhirServer"]


@pytest.fixture
def slow_server() -> Iterator[str]:
    """Answers every request with headers, then drips one byte a second, forever-ish."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
                b"Content-Length: 100000\r\n\r\n"
            )
            while not stop.is_set():
                conn.sendall(b" ")
                time.sleep(0.5)
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/fhir"
    stop.set()
    server.close()


def test_time_budget_bounds_a_dripping_server(slow_server: str) -> None:
    app = create_app(
        Settings(
            as_of=AS_OF, allow_http_localhost=True, hook_time_budget=1.5, fhir_read_timeout=10.0
        )
    )
    started = time.monotonic()
    response = app.test_client().post(f"/cds-services/{SIGN}", json=_without_prefetch(slow_server))
    elapsed = time.monotonic() - started
    assert response.status_code == 412
    assert "time budget" in response.get_json()["issue"][0]["diagnostics"]
    assert elapsed < 3.5
