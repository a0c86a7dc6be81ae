"""A bounded schemathesis run of the OpenAPI document: never a 5xx, always conformant."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cds_service.app import create_app
from cds_service.config import Settings
from tests.conftest import AS_OF

# fhirServer values the generator invents are refused before any outbound request.
APP = create_app(Settings(as_of=AS_OF, fhir_server_allowlist=("https://ehr.invalid/fhir",)))
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text[:300]
    case.validate_response(
        response,
        checks=[status_code_conformance, content_type_conformance, response_schema_conformance],
    )
