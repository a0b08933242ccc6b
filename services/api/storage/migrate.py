"""Alembic, driven from code: the `migrate` command, the tests and readiness use these."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from services.api.settings import PROJECT_ROOT


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config pointing at the project's migrations and, if given, a database."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Revert migrations down to `revision`."""
    command.downgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    """The newest revision in the migrations folder."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


# Alembic's default, which migrations/env.py keeps.
VERSION_TABLE = "alembic_version"


def current_revision(connection: Connection) -> str | None:
    """The revision the connected database is at; None before its first migration."""
    # The version table read directly: Alembic's MigrationContext logs two lines each time it
    # is made, and readiness asks on every probe.
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    revision: str | None = connection.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return revision


def revision_before(revision: str) -> str:
    """The revision a migration follows (its down_revision), read from the migrations folder."""
    script = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    if script is None or not isinstance(script.down_revision, str):
        raise ValueError(f"{revision} follows no single revision")
    return script.down_revision
