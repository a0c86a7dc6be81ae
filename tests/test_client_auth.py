"""CDS client JWT authentication: algorithms, issuers, audience, lifetime, replay, key rotation."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask.testing import FlaskClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from cds_service.app import create_app
from cds_service.client_auth import KeyCache
from cds_service.config import Settings
from cds_service.errors import ConfigurationError
from tests.conftest import AS_OF, SIGN, hook_request

BASE = "https://cds.example.org"
ISSUER = "https://ehr.example.org"
JKU_ISSUER = "https://other-ehr.example.org"
JKU = "https://other-ehr.example.org/.well-known/jwks.json"


def _public_jwk(key: Any, kid: str, algorithm: type) -> dict[str, Any]:
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    jwk["kid"] = kid
    return jwk


EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ROTATED_KEY = ec.generate_private_key(ec.SECP384R1())


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
        {
            "iss": ISSUER,
            "jwks": {
                "keys": [
                    _public_jwk(EC_KEY, "ec-1", ECAlgorithm),
                    _public_jwk(RSA_KEY, "rsa-1", RSAAlgorithm),
                ]
            },
        },
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
            key=None,
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


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


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
                return authenticator._keys  # type: ignore[no-any-return]
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
