"""Property-based tests generated from the OpenAPI document: every operation, every check.

The API runs over real HTTP on a database of its own (the council profile, no cases), so
what the fuzzer writes never meets the other tests' figures.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from sqlalchemy.engine import make_url

from services.api.domain.access import create_key
from services.api.domain.profile import DEMO_PROFILE, load_profile
from services.api.main import create_app
from services.api.models.access import ApiKeyCreate, Role
from services.api.settings import Settings
from services.api.storage.database import make_engine, make_sessionmaker
from services.api.storage.migrate import upgrade

MAX_EXAMPLES = 25
# Every check about what the API answers. Left out: positive_data_acceptance, which expects a
# 2xx for any request the schema allows, while business rules (a team that exists and was
# active on the date, a response after receipt, If-Match) are beyond what a schema can say.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.ignored_auth,
    checks.missing_required_header,
    checks.unsupported_method,
]


async def _prepare(url: str) -> str:
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await load_profile(session, DEMO_PROFILE)
            created = await create_key(session, ApiKeyCreate(name="fuzz-admin", role=Role.admin))
            return created.key
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def fuzz_api(server_url: str) -> Iterator[tuple[str, str]]:
    """The API on a fresh database over HTTP, and an admin key for it."""
    from conftest import _admin

    name = f"feedback_fuzz_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    key = asyncio.run(_prepare(url))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(database_url=url, pool_size=4))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", key
    server.should_exit = True
    thread.join(timeout=10)
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# The document as committed is the contract; loading it needs no database.
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_every_operation_keeps_its_contract(
    operation: Any, mode: GenerationMode, fuzz_api: tuple[str, str]
) -> None:
    base, key = fuzz_api

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        case.call_and_validate(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, checks=CHECKS
        )

    try:
        check()
    except Unsatisfiable:
        # An operation without inputs has no invalid request to make.
        assert mode is GenerationMode.NEGATIVE, operation.label
        pytest.skip("no negative input to generate")
