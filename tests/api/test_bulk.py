"""Bulk import: all rows written in one transaction, or none and every failing row named."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from factories import make_complaint, make_compliment, make_member_enquiry, next_ref
from sqlalchemy import func, select, text
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


# --- what a bulk import writes, whatever its size -----------------------------------------

_ITEM_SKIPPED = {"id", "external_ref", "person_id", "enquirer_id", "created_at", "updated_at"}
_ITEM_SKIPPED |= {"request_fingerprint"}  # it covers the reference too


async def _written(session: AsyncSession, refs: list[str], source: str) -> list[dict[str, Any]]:
    """The item rows of these references, in their order, with their people and events."""
    rows = []
    for ref in refs:
        item = (
            (
                await session.execute(
                    text(
                        "SELECT * FROM feedback_item"
                        " WHERE source_system = :source AND external_ref = :ref"
                    ),
                    {"source": source, "ref": ref},
                )
            )
            .mappings()
            .one()
        )
        people = {}
        for role in ("person_id", "enquirer_id"):
            if item[role] is not None:
                person = (
                    await session.execute(
                        text("SELECT name, email, phone, address FROM person WHERE id = :id"),
                        {"id": item[role]},
                    )
                ).one()
                people[role] = tuple(person)
        events = (
            await session.execute(
                text(
                    "SELECT type, occurred_on, actor, reason, new_due_on FROM feedback_event"
                    " WHERE item_id = :id ORDER BY id"
                ),
                {"id": item["id"]},
            )
        ).all()
        rows.append(
            {
                "item": {k: v for k, v in item.items() if k not in _ITEM_SKIPPED},
                "people": people,
                "events": [tuple(e) for e in events],
            }
        )
    return rows


def _varied(source: str, prefix: str, member_id: int) -> list[dict[str, Any]]:
    """Items of every kind, back-filled to every stage, with and without people."""
    common = {"source_system": source}
    return [
        make_complaint(**common, external_ref=f"{prefix}-1"),
        make_complaint(
            **common,
            external_ref=f"{prefix}-2",
            service="adults",
            team="adults-disability",
            nature=None,
            acknowledged_on="2019-03-05",
            responded_on="2019-04-10",
            closed_on="2019-04-12",
            outcome="partly_upheld",
            lessons_learned="Call back within a day.",
            person={"name": "Pat Example", "phone": "020 7946 0000", "address": "1 High St"},
        ),
        make_complaint(
            **common,
            external_ref=f"{prefix}-3",
            procedure="corporate",
            responded_on="2019-03-08",
            outcome="upheld",
            person=None,
        ),
        make_compliment(**common, external_ref=f"{prefix}-4", acknowledged_on="2019-03-06"),
        make_compliment(**common, external_ref=f"{prefix}-5", person={"name": "Sam"}),
        make_member_enquiry(**common, external_ref=f"{prefix}-6", responded_on="2019-03-15"),
        make_member_enquiry(
            **common,
            external_ref=f"{prefix}-7",
            enquirer=None,
            enquirer_id=member_id,
            person=None,
            channel="email",
        ),
    ]


async def test_a_bulk_import_over_several_chunks_writes_what_single_creates_write(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    member_id = int(
        await session.scalar(text("INSERT INTO person (name) VALUES ('Cllr Held') RETURNING id"))
        or 0
    )
    one_by_one = _varied("single-crm", next_ref("ONE"), member_id)
    for body in one_by_one:
        response = await client.post("/v1/feedback", json=body)
        assert response.status_code == 201, response.text

    monkeypatch.setattr(bulk, "CHUNK", 3)
    batch = _varied("bulk-crm", next_ref("MANY"), member_id)
    held = batch[1]
    first = await client.post("/v1/feedback/bulk", json=[held])
    assert first.status_code == 200, first.text
    # Rows held already and repeated within the batch, in chunks of three.
    response = await client.post("/v1/feedback/bulk", json=[*batch, batch[4], held])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["created"], body["already_held"]) == (9, 6, 3)
    ids = [i["id"] for i in body["items"]]
    assert ids[1] == ids[8] == first.json()["items"][0]["id"]
    assert ids[7] == ids[4]
    assert [i["created"] for i in body["items"]] == [True, False, *[True] * 5, False, False]

    single = await _written(session, [b["external_ref"] for b in one_by_one], "single-crm")
    bulked = await _written(session, [b["external_ref"] for b in batch], "bulk-crm")
    for one, many in zip(single, bulked, strict=True):
        assert many["item"] | {"source_system": "single-crm"} == one["item"]
        assert many["people"] == one["people"]
        assert [e[:2] + e[3:] for e in many["events"]] == [e[:2] + e[3:] for e in one["events"]]
        assert {e[2] for e in many["events"]} == {"bulk-crm"}
    enquirer = await session.scalar(
        text("SELECT enquirer_id FROM feedback_item WHERE id = :id"), {"id": ids[6]}
    )
    assert enquirer == member_id

    audit = (
        await session.execute(
            text(
                "SELECT changes FROM audit_event WHERE action = 'bulk_create'"
                " ORDER BY id DESC LIMIT 1"
            )
        )
    ).scalar_one()
    created = sorted({i["id"] for i in body["items"] if i["created"]})
    assert audit == {
        "created": {"before": None, "after": 6},
        "ids": {"before": None, "after": created},
    }


async def test_a_row_written_meanwhile_by_another_request_is_a_409_and_nothing_is_written(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race: another request commits the same reference after this one looked for it.
    rows = _batch(5)
    assert (await client.post("/v1/feedback/bulk", json=rows[3:4])).status_code == 200

    async def nothing_held(*args: Any) -> dict[tuple[str, str], tuple[int, str]]:
        return {}

    monkeypatch.setattr(bulk._Database, "held", nothing_held)
    monkeypatch.setattr(bulk, "CHUNK", 2)
    response = await client.post("/v1/feedback/bulk", json=rows)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await _held(session, rows) == 1
    # The connection is usable again.
    assert (await client.post("/v1/feedback/bulk", json=rows[:2])).status_code == 200
    monkeypatch.undo()
    again = await client.post("/v1/feedback/bulk", json=rows)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["already_held"]) == (2, 3)


async def test_a_bad_line_while_a_chunk_is_written_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 2)
    monkeypatch.setattr(bulk, "_YIELD_EVERY", 1)
    rows = _batch(9)
    content = "\n".join(json.dumps(r) for r in rows[:6]) + "\n{not json\n"
    response = await client.post(
        "/v1/feedback/bulk", content=content, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 400, response.text
    assert await _held(session, rows) == 0
    response = await client.post("/v1/feedback/bulk", json=rows)
    assert response.status_code == 200, response.text
    assert await _held(session, rows) == 9


async def test_too_many_lines_are_refused_before_a_bad_line_further_on(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # NDJSON is read in batches of lines; the first fault met, line by line, is still the one
    # answered.
    monkeypatch.setattr(bulk, "MAX_ITEMS", 3)
    content = "\n".join(json.dumps(r) for r in _batch(5)) + "\n{not json\n"
    headers = {"content-type": "application/x-ndjson"}
    response = await client.post("/v1/feedback/bulk", content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body"
    monkeypatch.setattr(bulk, "MAX_ITEMS", 10)
    response = await client.post("/v1/feedback/bulk", content=content, headers=headers)
    assert response.status_code == 400, response.text


async def test_a_json_array_arriving_in_pieces_is_read_whole(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "_BATCH", 2)
    rows = _batch(7)
    body = json.dumps(rows).encode()

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 97):
            yield body[start : start + 97]
        yield b""

    response = await client.post("/v1/feedback/bulk", content=pieces())
    assert response.status_code == 200, response.text
    assert [i["row"] for i in response.json()["items"]] == list(range(1, 8))
    assert await _held(session, rows) == 7
