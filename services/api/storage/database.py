"""Engine, sessions and the one transaction boundary of a request.

A request's unit of work is a transaction on one connection. Most routes use it through an
SQLAlchemy session; the hottest ones (create and read an item) skip the ORM and hold a
connection of an asyncpg pool, sending prepared statements. Either way, `Work.driver()` is
the asyncpg connection inside the request's transaction, and the route class commits or
rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, Protocol

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


# What the driver raises when the connection is lost, rather than a statement refused.
CONNECTION_ERRORS = (
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    OSError,
)


class Work(Protocol):
    """The request's transaction: its driver connection, and how it ends."""

    async def driver(self) -> asyncpg.Connection[Any]: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class SessionWork:
    """A request's transaction held by an SQLAlchemy session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def driver(self) -> asyncpg.Connection[Any]:
        """The connection under the session, inside its transaction."""
        return await driver_connection(self.session)

    async def commit(self) -> None:
        """Commit the session."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Roll the session back."""
        await self.session.rollback()


class PooledWork:
    """A request's transaction on a connection of the asyncpg pool; none when read-only."""

    def __init__(self, connection: asyncpg.Connection[Any], read_only: bool) -> None:
        self.connection = connection
        # One statement reads one snapshot: a read-only request needs no BEGIN and COMMIT.
        self.transaction = None if read_only else connection.transaction()
        self._open = False

    async def driver(self) -> asyncpg.Connection[Any]:
        """The pooled connection, its transaction begun with the first use."""
        if self.transaction is not None and not self._open:
            await self.transaction.start()
            self._open = True
        return self.connection

    async def commit(self) -> None:
        """Commit, if anything was begun."""
        if self._open and self.transaction is not None:
            self._open = False
            await self.transaction.commit()

    async def rollback(self) -> None:
        """Roll back, if anything was begun and the connection is still there to do it."""
        if self._open and self.transaction is not None:
            self._open = False
            if not self.connection.is_closed():
                await self.transaction.rollback()


WorkFactory = Callable[[bool], AbstractAsyncContextManager[Work]]


def pooled_work(pool: asyncpg.Pool[Any], timeout: float) -> WorkFactory:
    """Units of work on connections of `pool`, waiting at most `timeout` for one."""

    @asynccontextmanager
    async def work(read_only: bool) -> AsyncIterator[Work]:
        async with pool.acquire(timeout=timeout) as connection:
            unit = PooledWork(connection, read_only)
            try:
                yield unit
            except CONNECTION_ERRORS:
                # The server went away or restarted: the pool's other connections are as
                # stale as this one, so none is handed out again.
                pool.expire_connections()
                raise
            finally:
                await unit.rollback()

    return work


def session_work(
    factory: Callable[[], AbstractAsyncContextManager[AsyncSession]],
) -> WorkFactory:
    """Units of work on sessions of `factory` (tests bind them to their own transaction)."""

    @asynccontextmanager
    async def work(read_only: bool) -> AsyncIterator[Work]:
        async with factory() as session:
            yield SessionWork(session)

    return work


async def _end_transaction(connection: asyncpg.Connection[Any]) -> None:
    # The default reset costs a round trip per request to undo what these routes never do
    # (LISTEN, SET, session advisory locks); a transaction left open is all there is to end.
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def make_pool(url: str, *, size: int) -> asyncpg.Pool[Any]:
    """The asyncpg pool of the hot routes."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    # No connection at start: the app starts, and says it is not ready, while the database
    # is away.
    pool = await asyncpg.create_pool(dsn, min_size=0, max_size=size, reset=_end_transaction)
    assert pool is not None
    return pool


def get_work(request: Request) -> Work:
    """The request's unit of work, opened by its route."""
    work: Work = request.state.work
    return work


async def get_session(request: Request) -> AsyncSession:
    """The request's session, opened by its route; the route commits or rolls back."""
    session: AsyncSession = request.state.session
    return session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
