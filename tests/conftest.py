"""Fixtures: one migrated PostgreSQL database per run, each test in a rolled-back transaction."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from live_server import serving
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from services.api.main import create_app
from services.api.settings import PROJECT_ROOT, Settings
from services.api.storage.database import (
    PooledUnits,
    UnitOfWork,
    make_engine,
    make_sessionmaker,
)
from services.api.storage.migrate import upgrade


def _server_url() -> str:
    """DATABASE_URL when set, else the embedded server (started once, kept in .data)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from services.api.storage.embedded import embedded_url

    return embedded_url(PROJECT_ROOT / ".data" / "pg", "postgres")


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database for this run, built by the real migrations, dropped afterwards."""
    name = f"feedback_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def demo_loaded(engine: AsyncEngine) -> dict[str, int]:
    """The demo council, committed once for the run (tests only read it)."""
    from services.api.demo.loader import load_demo

    async with make_sessionmaker(engine)() as session, session.begin():
        loaded = await load_demo(session)
    return {"items": loaded.items_created, "escalations": loaded.escalations}


@pytest.fixture(scope="session")
async def api_keys(engine: AsyncEngine, demo_loaded: dict[str, int]) -> dict[str, str]:
    """A committed key per role; `portal` and `portal-other` serve two different members."""
    from sqlalchemy import select
    from sqlmodel import col

    from services.api.domain.access import create_key
    from services.api.models import FeedbackItem
    from services.api.models.access import ApiKeyCreate, Role

    keys: dict[str, str] = {}
    async with make_sessionmaker(engine)() as session, session.begin():
        members = (
            await session.scalars(
                select(col(FeedbackItem.enquirer_id))
                .where(col(FeedbackItem.enquirer_id).is_not(None))
                .order_by(col(FeedbackItem.id))
                .limit(2)
            )
        ).all()
        for name, role, member in [
            *((r.value, r, None) for r in Role if r is not Role.portal),
            ("portal", Role.portal, members[0]),
            ("portal-other", Role.portal, members[1]),
        ]:
            data = ApiKeyCreate(name=f"test-{name}", role=role, member_person_id=member)
            keys[name] = (await create_key(session, data, replace=True)).key
    return keys


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def session(engine: AsyncEngine, demo_loaded: dict[str, int]) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test.

    The app's commits become savepoint releases, and its rollbacks roll back to the savepoint,
    so a failed request is seen to write nothing.
    """
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


def _app(database_url: str, **settings: Any) -> Any:
    app = create_app(Settings(database_url=database_url, **settings))
    return app


class UnitsInTestTransaction:
    """Units of work inside the test's transaction, on its connection and its session.

    Each unit is the session's savepoint: the route's commit releases it, its rollback
    returns to it, and the test's own rollback at the end undoes everything.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        yield await self.session.connection()

    @asynccontextmanager
    async def open(self, *, read_only: bool = False) -> AsyncIterator[UnitOfWork]:
        unit = UnitOfWork(await self.session.connection(), session=self.session)
        try:
            yield unit
        finally:
            await unit.close()


def in_test_transaction(app: FastAPI, engine: AsyncEngine, session: AsyncSession) -> FastAPI:
    """The app, without its lifespan, serving requests inside the test's transaction."""
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.units = UnitsInTestTransaction(session)
    return app


def on_pool(app: FastAPI, engine: AsyncEngine) -> FastAPI:
    """The app, without its lifespan, on `engine`'s pool: requests commit for real."""
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.units = PooledUnits(engine)
    return app


@pytest.fixture
async def client(
    session: AsyncSession, engine: AsyncEngine, database_url: str, api_keys: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over ASGI, its requests in the test's transaction; an admin key."""
    app = in_test_transaction(_app(database_url), engine, session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=bearer(api_keys["admin"])
    ) as http:
        yield http


@pytest.fixture
async def committing_client(
    engine: AsyncEngine, database_url: str, api_keys: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on a pool of its own and committing, for tests of concurrent requests.

    What such a test writes stays in the run's database: it uses its own references.
    """
    app = on_pool(_app(database_url), engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=bearer(api_keys["admin"])
    ) as http:
        yield http


@pytest.fixture
def scratch_database_url(server_url: str) -> Iterator[str]:
    """An empty database of its own, for tests that migrate up and down."""
    name = f"feedback_scratch_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def live_api_url(database_url: str, api_keys: dict[str, str]) -> Iterator[str]:
    """The real app served over HTTP by uvicorn in a thread, on the run's database."""
    with serving(create_app(Settings(database_url=database_url, pool_size=4))) as url:
        yield url
