"""The demo council's 2017/18 case log, a messy workbook in the repository, imported into an
empty database (the real migrations, the council profile and nothing else) through the CLI and
through the API: the same 2017/18 figures as the demo, nothing written the second time, and
an undo that leaves the database as empty as it was."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from conftest import bearer, on_pool
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api import cli
from services.api.demo.cases import (
    COMPLIMENTS,
    MEMBERS_CASEWORK,
    MEMBERS_IN_TIME,
    NATURES,
    OUTCOMES,
    STAGE1_COMPLAINTS,
    STAGE1_IN_TIME,
)
from services.api.demo.workbook import MAPPING, WORKBOOK
from services.api.domain.access import create_key
from services.api.domain.profile import DEMO_PROFILE, load_profile
from services.api.main import create_app
from services.api.models.access import ApiKeyCreate, Role
from services.api.models.imports import ImportReport
from services.api.settings import Settings, get_settings
from services.api.storage.database import make_engine, make_sessionmaker
from services.api.storage.migrate import upgrade

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEAR = "2017-18"
SECTIONS = (
    ("stage1_complaints", STAGE1_COMPLAINTS),
    ("compliments", COMPLIMENTS),
    ("members_casework", MEMBERS_CASEWORK),
)
KINDS = {"stage1_complaints": "complaint", "compliments": "compliment"}
TABLES = ("feedback_item", "feedback_event", "person", "import_item", "escalation")


def demo_figures() -> dict[tuple[str, str, str], int]:
    """The 2017/18 counts by service, section and team the demo's report prints."""
    return {
        (service, section, team): years[2017]
        for section, table in SECTIONS
        for service, teams in table.items()
        for team, years in teams.items()
        if years.get(2017)
    }


def report_figures(report: ImportReport | dict[str, Any]) -> dict[tuple[str, str, str], int]:
    rows = report.figures if isinstance(report, ImportReport) else report["figures"]
    found = {}
    for figure in rows:
        values = figure if isinstance(figure, dict) else figure.model_dump()
        assert values["financial_year"] == YEAR
        found[(values["service"], values["section"], values["team"])] = values["after"]
    return found


async def _prepare(url: str) -> str:
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await load_profile(session, DEMO_PROFILE)
            return (await create_key(session, ApiKeyCreate(name="admin", role=Role.admin))).key
    finally:
        await engine.dispose()


@pytest.fixture
def empty_council(scratch_database_url: str) -> tuple[str, str]:
    """A fresh database built by the real migrations, with the council profile and an admin
    key: no cases."""
    upgrade(scratch_database_url)
    return scratch_database_url, asyncio.run(_prepare(scratch_database_url))


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            table: int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar())
            for table in TABLES
        }


def counts(url: str) -> dict[str, int]:
    async def read() -> dict[str, int]:
        engine = make_engine(url, pool_size=1)
        try:
            return await _counts(engine)
        finally:
            await engine.dispose()

    return asyncio.run(read())


EMPTY = dict.fromkeys(TABLES, 0)


@pytest.fixture
def cli_on(empty_council: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The `feedback` command pointed at the empty council's database."""
    url = empty_council[0]
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_the_demo_workbook_imports_through_the_cli_into_an_empty_database(
    cli_on: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = cli_on
    assert cli.main(["import-mapping", "save", str(MAPPING)]) == 0
    dry_file, first_file, again_file = (tmp_path / f"{n}.json" for n in ("dry", "first", "again"))
    command = ["import", str(WORKBOOK), "--mapping", "demo-2017-18"]
    assert cli.main([*command, "--dry-run", "--report", str(dry_file)]) == 0
    shown = capsys.readouterr()
    # The progress bar: rows read, checked and written, as the bulk path wrote them.
    assert "reading: read" in shown.err and "written" in shown.err
    assert "458/458" in shown.err
    assert "(dry run: nothing written)" in shown.out
    dry = ImportReport.model_validate_json(dry_file.read_text())
    assert (dry.rows, dry.created, dry.rejected, dry.warnings) == (
        458,
        458,
        0,
        ["sheet 'Read me' was not read: no rule of the mapping names it"],
    )
    assert report_figures(dry) == demo_figures()
    assert counts(url) == EMPTY

    assert cli.main([*command, "--report", str(first_file)]) == 0
    first = ImportReport.model_validate_json(first_file.read_text())
    assert first.record is not None and first.created == 458
    assert report_figures(first) == demo_figures()
    assert all(f.before == 0 for f in first.figures)
    held = counts(url)
    assert (held["feedback_item"], held["import_item"]) == (458, 458)

    assert cli.main([*command, "--report", str(again_file)]) == 0
    again = ImportReport.model_validate_json(again_file.read_text())
    assert (again.created, again.already_held, again.record) == (0, 458, None)
    assert again.earlier_imports == [first.record.id]
    assert counts(url) == held
    assert "(nothing new: nothing written)" in capsys.readouterr().out

    assert cli.main(["import-undo", str(first.record.id)]) == 0
    assert counts(url) == EMPTY


@pytest.fixture
async def demo_api(empty_council: tuple[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    url, key = empty_council
    engine = make_engine(url, pool_size=2)
    app = create_app(Settings(database_url=url))
    on_pool(app, engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=bearer(key)
    ) as client:
        client.engine = engine  # type: ignore[attr-defined]
        yield client
    await engine.dispose()


async def _stats(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(path, params={"from_year": YEAR, "to_year": YEAR, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


async def test_the_demo_workbook_imports_through_the_api_with_the_demo_s_figures(
    demo_api: httpx.AsyncClient,
) -> None:
    client = demo_api
    engine: AsyncEngine = client.engine  # type: ignore[attr-defined]
    saved = await client.post("/v1/import-mappings", json=json.loads(MAPPING.read_text()))
    assert saved.status_code == 201, saved.text
    content = WORKBOOK.read_bytes()

    async def send(dry_run: bool) -> httpx.Response:
        return await client.post(
            "/v1/imports",
            params={"dry_run": str(dry_run).lower()},
            files={"file": (WORKBOOK.name, content, XLSX)},
            data={"mapping": "demo-2017-18"},
        )

    dry = await send(True)
    assert dry.status_code == 200, dry.text
    assert report_figures(dry.json()) == demo_figures()
    assert await _counts(engine) == EMPTY

    first = await send(False)
    assert first.status_code == 201, first.text
    import_id = first.json()["record"]["id"]
    # Every 2017/18 figure of the report's tables the cases make, computed in SQL.
    rows = await _stats(client, "/v1/stats/feedback", group_by=["service", "kind", "team"])
    by_team = {(r["service"], r["kind"], r["team"]): r["count"] for r in rows}
    kinds = {**KINDS, "members_casework": "member_enquiry"}
    assert by_team == {(s, kinds[section], t): n for (s, section, t), n in demo_figures().items()}
    for service, years in STAGE1_IN_TIME.items():
        [row] = await _stats(
            client, "/v1/stats/timeliness", kind="complaint", within=20, service=service
        )
        assert (row["answered_within"], row["total"]) == years[2017], service
    for service, years in MEMBERS_IN_TIME.items():
        [row] = await _stats(
            client, "/v1/stats/timeliness", kind="member_enquiry", within=10, service=service
        )
        assert (row["answered_within"], row["total"]) == years[2017], service
    natures = await _stats(
        client, "/v1/stats/feedback", kind="complaint", group_by=["service", "nature"]
    )
    assert {(r["service"], r["nature"]): r["count"] for r in natures} == {
        (service, nature): years[2017]
        for service, table in NATURES.items()
        for nature, years in table.items()
        if years[2017]
    }
    outcomes = await _stats(
        client, "/v1/stats/feedback", kind="complaint", group_by=["service", "outcome"]
    )
    assert {(r["service"], r["outcome"]): r["count"] for r in outcomes} == {
        (service, outcome): years[2017]
        for service, table in OUTCOMES.items()
        for outcome, years in table.items()
        if years.get(2017)
    }

    held = await _counts(engine)
    again = await send(False)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["already_held"]) == (0, 458)
    assert await _counts(engine) == held

    status = (await client.get(f"/v1/imports/{import_id}")).json()
    assert (status["status"], status["created"], status["touched"]) == ("committed", 458, 0)
    undone = await client.post(f"/v1/imports/{import_id}/undo")
    assert undone.status_code == 200, undone.text
    assert await _counts(engine) == EMPTY
    assert (await client.get(f"/v1/imports/{import_id}")).json()["status"] == "undone"
