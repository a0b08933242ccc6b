"""`feedback demo` on a DATABASE_URL from a fresh clone: it makes its data folder, writes the
keys it prints there for its owner alone, and keys it could not write down are not kept."""

from __future__ import annotations

import argparse
import asyncio
import json
import stat
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from services.api import cli
from services.api.domain.access import hash_key
from services.api.settings import Settings

DEMO = argparse.Namespace(no_serve=True)


def _demo_key_hashes(url: str) -> dict[str, str]:
    async def read() -> dict[str, str]:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            rows = await connection.fetch(
                "SELECT name, key_hash FROM api_key WHERE name LIKE 'demo-%'"
            )
        finally:
            await connection.close()
        return {r["name"]: r["key_hash"] for r in rows}

    return asyncio.run(read())


def test_the_demo_writes_the_keys_it_prints_into_a_folder_it_makes(
    scratch_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = scratch_database_url
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    # Where the keys cannot be written, none is kept.
    with pytest.raises(NotADirectoryError):
        cli.cmd_demo(DEMO, Settings(database_url=url, data_dir=blocked / ".data"))
    assert _demo_key_hashes(url) == {}

    data = tmp_path / "fresh-clone" / ".data"
    assert cli.cmd_demo(DEMO, Settings(database_url=url, data_dir=data)) == 0
    keys_file = data / "demo-keys.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    keys = json.loads(keys_file.read_text())
    assert set(keys) == {"crm", "portal", "bi", "reporter", "admin"}
    printed = capsys.readouterr().out
    assert all(key in printed for key in keys.values())
    held = _demo_key_hashes(url)
    assert {f"demo-{role}": hash_key(key) for role, key in keys.items()} == held
    assert [p.name for p in data.iterdir()] == ["demo-keys.json"]
