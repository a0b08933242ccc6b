"""Liveness and readiness."""

from __future__ import annotations

import logging

import httpx
import pytest

from services.api.main import create_app
from services.api.settings import Settings
from services.api.storage.database import make_engine, make_sessionmaker


async def test_live_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.json() == {"status": "ok", "revision": None}


async def test_ready_when_the_schema_is_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json()["revision"]


async def test_not_ready_when_migrations_are_behind(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.api.http.routes.health as health

    monkeypatch.setattr(health, "newest_revision", lambda: "a-newer-revision")
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "Retry-After" in response.headers


async def test_readiness_probes_log_nothing_but_their_access_lines(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # An orchestrator probes every few seconds: each probe used to log Alembic's two lines
    # ("Context impl PostgresqlImpl.", "Will assume transactional DDL.").
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            assert (await client.get("/health/ready")).status_code == 200
    lines = [
        (r.name, r.getMessage())
        for r in caplog.records
        if r.levelno >= logging.INFO and not r.name.startswith(("httpx", "httpcore"))
    ]
    assert lines == [("services.api.access", "GET /health/ready 200")] * 3


async def test_a_database_without_migrations_is_not_ready_and_says_so(
    scratch_database_url: str,
) -> None:
    app = create_app(Settings(database_url=scratch_database_url))
    engine = make_engine(scratch_database_url, pool_size=1)
    app.state.sessionmaker = make_sessionmaker(engine)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            response = await client.get("/health/ready")
    finally:
        await engine.dispose()
    assert response.status_code == 503
    assert response.json()["detail"] == (
        "the database has no migrations applied: run `feedback migrate`"
    )
