"""openapi/openapi.json is the contract: it is generated from the app and committed."""

from __future__ import annotations

import json

from fastapi import Response

from services.api.cli import OPENAPI_PATH, openapi_document
from services.api.main import api_routes, create_app
from services.api.settings import Settings


def test_the_committed_spec_matches_the_app() -> None:
    committed = OPENAPI_PATH.read_text()
    assert committed == openapi_document(), "run `feedback openapi` and commit the result"


def test_every_route_declares_a_response_model_and_a_stable_operation_id() -> None:
    spec = create_app(Settings()).openapi()
    operation_ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    routes = api_routes()
    assert sorted(operation_ids) == sorted(r.name for r in routes for _ in r.methods)
    assert len(operation_ids) == len(set(operation_ids))
    for route in routes:
        # File downloads answer with the stored bytes, and 204s with nothing.
        if route.status_code != 204 and route.response_class is not Response:
            assert route.response_model is not None, route.path


def test_errors_are_documented_as_problem_json() -> None:
    spec = json.loads(OPENAPI_PATH.read_text())
    create = spec["paths"]["/v1/feedback"]["post"]["responses"]
    for status in ("409", "413", "422"):
        assert "application/problem+json" in create[status]["content"], status
