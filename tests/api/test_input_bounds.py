"""What a careless or hostile caller sends is refused with a 422 naming the field, never a 500.

Each test is about a class of input: dates outside the service's window (0001-01-01 and
9999-12-31 would be stored as PostgreSQL infinities), financial years whose days are no
dates, cursors past the database's ids, timestamps without their offset, upload content types,
deep NDJSON lines.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from factories import make_complaint, make_event
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.cli import main as feedback_cli
from services.api.models import ApiKey

PROBLEM = "application/problem+json"
OUT_OF_WINDOW = ["0001-01-01", "1966-06-01", "9999-12-31"]


def assert_problem(response: httpx.Response, status: int, field: str) -> None:
    """A problem document with this status naming this field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in response.json()["errors"]], response.json()


async def _count(session: AsyncSession, table: Any) -> int:
    return await session.scalar(select(func.count()).select_from(table)) or 0


async def _item(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/feedback", json=make_complaint(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _escalation(client: httpx.AsyncClient) -> dict[str, Any]:
    item = await _item(client, responded_on="2019-03-08")
    response = await client.post(
        f"/v1/feedback/{item['id']}/escalations",
        json={"stage": "stage2_investigation", "opened_on": "2019-03-11"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# -- dates outside the window ------------------------------------------------------------

Send = Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]


async def _create_received(client: httpx.AsyncClient, day: str) -> httpx.Response:
    return await client.post("/v1/feedback", json=make_complaint(received_on=day))


async def _create_responded(client: httpx.AsyncClient, day: str) -> httpx.Response:
    return await client.post("/v1/feedback", json=make_complaint(responded_on=day))


async def _bulk_row(client: httpx.AsyncClient, day: str) -> httpx.Response:
    return await client.post(
        "/v1/feedback/bulk", json=[make_complaint(), make_complaint(received_on=day)]
    )


async def _bulk_ndjson_row(client: httpx.AsyncClient, day: str) -> httpx.Response:
    lines = [json.dumps(make_complaint()), json.dumps(make_complaint(received_on=day))]
    return await client.post(
        "/v1/feedback/bulk",
        content="\n".join(lines).encode(),
        headers={"content-type": "application/x-ndjson"},
    )


async def _event_on(client: httpx.AsyncClient, day: str) -> httpx.Response:
    item = await _item(client)
    return await client.post(f"/v1/feedback/{item['id']}/events", json=make_event("responded", day))


async def _extension_to(client: httpx.AsyncClient, day: str) -> httpx.Response:
    item = await _item(client)
    event = make_event("extended", "2019-03-05", new_due_on=day, reason="complex")
    return await client.post(f"/v1/feedback/{item['id']}/events", json=event)


async def _escalation_opened(client: httpx.AsyncClient, day: str) -> httpx.Response:
    item = await _item(client, responded_on="2019-03-08")
    return await client.post(
        f"/v1/feedback/{item['id']}/escalations",
        json={"stage": "stage2_investigation", "opened_on": day},
    )


async def _remedy_due(client: httpx.AsyncClient, day: str) -> httpx.Response:
    escalation = await _escalation(client)
    remedy = {"type": "apology", "description": "An apology.", "due_on": day}
    return await client.post(f"/v1/escalations/{escalation['id']}/remedies", json=remedy)


async def _team_from(client: httpx.AsyncClient, day: str) -> httpx.Response:
    team = {"code": "children-new", "service": "children", "name": "New", "active_from": day}
    return await client.post("/v1/reference/teams", json=team)


async def _closure_on(client: httpx.AsyncClient, day: str) -> httpx.Response:
    closure = {"day": day, "kind": "closure", "description": "Closed"}
    return await client.post("/v1/reference/non-working-days", json=closure)


async def _due_before(client: httpx.AsyncClient, day: str) -> httpx.Response:
    return await client.get("/v1/feedback", params={"due_before": day})


async def _as_of(client: httpx.AsyncClient, day: str) -> httpx.Response:
    return await client.get(
        "/v1/stats/ombudsman-ledger", params={"financial_year": "2018-19", "as_of": day}
    )


async def _active_on(client: httpx.AsyncClient, day: str) -> httpx.Response:
    return await client.get("/v1/reference/teams", params={"active_on": day})


async def _delete_closure(client: httpx.AsyncClient, day: str) -> httpx.Response:
    return await client.delete(f"/v1/reference/non-working-days/{day}")


DATE_INPUTS: list[tuple[str, Send, str]] = [
    ("create", _create_received, "received_on"),
    ("create-responded", _create_responded, "responded_on"),
    ("bulk-json", _bulk_row, "[2].received_on"),
    ("bulk-ndjson", _bulk_ndjson_row, "[2].received_on"),
    ("event", _event_on, "occurred_on"),
    ("extension", _extension_to, "new_due_on"),
    ("escalation", _escalation_opened, "opened_on"),
    ("remedy", _remedy_due, "due_on"),
    ("team", _team_from, "active_from"),
    ("closure", _closure_on, "day"),
    ("query-due-before", _due_before, "due_before"),
    ("query-as-of", _as_of, "as_of"),
    ("query-active-on", _active_on, "active_on"),
    ("path-day", _delete_closure, "day"),
]


@pytest.mark.parametrize("day", OUT_OF_WINDOW)
@pytest.mark.parametrize(
    ("send", "field"), [(s, f) for _, s, f in DATE_INPUTS], ids=[i for i, _, _ in DATE_INPUTS]
)
async def test_a_date_outside_the_window_is_refused_naming_the_field(
    client: httpx.AsyncClient, session: AsyncSession, send: Send, field: str, day: str
) -> None:
    response = await send(client, day)
    assert_problem(response, 422, field)
    assert "1990-01-01" in json.dumps(response.json()) or "ISO" in json.dumps(response.json())


@pytest.mark.parametrize(
    ("path", "name"),
    [("/v1/feedback", "updated_since"), ("/v1/audit", "since"), ("/v1/audit", "until")],
)
@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 once in UTC
        "9999-12-31T23:59:59-14:00",  # after year 9999 once in UTC
        "1966-06-01T09:00:00Z",
        "2019-03-04T09:00:00",  # no offset: which 09:00?
    ],
)
async def test_a_timestamp_outside_the_window_or_without_offset_is_refused(
    client: httpx.AsyncClient, path: str, name: str, moment: str
) -> None:
    assert_problem(await client.get(path, params={name: moment}), 422, name)


DATE_COLUMNS = {
    "feedback_item": ["received_on", "acknowledged_on", "responded_on", "closed_on"],
    "feedback_event": ["occurred_on", "new_due_on"],
    "escalation": ["opened_on"],
    "remedy": ["due_on"],
    "team": ["active_from"],
    "non_working_day": ["day"],
}


@pytest.mark.parametrize("day", ["0001-01-01", "1966-06-01"])
async def test_no_date_outside_the_window_reaches_the_database(
    client: httpx.AsyncClient, session: AsyncSession, day: str
) -> None:
    for _, send, _ in DATE_INPUTS:
        await send(client, day)
    for table, columns in DATE_COLUMNS.items():
        for column in columns:
            # Before the window, or stored as an infinity: never.
            outside = await session.scalar(
                text(f"SELECT count(*) FROM {table} WHERE {column} < '1990-01-01'")
            )
            assert outside == 0, (table, column)


async def test_the_ledger_of_a_year_stays_readable_when_a_remedy_due_in_year_1_is_sent(
    client: httpx.AsyncClient,
) -> None:
    assert_problem(await _remedy_due(client, "0001-01-01"), 422, "due_on")
    ledger = await client.get("/v1/stats/ombudsman-ledger", params={"financial_year": "2018-19"})
    assert ledger.status_code == 200, ledger.text


# -- financial years ------------------------------------------------------------------------

YEAR_INPUTS = [
    ("/v1/feedback", {}, "financial_year"),
    ("/v1/escalations", {}, "financial_year"),
    ("/v1/report-runs", {}, "year"),
    ("/v1/stats/feedback", {}, "from_year"),
    ("/v1/stats/feedback", {"from_year": "2018-19"}, "to_year"),
    ("/v1/stats/timeliness", {"kind": "complaint", "within": 20}, "from_year"),
    ("/v1/stats/escalations", {}, "from_year"),
    ("/v1/stats/stage2-findings", {}, "from_year"),
    ("/v1/stats/remedies", {}, "from_year"),
    ("/v1/stats/ombudsman-ledger", {}, "financial_year"),
    ("/v1/stats/published-text", {}, "financial_year"),
]


@pytest.mark.parametrize("year", ["9999-00", "0000-01", "1966-67", "2099-00"])
@pytest.mark.parametrize(("path", "params", "name"), YEAR_INPUTS)
async def test_a_financial_year_outside_the_window_is_refused_on_every_route_that_takes_one(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], name: str, year: str
) -> None:
    assert_problem(await client.get(path, params={**params, name: year}), 422, name)


@pytest.mark.parametrize("year", ["9999-00", "0000-01"])
async def test_a_report_file_of_a_year_outside_the_window_is_refused(
    client: httpx.AsyncClient, year: str
) -> None:
    assert_problem(await client.get(f"/v1/reports/annual/{year}.csv"), 422, "file")


@pytest.mark.parametrize("year", ["9999-00", "0000-01"])
async def test_a_report_run_of_a_year_outside_the_window_is_refused_and_not_stored(
    client: httpx.AsyncClient, session: AsyncSession, year: str
) -> None:
    response = await client.post("/v1/report-runs", json={"kind": "annual", "year": year})
    assert_problem(response, 422, "year")
    stored = await session.scalar(
        text("SELECT count(*) FROM report_run WHERE financial_year NOT LIKE '____-__'")
    )
    assert stored == 0


# -- cursors --------------------------------------------------------------------------------


def _cursor(text_: str) -> str:
    return base64.urlsafe_b64encode(text_.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "path", ["/v1/feedback", "/v1/escalations", "/v1/remedies", "/v1/report-runs", "/v1/audit"]
)
@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(f"id:{2**63}"),
        _cursor(f"id:{10**40}"),
        _cursor("id:\u0663"),  # an Arabic-Indic three: a digit, but not one of ours
        "",
        "not a cursor!",
    ],
    ids=["past-bigint", "far-past-bigint", "unicode-digit", "empty", "not-base64"],
)
async def test_a_cursor_that_is_not_ours_is_a_422_on_every_paged_route(
    client: httpx.AsyncClient, path: str, cursor: str
) -> None:
    assert_problem(await client.get(path, params={"cursor": cursor}), 422, "cursor")


# -- key expiry -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expires_at", ["2030-01-01T00:00:00", "2030-01-01", "9999-12-31T23:59:59+00:00"]
)
async def test_a_key_expiry_without_its_offset_or_outside_the_window_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, expires_at: str
) -> None:
    before = await _count(session, ApiKey)
    response = await client.post(
        "/v1/api-keys", json={"name": "expiring", "role": "bi", "expires_at": expires_at}
    )
    assert_problem(response, 422, "expires_at")
    assert await _count(session, ApiKey) == before


def test_the_command_line_refuses_an_expiry_without_its_offset_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = feedback_cli(
        ["create-key", "--name", "cli-expiring", "--role", "bi", "--expires", "2030-01-01T17:00"]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("feedback: --expires:"), err


# -- uploads and NDJSON ---------------------------------------------------------------------


async def _running_run(client: httpx.AsyncClient) -> int:
    queued = await client.post("/v1/report-runs", json={"kind": "annual", "year": "2016-17"})
    assert queued.status_code == 201, queued.text
    while True:
        claimed = await client.post("/v1/report-runs/claim", json={"worker": "w"})
        assert claimed.status_code == 200, claimed.text
        if claimed.json()["id"] == queued.json()["id"]:
            return int(claimed.json()["id"])


@pytest.mark.parametrize(
    "content_type",
    [
        "text/" + "x" * 200,
        "text/csv; charset=" + "x" * 200,
        "text/csv; charset=latin-1",
        "application/octet-stream",
        "image/svg+xml",
        "",
    ],
    ids=["over-long", "over-long-charset", "latin-1", "octet-stream", "svg", "empty"],
)
async def test_an_upload_of_a_type_that_is_no_report_format_is_a_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    run_id = await _running_run(client)
    response = await client.put(
        f"/v1/report-runs/{run_id}/files/annual-2016-17.csv",
        params={"worker": "w"},
        content=b"year\r\n",
        headers={"content-type": content_type},
    )
    assert_problem(response, 415, "Content-Type")


async def test_an_upload_in_a_report_format_keeps_its_type(client: httpx.AsyncClient) -> None:
    run_id = await _running_run(client)
    response = await client.put(
        f"/v1/report-runs/{run_id}/files/annual-2016-17.csv",
        params={"worker": "w"},
        content=b"year\r\n",
        headers={"content-type": 'Text/CSV; Charset="UTF-8"'},
    )
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "text/csv; charset=utf-8"


async def test_an_ndjson_line_nested_deep_is_a_400_not_a_500(client: httpx.AsyncClient) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    response = await client.post(
        "/v1/feedback/bulk",
        content=json.dumps(make_complaint()).encode() + b"\n" + deep + b"\n",
        headers={"content-type": "application/x-ndjson"},
    )
    assert response.status_code in (400, 413, 422), response.text
    assert response.headers["content-type"] == PROBLEM


async def test_every_date_column_of_the_database_refuses_infinity(session: AsyncSession) -> None:
    # Whatever writes to the database, not only the API: an infinity has no financial year.
    columns = (
        await session.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND data_type = 'date'"
            )
        )
    ).all()
    checks = set(
        (
            await session.scalars(
                text(
                    "SELECT conrelid::regclass::text || '.' || pg_get_constraintdef(oid)"
                    " FROM pg_constraint WHERE contype = 'c'"
                )
            )
        ).all()
    )
    assert len(columns) >= 15
    unchecked = [
        f"{table}.{column}"
        for table, column in columns
        if f"{table}.CHECK (isfinite({column}))" not in checks
    ]
    assert unchecked == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE feedback_item SET received_on = '-infinity' WHERE responded_on IS NULL",
        "UPDATE remedy SET due_on = '-infinity'",
        "UPDATE escalation SET opened_on = 'infinity' WHERE completed_on IS NULL",
    ],
)
async def test_the_database_refuses_an_infinite_date_written_past_the_api(
    session: AsyncSession, statement: str
) -> None:
    with pytest.raises(IntegrityError, match="finite"):
        async with session.begin_nested():
            await session.execute(text(statement))
