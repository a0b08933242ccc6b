"""Engine, sessions and the one transaction boundary of a request."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_url(url: str) -> str:
    """The same database addressed through the asyncpg driver."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError("only PostgreSQL is supported")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 10, pool_timeout: float = 10.0) -> AsyncEngine:
    """An engine whose pool notices and replaces connections the server has dropped."""
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=pool_timeout,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects readable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def driver_connection(session: AsyncSession) -> asyncpg.Connection[Any]:
    """The asyncpg connection under `session`, inside the session's transaction.

    Hot paths send their statements on it directly, as prepared statements that asyncpg
    caches per connection, without building and compiling SQLAlchemy constructs for each
    request. The session still owns the transaction: it commits or rolls them back.
    """
    connection = await session.connection()
    pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection
    # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its own first statement; a
    # statement sent on the driver before that would run outside the transaction.
    if adapted._transaction is None:
        await adapted._start_transaction()
    driver: asyncpg.Connection[Any] = pooled.driver_connection
    return driver


async def get_session(request: Request) -> AsyncSession:
    """The request's session, opened by its route; the route commits or rolls back."""
    session: AsyncSession = request.state.session
    return session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
