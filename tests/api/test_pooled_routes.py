"""Create, read by id and list as a served app runs them: on its own pool, committing.

What these write is committed to the run's database, so they use references of their own
and a received date outside the demo's report years.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import bearer
from tests.factories import make_complaint, make_member_enquiry

RECEIVED = "2021-05-04"


def _ref(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _complaint(**overrides: Any) -> dict[str, Any]:
    return make_complaint(
        source_system="test-crm", external_ref=_ref("P"), received_on=RECEIVED, **overrides
    )


async def _count(database_url: str, query: str, *args: Any) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return int(await connection.fetchval(query, *args))
    finally:
        await connection.close()


@pytest.fixture
async def http(live_api_url: str, api_keys: dict[str, str]) -> Any:
    async with httpx.AsyncClient(
        base_url=live_api_url, headers=bearer(api_keys["crm"]), timeout=20
    ) as client:
        yield client


async def test_a_created_item_reads_back_with_its_etag_and_audit_row(
    http: httpx.AsyncClient, database_url: str
) -> None:
    created = await http.post("/v1/feedback", json=_complaint())
    assert created.status_code == 201, created.text
    item = created.json()
    assert created.headers["location"].endswith(f"/v1/feedback/{item['id']}")
    assert item["status"] == "open" and item["due_on"] and item["version"] == 1

    read = await http.get(f"/v1/feedback/{item['id']}")
    assert read.status_code == 200
    assert read.json() == item
    assert read.headers["etag"] == created.headers["etag"] == '"1"'
    audit = await _count(
        database_url,
        "SELECT count(*) FROM audit_event WHERE resource_type = 'feedback_item' "
        "AND resource_id = $1 AND action = 'create' AND changes ? 'id'",
        str(item["id"]),
    )
    events = await _count(
        database_url, "SELECT count(*) FROM feedback_event WHERE item_id = $1", item["id"]
    )
    assert (audit, events) == (1, 1)


async def test_a_retry_with_the_same_idempotency_key_gets_the_stored_response(
    http: httpx.AsyncClient, database_url: str
) -> None:
    body = _complaint()
    key = {"Idempotency-Key": _ref("K")}
    first = await http.post("/v1/feedback", json=body, headers=key)
    again = await http.post("/v1/feedback", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]

    other = await http.post("/v1/feedback", json={**body, "channel": "phone"}, headers=key)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    rows = await _count(
        database_url,
        "SELECT count(*) FROM feedback_item WHERE external_ref = $1",
        body["external_ref"],
    )
    assert rows == 1


async def test_the_same_reference_is_held_once_and_other_details_conflict(
    http: httpx.AsyncClient,
) -> None:
    body = _complaint()
    first = await http.post("/v1/feedback", json=body)
    held = await http.post("/v1/feedback", json=body)
    assert (first.status_code, held.status_code) == (201, 200)
    assert held.json() == first.json()
    conflict = await http.post("/v1/feedback", json={**body, "channel": "phone"})
    assert conflict.status_code == 409
    assert conflict.json()["errors"][0]["field"] == "external_ref"


async def test_a_refused_create_writes_nothing(http: httpx.AsyncClient, database_url: str) -> None:
    body = _complaint(team="no-such-team", person={"name": "Nobody Written"})
    before = await _count(database_url, "SELECT count(*) FROM person")
    refused = await http.post("/v1/feedback", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "team"
    assert await _count(database_url, "SELECT count(*) FROM person") == before
    rows = await _count(
        database_url,
        "SELECT count(*) FROM feedback_item WHERE external_ref = $1",
        body["external_ref"],
    )
    assert rows == 0


async def test_a_member_enquiry_writes_its_new_enquirer(
    http: httpx.AsyncClient, database_url: str
) -> None:
    body = make_member_enquiry(
        source_system="test-crm", external_ref=_ref("M"), received_on=RECEIVED
    )
    created = await http.post("/v1/feedback", json=body)
    assert created.status_code == 201, created.text
    enquirer = created.json()["enquirer_id"]
    assert await _count(database_url, "SELECT count(*) FROM person WHERE id = $1", enquirer) == 1


async def test_reading_a_missing_item_or_without_a_key_is_a_problem(
    http: httpx.AsyncClient, live_api_url: str
) -> None:
    missing = await http.get("/v1/feedback/999999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    async with httpx.AsyncClient(base_url=live_api_url) as anonymous:
        assert (await anonymous.get("/v1/feedback/1")).status_code == 401


async def test_the_list_pages_through_filtered_items_on_the_pool(http: httpx.AsyncClient) -> None:
    made = [(await http.post("/v1/feedback", json=_complaint())).json() for _ in range(3)]
    team = made[0]["team"]
    params = {"team": team, "financial_year": "2021-22", "overdue": "true", "limit": 2}
    page = await http.get("/v1/feedback", params=params)
    assert page.status_code == 200 and page.headers["content-type"] == "application/json"
    seen = [i["id"] for i in page.json()["items"]]
    while page.json()["next"]:
        page = await http.get(page.json()["next"])
        seen += [i["id"] for i in page.json()["items"]]
    assert seen == sorted(set(seen))
    assert {m["id"] for m in made} <= set(seen)
    # Open and past their due dates: none of them is listed as not overdue.
    not_overdue = await http.get("/v1/feedback", params={**params, "overdue": "false"})
    assert not {m["id"] for m in made} & {i["id"] for i in not_overdue.json()["items"]}
    by_id = await http.get(f"/v1/feedback/{made[0]['id']}")
    listed = await http.get("/v1/feedback", params={**params, "limit": 200})
    assert by_id.json() in listed.json()["items"]
