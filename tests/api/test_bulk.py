"""Bulk import: all rows written in one transaction, or none and every failing row named."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from factories import make_complaint, make_compliment, make_member_enquiry, next_ref
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain import bulk
from services.api.models import FeedbackItem


def _batch(count: int) -> list[dict[str, Any]]:
    makers = (make_complaint, make_compliment, make_member_enquiry)
    return [
        makers[i % 3](source_system="bulk-crm", external_ref=next_ref("BULK")) for i in range(count)
    ]


async def _held(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    refs = [r["external_ref"] for r in rows]
    query = select(func.count()).where(
        FeedbackItem.source_system == "bulk-crm",  # type: ignore[arg-type]
        FeedbackItem.external_ref.in_(refs),  # type: ignore[attr-defined]
    )
    return int(await session.scalar(query) or 0)


async def test_a_json_array_is_imported_with_events_and_clocks(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    rows = _batch(5)
    rows[0]["responded_on"] = "2019-03-20"
    response = await client.post("/v1/feedback/bulk", json=rows)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["created"], body["already_held"]) == (5, 5, 0)
    assert [i["row"] for i in body["items"]] == [1, 2, 3, 4, 5]
    assert await _held(session, rows) == 5
    first = (await client.get(f"/v1/feedback/{body['items'][0]['id']}")).json()
    assert (first["status"], first["working_days_taken"]) == ("responded", 12)
    events = (await client.get(f"/v1/feedback/{body['items'][0]['id']}/events")).json()
    assert [e["type"] for e in events] == ["received", "responded"]


async def test_ndjson_is_imported_too(client: httpx.AsyncClient, session: AsyncSession) -> None:
    rows = _batch(4)
    content = "\n".join(json.dumps(r) for r in rows) + "\n\n"
    response = await client.post(
        "/v1/feedback/bulk", content=content, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 4
    assert await _held(session, rows) == 4


async def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks, so good rows are written before the bad ones are met.
    monkeypatch.setattr(bulk, "CHUNK", 2)
    rows = _batch(7)
    rows[4]["team"] = "no-such-team"
    rows[6]["received_on"] = "next tuesday"
    response = await client.post("/v1/feedback/bulk", json=rows)
    assert response.status_code == 422
    problem = response.json()
    fields = [e["field"] for e in problem["errors"]]
    assert fields == ["[5].team", "[7].received_on"]
    assert [e["pointer"] for e in problem["errors"]] == ["/4/team", "/6/received_on"]
    assert problem["detail"].startswith("2 of 7 rows")
    assert await _held(session, rows) == 0


async def test_duplicates_within_the_batch_and_in_the_database_are_not_doubled(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    rows = _batch(3)
    batch = [*rows, rows[1]]
    first = (await client.post("/v1/feedback/bulk", json=batch)).json()
    assert (first["created"], first["already_held"]) == (3, 1)
    assert first["items"][3]["id"] == first["items"][1]["id"]
    again = (await client.post("/v1/feedback/bulk", json=rows)).json()
    assert (again["created"], again["already_held"]) == (0, 3)
    assert [i["id"] for i in again["items"]] == [i["id"] for i in first["items"][:3]]
    assert await _held(session, rows) == 3


async def test_the_same_reference_with_other_details_is_a_row_error(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    rows = _batch(2)
    changed = {**rows[0], "channel": "letter" if rows[0]["channel"] != "letter" else "web"}
    response = await client.post("/v1/feedback/bulk", json=[*rows, changed])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "[3].external_ref"
    assert await _held(session, rows) == 0
    await client.post("/v1/feedback/bulk", json=rows)
    clash = await client.post("/v1/feedback/bulk", json=[changed])
    assert clash.json()["errors"][0]["field"] == "[1].external_ref"


async def test_too_many_items_are_refused(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MAX_ITEMS", 3)
    response = await client.post("/v1/feedback/bulk", json=_batch(4))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'[{"kind": "complaint",', "application/json", 400),
        (b'{"kind": "complaint"}', "application/json", 422),
        (b"[]", "application/json", 422),
        (b'{"kind": "compliment"}\nnot json\n', "application/x-ndjson", 400),
    ],
)
async def test_malformed_batches_are_problems(
    client: httpx.AsyncClient, content: bytes, content_type: str, status: int
) -> None:
    response = await client.post(
        "/v1/feedback/bulk", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
