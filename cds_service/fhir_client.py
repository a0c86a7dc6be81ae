"""Reading from the EHR's FHIR server: timeouts always, the token only to its origin.

The bearer token from ``fhirAuthorization`` is attached per request, and only
when the URL's origin equals the ``fhirServer`` origin, so a paging link or
attachment URL that points elsewhere never receives it. Redirects are not
followed (a redirect could carry the request to another origin).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3

from cds_service.outbound import (
    CallScope,
    CheckedUrl,
    UrlRefused,
    check_url,
    refused_by_gate,
    request_context,
)

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
MAX_RESPONSE_BYTES = 50 * 1024 * 1024
UNREACHABLE = "fhirServer could not be reached or did not answer in time"


class FhirFetchError(Exception):
    """A read or search failed; the message names the cause but never the token.

    ``refused`` marks a request the outbound gate stopped (the server resolves to an
    address this service may not call), which is the caller's configuration, not a
    missing record.
    """

    def __init__(self, message: str, *, refused: bool = False):
        super().__init__(message)
        self.refused = refused


class UrlRefusedError(FhirFetchError):
    """A URL inside a FHIR answer (paging link, attachment) did not pass the URL gate."""


def checked(url: str, where: str) -> CheckedUrl:
    try:
        return check_url(url)
    except UrlRefused as exc:
        raise UrlRefusedError(f"{where} URL {exc}") from exc


@dataclass
class SearchResult:
    resources: list[dict[str, Any]]
    complete: bool
    problem: str | None = None


class FhirClient:
    """A small FHIR REST reader bound to one server and one (optional) bearer token.

    Every URL passes ``outbound.check_url`` and is sent as checked; the token is added
    only when the checked origin is the fhirServer origin, and the gated transport
    refuses it again on any socket to another origin. All requests of one hook call
    share its ``CallScope`` (deadline, byte allowance, sockets to close).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_pages: int,
        session: requests.Session,
        scope: CallScope | None = None,
    ):
        base = checked(base_url.rstrip("/") + "/", "fhirServer")
        self.base_url = base.url
        self._origin = base.origin
        self._token = token
        self._timeout = (connect_timeout, read_timeout)
        self._max_pages = max_pages
        self._session = session
        self._scope = scope or CallScope()

    def _timeouts(self, where: str) -> tuple[float, float]:
        """Per-request timeouts, cut down to what is left of the hook's time budget."""
        remaining = self._scope.remaining()
        if remaining is None:
            return self._timeout
        if remaining <= 0:
            raise FhirFetchError(f"the time budget ran out before reading {where}")
        return min(self._timeout[0], remaining), min(self._timeout[1], remaining)

    def _read_body(self, response: requests.Response, where: str, limit: int) -> bytes:
        """The body up to ``limit`` bytes, giving up when the time budget runs out mid-stream.

        A server that drips bytes never trips the socket's read timeout; the call's
        scope shuts the socket down when the budget runs out, which ends this loop.
        """
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.raw.stream(65536, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise FhirFetchError(f"{where} answered more than {limit} bytes")
                if not self._scope.count_bytes(len(chunk)):
                    raise FhirFetchError(
                        f"the hook call read more than {self._scope.max_bytes} bytes in all"
                    )
                if self._scope.expired():
                    raise FhirFetchError(f"the time budget ran out while reading {where}")
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            log.warning("fhir read failed", extra={"reason": type(exc).__name__})
            raise FhirFetchError(f"reading {where} failed before the answer was complete") from exc
        return b"".join(chunks)

    def same_origin(self, url: CheckedUrl) -> bool:
        return url.origin == self._origin

    def _headers(self, url: CheckedUrl) -> dict[str, str]:
        headers = {"Accept": FHIR_JSON}
        if self._token and self.same_origin(url):
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def absolute(self, relative: str, where: str = "link") -> CheckedUrl:
        """A URL relative to fhirServer (or absolute), through the URL gate."""
        try:
            joined = urljoin(self.base_url, relative)
        except ValueError as exc:
            raise UrlRefusedError(f"{where} URL is not a valid URL") from exc
        return checked(joined, where)

    def _get(
        self, url: CheckedUrl, headers: dict[str, str], where: str, limit: int
    ) -> tuple[bytes, str]:
        """GET a body (and its media type); every failure becomes a FhirFetchError, token-free.

        Connection-level failures all read the same to the caller (a port scan learns
        nothing); the log names the exception type for operators.
        """
        with request_context(self._scope, self._origin):
            try:
                response = self._session.get(
                    url.url,
                    headers=headers,
                    timeout=self._timeouts(where),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.RequestException as exc:
                blocked = refused_by_gate(exc)
                log.warning(
                    "fhir request failed",
                    extra={"reason": "blocked address" if blocked else type(exc).__name__},
                )
                if blocked:
                    raise FhirFetchError(
                        "fhirServer resolves to an address this service may not call",
                        refused=True,
                    ) from exc
                raise FhirFetchError(UNREACHABLE) from exc
            with response:
                if response.status_code != 200:
                    raise FhirFetchError(f"{where} answered HTTP {response.status_code}")
                body = self._read_body(response, where, limit)
                media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        return body, media

    @staticmethod
    def _json(body: bytes, where: str) -> Any:
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise FhirFetchError(f"{where} did not answer valid JSON") from exc

    def get_json(self, url: CheckedUrl) -> Any:
        """GET a FHIR JSON document."""
        where = url.path
        body, _media = self._get(url, self._headers(url), where, MAX_RESPONSE_BYTES)
        return self._json(body, where)

    def get_attachment(self, url: CheckedUrl, max_bytes: int) -> tuple[bytes, str | None]:
        """Attachment content: a FHIR Binary (JSON) or the raw body, capped at ``max_bytes``."""
        where = url.path
        headers = self._headers(url) | {"Accept": f"{FHIR_JSON}, text/plain;q=0.9, text/html;q=0.8"}
        body, media = self._get(url, headers, where, max_bytes * 2)
        if media not in (FHIR_JSON, "application/json"):
            return body[:max_bytes], media or None
        binary = self._json(body, where)
        if not isinstance(binary, dict) or binary.get("resourceType") != "Binary":
            raise FhirFetchError(f"{where} did not answer a Binary resource")
        try:
            content = base64.b64decode(binary.get("data") or "", validate=False)
        except (binascii.Error, ValueError) as exc:
            raise FhirFetchError(f"{where} Binary data is not base64") from exc
        return content[:max_bytes], binary.get("contentType")

    def read(self, relative: str) -> dict[str, Any]:
        document = self.get_json(self.absolute(relative, "read"))
        if not isinstance(document, dict) or "resourceType" not in document:
            raise FhirFetchError(f"{relative.split('/')[0]} read did not return a FHIR resource")
        return document

    def search(self, relative: str) -> SearchResult:
        """All pages of a search, following `next` links on the same origin only."""
        url: CheckedUrl | None = self.absolute(relative, "search")
        resources: list[dict[str, Any]] = []
        pages = 0
        while url:
            bundle = self.get_json(url)
            if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
                kind = (
                    bundle.get("resourceType")
                    if isinstance(bundle, dict)
                    else type(bundle).__name__
                )
                raise FhirFetchError(
                    f"search {relative.split('?')[0]} returned {kind}, not a Bundle"
                )
            resources += [
                e["resource"]
                for e in bundle.get("entry") or []
                if isinstance(e, dict)
                and isinstance(e.get("resource"), dict)
                and (e.get("search") or {}).get("mode", "match") != "outcome"
            ]
            pages += 1
            link = _next_link(bundle)
            if link is None:
                break
            try:
                url = self.absolute(link, "paging link")
            except UrlRefusedError as exc:
                log.warning("paging link refused by the URL gate")
                return SearchResult(resources, False, f"{exc}; the rest was not read")
            if not self.same_origin(url):
                log.warning("paging link to another origin not followed")
                return SearchResult(
                    resources, False, "a paging link pointed to another server and was not followed"
                )
            if pages >= self._max_pages:
                return SearchResult(
                    resources, False, f"more than {self._max_pages} pages; the rest was not read"
                )
        return SearchResult(resources, True)


def _next_link(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if (
            isinstance(link, dict)
            and link.get("relation") == "next"
            and isinstance(link.get("url"), str)
        ):
            return str(link["url"])
    return None
