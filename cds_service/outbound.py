"""The one gate every outbound HTTP request passes: URL syntax, origin, resolved addresses.

Three layers, each judged on what ``requests``/urllib3 will actually do, not on a
separate parse of the string:

1. ``check_url`` refuses URLs that different parsers read differently (backslashes,
   control or non-ASCII characters, userinfo, bad percent-escapes, bad ports) and
   gives the origin from the *prepared* URL, the one the transport connects to.
2. The gated connection classes resolve the host once, check every address it
   resolves to (loopback, private, link-local, reserved, unspecified, multicast,
   IPv4 inside IPv6) and connect to an address that was checked: no second lookup,
   so DNS rebinding between check and connect is impossible.
3. The same connection refuses to send an ``Authorization`` header to any origin
   but the one the current call's token belongs to, judged on the host and port of
   the socket itself.

A ``CallScope`` follows one hook call: it remembers the connections in use so that
when the call's time budget runs out they are shut down, and the reader threads
blocked on them end at once instead of whenever a slow server finishes.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast
from urllib.parse import unquote, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 8192
# RFC 3986 characters: unreserved, reserved (gen-delims and sub-delims) and '%', plus '|':
# FHIR token searches (system|code) and servers' paging links carry it raw, no URL parser
# treats it as a delimiter, and requests sends it percent-encoded (%7C).
_RFC3986 = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%|]*\Z")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
DEFAULT_PORTS = {"http": 80, "https": 443}
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(ValueError):
    """A URL the service will not call; the message names the rule, never a secret."""


class GateRefusal(NewConnectionError):
    """The gate stopped a connection; urllib3 and requests report it as a connection error."""


class BlockedAddressError(GateRefusal):
    """The host resolved to an address this service may not connect to."""


class TokenOriginError(GateRefusal):
    """A request carrying the bearer token was about to leave the token's origin."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed the gate: as it will be sent, its origin and its normalized path."""

    url: str
    origin: Origin
    path: str


def _normalized_path(path: str) -> str:
    """The path with dot segments removed, after decoding the escapes that can hide them.

    ``%2e`` is a dot and ``%2f``/``%5c`` can become a slash on the server, so all three
    are decoded before ``..`` is resolved (RFC 3986 §5.2.4); an allowlist prefix is
    compared with this, never with the raw path.
    """
    decoded = re.sub(r"%(2[eEfF]|5[cC])", lambda m: unquote(m.group(0)).replace("\\", "/"), path)
    output: list[str] = []
    for segment in decoded.split("/"):
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    normalized = "/".join(output)
    if decoded.endswith(("/.", "/..")):
        normalized += "/"
    return normalized if normalized.startswith("/") else "/" + normalized


def check_url(url: object) -> CheckedUrl:
    """The URL as ``requests`` will send it, or UrlRefused saying which rule it breaks."""
    if not isinstance(url, str) or not url:
        raise UrlRefused("is not a URL string")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"is longer than {MAX_URL_LENGTH} characters")
    if not _RFC3986.match(url):
        raise UrlRefused(
            "contains characters outside RFC 3986 (backslash, space, control or non-ASCII)"
        )
    if _BAD_PERCENT.search(url):
        raise UrlRefused("has a malformed percent-escape")
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        parts = urlsplit(prepared)  # what requests' adapter uses to pick the connection
        port = parts.port
        pinned = urllib3.util.parse_url(prepared)  # what urllib3 uses for the request line
    except (requests.RequestException, LocationParseError, ValueError) as exc:
        raise UrlRefused("is not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UrlRefused("must use http or https")
    if "@" in parts.netloc or pinned.auth:
        raise UrlRefused("must not carry a user name or password")
    host = (parts.hostname or "").lower()
    if not host or (pinned.host or "").strip("[]").lower() != host:
        raise UrlRefused("has no host, or a host that parsers read differently")
    return CheckedUrl(
        prepared, Origin(scheme, host, port or DEFAULT_PORTS[scheme]), _normalized_path(parts.path)
    )


def within(candidate: CheckedUrl, prefix: CheckedUrl) -> bool:
    """Same origin, and the normalized path at or below the prefix (no 'fhir' vs 'fhir-evil')."""
    path = candidate.path.rstrip("/") + "/"
    return candidate.origin == prefix.origin and path.startswith(prefix.path.rstrip("/") + "/")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64 well-known)."""
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo:
        found.extend(address.teredo)
    if address in ipaddress.ip_network("64:ff9b::/96"):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address: IpAddress) -> bool:
    """Whether an address is an ordinary public unicast one (and so is any IPv4 inside it)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        embedded = _embedded_ipv4(address)
        if embedded and not all(is_public(a) for a in embedded):
            return False
    return bool(
        address.is_global
        and not (
            address.is_multicast
            or address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_unspecified
        )
    )


def _loopback(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


@dataclass(frozen=True)
class AddressPolicy:
    """Where connections may go once a host is resolved.

    Origins the operator allowlisted may resolve anywhere (an intranet EHR is the
    usual case); loopback is allowed only with CDS_ALLOW_HTTP_LOCALHOST; every other
    host must resolve only to public addresses.
    """

    trusted_origins: frozenset[Origin] = frozenset()
    allow_loopback: bool = False

    def permits(self, origin: Origin, address: IpAddress) -> bool:
        if origin in self.trusted_origins or is_public(address):
            return True
        return self.allow_loopback and _loopback(address)

    @classmethod
    def from_prefixes(cls, prefixes: tuple[str, ...], allow_loopback: bool) -> AddressPolicy:
        return cls(frozenset(check_url(p).origin for p in prefixes), allow_loopback)


# --- one hook call's connections ---------------------------------------------------------


@dataclass
class CallScope:
    """The outbound side of one hook call: its deadline, byte allowance and live sockets."""

    deadline: float | None = None
    max_bytes: int | None = None
    bytes_read: int = 0
    closed: bool = False
    _sockets: set[socket.socket] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def expired(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def count_bytes(self, size: int) -> bool:
        """Add bytes read; False once the call has read more than it may hold."""
        with self._lock:
            self.bytes_read += size
            return self.max_bytes is None or self.bytes_read <= self.max_bytes

    def adopt(self, sock: socket.socket) -> None:
        with self._lock:
            if self.closed:
                _shutdown(sock)
            self._sockets.add(sock)

    def release(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def close(self) -> None:
        """Shut down every socket still in use, so threads blocked reading them return now."""
        with self._lock:
            self.closed = True
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError as exc:  # already closed by its reader: nothing left to stop
        log.debug("socket already closed", extra={"reason": type(exc).__name__})


_current_scope: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar(
    "outbound_call_scope", default=None
)
_token_origin: contextvars.ContextVar[Origin | None] = contextvars.ContextVar(
    "outbound_token_origin", default=None
)


def refused_by_gate(exc: BaseException) -> bool:
    """Whether a requests error was the gate's refusal (not a network failure)."""
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, urllib3.exceptions.MaxRetryError) and isinstance(
        reason.reason, GateRefusal
    )


@contextmanager
def request_context(scope: CallScope | None, token_origin: Origin | None) -> Iterator[None]:
    """Run one request (in the current thread) under a call scope and token origin."""
    scope_token = _current_scope.set(scope)
    origin_token = _token_origin.set(token_origin)
    try:
        yield
    finally:
        _current_scope.reset(scope_token)
        _token_origin.reset(origin_token)


# --- the gated transport -----------------------------------------------------------------


class _GatedConnectionMixin:
    """Resolve once, check every address, connect to a checked one; guard the token."""

    policy: ClassVar[AddressPolicy]
    scheme_name: ClassVar[str]
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    _dns_host: str
    _gate_sock: socket.socket | None = None
    _gate_scope: CallScope | None = None

    def _origin(self) -> Origin:
        return Origin(self.scheme_name, self.host.strip("[]").lower(), int(self.port))

    def _checked_addresses(self) -> list[tuple[Any, ...]]:
        origin = self._origin()
        try:
            infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise BlockedAddressError(
                cast(HTTPConnection, self), "the host name could not be resolved"
            ) from exc
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not self.policy.permits(origin, address):
                log.warning("outbound connection refused: host resolves to a non-public address")
                raise BlockedAddressError(
                    cast(HTTPConnection, self), "the host resolves to a non-public address"
                )
        return infos

    def _new_conn(self) -> socket.socket:
        error: OSError | None = None
        for family, kind, proto, _name, sockaddr in self._checked_addresses():
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if self.timeout is not _DEFAULT_TIMEOUT:
                    sock.settimeout(self.timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            self._gate_sock = sock
            self._join_current_scope()
            return sock
        if isinstance(error, TimeoutError | socket.timeout):
            raise urllib3.exceptions.ConnectTimeoutError(
                cast(HTTPConnection, self), "connection timed out"
            ) from error
        raise NewConnectionError(cast(HTTPConnection, self), "could not connect") from error

    def _guard_request(self, headers: Any) -> None:
        """Refuse to send the token anywhere but its origin; adopt the socket into this call."""
        names = {str(k).lower() for k in (headers or {})}
        if "authorization" in names and _token_origin.get() != self._origin():
            log.error("refused to send a bearer token to another origin")
            raise TokenOriginError(
                cast(HTTPConnection, self), "the bearer token may not be sent to this origin"
            )
        self._join_current_scope()

    def _join_current_scope(self) -> None:
        """Hand this connection's socket to the call now using it (a pooled one moves on)."""
        scope = _current_scope.get()
        if self._gate_sock is None or scope is None or scope is self._gate_scope:
            return
        self._leave_scope()
        scope.adopt(self._gate_sock)
        self._gate_scope = scope

    def _leave_scope(self) -> None:
        if self._gate_scope is not None and self._gate_sock is not None:
            self._gate_scope.release(self._gate_sock)
        self._gate_scope = None


class _GatedHTTPConnection(_GatedConnectionMixin, HTTPConnection):
    scheme_name = "http"

    def request(
        self, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any
    ) -> None:
        self._guard_request(headers)
        super().request(method, url, body=body, headers=headers, **kw)


class _GatedHTTPSConnection(_GatedHTTPConnection, HTTPSConnection):
    """HTTPS: the same gate; TLS still verifies the certificate against the host name."""

    scheme_name = "https"


def _pool_classes(policy: AddressPolicy) -> dict[str, type[HTTPConnectionPool]]:
    """Pool classes whose connections carry this policy and leave the call scope on release."""
    http_conn = type("GatedHTTPConnection", (_GatedHTTPConnection,), {"policy": policy})
    https_conn = type("GatedHTTPSConnection", (_GatedHTTPSConnection,), {"policy": policy})

    def put_conn(base: type[HTTPConnectionPool]) -> Any:
        def _put_conn(self: HTTPConnectionPool, conn: Any) -> None:
            if isinstance(conn, _GatedConnectionMixin):
                conn._leave_scope()
            base._put_conn(self, conn)

        return _put_conn

    return {
        "http": type(
            "GatedHTTPConnectionPool",
            (HTTPConnectionPool,),
            {"ConnectionCls": http_conn, "_put_conn": put_conn(HTTPConnectionPool)},
        ),
        "https": type(
            "GatedHTTPSConnectionPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": https_conn, "_put_conn": put_conn(HTTPSConnectionPool)},
        ),
    }


class GatedAdapter(HTTPAdapter):
    """A requests transport whose every connection goes through the address gate."""

    def __init__(self, policy: AddressPolicy, **kwargs: Any):
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)


def gated_session(policy: AddressPolicy, pool_size: int = 16) -> requests.Session:
    """A session for outbound calls: gated transport, no proxies or netrc from the environment.

    ``trust_env`` is off because a proxy from HTTP(S)_PROXY would connect on our behalf
    to addresses this process never checked.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = GatedAdapter(policy, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
