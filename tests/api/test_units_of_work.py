"""The request's unit of work: Core statements and the ORM session share one connection and
one transaction, on the one pool; the app starts while its database is away."""

from __future__ import annotations

import socket

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from services.api.main import create_app
from services.api.models import Person
from services.api.settings import Settings
from services.api.storage.database import PooledUnits


async def _people_named(engine: AsyncEngine, name: str) -> int:
    async with engine.connect() as connection:
        held = await connection.scalar(
            text("SELECT count(*) FROM person WHERE name = :n"), {"n": name}
        )
    return int(held or 0)


async def test_core_statements_and_the_session_share_the_units_transaction(
    engine: AsyncEngine,
) -> None:
    name = "Unit Of Work Rolled Back"
    async with PooledUnits(engine).open() as unit:
        await unit.connection.execute(insert(Person).values(name=name))
        session = unit.session()
        # The session sees the Core statement's row: the same connection and transaction.
        seen = await session.scalar(select(col(Person.id)).where(col(Person.name) == name))
        assert seen is not None
        session.add(Person(name=name))
        await unit.rollback()
    assert await _people_named(engine, name) == 0


async def test_a_committed_unit_writes_what_its_session_and_statements_did(
    engine: AsyncEngine,
) -> None:
    name = "Unit Of Work Committed"
    async with PooledUnits(engine).open() as unit:
        await unit.connection.execute(insert(Person).values(name=name))
        unit.session().add(Person(name=name))
        await unit.commit()
    try:
        assert await _people_named(engine, name) == 2
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM person WHERE name = :n"), {"n": name})


async def test_a_unit_left_without_commit_writes_nothing(engine: AsyncEngine) -> None:
    name = "Unit Of Work Abandoned"
    async with PooledUnits(engine).open() as unit:
        await unit.connection.execute(insert(Person).values(name=name))
    assert await _people_named(engine, name) == 0


async def test_a_read_only_unit_sends_no_transaction(engine: AsyncEngine) -> None:
    async with PooledUnits(engine).open(read_only=True) as unit:
        pid = await unit.connection.scalar(text("SELECT pg_backend_pid()"))
        # Autocommit: after its statement the connection is idle, not idle in a transaction.
        async with engine.connect() as other:
            state = await other.scalar(
                text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
    assert state == "idle"


async def test_the_app_starts_while_its_database_is_away() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port once the probe is closed.
    app = create_app(Settings(database_url=f"postgresql://nobody@127.0.0.1:{port}/absent"))
    async with app.router.lifespan_context(app):
        assert isinstance(app.state.units, PooledUnits)
