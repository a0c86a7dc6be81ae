"""Malformed hook bodies: whatever arrives, the answer is JSON and never a 5xx."""

from __future__ import annotations

import copy
import json
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_service.app import create_app
from cds_service.config import Settings
from cds_service.hook_handler import load_services
from tests.conftest import AS_OF, SIGN, hook_request

APP = create_app(Settings(as_of=AS_OF))
TEMPLATES = load_services()[SIGN].prefetch
VALID = hook_request("implant-criteria-met.json", TEMPLATES)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            found += _paths(child, (*prefix, index))
    return found


PATHS = [p for p in _paths(VALID) if p]


def _check(client: FlaskClient, body: bytes) -> None:
    response = client.post(f"/cds-services/{SIGN}", data=body, content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    payload = response.get_json()
    assert isinstance(payload, dict)
    if response.status_code != 200:
        assert payload["resourceType"] == "OperationOutcome"
    else:
        assert isinstance(payload["cards"], list)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_bodies(value: Any) -> None:
    _check(APP.test_client(), json.dumps(value).encode())


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), json_values, st.booleans())
def test_valid_request_with_one_value_replaced_or_removed(
    path: tuple[Any, ...], value: Any, remove: bool
) -> None:
    request = copy.deepcopy(VALID)
    parent = request
    for step in path[:-1]:
        parent = parent[step]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    _check(APP.test_client(), json.dumps(request).encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes(body: bytes) -> None:
    _check(APP.test_client(), body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_feedback_bodies(value: Any) -> None:
    client = APP.test_client()
    response = client.post(
        f"/cds-services/{SIGN}/feedback",
        data=json.dumps({"feedback": [value]}),
        content_type="application/json",
    )
    assert response.status_code < 500
    assert isinstance(response.get_json(), dict)
