"""Large and hostile spreadsheets: a sheet of 20,000 rows imports whole; a zip bomb, a sheet of
1,000,000 rows or one that hides its length is refused naming the sheet, in bounded memory."""

from __future__ import annotations

import io
import tracemalloc
import uuid
import zipfile

import httpx
import pytest
from spreadsheets import (
    XLSX,
    complaint_rows,
    complaints_mapping,
    complaints_workbook,
    inline_row,
    long_sheet,
    raw_workbook,
    zip_bomb,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain.audit import Actor
from services.api.domain.calendar import CalendarCache
from services.api.domain.imports.mappings import get_mapping
from services.api.domain.imports.reading import FileProblem, ReadLimits, open_workbook
from services.api.domain.imports.running import ImportRun, run_import
from services.api.models.access import Role
from services.api.settings import get_targets


async def _mapping(client: httpx.AsyncClient) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    response = await client.post("/v1/import-mappings", json=complaints_mapping(name))
    assert response.status_code == 201, response.text
    return name


async def _upload(
    client: httpx.AsyncClient, data: bytes, mapping: str, *, dry_run: bool = False
) -> httpx.Response:
    return await client.post(
        "/v1/imports",
        params={"dry_run": "true"} if dry_run else None,
        files={"file": ("cases.xlsx", data, XLSX)},
        data={"mapping": mapping},
    )


async def test_a_sheet_of_20000_rows_is_imported_whole(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = await _mapping(client)
    prefix = f"B{uuid.uuid4().hex[:6].upper()}"
    data = complaints_workbook(complaint_rows(prefix, 20_000), blank_every=1_000)
    committed = await _upload(client, data, mapping)
    assert committed.status_code == 201, committed.text[:2000]
    report = committed.json()
    assert (report["rows"], report["created"], report["rejected"]) == (20_000, 20_000, 0)
    assert report["skipped"] == 21  # a blank row after every thousand, and the totals row
    record = report["record"]
    assert (record["rows"], record["created"]) == (20_000, 20_000)
    held = await session.scalar(
        text(
            "SELECT count(*) FROM feedback_item AS i JOIN import_item AS l ON l.item_id = i.id"
            " WHERE l.import_id = :i AND i.external_ref LIKE :p"
        ),
        {"i": record["id"], "p": f"{prefix}-%"},
    )
    assert held == 20_000
    undone = await client.post(f"/v1/imports/{record['id']}/undo")
    assert undone.status_code == 200
    left = await session.scalar(
        text("SELECT count(*) FROM feedback_item WHERE external_ref LIKE :p"), {"p": f"{prefix}-%"}
    )
    assert left == 0


async def test_a_zip_bomb_posing_as_a_workbook_is_refused_unopened(
    client: httpx.AsyncClient,
) -> None:
    bomb = zip_bomb(200)
    assert len(bomb) < 1_000_000
    response = await _upload(client, bomb, await _mapping(client))
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "file"
    assert "looks like a zip bomb: xl/worksheets/sheet1.xml would unpack" in problem["detail"]


async def test_a_sheet_of_a_million_rows_is_refused_naming_the_sheet(
    client: httpx.AsyncClient,
) -> None:
    data = long_sheet(1_000_000, declared=True)
    response = await _upload(client, data, await _mapping(client))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith(
        "2018-19: the sheet has 1,000,001 rows; a file may hold at most 50,000"
    )


def _peak_while_reading(rows: int) -> int:
    book = open_workbook(io.BytesIO(long_sheet(rows, declared=False)), "cases.xlsx", ReadLimits())
    tracemalloc.start()
    try:
        read = sum(1 for _ in book.sheets[0].rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        book.close()
    assert read == rows + 1
    return peak


def test_reading_a_sheet_holds_a_row_at_a_time() -> None:
    # What grows is openpyxl's parser keeping its emptied row elements, about 80 bytes a row
    # (a row held whole is several hundred): the sheet is never held.
    per_row = (_peak_while_reading(5_000) - _peak_while_reading(1_000)) / 4_000
    assert per_row < 150


def test_a_sheet_of_more_rows_than_the_reader_passes_over_is_refused() -> None:
    data = long_sheet(30, declared=False)
    book = open_workbook(io.BytesIO(data), "cases.xlsx", ReadLimits(max_sheet_rows=20))
    with pytest.raises(FileProblem) as refused:
        sum(1 for _ in book.sheets[0].rows())
    assert refused.value.detail.startswith("2018-19: more than 20 rows, blank ones included")


def test_a_sheet_that_hides_its_length_is_still_read_to_its_end() -> None:
    # It says it ends at row 2; openpyxl would stop there if the reader believed it.
    data = long_sheet(60, declared=False)
    book = open_workbook(io.BytesIO(data), "cases.xlsx", ReadLimits())
    rows = list(book.sheets[0].rows())
    assert len(rows) == 61
    assert rows[-1] == (61, ("L-61", "Head of Disability", "02/04/2018"))


async def test_a_sheet_longer_than_the_limit_is_refused_as_it_is_read(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = complaints_mapping(f"t-{uuid.uuid4().hex[:8]}")
    mapping["sheets"][0]["columns"] = [
        {"column": "Ref", "field": "external_ref"},
        {"column": "Team", "field": "team"},
        {"column": "Date Rec'd", "field": "received_on"},
    ]
    created = await client.post("/v1/import-mappings", json=mapping)
    assert created.status_code == 201, created.text
    run = ImportRun(
        file=io.BytesIO(long_sheet(120, declared=False)),
        file_name="cases.xlsx",
        mapping=await get_mapping(session, mapping["name"]),
        dry_run=False,
        actor=Actor(1, "test", Role.admin, None, None, "test-admin"),
        limits=ReadLimits(max_rows=100),
    )
    calendar = await CalendarCache().get(await session.connection())
    with pytest.raises(FileProblem) as refused:
        await run_import(session, run, calendar, get_targets())
    assert refused.value.detail == (
        "2018-19: more than 100 rows to import in the file (row 102); split it"
    )
    held = await session.scalar(
        text("SELECT count(*) FROM feedback_item WHERE external_ref LIKE 'L-%'")
    )
    assert held == 0


def test_a_workbook_declaring_xml_entities_is_refused() -> None:
    rows = [inline_row(1, "Ref", "Team")]
    data = raw_workbook("2018-19", rows)
    # The same workbook with an entity declaration in its sheet: a billion laughs in waiting.
    poisoned = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(poisoned, "w") as target:
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b"<worksheet",
                    b'<!DOCTYPE worksheet [<!ENTITY lol "lol">]><worksheet',
                    1,
                ).replace(b"<t>Ref</t>", b"<t>&lol;</t>")
            target.writestr(entry, content)
    with pytest.raises(FileProblem) as refused:
        open_workbook(io.BytesIO(poisoned.getvalue()), "cases.xlsx", ReadLimits())
    assert refused.value.detail == (
        "cases.xlsx cannot be read as a workbook (it declares XML entities, which are refused)"
    )
