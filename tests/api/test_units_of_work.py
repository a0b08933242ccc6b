"""The request's unit of work: driver statements share the session's transaction, and the
app starts while its database is away."""

from __future__ import annotations

import socket

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.main import create_app
from services.api.settings import Settings
from services.api.storage.database import driver_connection, make_sessionmaker


async def test_driver_statements_run_inside_the_sessions_transaction(
    engine: AsyncEngine,
) -> None:
    name = "Unit Of Work Rolled Back"
    async with make_sessionmaker(engine)() as session:
        db = await driver_connection(session)
        assert db.is_in_transaction()
        await db.execute("INSERT INTO person (name) VALUES ($1)", name)
        await session.rollback()
    async with engine.connect() as connection:
        held = await connection.scalar(
            text("SELECT count(*) FROM person WHERE name = :n"), {"n": name}
        )
    assert held == 0


async def test_the_app_starts_while_its_database_is_away() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port once the probe is closed.
    app = create_app(Settings(database_url=f"postgresql://nobody@127.0.0.1:{port}/absent"))
    async with app.router.lifespan_context(app):
        assert app.state.driver_work is not None
