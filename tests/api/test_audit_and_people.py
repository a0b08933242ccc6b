"""Every write is audited in its own transaction; people can be exported, erased and retired."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from factories import make_complaint, make_event, patch_current
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain.people import apply_retention


async def _audit(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit", params={**params, "limit": 200})
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_a_create_is_audited_with_who_what_and_the_request_id(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/feedback", json=make_complaint(), headers={"X-Request-ID": "req-create-1"}
    )
    assert response.headers["x-request-id"] == "req-create-1"
    item = response.json()
    rows = await _audit(client, resource_type="feedback_item", resource_id=str(item["id"]))
    assert len(rows) == 1
    row = rows[0]
    assert (row["action"], row["key_name"], row["role"]) == ("create", "test-admin", "admin")
    assert row["request_id"] == "req-create-1"
    assert row["changes"]["team"] == {"before": None, "after": "children-assessment"}


async def test_updates_and_events_record_the_changed_fields_with_personal_values_masked(
    client: httpx.AsyncClient,
) -> None:
    item = (
        await client.post("/v1/feedback", json=make_complaint(responded_on="2019-03-08"))
    ).json()
    await patch_current(
        client,
        f"/v1/feedback/{item['id']}",
        json={"outcome": "upheld", "lessons_learned": "Mrs Smith should have been called."},
    )
    await client.post(f"/v1/feedback/{item['id']}/events", json=make_event("closed", "2019-03-11"))
    rows = await _audit(client, resource_type="feedback_item", resource_id=str(item["id"]))
    assert [r["action"] for r in rows] == ["create", "update", "event"]
    update = rows[1]["changes"]
    assert update["outcome"] == {"before": None, "after": "upheld"}
    assert update["lessons_learned"] == {"before": None, "after": "***"}
    assert "Smith" not in str(rows)
    assert rows[2]["changes"]["status"] == {"before": "responded", "after": "closed"}


async def test_a_failed_write_leaves_no_audit_row(client: httpx.AsyncClient) -> None:
    item = (await client.post("/v1/feedback", json=make_complaint())).json()
    refused = await client.post(
        f"/v1/feedback/{item['id']}/events", json=make_event("closed", "2019-03-05")
    )
    assert refused.status_code == 409
    rows = await _audit(client, resource_type="feedback_item", resource_id=str(item["id"]))
    assert [r["action"] for r in rows] == ["create"]


async def test_reading_a_person_is_audited(client: httpx.AsyncClient) -> None:
    item = (await client.post("/v1/feedback", json=make_complaint())).json()
    person = await client.get(f"/v1/people/{item['person_id']}")
    assert person.json()["name"] == "Testy McTestface"
    rows = await _audit(client, resource_type="person", resource_id=str(item["person_id"]))
    assert [r["action"] for r in rows] == ["read"]


async def test_the_audit_list_filters_by_key_and_time(client: httpx.AsyncClient) -> None:
    await client.post("/v1/feedback", json=make_complaint())
    mine = await _audit(client, key_name="test-admin", since="2000-01-01T00:00:00Z")
    assert mine
    assert all(r["key_name"] == "test-admin" for r in mine)
    assert await _audit(client, key_name="nobody") == []
    assert await _audit(client, until="2000-01-01T00:00:00Z") == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'forged'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "UPDATE feedback_event SET actor = 'forged'",
        "DELETE FROM feedback_event",
        "TRUNCATE feedback_event",
    ],
)
async def test_the_audit_trail_and_event_log_refuse_changes_in_the_database(
    client: httpx.AsyncClient, session: AsyncSession, statement: str
) -> None:
    await client.post("/v1/feedback", json=make_complaint())
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text(statement))


async def test_subject_access_exports_everything_held_about_a_person(
    client: httpx.AsyncClient,
) -> None:
    item = (
        await client.post("/v1/feedback", json=make_complaint(responded_on="2019-03-08"))
    ).json()
    export = await client.get(f"/v1/people/{item['person_id']}/export")
    assert export.status_code == 200
    body = export.json()
    assert body["person"]["email"] == "testy@example.org"
    assert [i["id"] for i in body["feedback_items"]] == [item["id"]]
    assert [e["type"] for e in body["events"]] == ["received", "responded"]
    assert "request_fingerprint" not in body["feedback_items"][0]


async def test_erasure_pseudonymises_and_leaves_every_statistic_alone(
    client: httpx.AsyncClient,
) -> None:
    params = {
        "from_year": "2017-18",
        "to_year": "2018-19",
        "group_by": ["service", "team", "kind", "outcome"],
    }
    before = (await client.get("/v1/stats/feedback", params=params)).json()
    demo = (
        await client.get("/v1/feedback", params={"service": "adults", "kind": "complaint"})
    ).json()["items"][0]
    erased = await client.post(f"/v1/people/{demo['person_id']}/erase")
    assert erased.status_code == 200
    person = erased.json()
    assert person["name"] == f"Person {demo['person_id']}"
    assert (person["email"], person["phone"], person["address"]) == (None, None, None)
    assert person["pseudonymised_at"]
    assert (await client.get("/v1/stats/feedback", params=params)).json() == before
    rows = await _audit(client, resource_type="person", resource_id=str(demo["person_id"]))
    assert rows[-1]["action"] == "erase"
    assert rows[-1]["changes"]["name"] == {"before": "***", "after": "***"}


async def test_retention_pseudonymises_people_whose_cases_all_closed_long_ago(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    old = (
        await client.post(
            "/v1/feedback",
            json=make_complaint(responded_on="2019-03-08", closed_on="2019-03-11"),
        )
    ).json()
    held = (
        await client.post(
            "/v1/feedback",
            json=make_complaint(responded_on="2019-03-08", closed_on="2019-03-11"),
        )
    ).json()
    await patch_current(client, f"/v1/feedback/{held['id']}", json={"legal_hold": True})
    still_open = (await client.post("/v1/feedback", json=make_complaint())).json()

    dry = await apply_retention(session, date(2025, 1, 1), dry_run=True)
    assert old["person_id"] in dry.pseudonymised
    name = await session.scalar(
        text("SELECT name FROM person WHERE id = :id"), {"id": old["person_id"]}
    )
    assert name == "Testy McTestface"

    result = await apply_retention(session, date(2025, 1, 1))
    assert old["person_id"] in result.pseudonymised
    assert held["person_id"] not in result.pseudonymised
    assert still_open["person_id"] not in result.pseudonymised
    assert result.held >= 1
    name = await session.scalar(
        text("SELECT name FROM person WHERE id = :id"), {"id": old["person_id"]}
    )
    assert name == f"Person {old['person_id']}"
    recent = await apply_retention(session, date(2019, 3, 1))
    assert old["person_id"] not in recent.pseudonymised
