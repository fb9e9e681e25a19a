"""Property-based run of schemathesis against the app's own OpenAPI schema.

Every operation gets generated valid and invalid requests (bounded, derandomized so the run is
repeatable); whatever arrives, the API must not answer 5xx, and its errors keep one JSON shape.

(schemathesis' ``pytest.from_fixture`` loader does not work with pytest 9 — it sets a private
``_nodeid`` — so each operation's Hypothesis strategy is driven directly with ``@given``.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from assistant.api import (
    routes_ask,
    routes_audit,
    routes_documents,
    routes_feedback,
    routes_health,
    routes_jobs,
    routes_metadata,
    routes_openai,
)
from assistant.api.app import create_app
from tests.api_support import fake_corpus_service

ROUTES = [
    route
    for module in (
        routes_health,
        routes_ask,
        routes_documents,
        routes_metadata,
        routes_feedback,
        routes_audit,
        routes_jobs,
        routes_openai,
    )
    for route in module.router.routes
    if getattr(route, "include_in_schema", False)
]
OPERATIONS = sorted((m, route.path) for route in ROUTES for m in route.methods if m != "HEAD")


def _takes_input(dependant) -> bool:
    own = (dependant.path_params, dependant.query_params, dependant.body_params)
    return any(own) or any(_takes_input(d) for d in dependant.dependencies)


# Negative cases (invalid input) only exist for operations that take some input.
CASES = [(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS] + sorted(
    (m, route.path, GenerationMode.NEGATIVE)
    for route in ROUTES
    if _takes_input(route.dependant)
    for m in route.methods
    if m != "HEAD"
)
HYPOTHESIS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    service = fake_corpus_service(tmp_path_factory.mktemp("api-schema") / "data")
    app = create_app(service.settings.model_copy(update={"ui_enabled": False}), service)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    service.close()


def check_response(case, response) -> None:
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
    if response.status_code >= 400:
        content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type")
        assert content_type and content_type[0].startswith("application/json")
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert "Traceback" not in response.text


def test_every_operation_is_exercised(api_schema):
    in_schema = sorted(
        (method.upper(), path)
        for path, item in api_schema.raw_schema["paths"].items()
        for method in item
    )
    assert in_schema == OPERATIONS


@pytest.mark.parametrize(
    "method, path, mode", CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES]
)
def test_no_server_errors(api_schema, method, path, mode):
    operation = api_schema[path][method]

    @HYPOTHESIS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        check_response(case, case.call())

    run()
