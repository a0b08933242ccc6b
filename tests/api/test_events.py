"""Lifecycle events over HTTP: the item's status and clock follow its events."""

from __future__ import annotations

import httpx
from factories import make_complaint, make_compliment, make_event


async def _create(client: httpx.AsyncClient, **overrides: object) -> dict[str, object]:
    response = await client.post("/v1/feedback", json=make_complaint(**overrides))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_acknowledge_pause_resume_respond_and_close(client: httpx.AsyncClient) -> None:
    item = await _create(client, procedure="corporate")
    path = f"/v1/feedback/{item['id']}/events"
    assert item["acknowledge_due_on"] == "2019-03-11"  # corporate: 5 working days
    steps = [
        make_event("acknowledged", "2019-03-05"),
        make_event("clock_paused", "2019-03-11", reason="awaiting the complainant's consent"),
        make_event("clock_resumed", "2019-03-18", reason="consent received"),
        make_event("responded", "2019-04-05"),
        make_event("closed", "2019-04-08"),
    ]
    for step in steps:
        response = await client.post(path, json=step)
        assert response.status_code == 201, response.text
    after = (await client.get(f"/v1/feedback/{item['id']}")).json()
    assert after["status"] == "closed"
    assert after["acknowledged_on"] == "2019-03-05"
    # 20 working days from 4 March is 1 April; 5 paused working days (11-15 March) move it.
    assert after["due_on"] == "2019-04-08"
    assert after["working_days_taken"] == 19
    assert after["on_time"] is True
    assert after["version"] == item["version"] + len(steps)
    events = (await client.get(path)).json()
    assert [e["type"] for e in events] == ["received", *[s["type"] for s in steps]]
    assert events[2]["reason"] == "awaiting the complainant's consent"
    assert events[2]["actor"] == "officer.one"


async def test_a_paused_item_has_no_due_date_until_resumed(client: httpx.AsyncClient) -> None:
    item = await _create(client)
    path = f"/v1/feedback/{item['id']}/events"
    await client.post(path, json=make_event("clock_paused", "2019-03-06", reason="waiting"))
    paused = (await client.get(f"/v1/feedback/{item['id']}")).json()
    assert paused["status"] == "paused"
    assert paused["due_on"] is None
    refused = await client.post(path, json=make_event("responded", "2019-03-07"))
    assert refused.status_code == 409


async def test_an_extension_moves_the_due_date(client: httpx.AsyncClient) -> None:
    item = await _create(client)
    path = f"/v1/feedback/{item['id']}/events"
    extension = make_event("extended", "2019-03-08", new_due_on="2019-03-29", reason="complex case")
    assert (await client.post(path, json=extension)).status_code == 201
    after = (await client.get(f"/v1/feedback/{item['id']}")).json()
    assert after["due_on"] == "2019-03-29"
    assert after["extended_due_on"] == "2019-03-29"
    earlier = make_event("extended", "2019-03-09", new_due_on="2019-03-20", reason="oops")
    assert (await client.post(path, json=earlier)).status_code == 422


async def test_withdrawal_sets_the_outcome_and_reopening_clears_it(
    client: httpx.AsyncClient,
) -> None:
    item = await _create(client)
    path = f"/v1/feedback/{item['id']}/events"
    await client.post(path, json=make_event("withdrawn", "2019-03-06"))
    withdrawn = (await client.get(f"/v1/feedback/{item['id']}")).json()
    assert (withdrawn["status"], withdrawn["outcome"]) == ("withdrawn", "withdrawn")
    await client.post(path, json=make_event("reopened", "2019-03-07"))
    reopened = (await client.get(f"/v1/feedback/{item['id']}")).json()
    assert (reopened["status"], reopened["outcome"]) == ("open", None)


async def test_a_compliment_is_closed_without_a_clock(client: httpx.AsyncClient) -> None:
    item = (await client.post("/v1/feedback", json=make_compliment())).json()
    assert item["due_on"] is None
    path = f"/v1/feedback/{item['id']}/events"
    pause = await client.post(path, json=make_event("clock_paused", "2019-03-05", reason="x"))
    assert pause.status_code == 409
    assert (await client.post(path, json=make_event("closed", "2019-03-05"))).status_code == 201
    assert (await client.get(f"/v1/feedback/{item['id']}")).json()["status"] == "closed"


async def test_events_of_a_missing_item_are_a_404(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/feedback/987654321/events", json=make_event("acknowledged", "2019-03-05")
    )
    assert response.status_code == 404
    assert (await client.get("/v1/feedback/987654321/events")).status_code == 404
