"""openapi/openapi.json is the contract: it is generated from the app and committed."""

from __future__ import annotations

import json

from fastapi.routing import APIRoute

from services.api.cli import OPENAPI_PATH, openapi_document
from services.api.main import create_app
from services.api.settings import Settings


def test_the_committed_spec_matches_the_app() -> None:
    committed = OPENAPI_PATH.read_text()
    assert committed == openapi_document(), "run `feedback openapi` and commit the result"


def test_every_route_declares_a_response_model_and_a_stable_operation_id() -> None:
    app = create_app(Settings())
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    ids = [r.unique_id for r in routes]
    assert len(ids) == len(set(ids))
    for route in routes:
        assert route.unique_id == route.name
        if route.status_code != 204:
            assert route.response_model is not None, route.path


def test_errors_are_documented_as_problem_json() -> None:
    spec = json.loads(OPENAPI_PATH.read_text())
    create = spec["paths"]["/v1/feedback"]["post"]["responses"]
    for status in ("409", "413", "422"):
        assert "application/problem+json" in create[status]["content"], status
