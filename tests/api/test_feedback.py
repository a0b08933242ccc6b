"""Creating, reading, listing and changing feedback items."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
from factories import make_complaint, make_compliment, make_member_enquiry, next_ref, patch_current

# Racing requests commit; keeping them out of 2017/18 and 2018/19 keeps the demo's figures.
OUTSIDE_DEMO_YEARS = "2021-05-04"


async def test_a_complaint_is_created_with_its_clock(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/feedback", json=make_complaint())
    assert response.status_code == 201, response.text
    item = response.json()
    assert response.headers["location"].endswith(f"/v1/feedback/{item['id']}")
    assert item["procedure"] == "children_statutory"  # the service's default
    assert item["status"] == "open"
    # Received Monday 4 March 2019: day 10 is Monday 18 March.
    assert item["due_on"] == "2019-03-18"
    assert item["responded_on"] is None
    assert item["working_days_taken"] is None
    assert "person" not in item and isinstance(item["person_id"], int)


async def test_a_backfilled_complaint_shows_timeliness(client: httpx.AsyncClient) -> None:
    body = make_complaint(responded_on="2019-03-20", closed_on="2019-03-22", outcome="upheld")
    item = (await client.post("/v1/feedback", json=body)).json()
    assert item["status"] == "closed"
    assert item["working_days_taken"] == 12
    assert item["on_time"] is False
    events = (await client.get(f"/v1/feedback/{item['id']}/events")).json()
    assert [e["type"] for e in events] == ["received", "responded", "closed"]


async def test_an_item_is_read_back_by_id(client: httpx.AsyncClient) -> None:
    created = (await client.post("/v1/feedback", json=make_member_enquiry())).json()
    response = await client.get(f"/v1/feedback/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert created["due_on"] == "2019-03-18"  # members' casework: 10 working days


async def test_a_missing_item_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/feedback/999999999")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


async def test_a_retried_post_returns_the_same_item_with_200(client: httpx.AsyncClient) -> None:
    body = make_complaint()
    first = await client.post("/v1/feedback", json=body)
    again = await client.post("/v1/feedback", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    listed = await client.get("/v1/feedback", params={"team": "children-assessment", "limit": 200})
    refs = [i["external_ref"] for i in listed.json()["items"]]
    assert refs.count(body["external_ref"]) <= 1


async def test_the_same_reference_with_other_details_is_a_409(client: httpx.AsyncClient) -> None:
    body = make_complaint()
    await client.post("/v1/feedback", json=body)
    response = await client.post("/v1/feedback", json={**body, "channel": "phone"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "external_ref"


async def test_racing_duplicate_posts_make_one_row(committing_client: httpx.AsyncClient) -> None:
    body = make_compliment(
        source_system="race-crm", external_ref=next_ref("RACE"), received_on=OUTSIDE_DEMO_YEARS
    )
    responses = await asyncio.gather(
        *(committing_client.post("/v1/feedback", json=body) for _ in range(8))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1


async def test_racing_posts_with_different_bodies_make_one_row_and_conflicts(
    committing_client: httpx.AsyncClient,
) -> None:
    ref = next_ref("RACE")
    bodies = [
        make_compliment(
            source_system="race-crm",
            external_ref=ref,
            compliment_text=f"Thanks {i}",
            received_on=OUTSIDE_DEMO_YEARS,
        )
        for i in range(6)
    ]
    responses = await asyncio.gather(
        *(committing_client.post("/v1/feedback", json=b) for b in bodies)
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5


async def test_the_list_filters_and_pages_with_a_next_link(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await client.post("/v1/feedback", json=make_compliment(team="adults-mental-health"))
    params = {"team": "adults-mental-health", "financial_year": "2018-19", "limit": 2}
    first = (await client.get("/v1/feedback", params=params)).json()
    assert len(first["items"]) == 2
    assert first["next"] is not None and "team=adults-mental-health" in first["next"]
    seen = [i["id"] for i in first["items"]]
    page = first
    while page["next"]:
        page = (await client.get(page["next"])).json()
        seen += [i["id"] for i in page["items"]]
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert all(
        i["team"] == "adults-mental-health"
        for i in (await client.get("/v1/feedback", params={**params, "limit": 200})).json()["items"]
    )


async def test_overdue_lists_open_items_past_their_due_date(client: httpx.AsyncClient) -> None:
    late = (await client.post("/v1/feedback", json=make_complaint())).json()
    answered = (
        await client.post("/v1/feedback", json=make_complaint(responded_on="2019-03-08"))
    ).json()
    overdue = (await client.get("/v1/feedback", params={"overdue": "true", "limit": 200})).json()[
        "items"
    ]
    ids = {i["id"] for i in overdue}
    assert late["id"] in ids and answered["id"] not in ids
    due = (
        await client.get("/v1/feedback", params={"due_before": "2019-03-19", "limit": 200})
    ).json()["items"]
    assert all(date.fromisoformat(i["due_on"]) < date(2019, 3, 19) for i in due)


async def test_patch_records_the_outcome_after_the_response(client: httpx.AsyncClient) -> None:
    item = (
        await client.post("/v1/feedback", json=make_complaint(responded_on="2019-03-08"))
    ).json()
    response = await patch_current(
        client,
        f"/v1/feedback/{item['id']}",
        json={"outcome": "partly_upheld", "lessons_learned": "Call back within a day."},
    )
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "partly_upheld"
    assert response.json()["version"] == item["version"] + 1


async def test_changing_the_procedure_moves_the_due_date(client: httpx.AsyncClient) -> None:
    item = (await client.post("/v1/feedback", json=make_complaint())).json()
    changed = await patch_current(
        client, f"/v1/feedback/{item['id']}", json={"procedure": "corporate"}
    )
    assert changed.json()["due_on"] == "2019-04-01"  # 20 working days
