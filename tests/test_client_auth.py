"""CDS client JWT authentication: algorithms, issuers, audience, lifetime, replay, key rotation."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm, get_default_algorithms
from requests.adapters import BaseAdapter

from cds_service import client_auth
from cds_service.app import create_app
from cds_service.client_auth import (
    ALLOWED_ALGORITHMS,
    JWKS_MAX_BYTES,
    JWKS_TIMEOUT,
    AuthenticationError,
    ClientAuthenticator,
    KeyCache,
    TrustedClient,
)
from cds_service.config import Settings
from cds_service.errors import ConfigurationError
from cds_service.storage import Storage
from tests.conftest import AS_OF, SIGN, hook_request

BASE = "https://cds.example.org"
ISSUER = "https://ehr.example.org"
JKU_ISSUER = "https://other-ehr.example.org"
JKU = "https://other-ehr.example.org/.well-known/jwks.json"


AUD = f"{BASE}/cds-services/{SIGN}"
PATH = f"/cds-services/{SIGN}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _public_jwk(key: Any, kid: str, algorithm: Any) -> dict[str, Any]:
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    jwk["kid"] = kid
    return jwk


EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ROTATED_KEY = ec.generate_private_key(ec.SECP384R1())
EC256_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()
OCT_JWK = {"kty": "oct", "kid": "oct-1", "k": _b64(b"a shared secret of thirty-two bytes!")}
INLINE_JWKS = {
    "keys": [
        _public_jwk(EC_KEY, "ec-1", ECAlgorithm),
        _public_jwk(RSA_KEY, "rsa-1", RSAAlgorithm),
        _public_jwk(EC256_KEY, "ec256-1", ECAlgorithm),
        _public_jwk(ED_KEY, "ed-1", OKPAlgorithm),
        OCT_JWK,
    ]
}


def token(
    key: Any = EC_KEY,
    alg: str = "ES384",
    kid: str = "ec-1",
    iss: str = ISSUER,
    aud: str = f"{BASE}/cds-services/{SIGN}",
    lifetime: int = 120,
    iat_offset: int = 0,
    jti: str | None = None,
    headers: dict[str, Any] | None = None,
    **extra: Any,
) -> str:
    now = int(time.time()) + iat_offset
    claims = {
        "iss": iss,
        "sub": "ehr-client",
        "aud": aud,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or str(uuid.uuid4()),
        **extra,
    }
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, **(headers or {})})


@pytest.fixture
def trusted_file(tmp_path: Path) -> str:
    clients = [
        {"iss": ISSUER, "jwks": INLINE_JWKS},
        {"iss": JKU_ISSUER, "jku": JKU},
    ]
    path = tmp_path / "trusted.json"
    path.write_text(json.dumps(clients))
    return str(path)


@pytest.fixture
def secured(trusted_file: str) -> FlaskClient:
    app = create_app(
        Settings(
            as_of=AS_OF, jwt_required=True, trusted_clients_file=trusted_file, public_base_url=BASE
        )
    )
    return app.test_client()


def _hook(client: FlaskClient, bearer: str | None, service: str = SIGN) -> Any:
    templates = client.application.extensions["hook_handler"].services[SIGN].prefetch
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return client.post(
        f"/cds-services/{service}",
        json=hook_request("s1-implant-spondylosis.json", templates),
        headers=headers,
    )


def _assert_bare_401(response: Any) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json()["issue"][0]["diagnostics"] == "authentication required"


@pytest.mark.parametrize(
    ("key", "alg", "kid"), [(EC_KEY, "ES384", "ec-1"), (RSA_KEY, "RS384", "rsa-1")]
)
def test_es384_and_rs384_tokens_are_accepted(
    secured: FlaskClient, key: Any, alg: str, kid: str
) -> None:
    response = _hook(secured, token(key, alg, kid))
    assert response.status_code == 200
    assert response.get_json()["cards"]


def test_authentication_covers_discovery_hooks_and_feedback(secured: FlaskClient) -> None:
    _assert_bare_401(secured.get("/cds-services"))
    _assert_bare_401(_hook(secured, None))
    _assert_bare_401(secured.post(f"/cds-services/{SIGN}/feedback", json={"feedback": []}))
    ok = secured.get(
        "/cds-services", headers={"Authorization": f"Bearer {token(aud=f'{BASE}/cds-services')}"}
    )
    assert ok.status_code == 200
    assert secured.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        "not-a-jwt",
        jwt.encode(
            {
                "iss": ISSUER,
                "aud": f"{BASE}/cds-services/{SIGN}",
                "iat": int(time.time()),
                "exp": int(time.time()) + 60,
                "jti": "x",
            },
            key="",
            algorithm="none",
        ),
        jwt.encode(
            {
                "iss": ISSUER,
                "aud": f"{BASE}/cds-services/{SIGN}",
                "iat": int(time.time()),
                "exp": int(time.time()) + 60,
                "jti": "y",
            },
            "shared-secret-0123456789abcdef0123456789",
            algorithm="HS256",
            headers={"kid": "ec-1"},
        ),
        token(aud=f"{BASE}/cds-services/other-service"),
        token(aud="https://attacker.example.com/cds-services/itdd-order-sign"),
        token(iss="https://untrusted.example.org"),
        token(lifetime=-120),
        token(iat_offset=600),
        token(lifetime=3600),
        token(kid="unknown-kid"),
        token(key=ec.generate_private_key(ec.SECP384R1())),
    ],
    ids=[
        "garbage",
        "alg-none",
        "hmac",
        "wrong-service-aud",
        "foreign-aud",
        "untrusted-iss",
        "expired",
        "iat-in-future",
        "lifetime-over-5-min",
        "unknown-kid",
        "wrong-signature",
    ],
)
def test_bad_tokens_get_a_bare_401(secured: FlaskClient, bad: str) -> None:
    _assert_bare_401(_hook(secured, bad))


def test_hmac_signed_with_the_public_key_is_refused(secured: FlaskClient) -> None:
    """The classic algorithm-confusion attack: HS384 keyed with the issuer's public key."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    pem = EC_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS384", "typ": "JWT", "kid": "ec-1"}).encode())
    payload = _b64(
        json.dumps(
            {
                "iss": ISSUER,
                "aud": f"{BASE}/cds-services/{SIGN}",
                "iat": now,
                "exp": now + 60,
                "jti": "forged",
            }
        ).encode()
    )
    signature = _b64(hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha384).digest())
    _assert_bare_401(_hook(secured, f"{header}.{payload}.{signature}"))


def test_small_clock_skew_is_tolerated(secured: FlaskClient) -> None:
    assert _hook(secured, token(iat_offset=30)).status_code == 200


def test_a_token_is_good_once(secured: FlaskClient) -> None:
    once = token(jti="jti-replayed")
    assert _hook(secured, once).status_code == 200
    _assert_bare_401(_hook(secured, once))


@responses.activate
def test_jku_keys_are_fetched_cached_and_refetched_on_rotation(secured: FlaskClient) -> None:
    handler = secured.application.extensions["hook_handler"]
    assert handler is not None
    jwks = responses.get(JKU, json={"keys": [_public_jwk(EC_KEY, "k1", ECAlgorithm)]})
    aud = f"{BASE}/cds-services/{SIGN}"
    assert _hook(secured, token(kid="k1", iss=JKU_ISSUER, aud=aud)).status_code == 200
    assert _hook(secured, token(kid="k1", iss=JKU_ISSUER, aud=aud)).status_code == 200
    assert jwks.call_count == 1  # cached
    cache: KeyCache = _key_cache(secured)
    cache.refetch_after = 0
    responses.replace(
        responses.GET, JKU, json={"keys": [_public_jwk(ROTATED_KEY, "k2", ECAlgorithm)]}
    )
    rotated = token(key=ROTATED_KEY, kid="k2", iss=JKU_ISSUER, aud=aud)
    assert _hook(secured, rotated).status_code == 200
    assert len(responses.calls) == 2


@responses.activate
def test_token_jku_must_be_the_allowlisted_one(secured: FlaskClient) -> None:
    evil = "https://evil.example.com/jwks.json"
    responses.get(evil, json={"keys": [_public_jwk(EC_KEY, "k1", ECAlgorithm)]})
    bad = token(kid="k1", iss=JKU_ISSUER, headers={"jku": evil})
    _assert_bare_401(_hook(secured, bad))
    assert not [c for c in responses.calls if c.request.url == evil]


def _key_cache(client: FlaskClient) -> KeyCache:
    for function in client.application.before_request_funcs[None]:
        for cell in function.__closure__ or ():
            authenticator = cell.cell_contents
            if hasattr(authenticator, "_keys"):
                return authenticator._keys
    raise AssertionError("authenticator not found")


def test_options_preflight_needs_no_token(trusted_file: str) -> None:
    app = create_app(
        Settings(
            as_of=AS_OF,
            jwt_required=True,
            trusted_clients_file=trusted_file,
            public_base_url=BASE,
            cors_origins=("https://ehr-ui.example.org",),
        )
    )
    response = app.test_client().options(
        f"/cds-services/{SIGN}",
        headers={
            "Origin": "https://ehr-ui.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://ehr-ui.example.org"


def test_jwt_required_without_configuration_refuses_to_start() -> None:
    with pytest.raises(
        ConfigurationError, match="CDS_TRUSTED_CLIENTS_FILE and CDS_PUBLIC_BASE_URL"
    ):
        create_app(Settings(jwt_required=True))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "must be a JSON list"),
        ('[{"iss": "x"}]', "exactly one of jwks, jku"),
        ('[{"iss": "x", "jku": "http://insecure/jwks"}]', "https URL"),
        ('[{"iss": "x", "jwks": {"keys": [{"kty": "nope"}]}}]', "invalid jwks"),
    ],
)
def test_bad_trusted_clients_file_refuses_to_start(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "trusted.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        create_app(
            Settings(jwt_required=True, trusted_clients_file=str(path), public_base_url=BASE)
        )


def test_authentication_off_warns_at_startup(capfd: pytest.CaptureFixture[str]) -> None:
    create_app(Settings(as_of=AS_OF))
    assert "CDS client authentication is OFF" in capfd.readouterr().err


# --- issue 9: every bad token is a 401, never a 500 ------------------------------------


def _signed(header: dict[str, Any], payload: str, key: Any = EC_KEY, alg: str = "ES384") -> str:
    """A JWS signed for real over any header and any payload text, which jwt.encode refuses
    to produce (a non-string kid, a number too long for int(), NaN)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload.encode())}"
    signature = get_default_algorithms()[alg].sign(signing_input.encode(), key)
    return f"{signing_input}.{_b64(signature)}"


def _claims_json(**overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUD, "iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}
    return json.dumps({**claims, **overrides})


@pytest.fixture
def storage() -> Storage:
    return Storage("sqlite://")


@pytest.fixture
def inline(storage: Storage) -> ClientAuthenticator:
    """The authenticator alone, for inputs the Flask test client cannot send."""
    return ClientAuthenticator({ISSUER: TrustedClient(ISSUER, INLINE_JWKS, None)}, BASE, storage)


@pytest.mark.parametrize(
    ("key", "alg", "kid"),
    [
        (EC_KEY, "ES384", "rsa-1"),
        (RSA_KEY, "RS384", "ec-1"),
        (RSA_KEY, "PS256", "ec-1"),
        (EC_KEY, "ES384", "oct-1"),
    ],
    ids=["es384-names-rsa-key", "rs384-names-ec-key", "ps256-names-ec-key", "es384-names-oct"],
)
def test_a_kid_naming_a_key_of_another_family_is_a_401(
    secured: FlaskClient, key: Any, alg: str, kid: str
) -> None:
    """Was a 500: PyJWT raises TypeError/ValueError when handed a key of the wrong family."""
    _assert_bare_401(_hook(secured, token(key, alg, kid)))


@pytest.mark.parametrize(
    "claims",
    [
        lambda now: {"iat": str(now), "exp": "9999999999"},
        lambda now: {"iat": str(now), "exp": str(now + 120)},
        lambda now: {"iat": True},
        lambda now: {"jti": "j" * 257},
    ],
    ids=["string-iat-far-exp", "string-iat-and-exp", "boolean-iat", "jti-over-256-chars"],
)
def test_claims_of_the_wrong_type_are_a_401(
    secured: FlaskClient, claims: Callable[[int], dict[str, Any]]
) -> None:
    """String times were a 500 (str > float); a boolean iat and a jti too long for the
    replay cache's column (a 500 on PostgreSQL) were accepted."""
    _assert_bare_401(_hook(secured, token(**claims(int(time.time())))))


@responses.activate
def test_a_jwks_that_is_not_an_object_is_a_401(secured: FlaskClient) -> None:
    """Was a 500: PyJWKSet.from_dict raises AttributeError on a JSON list."""
    responses.get(JKU, json=[_public_jwk(EC_KEY, "k1", ECAlgorithm)])
    _assert_bare_401(_hook(secured, token(kid="k1", iss=JKU_ISSUER)))


class _GateAdapter(BaseAdapter):
    """Stands in for an outbound-URL gate that refuses with an exception of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        self.calls += 1
        raise ValueError("refused by the outbound gate")

    def close(self) -> None:
        """Nothing to release."""


def _session(adapter: BaseAdapter | None = None) -> requests.Session:
    """A session that ignores proxy settings from the environment, optionally one adapter."""
    session = requests.Session()
    session.trust_env = False
    if adapter is not None:
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


def _jku_authenticator(url: str, storage: Storage, cache: KeyCache) -> ClientAuthenticator:
    return ClientAuthenticator(
        {JKU_ISSUER: TrustedClient(JKU_ISSUER, None, url)}, BASE, storage, cache
    )


def test_any_exception_of_the_injected_session_is_a_401_and_remembered(storage: Storage) -> None:
    """The JWKS goes through the injected session; a non-requests error from it was raised
    out of authenticate (a 500) and retried on every token."""
    gate = _GateAdapter()
    auth = _jku_authenticator(JKU, storage, KeyCache(session=_session(gate)))
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="ValueError"):
            auth.authenticate(f"Bearer {token(kid='k1', iss=JKU_ISSUER)}", PATH)
    assert gate.calls == 1


@pytest.mark.parametrize(
    "bad",
    [
        lambda: token(exp=float("nan")),
        lambda: token(iat=float("inf")),
        lambda: token(exp=True),
        lambda: _signed({"alg": "ES384", "kid": "ec-1"}, _claims_json(jti=5)),
        lambda: _signed({"alg": "ES384", "kid": "ec-1"}, _claims_json(iss=5)),
        lambda: _signed({"alg": "ES384", "kid": 7}, _claims_json()),
        lambda: _signed(
            {"alg": "ES384", "kid": "ec-1"},
            _claims_json(exp=0).replace('"exp": 0', '"exp": 1' + "0" * 5000),
        ),
        lambda: _signed(
            {"alg": "ES384", "kid": "ec-1"},
            _claims_json(iat=0).replace('"iat": 0', '"iat": -1e400'),
        ),
        lambda: token(EC256_KEY, "ES256", "ec-1"),
        lambda: token(ED_KEY, "EdDSA", "ec-1"),
        lambda: token().rsplit(".", 1)[0],
        lambda: token() + ".extra",
        lambda: "!!!." + token().split(".", 1)[1],
    ],
    ids=[
        "nan-exp",
        "infinite-iat",
        "boolean-exp",
        "integer-jti",
        "integer-iss",
        "integer-kid",
        "5000-digit-exp",
        "overflowing-iat",
        "es256-names-p384-key",
        "eddsa-names-ec-key",
        "two-segments",
        "four-segments",
        "non-base64-header",
    ],
)
def test_other_malformed_tokens_stay_a_401(
    inline: ClientAuthenticator, bad: Callable[[], str]
) -> None:
    """Regression guard (these were already refused by PyJWT): the claim-type and key-type
    checks must keep them AuthenticationError."""
    with pytest.raises(AuthenticationError):
        inline.authenticate(f"Bearer {bad()}", PATH)


@pytest.mark.parametrize(
    ("key", "alg", "kid"),
    [(EC256_KEY, "ES256", "ec256-1"), (ED_KEY, "EdDSA", "ed-1"), (RSA_KEY, "PS384", "rsa-1")],
)
def test_keys_of_the_right_family_still_verify(
    inline: ClientAuthenticator, key: Any, alg: str, kid: str
) -> None:
    """Regression guard for the key-type check: every family keeps working, float times too."""
    now = time.time()
    assert inline.authenticate(f"Bearer {token(key, alg, kid, iat=now, exp=now + 60.5)}", PATH)


def test_a_jwks_key_without_or_with_an_unknown_kty_is_never_used(storage: Storage) -> None:
    """Regression guard: such keys are skipped, and a JWKS of only such keys refused."""
    odd = [{"kid": "k1", "x": "y"}, {"kty": "nope", "kid": "k1"}]
    with pytest.raises(ConfigurationError, match="invalid jwks"):
        ClientAuthenticator({ISSUER: TrustedClient(ISSUER, {"keys": odd}, None)}, BASE, storage)
    mixed = {"keys": [*odd, _public_jwk(EC_KEY, "k2", ECAlgorithm)]}
    auth = ClientAuthenticator({ISSUER: TrustedClient(ISSUER, mixed, None)}, BASE, storage)
    with pytest.raises(AuthenticationError, match="kid"):
        auth.authenticate(f"Bearer {token(kid='k1')}", PATH)


# --- issue 9: the Bearer scheme ------------------------------------------------------------


@pytest.mark.parametrize("template", ["bearer {}", "BEARER {}", "  Bearer   {}  ", "bEaReR\t{}"])
def test_the_bearer_scheme_is_case_insensitive(secured: FlaskClient, template: str) -> None:
    """RFC 9110 §11.1: auth schemes are case-insensitive; these were 401s."""
    templates = secured.application.extensions["hook_handler"].services[SIGN].prefetch
    response = secured.post(
        PATH,
        json=hook_request("s1-implant-spondylosis.json", templates),
        headers={"Authorization": template.format(token())},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "header", ["Bearer", "bearer   ", "Bearer x y", "Basic dXNlcjpwYXNz", "Bearer \ud800"]
)
def test_a_bearer_header_without_one_token_is_refused(
    inline: ClientAuthenticator, header: str
) -> None:
    with pytest.raises(AuthenticationError):
        inline.authenticate(header, PATH)


# --- issue 9: iat older than the longest lifetime ----------------------------------------


def test_a_token_issued_long_ago_is_refused_even_with_a_near_exp(secured: FlaskClient) -> None:
    """Was accepted: exp 2 minutes out, but iat an hour ago."""
    _assert_bare_401(_hook(secured, token(iat_offset=-3600, lifetime=3600 + 120)))
    assert _hook(secured, token(iat_offset=-240, lifetime=300)).status_code == 200


# --- issue 9: fetching a jku -------------------------------------------------------------


class _JwksServer:
    """A loopback JWKS endpoint that counts requests and, on demand, hangs until released
    or sends a body over the cap without a Content-Length."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.body = json.dumps(document).encode()
        self.mode = "serve"
        self.requests = 0
        self.in_flight = 0
        self.release = threading.Event()
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/jwks.json"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer._count(+1)
                try:
                    outer._answer(self)
                finally:
                    outer._count(-1)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        return Handler

    def _count(self, step: int) -> None:
        with self._changed:
            self.requests += max(step, 0)
            self.in_flight += step
            self._changed.notify_all()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        if self.mode == "hang":
            self.release.wait(20)
            handler.send_response(503)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if self.mode == "huge":  # HTTP/1.0, no Content-Length: the body ends when we close
            handler.end_headers()
            handler.wfile.write(self.body + b" " * (JWKS_MAX_BYTES + 1))
            return
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.write(self.body)

    def wait_for_requests(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.requests >= count, timeout=10)


@contextmanager
def _jwks_server(document: dict[str, Any]) -> Iterator[_JwksServer]:
    server = _JwksServer(document)
    thread = threading.Thread(target=server._server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server._server.shutdown()
        server._server.server_close()


def _bearer(key: Any = EC_KEY, kid: str = "k1") -> str:
    return f"Bearer {token(key, kid=kid, iss=JKU_ISSUER)}"


K1_JWKS = {"keys": [_public_jwk(EC_KEY, "k1", ECAlgorithm)]}


def test_forged_tokens_share_one_slow_fetch_and_a_cached_key_does_not_wait(
    storage: Storage,
) -> None:
    """16 forged tokens (unknown kids) made 16 fetches of a slow jku; now one is in flight
    and the rest wait for it or are refused by the negative cache. A valid token whose key
    is cached is answered while that fetch still hangs."""
    with _jwks_server(K1_JWKS) as server:
        cache = KeyCache(session=_session(), refetch_after=0)
        auth = _jku_authenticator(server.url, storage, cache)
        assert auth.authenticate(_bearer(), PATH) == JKU_ISSUER
        server.mode = "hang"
        forger = ec.generate_private_key(ec.SECP384R1())
        forged = [_bearer(forger, f"forged-{i}") for i in range(16)]
        with ThreadPoolExecutor(len(forged)) as pool:
            futures = [pool.submit(auth.authenticate, bearer, PATH) for bearer in forged]
            server.wait_for_requests(2)  # the re-fetch is in flight, and hangs
            started = time.monotonic()
            assert auth.authenticate(_bearer(), PATH) == JKU_ISSUER
            waited = time.monotonic() - started
            assert server.in_flight >= 1, "the valid call returned only after the fetch ended"
            server.release.set()
            outcomes = [future.exception(timeout=30) for future in futures]
    assert waited < JWKS_TIMEOUT[1] / 2
    assert server.requests == 2
    assert all(isinstance(outcome, AuthenticationError) for outcome in outcomes)


def test_an_expired_cache_entry_serves_its_key_while_refreshing(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the TTL a valid token waited for the re-fetch (and failed with it); now the
    cached key answers at once and the refresh runs in the background."""
    with _jwks_server(K1_JWKS) as server:
        cache = KeyCache(session=_session())
        auth = _jku_authenticator(server.url, storage, cache)
        assert auth.authenticate(_bearer(), PATH) == JKU_ISSUER
        monkeypatch.setattr(client_auth, "JWKS_TTL_SECONDS", 0)
        server.mode = "hang"
        started = time.monotonic()
        assert auth.authenticate(_bearer(), PATH) == JKU_ISSUER
        waited = time.monotonic() - started
        server.wait_for_requests(2)  # the background refresh
        server.release.set()
        assert cache.wait_idle(10)
    assert waited < JWKS_TIMEOUT[1] / 2


@responses.activate
def test_a_failed_jwks_fetch_is_not_repeated_at_once(storage: Storage) -> None:
    """Negative cache: every token for the issuer made another fetch of a failing jku."""
    failing = responses.get(JKU, status=503)
    auth = _jku_authenticator(JKU, storage, KeyCache(session=_session()))
    for _ in range(5):
        with pytest.raises(AuthenticationError, match="HTTP 503"):
            auth.authenticate(_bearer(), PATH)
    assert failing.call_count == 1


@responses.activate
def test_a_remembered_failure_expires(storage: Storage) -> None:
    failing = responses.get(JKU, status=503)
    auth = _jku_authenticator(JKU, storage, KeyCache(session=_session(), failure_ttl=0))
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            auth.authenticate(_bearer(), PATH)
    assert failing.call_count == 2
    responses.replace(responses.GET, JKU, json=K1_JWKS)
    assert auth.authenticate(_bearer(), PATH) == JKU_ISSUER


def test_a_jwks_body_over_the_cap_is_refused_without_a_content_length() -> None:
    """Was read whole, however large: now streamed and cut off at JWKS_MAX_BYTES."""
    with _jwks_server(K1_JWKS) as server:
        server.mode = "huge"
        with pytest.raises(AuthenticationError, match="larger than"):
            KeyCache(session=_session()).key(server.url, "k1")


@responses.activate
def test_a_jku_redirect_is_not_followed(storage: Storage) -> None:
    """Regression guard: the streamed fetch still does not follow redirects."""
    evil = "https://evil.example.com/jwks.json"
    responses.get(JKU, status=302, headers={"Location": evil})
    responses.get(evil, json=K1_JWKS)
    auth = _jku_authenticator(JKU, storage, KeyCache(session=_session()))
    with pytest.raises(AuthenticationError, match="HTTP 302"):
        auth.authenticate(_bearer(), PATH)
    assert [call.request.url for call in responses.calls] == [JKU]


# --- issue 9: property: only AuthenticationError or success ------------------------------


class _CannedAdapter(BaseAdapter):
    """Answers every request with one body: the JWKS document under test."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.raw = io.BytesIO(self.body)
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        """Nothing to release."""


DROP = "<drop>"  # a change that removes the field


@dataclass(frozen=True)
class _Time:
    """A NumericDate relative to when the example runs, as an int, a float or a string."""

    delta: int
    kind: type

    def at(self, now: int) -> Any:
        return self.kind(now + self.delta)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
TIMES = st.builds(_Time, st.integers(-1000, 1000), st.sampled_from([int, float, str])) | JSON
SIGNERS = st.sampled_from(  # key, alg, kid, iss of a token that verifies as it stands
    [
        (EC_KEY, "ES384", "ec-1", ISSUER),
        (RSA_KEY, "RS384", "rsa-1", ISSUER),
        (RSA_KEY, "PS512", "rsa-1", ISSUER),
        (EC256_KEY, "ES256", "ec256-1", ISSUER),
        (ED_KEY, "EdDSA", "ed-1", ISSUER),
        (EC_KEY, "ES384", "k1", JKU_ISSUER),
    ]
)
HEADER_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "alg": st.sampled_from([*ALLOWED_ALGORITHMS, "HS256", "none", DROP]) | JSON,
        "kid": st.sampled_from(["ec-1", "rsa-1", "ec256-1", "ed-1", "oct-1", "k1", DROP]) | JSON,
        "jku": st.sampled_from([JKU, "https://evil.example.com/jwks.json"]) | JSON,
        "typ": st.just("JWT") | JSON,
        "crit": JSON,
        "b64": JSON,
    },
)
CLAIM_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "iss": st.sampled_from([ISSUER, JKU_ISSUER, "https://untrusted.example.org", DROP]) | JSON,
        "aud": st.sampled_from([AUD, [AUD], f"{BASE}/cds-services", DROP]) | JSON,
        "iat": TIMES | st.just(DROP),
        "exp": TIMES | st.just(DROP),
        "nbf": TIMES,
        "jti": st.uuids().map(str) | st.just(DROP) | JSON,
    },
)
JWKS_BODIES = (
    st.sampled_from(
        [json.dumps(K1_JWKS).encode(), json.dumps({"keys": INLINE_JWKS["keys"]}).encode()]
    )
    | JSON.map(lambda value: json.dumps(value).encode())
    | st.binary(max_size=40)
)


def _changed(base: dict[str, Any], changes: dict[str, Any], now: int) -> dict[str, Any]:
    merged = {**base, **changes}
    return {
        name: value.at(now) if isinstance(value, _Time) else value
        for name, value in merged.items()
        if value != DROP
    }


def _any_authenticator(jwks_body: bytes) -> ClientAuthenticator:
    clients = {
        ISSUER: TrustedClient(ISSUER, INLINE_JWKS, None),
        JKU_ISSUER: TrustedClient(JKU_ISSUER, None, JKU),
    }
    cache = KeyCache(session=_session(_CannedAdapter(jwks_body)))
    return ClientAuthenticator(clients, BASE, Storage("sqlite://"), cache)


def _only_authentication_errors(auth: ClientAuthenticator, authorization: str) -> None:
    try:
        issuer = auth.authenticate(authorization, PATH)
    except AuthenticationError:
        return
    assert issuer in (ISSUER, JKU_ISSUER)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    signer=SIGNERS,
    header_changes=HEADER_CHANGES,
    claim_changes=CLAIM_CHANGES,
    jwks_body=JWKS_BODIES,
)
def test_any_signed_token_is_accepted_or_an_authentication_error(
    signer: tuple[Any, str, str, str],
    header_changes: dict[str, Any],
    claim_changes: dict[str, Any],
    jwks_body: bytes,
) -> None:
    """A valid token, then arbitrary changes to its header and claims, signed for real."""
    key, alg, kid, iss = signer
    now = int(time.time())
    header = _changed({"alg": alg, "kid": kid, "typ": "JWT"}, header_changes, now)
    base = {"iss": iss, "aud": AUD, "iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}
    claims = _changed(base, claim_changes, now)
    bearer = f"Bearer {_signed(header, json.dumps(claims), key, alg)}"
    _only_authentication_errors(_any_authenticator(jwks_body), bearer)


# Any text, lone surrogates included: st.text() leaves them out.
ANY_TEXT = st.lists(st.characters() | st.sampled_from(["\ud800", "\udfff"]), max_size=40).map(
    "".join
)
SCHEMES = st.sampled_from(["Bearer", "bearer", "BEARER", " Bearer\t", "Basic", ""]) | ANY_TEXT
SEGMENTS = st.text(st.sampled_from("ABCDEFabcdef0123456789-_=+/.!") | st.characters(), max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    authorization=ANY_TEXT
    | st.builds("{} {}".format, SCHEMES, ANY_TEXT)
    | st.builds("{} {}.{}.{}".format, SCHEMES, SEGMENTS, SEGMENTS, SEGMENTS)
)
def test_any_authorization_header_is_an_authentication_error(authorization: str) -> None:
    """Any string, lone surrogates included (UnicodeEncodeError inside PyJWT was a 500)."""
    _only_authentication_errors(_any_authenticator(b"{}"), authorization)
