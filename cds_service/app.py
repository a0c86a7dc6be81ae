"""The Flask app factory: CDS Hooks discovery, hook calls and JSON-only errors."""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from flask import Flask, Response, request
from flask_cors import CORS
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from cds_service.client_auth import (
    AuthenticationError,
    ClientAuthenticator,
    KeyCache,
    TrustedClient,
    load_trusted_clients,
)
from cds_service.config import Settings
from cds_service.errors import (
    ClientError,
    ConfigurationError,
    ServiceUnavailableError,
    operation_outcome,
)
from cds_service.hook_handler import HookHandler
from cds_service.logging_setup import configure_logging
from cds_service.outbound import AddressPolicy, UrlRefused, check_url, gated_session
from cds_service.resources import read_json, schema_dir

log = logging.getLogger(__name__)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(
    status: int, message: str, *, code: str = "invalid", expression: str | None = None
) -> Response:
    return _json(operation_outcome(message, code=code, expression=expression), status)


def _request_json(limit: int) -> Any:
    """The JSON body, read at most ``limit`` bytes far (413 beyond), chunked or not.

    Only ``application/json`` is read (415 otherwise): a browser can send a cross-site
    form post or text/plain without a CORS preflight, but never application/json.
    """
    if request.mimetype != "application/json":
        raise ClientError(
            415,
            "Content-Type must be application/json",
            "Content-Type",
            code="not-supported",
        )
    if request.content_length is not None and request.content_length > limit:
        raise ClientError(
            413, f"request body is larger than {limit} bytes", "(root)", code="too-costly"
        )
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise ClientError(
            413, f"request body is larger than {limit} bytes", "(root)", code="too-costly"
        )
    if not raw:
        raise ClientError(400, "request body is empty; a JSON object is required", "(root)")
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ClientError(400, "request body is not UTF-8 JSON", "(root)") from exc
    except RecursionError as exc:
        raise ClientError(400, "request body is nested too deeply", "(root)") from exc
    except ValueError as exc:
        raise ClientError(400, f"request body is not valid JSON: {exc}", "(root)") from exc


def _authenticator(settings: Settings, handler: HookHandler) -> ClientAuthenticator | None:
    """JWT checking when CDS_JWT_REQUIRED; off (with a warning) for local development."""
    if not settings.jwt_required:
        log.warning(
            "CDS client authentication is OFF (CDS_JWT_REQUIRED=false): "
            "use only for local development"
        )
        return None
    if not settings.trusted_clients_file or not settings.public_base_url:
        raise ConfigurationError(
            "CDS_JWT_REQUIRED=true needs CDS_TRUSTED_CLIENTS_FILE and CDS_PUBLIC_BASE_URL"
        )
    clients = load_trusted_clients(settings.trusted_clients_file)
    return ClientAuthenticator(
        clients, settings.public_base_url, handler.storage, KeyCache(session=_jwks_session(clients))
    )


def _jwks_session(clients: dict[str, TrustedClient]) -> requests.Session:
    """JWKS fetches pass the outbound gate too; the operator's own jku origins may be private."""
    try:
        origins = frozenset(check_url(c.jku).origin for c in clients.values() if c.jku)
    except UrlRefused as exc:
        raise ConfigurationError(f"CDS_TRUSTED_CLIENTS_FILE: a jku {exc}") from exc
    return gated_session(AddressPolicy(trusted_origins=origins))


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; policies, code sets and schemas are validated here, before any request."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    handler = HookHandler(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["hook_handler"] = handler
    authenticator = _authenticator(settings, handler)
    if settings.cors_origins:
        CORS(
            app,
            resources={r"/cds-services*": {"origins": list(settings.cors_origins)}},
            methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )

    @app.before_request
    def require_client_jwt() -> Response | None:
        if authenticator is None or request.method == "OPTIONS":
            return None
        if not request.path.startswith("/cds-services"):
            return None
        try:
            authenticator.authenticate(request.headers.get("Authorization"), request.path)
        except SQLAlchemyError as exc:  # the replay cache is ours: an outage, not the caller
            log.error("jti replay cache unavailable", extra={"path": request.path})
            raise ServiceUnavailableError("authentication is unavailable; try again") from exc
        except AuthenticationError as exc:
            log.warning(
                "client authentication failed", extra={"reason": str(exc), "path": request.path}
            )
            response = _error(401, "authentication required", code="login")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return None

    @app.get("/cds-services")
    def discovery() -> Response:
        return _json(handler.discovery())

    @app.post("/cds-services/<service_id>")
    def hook(service_id: str) -> Response:
        handler.service(service_id)  # 404 before reading a body for an unknown service
        return _json(handler.handle(service_id, _request_json(settings.max_body_bytes)))

    @app.post("/cds-services/<service_id>/feedback")
    def feedback(service_id: str) -> Response:
        handler.service(service_id)
        return _json(handler.feedback(service_id, _request_json(settings.max_body_bytes)))

    if settings.bench_baseline:
        # The benchmark's yardstick: the same server stack and JSON parsing, no evaluation.
        @app.post("/bench/baseline")
        def baseline() -> Response:
            _request_json(settings.max_body_bytes)
            return _json({"cards": []})

    @app.get("/openapi.json")
    def openapi() -> Response:
        return _json(read_json(schema_dir() / "openapi.json"))

    @app.get("/healthz")
    def health() -> Response:
        return _json({"status": "ok", "services": len(handler.services)})

    @app.errorhandler(ClientError)
    def client_error(exc: ClientError) -> Response:
        log.info("request refused", extra={"status": exc.status, "path": request.path})
        return _error(exc.status, exc.message, code=exc.code, expression=exc.expression)

    @app.errorhandler(ServiceUnavailableError)
    def unavailable(exc: ServiceUnavailableError) -> Response:
        return _error(503, str(exc), code="transient")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = {
            404: "not-found",
            405: "not-supported",
            413: "too-costly",
            415: "not-supported",
        }.get(exc.code or 500, "invalid")
        return _error(exc.code or 500, exc.description or exc.name, code=code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.error("unhandled error", exc_info=exc, extra={"path": request.path})
        return _error(500, "internal error; the service logged the failure", code="exception")

    return app
