"""Authenticating CDS clients: the signed JWT of CDS Hooks 2.0 "Trusting CDS Clients".

Only asymmetric algorithms are accepted (ES384 and RS384 as the spec requires, and
their family members of equal strength); ``none`` and every HMAC algorithm are
refused, so a public key can never be used as a shared secret. Each trusted issuer
has its JWKS inline or at an allowlisted ``jku`` URL, fetched with a timeout and a
size cap, cached, and fetched again when a token names an unknown ``kid`` (key
rotation). ``aud`` must be the URL being called; ``jti`` may be used once (shared
replay cache).

Every way a token can be wrong ends in :class:`AuthenticationError` (a 401), never in
another exception (a 500): the token is attacker-controlled input, and a 500 both
tells an attacker which input reaches which code and pages the operator for nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
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
JTI_MAX_LENGTH = 256  # the replay cache's column (storage.jti_table)
JWKS_TTL_SECONDS = 3600
JWKS_STALE_GRACE_SECONDS = 300  # past the TTL, cached keys still serve while a refresh runs
JWKS_REFETCH_MIN_SECONDS = 10
JWKS_FAILURE_TTL_SECONDS = 30.0  # a failed fetch is not retried for this long
JWKS_TIMEOUT = (3.05, 5.0)  # connect, and each read
JWKS_FETCH_DEADLINE_SECONDS = 10.0  # the whole fetch, so a slow drip cannot hold it open
JWKS_MAX_BYTES = 256 * 1024

_EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
_PRIVATE_KEYS = (
    ec.EllipticCurvePrivateKey,
    rsa.RSAPrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)


class AuthenticationError(Exception):
    """Why a token was refused: logged for operators, never sent to the caller."""


@dataclass(frozen=True)
class TrustedClient:
    issuer: str
    jwks: dict[str, Any] | None
    jku: str | None


def _key_set(document: Any) -> PyJWKSet:
    """A JWKS document as keys, or ValueError: PyJWT raises AttributeError on a non-object."""
    if not isinstance(document, dict):
        raise ValueError("a JWKS must be a JSON object")
    try:
        return PyJWKSet.from_dict(document)
    except (jwt.PyJWTError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a usable JWKS ({exc})") from exc


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
                _key_set(jwks)
            except ValueError as exc:
                raise ConfigurationError(
                    f"CDS_TRUSTED_CLIENTS_FILE entry {index}: invalid jwks ({exc})"
                ) from exc
        clients[entry["iss"]] = TrustedClient(entry["iss"], jwks, jku)
    return clients


@dataclass
class _Flight:
    """One JWKS fetch in progress: every caller that needs the same URL waits on ``done``."""

    done: threading.Event = field(default_factory=threading.Event)
    keys: PyJWKSet | None = None
    error: str | None = None


class KeyCache:
    """JWKS by URL: cached for an hour, re-fetched (rate-limited) when a kid is unknown.

    Forged tokens must not be able to make the service fetch: a URL is fetched by at
    most one caller at a time (the others wait for that fetch), a failure is remembered
    for ``failure_ttl`` seconds, and a token whose key is cached never waits for a fetch
    (past the TTL the cached keys keep serving while a background refresh runs). The
    lock only guards the dictionaries; it is never held during I/O. All HTTP goes
    through the injected session, so its adapters can gate outbound URLs.
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        refetch_after: float = JWKS_REFETCH_MIN_SECONDS,
        failure_ttl: float = JWKS_FAILURE_TTL_SECONDS,
    ):
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, PyJWKSet]] = {}
        self._failures: dict[str, tuple[float, str]] = {}
        self._flights: dict[str, _Flight] = {}
        self.refetch_after = refetch_after
        self.failure_ttl = failure_ttl

    def key(self, url: str, kid: str | None) -> PyJWK:
        """The key named by kid at url; AuthenticationError when there is none."""
        found = self._cached_key(url, kid)
        if found is None:
            found = _pick(self._fetch_shared(url), kid)
        if found is None:
            raise AuthenticationError("no key in the issuer's JWKS matches the token's kid")
        return found

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no fetch is in flight (tests, orderly shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                flights = list(self._flights.values())
            if not flights:
                return True
            for flight in flights:
                if not flight.done.wait(max(0.0, deadline - time.monotonic())):
                    return False

    def _cached_key(self, url: str, kid: str | None) -> PyJWK | None:
        """The cached key, None when a fetch is due; refuses an unknown kid seen too soon."""
        with self._lock:
            cached = self._cache.get(url)
        if cached is None:
            return None
        age = time.monotonic() - cached[0]
        found = _pick(cached[1], kid)
        if found is not None and age <= JWKS_TTL_SECONDS + JWKS_STALE_GRACE_SECONDS:
            if age > JWKS_TTL_SECONDS:
                self._refresh_in_background(url)
            return found
        if found is None and age < self.refetch_after:
            raise AuthenticationError(
                "no key in the issuer's JWKS matches the token's kid (re-fetch rate-limited)"
            )
        return None

    def _fetch_shared(self, url: str) -> PyJWKSet:
        """Fetch url, or wait for the fetch another caller already has in flight."""
        flight, leader = self._join_flight(url)
        if leader:
            self._run(url, flight)
        elif not flight.done.wait(JWKS_FETCH_DEADLINE_SECONDS + JWKS_TIMEOUT[1]):
            raise AuthenticationError("timed out waiting for the in-flight JWKS fetch")
        if flight.keys is None:
            raise AuthenticationError(flight.error or "JWKS fetch failed")
        return flight.keys

    def _join_flight(self, url: str) -> tuple[_Flight, bool]:
        """The flight for url and whether we lead it; refuses while a failure is remembered."""
        with self._lock:
            failure = self._recent_failure(url)
            if failure is not None:
                raise AuthenticationError(f"{failure} (not retried for {self.failure_ttl:g} s)")
            flight = self._flights.get(url)
            if flight is not None:
                return flight, False
            flight = self._flights[url] = _Flight()
            return flight, True

    def _refresh_in_background(self, url: str) -> None:
        """Refresh expired keys without making the caller, who holds a cached key, wait."""
        with self._lock:
            if url in self._flights or self._recent_failure(url) is not None:
                return
            flight = self._flights[url] = _Flight()
        threading.Thread(
            target=self._run, args=(url, flight), name="jwks-refresh", daemon=True
        ).start()

    def _recent_failure(self, url: str) -> str | None:
        """Why the last fetch of url failed, if that was under failure_ttl ago (hold the lock)."""
        failure = self._failures.get(url)
        if failure is None or time.monotonic() - failure[0] >= self.failure_ttl:
            return None
        return failure[1]

    def _run(self, url: str, flight: _Flight) -> None:
        """Do the flight's fetch; always lands it, so no waiter is left hanging."""
        try:
            flight.keys = self._download(url)
        except AuthenticationError as exc:
            flight.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - e.g. an outbound-URL gate's own error
            # Anything going wrong while fetching means "no keys", never a 500.
            flight.error = f"JWKS fetch failed ({type(exc).__name__})"
        finally:
            self._land(url, flight)

    def _land(self, url: str, flight: _Flight) -> None:
        """Record the flight's outcome (keys, or a remembered failure) and wake its waiters."""
        now = time.monotonic()
        with self._lock:
            if flight.keys is not None:
                self._cache[url] = (now, flight.keys)
                self._failures.pop(url, None)
            else:
                flight.error = flight.error or "JWKS fetch interrupted"
                self._failures[url] = (now, flight.error)
            self._flights.pop(url, None)
        flight.done.set()
        if flight.keys is None:
            log.warning("JWKS fetch failed", extra={"url": url, "reason": flight.error})

    def _download(self, url: str) -> PyJWKSet:
        """GET the JWKS: no redirects, timeouts, a total deadline and a body-size cap."""
        deadline = time.monotonic() + JWKS_FETCH_DEADLINE_SECONDS
        try:
            with self._session.get(
                url,
                timeout=JWKS_TIMEOUT,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json", "Accept-Encoding": "identity"},
            ) as response:
                if response.status_code != 200:
                    raise AuthenticationError(f"JWKS fetch answered HTTP {response.status_code}")
                body = _read_capped(response, deadline)
        except requests.RequestException as exc:
            raise AuthenticationError(f"JWKS fetch failed ({type(exc).__name__})") from exc
        try:
            return _key_set(json.loads(body))
        except (ValueError, RecursionError) as exc:
            raise AuthenticationError("JWKS document is not a valid key set") from exc


def _read_capped(response: requests.Response, deadline: float) -> bytes:
    """The body, streamed: refused past JWKS_MAX_BYTES or the deadline, whatever it declares."""
    body = bytearray()
    for chunk in response.iter_content(chunk_size=16 * 1024):
        body += chunk
        if len(body) > JWKS_MAX_BYTES:
            raise AuthenticationError(f"JWKS document is larger than {JWKS_MAX_BYTES} bytes")
        if time.monotonic() > deadline:
            raise AuthenticationError(
                f"JWKS fetch took longer than {JWKS_FETCH_DEADLINE_SECONDS:g} s"
            )
    return bytes(body)


def _pick(keys: PyJWKSet, kid: str | None) -> PyJWK | None:
    """The key named by kid; without a kid, only an unambiguous single key."""
    if kid is None:
        return keys.keys[0] if len(keys.keys) == 1 else None
    return next((k for k in keys.keys if k.key_id == kid), None)


def _verifying_key(alg: str, key: Any) -> Any:
    """The public key if its type fits alg, else AuthenticationError.

    PyJWT raises TypeError or ValueError, not a PyJWTError, when a token's alg meets a
    key of another family (ES384 and an RSA key, RS384 and an EC or ``oct`` key), so the
    kid could turn a forged token into a 500; checking first also pins the EC curve.
    """
    if isinstance(key, _PRIVATE_KEYS):
        key = key.public_key()
    if alg in _EC_CURVES:
        fits = isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == _EC_CURVES[alg]
    elif alg == "EdDSA":
        fits = isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey))
    elif alg.startswith(("RS", "PS")):
        fits = isinstance(key, rsa.RSAPublicKey)
    else:
        fits = False
    if not fits:
        curve = f" on {key.curve.name}" if isinstance(key, ec.EllipticCurvePublicKey) else ""
        raise AuthenticationError(
            f"the key named by kid is {type(key).__name__}{curve}, which cannot verify {alg}"
        )
    return key


def _numeric_date(claims: dict[str, Any], name: str) -> float:
    """A time claim as a number: PyJWT lets "123" and true through, which must not pass."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthenticationError(f"{name} must be a number, not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise AuthenticationError(f"{name} must be finite")
    return value


def _bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header; the scheme is case-insensitive."""
    parts = (authorization or "").split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise AuthenticationError("no bearer token")
    token = parts[1].strip()
    if not token.isascii() or len(token.split()) != 1:
        raise AuthenticationError("malformed bearer token")
    return token


@dataclass(frozen=True)
class _Verified:
    """What the replay cache needs from a token whose signature and claims are good."""

    issuer: str
    jti: str
    expires: dt.datetime


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
        self._inline = {c.issuer: _inline_keys(c) for c in clients.values() if c.jwks is not None}

    def audience_for(self, path: str) -> str:
        return self._base + path

    def authenticate(self, authorization: str | None, path: str) -> str:
        """The verified issuer of a bearer JWT, or AuthenticationError.

        Everything that reads the token runs under one guard, so no input can end in
        anything but AuthenticationError (401). The replay cache is outside it: the
        database failing is the server's fault, not the caller's, and stays a 500.
        """
        try:
            verified = self._verify(_bearer_token(authorization), path)
        except AuthenticationError:
            raise
        except Exception as exc:  # the last guard described above (re-raised, so not blind)
            raise AuthenticationError(
                f"unexpected {type(exc).__name__} while verifying the token"
            ) from exc
        if not self._storage.claim_jti(verified.issuer, verified.jti, verified.expires):
            raise AuthenticationError("token replayed (jti already used)")
        return verified.issuer

    def _verify(self, token: str, path: str) -> _Verified:
        """Signature, issuer, audience and time claims of the token."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"malformed token ({type(exc).__name__})") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
            raise AuthenticationError(f"algorithm {alg!r} is not accepted")
        issuer = unverified.get("iss")
        client = self._clients.get(issuer) if isinstance(issuer, str) else None
        if client is None:
            raise AuthenticationError("issuer is not trusted")
        key = _verifying_key(alg, self._signing_key(header, client))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self.audience_for(path),
                issuer=client.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"token rejected ({type(exc).__name__})") from exc
        return _checked_claims(client.issuer, claims, time.time())

    def _signing_key(self, header: dict[str, Any], client: TrustedClient) -> Any:
        kid = header.get("kid")
        if client.jwks is not None:
            found = _pick(self._inline[client.issuer], kid)
            if found is None:
                raise AuthenticationError("no configured key matches the token's kid")
            return found.key
        assert client.jku is not None
        if header.get("jku") not in (None, client.jku):
            raise AuthenticationError("token jku is not the issuer's allowlisted JWKS URL")
        return self._keys.key(client.jku, kid).key


def _inline_keys(client: TrustedClient) -> PyJWKSet:
    """An issuer's inline JWKS, parsed once at start-up rather than on every request."""
    try:
        return _key_set(client.jwks)
    except ValueError as exc:
        raise ConfigurationError(f"trusted client {client.issuer}: invalid jwks ({exc})") from exc


def _checked_claims(issuer: str, claims: dict[str, Any], now: float) -> _Verified:
    """Our own checks of iat, exp and jti: their types, and the CDS Hooks 5-minute lifetime.

    PyJWT has refused an expired token already. An iat older than the longest lifetime is
    refused too, so a long-lived token cannot pass by claiming a recent exp.
    """
    iat, exp = _numeric_date(claims, "iat"), _numeric_date(claims, "exp")
    if iat > now + CLOCK_SKEW_SECONDS:
        raise AuthenticationError("token issued in the future")
    if iat < now - MAX_LIFETIME_SECONDS - CLOCK_SKEW_SECONDS:
        raise AuthenticationError("token issued more than 5 minutes ago")
    if exp > now + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        raise AuthenticationError("token lifetime is longer than 5 minutes")
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > JTI_MAX_LENGTH:
        raise AuthenticationError(f"jti must be a string of 1 to {JTI_MAX_LENGTH} characters")
    expires = dt.datetime.fromtimestamp(exp + CLOCK_SKEW_SECONDS, dt.UTC)
    return _Verified(issuer, jti, expires)
