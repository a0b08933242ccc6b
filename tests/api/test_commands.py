"""The `feedback` command. `demo` on a DATABASE_URL from a fresh clone makes its data folder,
writes the keys it prints there for its owner alone, and keys it could not write down are not
kept; what `create-key` and `retention` change is audited, as every write through the API is."""

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
from services.api.domain.audit import COMMAND_LINE
from services.api.domain.profile import DEMO_PROFILE
from services.api.settings import Settings, get_settings
from services.api.storage.migrate import upgrade

DEMO = argparse.Namespace(no_serve=True)


def _sql(url: str, statement: str) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            return list(await connection.fetch(statement))
        finally:
            await connection.close()

    return asyncio.run(run())


def _demo_key_hashes(url: str) -> dict[str, str]:
    rows = _sql(url, "SELECT name, key_hash FROM api_key WHERE name LIKE 'demo-%'")
    return {r["name"]: r["key_hash"] for r in rows}


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


def test_keys_and_retention_from_the_command_line_are_audited(
    scratch_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = scratch_database_url
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        assert cli.main(["load-profile", str(DEMO_PROFILE)]) == 0
        _sql(
            url,
            "WITH p AS (INSERT INTO person (name) VALUES ('Long Gone') RETURNING id)"
            " INSERT INTO feedback_item (service, team, source_system, external_ref, channel,"
            " received_on, kind, compliment_text, status, closed_on, person_id,"
            " request_fingerprint) SELECT 'adults', 'adults-disability', 'crm', 'OLD-1',"
            " 'letter', '2010-01-04', 'compliment', 'Thanks', 'closed', '2010-01-05', p.id,"
            " 'x' FROM p RETURNING id",
        )
        args = ["create-key", "--name", "ops-crm", "--role", "crm", "--source-system", "crm"]
        assert cli.main(args) == 0
        assert cli.main(["retention", "--dry-run"]) == 0
        assert _sql(url, "SELECT id FROM audit_event WHERE action = 'retention'") == []
        assert cli.main(["retention"]) == 0
    finally:
        get_settings.cache_clear()
    rows = _sql(url, "SELECT key_name, role, action, resource_type, changes FROM audit_event")
    by_action = {r["action"]: r for r in rows}
    assert {"key_create", "retention"} <= set(by_action)
    assert {(r["key_name"], r["role"]) for r in rows} == {(COMMAND_LINE, "admin")}
    key_change = json.loads(by_action["key_create"]["changes"])
    assert key_change["source_system"] == {"before": None, "after": "crm"}
    assert "Long Gone" not in str(rows)


def test_an_ombudsman_list_imports_from_the_command_line_audited(
    scratch_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = scratch_database_url
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    header = "ombudsman_reference,decision_date,category,received_date\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "25 002 655,2025-06-03,premature,2025-05-27\n25 002 656,soon,x,\n")
    good = tmp_path / "good.csv"
    good.write_text(header + "25 002 655,2025-06-03,premature,2025-05-27\n")
    get_settings.cache_clear()
    try:
        assert cli.main(["load-profile", str(DEMO_PROFILE)]) == 0
        capsys.readouterr()
        assert cli.main(["import-ombudsman", str(bad)]) == 1
        refused = capsys.readouterr().err.splitlines()
        assert "nothing was written" in refused[0]
        assert refused[1:] == [
            "  row 3, decision_date: must be a date written YYYY-MM-DD, such as 2025-06-10",
            "  row 3, category: is not a category the Local Government and Social Care "
            "Ombudsman uses: one of premature, another_body, assessed_and_closed, "
            "fault_injustice, fault_no_injustice, no_fault",
        ]
        assert _sql(url, "SELECT id FROM escalation") == []
        assert cli.main(["import-ombudsman", str(good)]) == 0
        said = capsys.readouterr().out
        assert "1 recorded without one" in said
        assert "25 002 655) matches nothing the council holds" in said
        assert cli.main(["import-ombudsman", str(tmp_path / "missing.csv")]) == 1
    finally:
        get_settings.cache_clear()
    [case] = _sql(url, "SELECT item_id, decision FROM escalation")
    assert (case["item_id"], case["decision"]) == (None, "premature")
    rows = _sql(url, "SELECT key_name, role, action FROM audit_event ORDER BY id")
    assert [(r["key_name"], r["role"], r["action"]) for r in rows] == [
        (COMMAND_LINE, "admin", "escalation"),
        (COMMAND_LINE, "admin", "ombudsman_import"),
    ]
