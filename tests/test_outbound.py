"""The outbound gate: URL syntax, origin from the prepared URL, resolved-address checks,
the token guard on the socket itself, and sockets shut down when a call's budget ends."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import requests

from cds_service.errors import ClientError
from cds_service.fhir_access import check_fhir_server
from cds_service.outbound import (
    AddressPolicy,
    CallScope,
    Origin,
    UrlRefused,
    check_url,
    gated_session,
    is_public,
    refused_by_gate,
    request_context,
    within,
)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil\\@ehr.example.org/fhir",
        "https://ehr.example.org\\@evil/fhir",
        "https://ehr.example.org/fhir\\..\\admin",
        "https://ehr.example.org/fh ir",
        "https://ehr.example.org/fhir\r\nX-Injected: 1",
        "https://ehr.example.org/fhir\t",
        "https://ehr.example.org/fhir\x00",
        "https://ehr.exämple.org/fhir",
        'https://ehr.example.org/"fhir"',
        "https://ehr.example.org/<fhir>",
        "https://user@ehr.example.org/fhir",
        "https://user:pw@ehr.example.org/fhir",
        "https://:@ehr.example.org/fhir",
        "https://ehr.example.org:99999/fhir",
        "https://ehr.example.org:port/fhir",
        "http://[::1",
        "http://[::1]]/",
        "https://ehr.example.org/fhir%zz",
        "https://ehr.example.org/fhir%",
        "ftp://ehr.example.org/fhir",
        "file:///etc/passwd",
        "https:///fhir",
        "//ehr.example.org/fhir",
        "",
        "https://ehr.example.org/" + "a" * 9000,
    ],
)
def test_urls_outside_rfc3986_or_ambiguous_are_refused(url: str) -> None:
    with pytest.raises(UrlRefused):
        check_url(url)


def test_non_string_url_is_refused() -> None:
    with pytest.raises(UrlRefused):
        check_url(None)
    with pytest.raises(UrlRefused):
        check_url(["https://ehr.example.org"])


def test_origin_comes_from_the_prepared_url() -> None:
    checked = check_url("HTTPS://EHR.Example.org/fhir/Observation?code=http://loinc.org|1")
    assert checked.origin == Origin("https", "ehr.example.org", 443)
    assert checked.url.endswith("code=http://loinc.org%7C1")  # sent encoded
    assert check_url("http://[::1]:8080/x").origin == Origin("http", "::1", 8080)


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        ("https://ehr.example.org/fhir/Patient/1", True),
        ("https://ehr.example.org/fhir", True),
        ("https://ehr.example.org/fhir/../admin", False),
        ("https://ehr.example.org/fhir/%2e%2e/admin", False),
        ("https://ehr.example.org/fhir/%2E%2E/admin", False),
        ("https://ehr.example.org/fhir/.%2e/admin", False),
        ("https://ehr.example.org/fhir%2f..%2fadmin", False),
        ("https://ehr.example.org/fhir/a/../b", True),
        ("https://ehr.example.org/fhir-evil", False),
        ("https://ehr.example.org:444/fhir", False),
        ("http://ehr.example.org/fhir", False),
    ],
)
def test_allowlist_prefix_is_judged_on_the_normalized_path(url: str, inside: bool) -> None:
    assert within(check_url(url), check_url("https://ehr.example.org/fhir")) is inside


@pytest.mark.parametrize(
    "url",
    [
        "https://127.1/fhir",
        "https://2130706433/fhir",
        "https://0x7f000001/fhir",
        "https://0177.0.0.1/fhir",
        "https://0x7f.1/fhir",
        "https://[::ffff:127.0.0.1]/fhir",
        "https://[::ffff:10.0.0.1]/fhir",
        "https://[fe80::1]/fhir",
        "https://0.0.0.0/fhir",
        "https://100.64.0.1/fhir",
        "https://evil\\@ehr.example.org/fhir",
    ],
)
def test_fhir_server_that_hides_a_local_address_is_400(url: str) -> None:
    with pytest.raises(ClientError) as raised:
        check_fhir_server(url, allowlist=(), allow_http_localhost=False)
    assert raised.value.status == 400 and raised.value.expression == "fhirServer"


def test_backslash_fhir_server_does_not_pass_the_allowlist() -> None:
    with pytest.raises(ClientError):
        check_fhir_server(
            "https://evil\\@ehr.example.org/fhir",
            allowlist=("https://ehr.example.org/fhir",),
            allow_http_localhost=False,
        )
    with pytest.raises(ClientError):
        check_fhir_server(
            "https://ehr.example.org/fhir/%2e%2e/admin",
            allowlist=("https://ehr.example.org/fhir",),
            allow_http_localhost=False,
        )


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 around 10.0.0.1
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    import ipaddress

    assert is_public(ipaddress.ip_address(address)) is public


# --- real sockets on loopback ---------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        body = b'{"resourceType": "Bundle", "type": "searchset"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def recorder() -> Iterator[int]:
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "localhost"])
def test_loopback_in_any_spelling_is_refused_when_not_allowed(recorder: int, host: str) -> None:
    session = gated_session(AddressPolicy(allow_loopback=False))
    with pytest.raises(requests.ConnectionError) as raised:
        session.get(f"http://{host}:{recorder}/x", timeout=2)
    assert refused_by_gate(raised.value)
    assert _Recorder.seen == []


def test_loopback_is_allowed_only_when_configured(recorder: int) -> None:
    session = gated_session(AddressPolicy(allow_loopback=True))
    assert session.get(f"http://localhost:{recorder}/x", timeout=2).status_code == 200


def test_allowlisted_origin_may_resolve_to_a_private_address(recorder: int) -> None:
    policy = AddressPolicy.from_prefixes((f"http://127.0.0.1:{recorder}/fhir",), False)
    session = gated_session(policy)
    assert session.get(f"http://127.0.0.1:{recorder}/fhir", timeout=2).status_code == 200
    with pytest.raises(requests.ConnectionError):  # another port on the same host is not listed
        session.get(f"http://127.0.0.1:{recorder + 1 if recorder < 65535 else 1}/", timeout=2)


def test_a_name_is_resolved_once_and_the_checked_address_is_used(
    recorder: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the first answer is checked and connected to; no second lookup."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "ehr.example.org":
            lookups.append(host)
            answer = "127.0.0.1" if len(lookups) == 1 else "10.0.0.1"
            return real(answer, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    session = gated_session(AddressPolicy(allow_loopback=True))
    assert session.get(f"http://ehr.example.org:{recorder}/x", timeout=2).status_code == 200
    assert lookups == ["ehr.example.org"]


def test_a_name_resolving_to_any_private_address_is_refused(
    recorder: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every resolved address is checked: one public and one private answer is refused."""
    real = socket.getaddrinfo

    def mixed(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "ehr.example.org":
            return real("93.184.216.34", port, *args, **kwargs) + real(
                "127.0.0.1", port, *args, **kwargs
            )
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    session = gated_session(AddressPolicy(allow_loopback=False))
    with pytest.raises(requests.ConnectionError) as raised:
        session.get(f"http://ehr.example.org:{recorder}/x", timeout=2)
    assert refused_by_gate(raised.value)
    assert _Recorder.seen == []


def test_token_never_reaches_a_socket_of_another_origin(recorder: int) -> None:
    """The last guard: judged on the connection's own host and port, not on any URL parse."""
    session = gated_session(AddressPolicy(allow_loopback=True))
    other = Origin("http", "127.0.0.1", recorder + 1 if recorder < 65535 else 1)
    with request_context(CallScope(), other), pytest.raises(requests.ConnectionError) as raised:
        session.get(
            f"http://127.0.0.1:{recorder}/x", headers={"Authorization": "Bearer t"}, timeout=2
        )
    assert refused_by_gate(raised.value)
    assert _Recorder.seen == []
    mine = Origin("http", "127.0.0.1", recorder)
    with request_context(CallScope(), mine):
        session.get(f"http://127.0.0.1:{recorder}/x", headers={"Authorization": "Bearer t"})
    assert _Recorder.seen == [("/x", "Bearer t")]


def test_proxies_from_the_environment_are_not_used(
    recorder: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("http_proxy", "http://10.9.9.9:3128")
    session = gated_session(AddressPolicy(allow_loopback=True))
    assert session.get(f"http://127.0.0.1:{recorder}/x", timeout=2).status_code == 200


# --- a call's sockets end with its budget ---------------------------------------------------


@pytest.fixture
def dripping_server() -> Iterator[tuple[int, list[socket.socket]]]:
    """Accepts connections and drips a header byte every 0.2 s (under any read timeout)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(32)
    server.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def drip(conn: socket.socket) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n" * 5:
            if stop.wait(0.2):
                return
            try:
                conn.send(bytes([byte]))
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield int(server.getsockname()[1]), held
    stop.set()
    for conn in held:
        conn.close()
    server.close()


def _peer_closed(conn: socket.socket) -> bool:
    """Whether the client end hung up (the request bytes it sent are read past first)."""
    conn.settimeout(0.2)
    try:
        for _ in range(100):
            if conn.recv(65536) == b"":
                return True
    except TimeoutError:
        return False
    except OSError:
        return True
    return False


def test_budget_end_shuts_down_sockets_and_reader_threads(
    dripping_server: tuple[int, list[socket.socket]],
) -> None:
    """8 reads against a server that drips bytes: no reader thread outlives its budget."""
    from cds_service.fhir_client import FhirClient, FhirFetchError

    port, held = dripping_server
    session = gated_session(AddressPolicy(allow_loopback=True))
    before = threading.active_count()
    results: list[str] = []

    def one_call() -> None:
        scope = CallScope(deadline=time.monotonic() + 0.5)
        client = FhirClient(
            f"http://127.0.0.1:{port}/fhir",
            "t",
            connect_timeout=3,
            read_timeout=10,
            max_pages=5,
            session=session,
            scope=scope,
        )
        reader = threading.Thread(target=lambda: _search(client, results, FhirFetchError))
        reader.start()
        reader.join(timeout=0.6)
        scope.close()  # what gathering does when the budget runs out
        reader.join(timeout=2)

    callers = [threading.Thread(target=one_call) for _ in range(8)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=5)
    assert len(results) == 8, results
    assert all("could not be reached" in r or "budget" in r for r in results)
    deadline = time.monotonic() + 2
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before
    assert len(held) == 8
    assert all(_peer_closed(conn) for conn in held)


def _search(client: Any, results: list[str], error: type[Exception]) -> None:
    try:
        client.search("Observation?patient=p")
    except error as exc:
        results.append(str(exc))
    else:
        results.append("answered")


def test_hook_calls_against_a_dripping_server_leave_no_threads(
    dripping_server: tuple[int, list[socket.socket]],
) -> None:
    """End to end: each hook call answers 412 within its budget and its readers stop with it."""
    import json

    from cds_service.app import create_app
    from cds_service.config import Settings
    from cds_service.replay import fhir_authorization
    from tests.conftest import AS_OF, SIGN, hook_request

    port, held = dripping_server
    settings = Settings(as_of=AS_OF, hook_time_budget=0.5, allow_http_localhost=True)
    client = create_app(settings).test_client()
    templates = client.get("/cds-services").get_json()["services"][0]["prefetch"]
    request = hook_request("s1-implant-spondylosis.json", templates)
    del request["prefetch"]
    request["fhirServer"] = f"http://127.0.0.1:{port}/fhir"
    request["fhirAuthorization"] = fhir_authorization("tok")
    before = threading.active_count()
    for _ in range(8):
        response = client.post(
            f"/cds-services/{SIGN}", data=json.dumps(request), content_type="application/json"
        )
        assert response.status_code == 412
    deadline = time.monotonic() + 2
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before
    assert held and all(_peer_closed(conn) for conn in held)


def _self_signed(tmp: Any) -> tuple[str, str]:
    """A certificate for localhost/127.0.0.1 and its key, written as PEM files."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_https_through_the_gate_verifies_the_host_name(tmp_path: Any) -> None:
    """Connecting to the checked address keeps TLS verification against the name."""
    import ssl

    cert, key = _self_signed(tmp_path)
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    session = gated_session(AddressPolicy(allow_loopback=True))
    try:
        response = session.get(f"https://localhost:{port}/x", verify=cert, timeout=5)
        assert response.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"https://localhost:{port}/x", timeout=5)  # not in the system store
    finally:
        server.shutdown()
        server.server_close()
