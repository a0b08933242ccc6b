"""An embedded PostgreSQL for the demo and the tests when DATABASE_URL is not set."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: Path) -> Any:
    """Start (or reuse) the PostgreSQL server shipped in the pgserver wheel; returns its handle."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent))
        import pgserver

        return pgserver.get_server(data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]


def embedded_url(data_dir: Path, database: str) -> str:
    """Start the embedded server, make sure `database` exists and return its URL."""
    server = start_embedded_postgres(data_dir)
    # Keep the handle alive for the life of the process: dropping it stops the server.
    _HANDLES.append(server)
    base = make_url(server.get_uri())
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return base.set(database=database).render_as_string(hide_password=False)


_HANDLES: list[Any] = []
