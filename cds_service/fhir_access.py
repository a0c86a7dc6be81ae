"""Which FHIR servers the service may call: https, an optional allowlist, no private IPs.

Checked before any outbound request, so a hostile ``fhirServer`` in a hook call
costs nothing but a 400 (no request is made, no token leaves the service).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from cds_service.errors import ClientError

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _origin_and_path(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port, parts.path.rstrip("/") + "/"


def _within(url: str, prefix: str) -> bool:
    """Same origin and the path at or below the prefix's path (no 'fhir' vs 'fhir-evil')."""
    scheme, host, port, path = _origin_and_path(url)
    p_scheme, p_host, p_port, p_path = _origin_and_path(prefix)
    return (scheme, host, port) == (p_scheme, p_host, p_port) and path.startswith(p_path)


def check_fhir_server(url: str, *, allowlist: tuple[str, ...], allow_http_localhost: bool) -> None:
    """Raise a 400 ClientError when the service must not call this fhirServer."""
    try:
        scheme, host, _port, _path = _origin_and_path(url)
    except ValueError as exc:
        raise ClientError(400, "fhirServer is not a valid URL", "fhirServer") from exc
    local = host in LOCAL_HOSTS
    if scheme != "https" and not (scheme == "http" and local and allow_http_localhost):
        raise ClientError(
            400,
            "fhirServer must use https (http is allowed only for localhost when "
            "CDS_ALLOW_HTTP_LOCALHOST is set)",
            "fhirServer",
        )
    if allowlist:
        if not any(_within(url, prefix) for prefix in allowlist):
            raise ClientError(
                400, "fhirServer is not on this service's FHIR server allowlist", "fhirServer"
            )
        return
    if local:
        if not allow_http_localhost:
            raise ClientError(
                400,
                "fhirServer points to this machine; set CDS_ALLOW_HTTP_LOCALHOST (development) "
                "or list it in CDS_FHIR_SERVER_ALLOWLIST",
                "fhirServer",
            )
        return
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    ):
        raise ClientError(
            400,
            "fhirServer points to a private or reserved address; list it in "
            "CDS_FHIR_SERVER_ALLOWLIST to allow it",
            "fhirServer",
        )
