"""Authenticating CDS clients: the signed JWT of CDS Hooks 2.0 "Trusting CDS Clients".

Only asymmetric algorithms are accepted (ES384 and RS384 as the spec requires, and
their family members of equal strength); ``none`` and every HMAC algorithm are
refused, so a public key can never be used as a shared secret. Each trusted issuer
has its JWKS inline or at an allowlisted ``jku`` URL, fetched with a timeout,
cached, and fetched again when a token names an unknown ``kid`` (key rotation).
``aud`` must be the URL being called; ``jti`` may be used once (shared replay cache).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import requests
from jwt import PyJWK, PyJWKSet

from cds_service.errors import ConfigurationError
from cds_service.storage import Storage

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = (
    "ES384",
    "RS384",
    "ES256",
    "ES512",
    "RS256",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "EdDSA",
)
CLOCK_SKEW_SECONDS = 60
MAX_LIFETIME_SECONDS = 300  # CDS Hooks: the token's exp should be at most 5 minutes out
JWKS_TTL_SECONDS = 3600
JWKS_REFETCH_MIN_SECONDS = 10
JWKS_TIMEOUT = (3.05, 5.0)


class AuthenticationError(Exception):
    """Why a token was refused: logged for operators, never sent to the caller."""


@dataclass(frozen=True)
class TrustedClient:
    issuer: str
    jwks: dict[str, Any] | None
    jku: str | None


def load_trusted_clients(path: str) -> dict[str, TrustedClient]:
    """The trusted-issuer allowlist: a JSON list of {iss, jwks} or {iss, jku}."""
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"CDS_TRUSTED_CLIENTS_FILE {path}: cannot read JSON ({exc})"
        ) from exc
    if not isinstance(entries, list):
        raise ConfigurationError(f"CDS_TRUSTED_CLIENTS_FILE {path}: must be a JSON list")
    clients = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("iss"), str) or not entry["iss"]:
            raise ConfigurationError(
                f"CDS_TRUSTED_CLIENTS_FILE entry {index}: needs an 'iss' string"
            )
        jwks, jku = entry.get("jwks"), entry.get("jku")
        if (jwks is None) == (jku is None):
            raise ConfigurationError(
                f"CDS_TRUSTED_CLIENTS_FILE entry {index}: give exactly one of jwks, jku"
            )
        if jku is not None and (not isinstance(jku, str) or not jku.startswith("https://")):
            raise ConfigurationError(
                f"CDS_TRUSTED_CLIENTS_FILE entry {index}: jku must be an https URL"
            )
        if jwks is not None:
            try:
                PyJWKSet.from_dict(jwks)
            except (jwt.PyJWKSetError, jwt.InvalidKeyError, KeyError, TypeError) as exc:
                raise ConfigurationError(
                    f"CDS_TRUSTED_CLIENTS_FILE entry {index}: invalid jwks ({exc})"
                ) from exc
        clients[entry["iss"]] = TrustedClient(entry["iss"], jwks, jku)
    return clients


class KeyCache:
    """JWKS by URL: cached for an hour, re-fetched (rate-limited) when a kid is unknown."""

    def __init__(self, session: requests.Session | None = None, refetch_after: float = 10.0):
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, PyJWKSet]] = {}
        self.refetch_after = refetch_after

    def _fetch(self, url: str) -> PyJWKSet:
        try:
            response = self._session.get(url, timeout=JWKS_TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            raise AuthenticationError(f"JWKS fetch failed ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise AuthenticationError(f"JWKS fetch answered HTTP {response.status_code}")
        try:
            keys = PyJWKSet.from_dict(response.json())
        except (ValueError, jwt.PyJWKSetError, jwt.InvalidKeyError, KeyError, TypeError) as exc:
            raise AuthenticationError("JWKS document is not a valid key set") from exc
        with self._lock:
            self._cache[url] = (time.monotonic(), keys)
        return keys

    def key(self, url: str, kid: str | None) -> PyJWK:
        with self._lock:
            cached = self._cache.get(url)
        now = time.monotonic()
        fresh = cached is None or now - cached[0] > JWKS_TTL_SECONDS
        keys = self._fetch(url) if fresh else cached[1]  # type: ignore[index]
        found = _pick(keys, kid)
        if found is None and not fresh and now - cached[0] >= self.refetch_after:  # type: ignore[index]
            found = _pick(self._fetch(url), kid)  # key rotation: the issuer published a new key
        if found is None:
            raise AuthenticationError("no key in the issuer's JWKS matches the token's kid")
        return found


def _pick(keys: PyJWKSet, kid: str | None) -> PyJWK | None:
    """The key named by kid; without a kid, only an unambiguous single key."""
    if kid is None:
        return keys.keys[0] if len(keys.keys) == 1 else None
    return next((k for k in keys.keys if k.key_id == kid), None)


class ClientAuthenticator:
    def __init__(
        self,
        clients: dict[str, TrustedClient],
        public_base_url: str,
        storage: Storage,
        key_cache: KeyCache | None = None,
    ):
        self._clients = clients
        self._base = public_base_url.rstrip("/")
        self._storage = storage
        self._keys = key_cache or KeyCache()

    def audience_for(self, path: str) -> str:
        return self._base + path

    def _signing_key(self, header: dict[str, Any], client: TrustedClient) -> Any:
        kid = header.get("kid")
        if client.jwks is not None:
            found = _pick(PyJWKSet.from_dict(client.jwks), kid)
            if found is None:
                raise AuthenticationError("no configured key matches the token's kid")
            return found.key
        assert client.jku is not None
        if header.get("jku") not in (None, client.jku):
            raise AuthenticationError("token jku is not the issuer's allowlisted JWKS URL")
        return self._keys.key(client.jku, kid).key

    def authenticate(self, authorization: str | None, path: str) -> str:
        """The verified issuer of a bearer JWT, or AuthenticationError."""
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthenticationError("no bearer token")
        token = authorization[len("Bearer ") :].strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"malformed token ({type(exc).__name__})") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise AuthenticationError(f"algorithm {header.get('alg')!r} is not accepted")
        issuer = unverified.get("iss")
        client = self._clients.get(issuer) if isinstance(issuer, str) else None
        if client is None:
            raise AuthenticationError("issuer is not trusted")
        try:
            claims = jwt.decode(
                token,
                key=self._signing_key(header, client),
                algorithms=[header["alg"]],
                audience=self.audience_for(path),
                issuer=client.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"token rejected ({type(exc).__name__})") from exc
        now = time.time()
        if claims["iat"] > now + CLOCK_SKEW_SECONDS:
            raise AuthenticationError("token issued in the future")
        if claims["exp"] > now + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
            raise AuthenticationError("token lifetime is longer than 5 minutes")
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise AuthenticationError("jti must be a non-empty string")
        expires = dt.datetime.fromtimestamp(claims["exp"] + CLOCK_SKEW_SECONDS, dt.UTC)
        if not self._storage.claim_jti(client.issuer, claims["jti"], expires):
            raise AuthenticationError("token replayed (jti already used)")
        return client.issuer
