"""What every case stands on: a PostgreSQL of its own, a prepared database, the API as a process."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from drills.fault_drill import Api, Postgres, _load_reference_data_and_key
from services.api.storage.migrate import upgrade


@contextmanager
def case_server(prefix: str) -> Iterator[tuple[Postgres, Path]]:
    """A PostgreSQL started in a temporary folder, and the folder; both gone afterwards."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    server = Postgres(work / "pgdata")
    try:
        server.init()
        server.start()
        yield server, work
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


async def _new_database(server: Postgres, name: str) -> str:
    connection = await asyncpg.connect(server.url("postgres"), timeout=10)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server.url(name)


def prepared_database(server: Postgres, name: str) -> tuple[str, str]:
    """A database of its own for a case: migrated, reference data loaded; its URL and a key."""
    url = asyncio.run(_new_database(server, name))
    upgrade(url)
    return url, asyncio.run(_load_reference_data_and_key(url))


@contextmanager
def running_api(url: str, log: Path) -> Iterator[Api]:
    """The real API serving `url` as a process of its own, stopped afterwards."""
    api = Api(url, log)
    try:
        api.start()
        yield api
    finally:
        api.stop()
