"""Which FHIR servers the service may call: https, an optional allowlist, no private IPs.

Checked before any outbound request, so a hostile ``fhirServer`` in a hook call
costs nothing but a 400 (no request is made, no token leaves the service). The
URL is judged by ``outbound.check_url`` (the URL as ``requests`` will send it);
host names are checked again, on every address they resolve to, by the gated
transport when a connection is made.
"""

from __future__ import annotations

import ipaddress
import re

from cds_service.errors import ClientError
from cds_service.outbound import CheckedUrl, UrlRefused, check_url, is_public, within

LOCAL_NAMES = {"localhost"}
# Hosts made only of digits, hex and dots that are not a canonical dotted quad: 127.1,
# 2130706433, 0x7f000001, 0177.0.0.1. Resolvers read them as IPv4 addresses in
# ways people do not, so they are refused outright.
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*\.?\Z", re.I)


def _refuse(message: str) -> ClientError:
    return ClientError(400, message, "fhirServer")


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _checked(url: str) -> CheckedUrl:
    try:
        checked = check_url(url)
    except UrlRefused as exc:
        raise _refuse(f"fhirServer {exc}") from exc
    host = checked.origin.host
    if _address(host) is None and _NUMERIC_HOST.match(host):
        raise _refuse("fhirServer host is a non-standard numeric address; write it as a.b.c.d")
    return checked


def _is_local(host: str) -> bool:
    address = _address(host)
    return host in LOCAL_NAMES or (address is not None and address.is_loopback)


def check_fhir_server(url: str, *, allowlist: tuple[str, ...], allow_http_localhost: bool) -> None:
    """Raise a 400 ClientError when the service must not call this fhirServer."""
    checked = _checked(url)
    scheme, host = checked.origin.scheme, checked.origin.host
    local = _is_local(host)
    if scheme != "https" and not (scheme == "http" and local and allow_http_localhost):
        raise _refuse(
            "fhirServer must use https (http is allowed only for localhost when "
            "CDS_ALLOW_HTTP_LOCALHOST is set)"
        )
    if allowlist:
        if not any(within(checked, check_url(prefix)) for prefix in allowlist):
            raise _refuse("fhirServer is not on this service's FHIR server allowlist")
        return
    if local:
        if not allow_http_localhost:
            raise _refuse(
                "fhirServer points to this machine; set CDS_ALLOW_HTTP_LOCALHOST (development) "
                "or list it in CDS_FHIR_SERVER_ALLOWLIST"
            )
        return
    address = _address(host)
    if address is not None and not is_public(address):
        raise _refuse(
            "fhirServer points to a private or reserved address; list it in "
            "CDS_FHIR_SERVER_ALLOWLIST to allow it"
        )
