"""Spreadsheet imports over the API: dry runs, commits through the bulk path, the same file
twice, undo, mappings and the template, with real files the tests write."""

from __future__ import annotations

import io
import json
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from factories import patch_current
from openpyxl import load_workbook
from spreadsheets import (
    XLSX,
    complaint_rows,
    complaints_mapping,
    complaints_workbook,
    csv_bytes,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PROBLEM = "application/problem+json"


def _prefix() -> str:
    return f"S{uuid.uuid4().hex[:6].upper()}"


async def save_mapping(client: httpx.AsyncClient, mapping: dict[str, Any]) -> str:
    response = await client.post("/v1/import-mappings", json=mapping)
    assert response.status_code == 201, response.text
    return str(response.json()["name"])


async def new_mapping(client: httpx.AsyncClient, **changes: Any) -> str:
    return await save_mapping(client, complaints_mapping(f"t-{uuid.uuid4().hex[:8]}", **changes))


async def upload(
    client: httpx.AsyncClient,
    data: bytes,
    mapping: str,
    *,
    name: str = "complaints.xlsx",
    dry_run: bool = False,
    content_type: str = XLSX,
) -> httpx.Response:
    return await client.post(
        "/v1/imports",
        params={"dry_run": "true"} if dry_run else None,
        files={"file": (name, data, content_type)},
        data={"mapping": mapping},
    )


async def held(session: AsyncSession, prefix: str) -> int:
    count = await session.scalar(
        text("SELECT count(*) FROM feedback_item WHERE external_ref LIKE :p"), {"p": f"{prefix}%"}
    )
    return int(count or 0)


async def table_counts(session: AsyncSession) -> dict[str, int]:
    tables = ("feedback_item", "feedback_event", "person", "import_record", "import_item")
    counts = {}
    for table in (*tables, "audit_event"):
        counts[table] = int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
    return counts


def figure(report: dict[str, Any], team: str, year: str = "2018-19") -> tuple[int, int]:
    found = [
        (f["before"], f["after"])
        for f in report["figures"]
        if f["team"] == team and f["financial_year"] == year and f["section"] == "stage1_complaints"
    ]
    assert len(found) == 1, report["figures"]
    return found[0]


async def test_a_dry_run_reports_every_row_by_cell_and_the_figures_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = await new_mapping(client)
    prefix = _prefix()
    data = complaints_workbook(complaint_rows(prefix, 6), blank_every=4)
    before = await table_counts(session)
    response = await upload(client, data, mapping, dry_run=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["created"], report["rejected"], report["skipped"]) == (
        6,
        6,
        0,
        2,
    )
    sheet = report["sheets"][0]
    assert sheet["header_rows"] == [3, 4]
    assert (sheet["skipped_blank"], sheet["skipped_totals"]) == (1, 1)
    assert sheet["columns_not_mapped"] == ["Notes"]
    skipped = [(n["cell"], n["reason"]) for n in report["notes"] if n["status"] == "skipped"]
    assert skipped == [("2018-19!9:9", "blank"), ("2018-19!12:12", "a totals row")]
    # The demo holds 14 disability complaints in 2018/19; the file brings 2 more.
    assert figure(report, "children-disability") == (14, 16)
    assert figure(report, "children-assessment") == (14, 16)
    assert report["record"] is None
    assert await held(session, prefix) == 0
    assert await table_counts(session) == before


async def test_a_commit_writes_the_rows_through_the_bulk_path_with_a_record(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = await new_mapping(client)
    prefix = _prefix()
    response = await upload(client, complaints_workbook(complaint_rows(prefix, 5)), mapping)
    assert response.status_code == 201, response.text
    report = response.json()
    record = report["record"]
    assert response.headers["location"].endswith(f"/v1/imports/{record['id']}")
    assert (record["status"], record["created"], record["rows"]) == ("committed", 5, 5)
    assert record["financial_years"] == ["2018-19"]
    assert record["imported_by"] == "test-admin"
    assert len(record["checksum"]) == 64
    assert await held(session, prefix) == 5
    item_id = await session.scalar(
        text("SELECT id FROM feedback_item WHERE external_ref = :r"), {"r": f"{prefix}-00001"}
    )
    item = (await client.get(f"/v1/feedback/{item_id}")).json()
    assert (item["source_system"], item["team"], item["outcome"]) == (
        "test-sheet",
        "children-disability",
        "upheld",
    )
    assert (item["received_on"], item["responded_on"], item["status"]) == (
        "2018-04-03",
        "2018-04-17",
        "responded",
    )
    events = (await client.get(f"/v1/feedback/{item_id}/events")).json()
    assert [e["type"] for e in events] == ["received", "responded"]
    status = (await client.get(f"/v1/imports/{record['id']}")).json()
    assert (status["status"], status["touched"]) == ("committed", 0)
    audit = (await client.get("/v1/audit", params={"resource_type": "import"})).json()
    assert any(a["resource_id"] == str(record["id"]) for a in audit["items"])


async def test_the_same_file_imported_twice_writes_nothing_the_second_time(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = await new_mapping(client)
    data = complaints_workbook(complaint_rows(_prefix(), 8))
    first = await upload(client, data, mapping)
    assert first.status_code == 201, first.text
    before = await table_counts(session)
    again = await upload(client, data, mapping)
    assert again.status_code == 200, again.text
    report = again.json()
    assert (report["created"], report["already_held"], report["record"]) == (0, 8, None)
    assert report["earlier_imports"] == [first.json()["record"]["id"]]
    held_notes = [n for n in report["notes"] if n["status"] == "already_held"]
    assert len(held_notes) == 8 and held_notes[0]["reason"].startswith("already held as item")
    assert await table_counts(session) == before


async def test_a_row_repeated_in_the_file_is_one_case(client: httpx.AsyncClient) -> None:
    mapping = await new_mapping(client)
    rows = complaint_rows(_prefix(), 3)
    response = await upload(client, complaints_workbook([*rows, rows[0]]), mapping, dry_run=True)
    report = response.json()
    assert (report["created"], report["duplicates"]) == (3, 1)
    repeated = next(n for n in report["notes"] if n["status"] == "duplicate")
    assert (repeated["cell"], repeated["reason"]) == ("2018-19!8:8", "the same case as 2018-19!5:5")


async def test_undo_removes_exactly_the_items_the_import_created(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = await new_mapping(client)
    before = await table_counts(session)
    kept, removed = _prefix(), _prefix()
    first = await upload(client, complaints_workbook(complaint_rows(kept, 3)), mapping)
    assert first.status_code == 201
    after_first = await table_counts(session)
    # The second file repeats the first's cases (held, not its own) and adds four.
    rows = complaint_rows(kept, 3) + complaint_rows(removed, 4)
    second = await upload(client, complaints_workbook(rows), mapping)
    assert second.status_code == 201, second.text
    assert (second.json()["created"], second.json()["already_held"]) == (4, 3)
    import_id = second.json()["record"]["id"]
    undone = await client.post(f"/v1/imports/{import_id}/undo")
    assert undone.status_code == 200, undone.text
    assert (undone.json()["status"], undone.json()["undone_by"]) == ("undone", "test-admin")
    assert await held(session, kept) == 3
    assert await held(session, removed) == 0
    counts = await table_counts(session)
    for table in ("feedback_item", "feedback_event", "person"):
        assert counts[table] == after_first[table], table
    assert counts["import_record"] == before["import_record"] + 2
    again = await client.post(f"/v1/imports/{import_id}/undo")
    assert again.status_code == 409
    assert "was undone" in again.json()["detail"]


async def test_undo_is_refused_once_an_item_has_been_touched(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = await new_mapping(client)
    prefix = _prefix()
    created = (await upload(client, complaints_workbook(complaint_rows(prefix, 3)), mapping)).json()
    item_id = await session.scalar(
        text("SELECT id FROM feedback_item WHERE external_ref = :r"), {"r": f"{prefix}-00002"}
    )
    changed = await patch_current(client, f"/v1/feedback/{item_id}", json={"channel": "email"})
    assert changed.status_code == 200, changed.text
    import_id = created["record"]["id"]
    status = (await client.get(f"/v1/imports/{import_id}")).json()
    assert status["touched"] == 1
    refused = await client.post(f"/v1/imports/{import_id}/undo")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM
    assert f"items {item_id}" in refused.json()["detail"]
    assert await held(session, prefix) == 3


async def test_an_undo_is_the_only_deletion_the_event_log_lets_through(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from sqlalchemy.exc import DBAPIError

    mapping = await new_mapping(client)
    prefix = _prefix()
    created = (await upload(client, complaints_workbook(complaint_rows(prefix, 2)), mapping)).json()
    # An import not being undone gives its events no way out of the log.
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(
                text(
                    "DELETE FROM feedback_event WHERE item_id IN (SELECT item_id FROM "
                    "import_item WHERE import_id = :i)"
                ),
                {"i": created["record"]["id"]},
            )
    assert (await client.post(f"/v1/imports/{created['record']['id']}/undo")).status_code == 200


async def test_imports_are_listed_in_pages(client: httpx.AsyncClient) -> None:
    mapping = await new_mapping(client)
    ids = []
    for _ in range(3):
        made = await upload(client, complaints_workbook(complaint_rows(_prefix(), 1)), mapping)
        ids.append(made.json()["record"]["id"])
    seen: list[int] = []
    url: str | None = "/v1/imports?limit=2"
    while url:
        page = (await client.get(url)).json()
        seen += [i["id"] for i in page["items"]]
        url = page["next"]
    assert ids == [i for i in seen if i in ids]


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter"),
    [("cp1252", False, ","), ("cp1252", True, ";"), ("utf-8", True, "\t"), ("utf-8", False, ",")],
)
async def test_csv_files_are_read_in_the_encodings_and_delimiters_excel_writes(
    client: httpx.AsyncClient, session: AsyncSession, encoding: str, bom: bool, delimiter: str
) -> None:
    prefix = _prefix()
    mapping = await save_mapping(
        client,
        {
            "name": f"csv-{uuid.uuid4().hex[:8]}",
            "source_system": "test-csv",
            "sheets": [
                {
                    "sheet": "*",
                    "fixed": {"kind": "compliment", "service": "adults", "channel": "letter"},
                    "columns": [
                        {"column": "Ref", "field": "external_ref"},
                        {"column": "Team", "field": "team"},
                        {"column": "Received", "field": "received_on"},
                        {"column": "What they said", "field": "compliment_text"},
                        {"column": "Publish?", "field": "publication_consent"},
                    ],
                }
            ],
        },
    )
    words = "Thank you \u2014 the \u00a350 grant made all the difference, said Zo\u00eb\u2019s mum"
    rows = [
        ["Compliments received"],
        ["Ref", "Team", "Received", "What they said", "Publish?"],
        [f"{prefix}-1", "Head of Disability", "02/04/2018", words, "Yes"],
        [f"{prefix}-2", "Head of Integrated Care", "3-Apr-18", "Kind; and quick", "No"],
    ]
    data = csv_bytes(rows, encoding=encoding, bom=bom, delimiter=delimiter)
    response = await upload(client, data, mapping, name="compliments.csv", content_type="text/csv")
    assert response.status_code == 201, response.text
    assert response.json()["sheets"][0]["sheet"] == "compliments"
    stored = await session.scalar(
        text("SELECT compliment_text FROM feedback_item WHERE external_ref = :r"),
        {"r": f"{prefix}-1"},
    )
    assert stored == words


async def test_a_value_with_no_mapping_is_named_by_its_cell_and_nothing_is_written(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = await new_mapping(client)
    prefix = _prefix()
    rows = complaint_rows(prefix, 4)
    rows[1][5] = "Partially"  # no value map entry, and no outcome of that name
    rows[2][1] = "Head of Nothing"
    rows[3][2] = "31/02/2018"
    data = complaints_workbook(rows)
    before = await table_counts(session)
    response = await upload(client, data, mapping)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["detail"] == "3 of 4 rows cannot be imported; nothing was written"
    errors = {e["field"]: e["detail"] for e in problem["errors"]}
    assert "'Partially' has no mapping" in errors["2018-19!F6"]
    assert "'Head of Nothing' is no team of children" in errors["2018-19!B7"]
    assert "there is no 31 February 2018" in errors["2018-19!C8"]
    assert problem["errors"][0]["pointer"] == "/file/2018-19/F6"
    assert await table_counts(session) == before
    dry = (await upload(client, data, mapping, dry_run=True)).json()
    assert (dry["created"], dry["rejected"]) == (1, 3)
    rejected = [(n["cell"], n["column"]) for n in dry["notes"] if n["status"] == "rejected"]
    assert rejected == [
        ("2018-19!F6", "Outcome"),
        ("2018-19!B7", "Case / Team"),
        ("2018-19!C8", "Dates / Date Rec'd"),
    ]
    assert figure(dry, "children-disability") == (14, 15)


async def test_the_bulk_path_s_own_checks_are_named_by_cell(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = await new_mapping(client)
    prefix = _prefix()
    rows = complaint_rows(prefix, 3)
    rows[0][3] = date(2018, 3, 1)  # answered before it was received
    rows[1][0] = rows[2][0]  # the same reference twice, other details
    dry = (await upload(client, complaints_workbook(rows), mapping, dry_run=True)).json()
    reasons = {n["cell"]: n["reason"] for n in dry["notes"] if n["status"] == "rejected"}
    assert reasons["2018-19!D5"] == "must not be before received_on (2018-04-03)"
    assert reasons["2018-19!A7"] == "row 2 has this reference with other details"
    # The bulk path refuses a batch with any bad row; the dry run says what the rest makes.
    assert dry["created"] == 1
    assert figure(dry, "children-assessment") == (14, 15)
    committed = await upload(client, complaints_workbook(rows), mapping)
    assert committed.status_code == 422
    assert await held(session, prefix) == 0


async def test_a_formula_in_a_mapped_column_is_refused_and_elsewhere_ignored(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mapping = await new_mapping(client)
    prefix = _prefix()
    rows = complaint_rows(prefix, 2)
    rows[0][8] = "=LEN(A5)"  # the Notes column: not mapped, not read
    rows[1][2] = "=DATE(2018,4,3)"
    response = await upload(client, complaints_workbook(rows), mapping)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["2018-19!C6"]
    assert "formula (=DATE(2018,4,3)): paste the values instead" in errors[0]["detail"]
    assert await held(session, prefix) == 0


async def test_a_mapping_naming_a_missing_column_names_the_header_row(
    client: httpx.AsyncClient,
) -> None:
    mapping = complaints_mapping(f"t-{uuid.uuid4().hex[:8]}")
    mapping["sheets"][0]["columns"].append({"column": "Date closed", "field": "acknowledged_on"})
    name = await save_mapping(client, mapping)
    response = await upload(client, complaints_workbook(complaint_rows(_prefix(), 2)), name)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "2018-19!3:3"
    assert error["detail"].startswith("no column 'Date closed' in the header (it has: Case / Ref")


async def test_files_that_are_not_what_their_names_say_are_refused(
    client: httpx.AsyncClient,
) -> None:
    mapping = await new_mapping(client)
    workbook = complaints_workbook(complaint_rows(_prefix(), 1))
    cases = [
        (b"%PDF-1.7 a report", "cases.xlsx", "is not an Excel workbook: it is a PDF document"),
        (workbook, "cases.csv", "is not CSV text: it is a zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "cases.xlsx", "97-2003"),
        (b"PK\x03\x04" + bytes(100), "cases.xlsx", "is damaged"),
        (workbook, "cases.xls", "(.xls) are not read"),
        (workbook, "cases.pdf", "only .xlsx and .csv files are read"),
        (b"", "cases.csv", "is empty"),
    ]
    for data, name, reason in cases:
        response = await upload(client, data, mapping, name=name)
        assert response.status_code == 422, (name, response.text)
        problem = response.json()
        assert problem["errors"][0]["field"] == "file"
        assert reason in problem["detail"], (name, problem["detail"])


async def test_a_mapping_that_is_not_saved_is_refused(client: httpx.AsyncClient) -> None:
    response = await upload(client, b"x", "no-such-mapping")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mapping"


async def test_mappings_are_saved_by_name_checked_and_changed_with_if_match(
    client: httpx.AsyncClient,
) -> None:
    name = await new_mapping(client)
    held_mapping = await client.get(f"/v1/import-mappings/{name}")
    assert held_mapping.headers["etag"] == '"1"'
    twice = await client.post("/v1/import-mappings", json=complaints_mapping(name))
    assert twice.status_code == 409
    change = {"description": "for next year"}
    assert (await client.patch(f"/v1/import-mappings/{name}", json=change)).status_code == 428
    changed = await patch_current(client, f"/v1/import-mappings/{name}", json=change)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["version"], changed.json()["description"]) == (2, "for next year")
    stale = await client.patch(
        f"/v1/import-mappings/{name}", json=change, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    names = [m["name"] for m in (await client.get("/v1/import-mappings")).json()]
    assert names[0] == "template" and name in names


@pytest.mark.parametrize(
    ("change", "field", "detail"),
    [
        (
            lambda s: s["columns"][2].update(field="recieved_on"),
            "sheets.0.columns.2.field",
            "no field `recieved_on` (did you mean `received_on`?)",
        ),
        (
            lambda s: s["columns"][3].update(field="team"),
            "sheets.0.columns.3.field",
            "`team` is already filled by column 'Team'",
        ),
        (
            lambda s: s["columns"][5]["values"].update({"Halfway": "halfway"}),
            "sheets.0.columns.5.values.halfway",
            "'halfway' is not one of upheld, partly_upheld, not_upheld, resolved_on_receipt, "
            "withdrawn",
        ),
        (
            lambda s: s["columns"][1].update(values={"Nobody": "no-team"}),
            "sheets.0.columns.1.values.nobody",
            "'no-team' is no team in the reference data",
        ),
        (
            lambda s: s["fixed"].update(external_ref="R-1"),
            "sheets.0.fixed.external_ref",
            "every row needs its own reference",
        ),
    ],
    ids=["unknown field", "filled twice", "no such choice", "no such team", "fixed reference"],
)
async def test_a_mapping_that_cannot_work_is_refused_naming_its_part(
    client: httpx.AsyncClient, change: Any, field: str, detail: str
) -> None:
    mapping = complaints_mapping(f"t-{uuid.uuid4().hex[:8]}")
    change(mapping["sheets"][0])
    response = await client.post("/v1/import-mappings", json=mapping)
    assert response.status_code == 422, response.text
    errors = [(e["field"], e["detail"]) for e in response.json()["errors"]]
    assert (field, detail) in errors, errors


async def test_a_mapping_must_give_every_field_a_case_needs(client: httpx.AsyncClient) -> None:
    mapping = complaints_mapping(f"t-{uuid.uuid4().hex[:8]}")
    del mapping["sheets"][0]["fixed"]["channel"]
    response = await client.post("/v1/import-mappings", json=mapping)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["field"], error["detail"]) == (
        "sheets.0",
        "no column or fixed value gives `channel`, which every case needs",
    )


async def test_the_built_in_template_mapping_cannot_be_changed(client: httpx.AsyncClient) -> None:
    taken = await client.post("/v1/import-mappings", json=complaints_mapping("template"))
    assert taken.status_code == 409
    changed = await client.patch(
        "/v1/import-mappings/template", json={"description": "x"}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 409


async def test_the_template_has_a_sheet_per_kind_with_drop_downs_and_imports_as_it_is(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/imports/template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Complaints", "Compliments", "Members enquiries", "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    complaints = book["Complaints"]
    assert [c.value for c in complaints[1]][:5] == [
        "Reference",
        "Service",
        "Team",
        "Received",
        "Channel",
    ]
    assert complaints["B2"].value == "Children's Social Care"
    lists = {
        str(validation.sqref).split(":")[0]: validation.formula1
        for validation in complaints.data_validations.dataValidation
    }
    assert lists["B2"] == "services"
    assert lists["C2"] == 'INDIRECT("teams_"&MATCH($B2,services,0))'
    assert lists["E2"] == "channel"
    services = book.defined_names["services"].attr_text
    assert services == "'Lists'!$A$2:$A$4"
    assert [c.value for c in book["Lists"]["A"]][1:4] == [
        "Children's Social Care",
        "Adult Social Care",
        "Education",
    ]
    dry = await upload(client, response.content, "template", name="filled.xlsx", dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["created"], report["rejected"]) == (3, 0)
    assert [s["sheet"] for s in report["sheets"]] == [
        "Complaints",
        "Compliments",
        "Members enquiries",
    ]


async def test_the_template_holds_any_name_the_reference_data_holds_as_text_that_imports(
    client: httpx.AsyncClient,
) -> None:
    # Names a cell cannot hold as they are: a control character (no XML can hold it), a
    # formula, an error value and U+FFFF, in the service, team and nature of the example row.
    teams = (await client.get("/v1/reference/teams", params={"service": "children"})).json()
    renames = {
        "/v1/reference/services/children": "=Children\x07s Social Care",
        f"/v1/reference/teams/{teams[0]['code']}": "#N/A",
    }
    for path, name in renames.items():
        renamed = await patch_current(client, path, json={"name": name})
        assert renamed.status_code == 200, renamed.text
    nature = {"service": "children", "code": "aaa-odd", "name": "Odd\uffff\x01nature"}
    assert (await client.post("/v1/reference/natures", json=nature)).status_code == 201
    response = await client.get("/v1/imports/template.xlsx")
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    complaints = book["Complaints"]
    example = {c.value: complaints.cell(row=2, column=c.column) for c in complaints[1]}
    shown = {label: (example[label].value, example[label].data_type) for label in example}
    assert shown["Service"] == ("=Children s Social Care", "s")
    assert shown["Team"] == ("#N/A", "s")
    lists = book["Lists"]
    assert (lists["A2"].value, lists["A2"].data_type) == ("=Children s Social Care", "s")
    assert "Odd  nature" in [c.value for c in lists["C"]]
    example["Nature"].value = "Odd  nature"  # picked from the drop-down
    filled = io.BytesIO()
    book.save(filled)
    dry = await upload(client, filled.getvalue(), "template", name="filled.xlsx", dry_run=True)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["created"], dry.json()["rejected"]) == (3, 0), dry.json()["notes"]


async def test_a_mapping_is_suggested_from_the_headers_and_the_reference_data(
    client: httpx.AsyncClient,
) -> None:
    rows = complaint_rows(_prefix(), 3)
    rows[0][1] = "Head of Disablity"  # misspelt: matched to the nearest team of the service
    rows[1][1] = "Mystery team"
    response = await client.post(
        "/v1/import-suggestions",
        files={"file": ("complaints 2018-19.xlsx", complaints_workbook(rows), XLSX)},
    )
    assert response.status_code == 200, response.text
    suggestion = response.json()
    mapping = suggestion["mapping"]
    assert mapping["name"] == "complaints-2018-19"
    sheet = mapping["sheets"][0]
    assert sheet["fixed"] == {"kind": "complaint", "service": "children"}
    fields = {c["column"]: c.get("field") or c.get("check") for c in sheet["columns"]}
    assert fields == {
        "Case / Ref": "external_ref",
        "Case / Team": "team",
        "Dates / Date Rec'd": "received_on",
        "Dates / Resp. sent": "responded_on",
        # Empty in every row, so nothing says it is not the day a case closed.
        "Dates / Closed": "closed_on",
        "Outcome": "outcome",
        "Nature": "nature",
        "Within 20 days?": "within_working_days",
    }
    team = next(c for c in sheet["columns"] if c["field"] == "team")
    assert team["values"] == {"Head of Disablity": "children-disability"}
    outcome = next(c for c in sheet["columns"] if c["field"] == "outcome")
    assert outcome["values"] == {"Partly": "partly_upheld"}
    unmatched = {c["letter"]: c["unmatched_values"] for c in suggestion["sheets"][0]["columns"]}
    assert unmatched["B"] == ["Mystery team"]
    assert any("`channel`" in note for note in suggestion["notes"])


async def test_the_demo_workbook_s_suggested_mapping_needs_only_the_values_it_names(
    client: httpx.AsyncClient,
) -> None:
    from services.api.demo.workbook import MAPPING, WORKBOOK

    response = await client.post(
        "/v1/import-suggestions",
        files={"file": (WORKBOOK.name, WORKBOOK.read_bytes(), XLSX)},
    )
    assert response.status_code == 200, response.text
    suggestion = response.json()
    committed = json.loads(MAPPING.read_text())
    unmatched = {
        (sheet["sheet"], column["column"]): set(column["unmatched_values"])
        for sheet in suggestion["sheets"]
        for column in sheet["columns"]
    }
    suggested = suggestion["mapping"]["sheets"]
    assert [s["sheet"] for s in suggested] == [s["sheet"] for s in committed["sheets"]]
    for made, kept in zip(suggested, committed["sheets"], strict=True):
        assert made["fixed"] == kept["fixed"]
        for column, final in zip(made["columns"], kept["columns"], strict=True):
            values, wanted = column.pop("values"), final.pop("values", {})
            assert {k: v for k, v in column.items() if v is not None} == final
            # What the person edited in is exactly what the suggestion said it could not match.
            assert set(wanted) - set(values) == unmatched[(made["sheet"], column["column"])]
            assert {k: wanted[k] for k in values} == values


async def test_an_upload_is_known_by_its_own_name_without_the_client_s_folders(
    client: httpx.AsyncClient,
) -> None:
    mapping = await new_mapping(client)
    data = complaints_workbook(complaint_rows(_prefix(), 1))
    name = "C:\\Users\\officer\\Desktop\\..\\cases.xlsx"
    report = (await upload(client, data, mapping, name=name)).json()
    assert report["file_name"] == report["record"]["file_name"] == "cases.xlsx"
