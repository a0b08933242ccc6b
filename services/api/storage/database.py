"""The engine, its one pool, and a request's unit of work.

Every request reaches PostgreSQL through SQLAlchemy's engine pool and one unit of work: a
connection in a transaction that the route class commits or rolls back. Hot paths send Core
statements on that connection; routes that want the ORM get a session bound to the same
connection, so everything a request does is one transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    AsyncTransaction,
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
    """The engine and its pool, the only way the service reaches the database.

    No pre-ping: it would cost a round trip at every checkout. A connection the server has
    dropped fails its first statement instead (503 with Retry-After), and SQLAlchemy then
    invalidates the whole pool, so the connections handed out next are new ones.
    """
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects readable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class UnitOfWork:
    """A request's connection, the transaction on it, and the ORM session joined to it.

    The session is made on first use only: the hot routes send Core statements and never
    need one. Its commit flushes what it holds; the transaction itself is the unit's.
    """

    def __init__(
        self,
        connection: AsyncConnection,
        *,
        transaction: AsyncTransaction | None = None,
        session: AsyncSession | None = None,
    ) -> None:
        self.connection = connection
        self.transaction = transaction
        self.joined_session = session
        self.owns_session = session is None

    def session(self) -> AsyncSession:
        """The ORM session on this unit's connection, inside its transaction."""
        if self.joined_session is None:
            # rollback_only: the session's commit flushes but leaves the transaction to the
            # unit; a failed flush rolls everything back, which the unit would do anyway.
            self.joined_session = AsyncSession(
                bind=self.connection,
                join_transaction_mode="rollback_only",
                expire_on_commit=False,
            )
        return self.joined_session

    async def commit(self) -> None:
        """Flush the session, if any, and commit the transaction."""
        if self.joined_session is not None:
            await self.joined_session.commit()
        if self.transaction is not None and self.transaction.is_active:
            await self.transaction.commit()

    async def rollback(self) -> None:
        """Undo everything the unit did; safe to call twice and on a lost connection."""
        if self.joined_session is not None:
            await self.joined_session.rollback()
        if self.transaction is not None and self.transaction.is_active:
            await self.transaction.rollback()

    async def close(self) -> None:
        """Roll back what was not committed and let go of the session the unit made."""
        try:
            await self.rollback()
        except Exception:
            # A statement cut off by the request's deadline, or a server gone: the connection
            # is in no state to be used again, so the pool drops it. The error that brought
            # the request here is the one reported, not this one.
            await self.connection.invalidate()
        finally:
            if self.owns_session and self.joined_session is not None:
                await self.joined_session.close()


class UnitsOfWork(Protocol):
    """Where units of work come from: the engine's pool, or (under test) a test's transaction."""

    def open(self, *, read_only: bool = False) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work, ended (committed or rolled back) by whoever opened it."""
        ...

    def connect(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for one statement that writes nothing, given back straight after."""
        ...


class PooledUnits:
    """Units of work on connections of the engine's pool."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # The same pool; its connections in autocommit, so one statement is sent as just
        # that: no BEGIN before it, no ROLLBACK when the connection goes back.
        self.reader = engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection in autocommit."""
        async with self.reader.connect() as connection:
            yield connection

    @asynccontextmanager
    async def open(self, *, read_only: bool = False) -> AsyncIterator[UnitOfWork]:
        """A unit of work: a transaction, or for `read_only` none (one statement reads one
        snapshot)."""
        if read_only:
            async with self.reader.connect() as connection:
                unit = UnitOfWork(connection)
                try:
                    yield unit
                finally:
                    await unit.close()
            return
        async with self.engine.connect() as connection:
            unit = UnitOfWork(connection, transaction=await connection.begin())
            try:
                yield unit
            finally:
                await unit.close()


def get_work(request: Request) -> UnitOfWork:
    """The request's unit of work, opened by its route."""
    work: UnitOfWork = request.state.work
    return work


async def get_session(request: Request) -> AsyncSession:
    """The request's session, on its unit of work; the route commits or rolls back."""
    return get_work(request).session()


SessionDep = Annotated[AsyncSession, Depends(get_session)]
