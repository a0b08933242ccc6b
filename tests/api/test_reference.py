"""Reference data is data: admins add to it, and the clock follows closure days."""

from __future__ import annotations

import httpx
from factories import make_complaint, patch_current


async def test_the_demo_profile_is_loaded(client: httpx.AsyncClient) -> None:
    services = {s["code"]: s for s in (await client.get("/v1/reference/services")).json()}
    assert services["children"]["complaint_procedure"] == "children_statutory"
    assert services["education"]["complaint_procedure"] == "corporate"
    teams = (await client.get("/v1/reference/teams", params={"service": "education"})).json()
    assert "Admissions and School Investments" in {t["name"] for t in teams}
    natures = (await client.get("/v1/reference/natures", params={"service": "children"})).json()
    assert len(natures) == 11


async def test_a_new_team_can_receive_cases_from_its_start(client: httpx.AsyncClient) -> None:
    team = {
        "code": "children-early-help",
        "service": "children",
        "name": "Early Help",
        "active_from": "2019-03-01",
    }
    assert (await client.post("/v1/reference/teams", json=team)).status_code == 201
    assert (await client.post("/v1/reference/teams", json=team)).status_code == 409
    ok = await client.post("/v1/feedback", json=make_complaint(team="children-early-help"))
    assert ok.status_code == 201
    early = make_complaint(team="children-early-help", received_on="2019-02-28")
    assert (await client.post("/v1/feedback", json=early)).status_code == 422


async def test_a_closed_team_cannot_receive_later_cases(client: httpx.AsyncClient) -> None:
    response = await patch_current(
        client, "/v1/reference/teams/children-assessment", json={"active_to": "2019-03-01"}
    )
    assert response.status_code == 200
    refused = await client.post("/v1/feedback", json=make_complaint())
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "team"


async def test_a_team_cannot_end_before_it_starts(client: httpx.AsyncClient) -> None:
    response = await patch_current(
        client, "/v1/reference/teams/children-assessment", json={"active_to": "2001-01-01"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "active_to"


async def test_a_new_nature_is_usable_by_its_service_only(client: httpx.AsyncClient) -> None:
    nature = {"service": "adults", "code": "safeguarding-concern", "name": "Safeguarding concern"}
    assert (await client.post("/v1/reference/natures", json=nature)).status_code == 201
    adults = make_complaint(
        service="adults", team="adults-disability", nature="safeguarding-concern"
    )
    assert (await client.post("/v1/feedback", json=adults)).status_code == 201
    children = make_complaint(nature="safeguarding-concern")
    assert (await client.post("/v1/feedback", json=children)).status_code == 422


async def test_a_closure_day_moves_open_items_due_dates(client: httpx.AsyncClient) -> None:
    open_item = (await client.post("/v1/feedback", json=make_complaint())).json()
    answered = (
        await client.post("/v1/feedback", json=make_complaint(responded_on="2019-03-08"))
    ).json()
    assert open_item["due_on"] == "2019-03-18"
    closure = {"day": "2019-03-12", "kind": "closure", "description": "Office move"}
    response = await client.post("/v1/reference/non-working-days", json=closure)
    assert response.status_code == 201, response.text
    assert int(response.headers["x-items-recomputed"]) >= 1
    moved = (await client.get(f"/v1/feedback/{open_item['id']}")).json()
    assert moved["due_on"] == "2019-03-19"
    untouched = (await client.get(f"/v1/feedback/{answered['id']}")).json()
    assert untouched["due_on"] == answered["due_on"]
    assert (await client.post("/v1/reference/non-working-days", json=closure)).status_code == 409
    removed = await client.delete("/v1/reference/non-working-days/2019-03-12")
    assert removed.status_code == 204
    back = (await client.get(f"/v1/feedback/{open_item['id']}")).json()
    assert back["due_on"] == "2019-03-18"
    assert (await client.delete("/v1/reference/non-working-days/2019-03-12")).status_code == 404


async def test_reference_input_is_validated(client: httpx.AsyncClient) -> None:
    bad_code = {"code": "Not A Code", "name": "x", "complaint_procedure": "corporate"}
    response = await client.post("/v1/reference/services", json=bad_code)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"
    orphan = {"code": "x-team", "service": "nowhere", "name": "X", "active_from": "2019-01-01"}
    response = await client.post("/v1/reference/teams", json=orphan)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "service"
