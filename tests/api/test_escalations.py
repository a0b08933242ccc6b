"""Escalating complaints to Stage 2, Stage 3 and the Ombudsman, and changing escalations.

Expected due dates are counted by hand on the 2019 calendar of England and Wales:
bank holidays Good Friday 19 April, Easter Monday 22 April, 6 May and 27 May.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from factories import make_complaint, make_compliment, make_member_enquiry, next_ref, patch_current

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    """An RFC 9457 problem with this status, naming `field` first when given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert body["errors"], body
        assert body["errors"][0]["field"] == field, body["errors"]


async def responded_complaint(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """A complaint received Monday 4 March 2019 and answered Friday 8 March 2019."""
    body = make_complaint(**{"responded_on": "2019-03-08", **overrides})
    response = await client.post("/v1/feedback", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def stage2(opened_on: str = "2019-03-11", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"stage": "stage2_investigation", "opened_on": opened_on}
    body.update(overrides)
    return body


def stage3(opened_on: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"stage": "stage3_review", "opened_on": opened_on}
    body.update(overrides)
    return body


def ombudsman(opened_on: str = "2019-03-11", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "stage": "ombudsman_investigation",
        "opened_on": opened_on,
        "lgsco_reference": next_ref("LGSCO"),
    }
    body.update(overrides)
    return body


async def escalate(client: httpx.AsyncClient, item_id: int, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/v1/feedback/{item_id}/escalations", json=body)


async def created(client: httpx.AsyncClient, item_id: int, body: dict[str, Any]) -> dict[str, Any]:
    response = await escalate(client, item_id, body)
    assert response.status_code == 201, response.text
    return response.json()


async def event_types(client: httpx.AsyncClient, item_id: int) -> list[str]:
    response = await client.get(f"/v1/feedback/{item_id}/events")
    assert response.status_code == 200, response.text
    return [e["type"] for e in response.json()]


async def escalations_of(client: httpx.AsyncClient, item_id: int) -> list[dict[str, Any]]:
    response = await client.get("/v1/escalations", params={"item_id": item_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- Stage 2 ---------------------------------------------------------------------------------


async def test_stage2_on_a_responded_complaint_is_created_with_25_working_days(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    body = stage2(
        "2019-03-11",
        points=[
            {"summary": "The assessment was late.", "finding": "upheld"},
            {"summary": "Nobody returned my calls."},
            {"summary": "The report had errors.", "finding": "not_upheld"},
        ],
        recommendations=[
            {"text": "Apologise in writing.", "agreed": True},
            {"text": "Review call-back times."},
        ],
    )
    response = await escalate(client, item["id"], body)
    assert response.status_code == 201, response.text
    esc = response.json()
    assert response.headers["location"].endswith(f"/v1/escalations/{esc['id']}")
    assert esc["item_id"] == item["id"]
    assert esc["stage"] == "stage2_investigation"
    assert esc["status"] == "open"
    assert esc["team"] == "children-assessment" and esc["service"] == "children"
    # Opened Monday 11 March 2019: day 1 is Tuesday 12 March, day 25 is Monday 15 April.
    assert esc["due_on"] == "2019-04-15"
    assert esc["version"] == 1
    assert esc["points"] == [
        {"position": 1, "summary": "The assessment was late.", "finding": "upheld"},
        {"position": 2, "summary": "Nobody returned my calls.", "finding": None},
        {"position": 3, "summary": "The report had errors.", "finding": "not_upheld"},
    ]
    assert esc["recommendations"] == [
        {"position": 1, "text": "Apologise in writing.", "agreed": True, "publishable": False},
        {"position": 2, "text": "Review call-back times.", "agreed": None, "publishable": False},
    ]
    assert (await event_types(client, item["id"]))[-1] == "escalated"
    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == esc


async def test_stage2_due_date_skips_easter_and_the_may_bank_holiday(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-04-01"))
    # Opened Monday 1 April 2019; 19 and 22 April and 6 May are bank holidays:
    # 2-5 Apr (4), 8-12 (9), 15-18 (13), 23-26 (17), 29 Apr-3 May (22), 7-9 May (25).
    assert esc["due_on"] == "2019-05-09"


async def test_the_escalated_event_is_recorded_on_the_opening_day(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-12"))
    events = (await client.get(f"/v1/feedback/{item['id']}/events")).json()
    assert [e["type"] for e in events] == ["received", "responded", "escalated"]
    assert events[-1]["occurred_on"] == esc["opened_on"] == "2019-03-12"


async def test_stage2_before_the_stage1_response_is_a_409_on_stage(
    client: httpx.AsyncClient,
) -> None:
    item = (await client.post("/v1/feedback", json=make_complaint())).json()
    assert item["responded_on"] is None
    response = await escalate(client, item["id"], stage2("2019-03-11"))
    assert_problem(response, 409, "stage")
    assert await escalations_of(client, item["id"]) == []


async def test_stage2_opened_before_the_response_is_a_422_on_opened_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    response = await escalate(client, item["id"], stage2("2019-03-07"))
    assert_problem(response, 422, "opened_on")


async def test_escalation_opened_before_receipt_is_a_422_on_opened_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    response = await escalate(client, item["id"], ombudsman("2019-03-01"))
    assert_problem(response, 422, "opened_on")


async def test_escalation_opened_in_the_future_is_a_422_on_opened_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = await escalate(client, item["id"], stage2(tomorrow))
    assert_problem(response, 422, "opened_on")


async def test_escalating_a_compliment_is_a_422_on_stage(client: httpx.AsyncClient) -> None:
    item = (await client.post("/v1/feedback", json=make_compliment())).json()
    response = await escalate(client, item["id"], ombudsman("2019-03-11"))
    assert_problem(response, 422, "stage")
    assert await escalations_of(client, item["id"]) == []


async def test_escalating_a_member_enquiry_is_a_422_on_stage(client: httpx.AsyncClient) -> None:
    body = make_member_enquiry(responded_on="2019-03-08")
    item = (await client.post("/v1/feedback", json=body)).json()
    response = await escalate(client, item["id"], stage2("2019-03-11"))
    assert_problem(response, 422, "stage")
    assert "escalated" not in await event_types(client, item["id"])


async def test_escalating_an_unknown_item_is_a_404(client: httpx.AsyncClient) -> None:
    response = await escalate(client, 999_999_999, stage2("2019-03-11"))
    assert_problem(response, 404)


async def test_an_unknown_stage_is_a_422_on_stage(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    response = await escalate(client, item["id"], {"stage": "stage4", "opened_on": "2019-03-11"})
    assert_problem(response, 422, "stage")


async def test_an_unknown_field_in_the_body_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    response = await escalate(client, item["id"], stage2("2019-03-11", colour="blue"))
    assert_problem(response, 422, "colour")


async def test_a_field_of_another_stage_in_the_body_is_a_422_naming_it(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    response = await escalate(client, item["id"], stage2("2019-03-11", lgsco_reference="19 1"))
    assert_problem(response, 422, "lgsco_reference")


async def test_stage2_completed_before_it_opened_is_a_422_on_completed_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    response = await escalate(client, item["id"], stage2("2019-03-11", completed_on="2019-03-10"))
    assert_problem(response, 422, "completed_on")


async def test_stage2_created_with_completed_on_is_completed(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-11", completed_on="2019-04-10"))
    assert esc["status"] == "completed"
    assert esc["completed_on"] == "2019-04-10"


# --- Stage 3 ---------------------------------------------------------------------------------


async def test_stage3_without_a_completed_stage2_is_a_409_on_stage(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    response = await escalate(client, item["id"], stage3("2019-05-13"))
    assert_problem(response, 409, "stage")


async def test_stage3_after_an_open_stage2_is_still_a_409_on_stage(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    await created(client, item["id"], stage2("2019-03-11"))
    response = await escalate(client, item["id"], stage3("2019-05-13"))
    assert_problem(response, 409, "stage")


async def test_stage3_after_a_completed_stage2_is_due_in_30_working_days(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    await created(client, item["id"], stage2("2019-03-11", completed_on="2019-05-10"))
    response = await escalate(
        client,
        item["id"],
        stage3("2019-05-13", recommendations=[{"text": "Hold a lessons-learned session."}]),
    )
    assert response.status_code == 201, response.text
    esc = response.json()
    assert esc["stage"] == "stage3_review" and esc["status"] == "open"
    # Opened Monday 13 May 2019; 27 May is a bank holiday:
    # 14-17 May (4), 20-24 (9), 28-31 (13), 3-7 Jun (18), 10-14 (23), 17-21 (28), 24-25 (30).
    assert esc["due_on"] == "2019-06-25"
    assert esc["recommendations"] == [
        {
            "position": 1,
            "text": "Hold a lessons-learned session.",
            "agreed": None,
            "publishable": False,
        }
    ]
    assert await event_types(client, item["id"]) == [
        "received",
        "responded",
        "escalated",
        "escalated",
    ]


async def test_stage3_opened_before_stage2_completed_is_a_422_on_opened_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    await created(client, item["id"], stage2("2019-03-11", completed_on="2019-05-10"))
    response = await escalate(client, item["id"], stage3("2019-05-09"))
    assert_problem(response, 422, "opened_on")


# --- Ombudsman -------------------------------------------------------------------------------


async def test_an_ombudsman_investigation_has_no_due_date(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    body = ombudsman("2019-03-11")
    response = await escalate(client, item["id"], body)
    assert response.status_code == 201, response.text
    esc = response.json()
    assert response.headers["location"].endswith(f"/v1/escalations/{esc['id']}")
    assert esc["stage"] == "ombudsman_investigation"
    assert esc["due_on"] is None
    assert esc["status"] == "open"
    assert esc["lgsco_reference"] == body["lgsco_reference"]
    assert esc["public_interest_report"] is False
    assert (await event_types(client, item["id"]))[-1] == "escalated"


async def test_the_ombudsman_may_investigate_before_the_stage1_response(
    client: httpx.AsyncClient,
) -> None:
    item = (await client.post("/v1/feedback", json=make_complaint())).json()
    response = await escalate(client, item["id"], ombudsman("2019-03-11"))
    assert response.status_code == 201, response.text


async def test_a_duplicate_lgsco_reference_is_a_409_on_lgsco_reference(
    client: httpx.AsyncClient,
) -> None:
    first = await responded_complaint(client)
    second = await responded_complaint(client)
    body = ombudsman("2019-03-11")
    await created(client, first["id"], body)
    response = await escalate(client, second["id"], body)
    assert_problem(response, 409, "lgsco_reference")
    assert await escalations_of(client, second["id"]) == []


async def test_a_decision_without_its_date_is_a_422_on_decision_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    response = await escalate(client, item["id"], ombudsman("2019-03-11", decision="no_fault"))
    assert_problem(response, 422, "decision_on")


async def test_a_decision_date_in_the_future_is_a_422_on_decision_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    later = (date.today() + timedelta(days=2)).isoformat()
    body = ombudsman("2019-03-11", decision="no_fault", decision_on=later)
    response = await escalate(client, item["id"], body)
    assert_problem(response, 422, "decision_on")


async def test_a_decision_before_the_opening_is_a_422_on_decision_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    body = ombudsman("2019-03-11", decision="no_fault", decision_on="2019-03-08")
    response = await escalate(client, item["id"], body)
    assert_problem(response, 422, "decision_on")


async def test_an_ombudsman_case_created_with_a_decision_is_completed(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    body = ombudsman("2019-03-11", decision="fault_injustice", decision_on="2019-07-01")
    esc = await created(client, item["id"], body)
    assert esc["status"] == "completed"
    assert esc["decision"] == "fault_injustice" and esc["decision_on"] == "2019-07-01"


async def test_recording_the_decision_by_patch_completes_the_ombudsman_case(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], ombudsman("2019-03-11"))
    response = await patch_current(
        client,
        f"/v1/escalations/{esc['id']}",
        json={"decision": "fault_no_injustice", "decision_on": "2019-08-20"},
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["status"] == "completed"
    assert changed["decision"] == "fault_no_injustice"
    assert changed["decision_on"] == "2019-08-20"
    assert changed["version"] == esc["version"] + 1
    assert (await client.get(f"/v1/escalations/{esc['id']}")).json()["status"] == "completed"


async def test_patching_a_decision_without_its_date_is_a_422_on_decision_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], ombudsman("2019-03-11"))
    response = await patch_current(
        client, f"/v1/escalations/{esc['id']}", json={"decision": "no_fault"}
    )
    assert_problem(response, 422, "decision_on")
    assert (await client.get(f"/v1/escalations/{esc['id']}")).json()["version"] == 1


# --- PATCH -----------------------------------------------------------------------------------


async def test_a_stage2_extension_within_65_working_days_moves_the_due_date(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-11"))
    # Opened 11 March 2019, day 65 is Friday 14 June (Easter, 6 May and 27 May skipped).
    response = await patch_current(
        client, f"/v1/escalations/{esc['id']}", json={"extended_due_on": "2019-06-14"}
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["extended_due_on"] == "2019-06-14"
    assert changed["due_on"] == "2019-06-14"
    assert changed["version"] == esc["version"] + 1


async def test_a_stage2_extension_past_65_working_days_is_a_422_on_extended_due_on(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-11"))
    # Monday 17 June 2019 is working day 66 after 11 March.
    response = await patch_current(
        client, f"/v1/escalations/{esc['id']}", json={"extended_due_on": "2019-06-17"}
    )
    assert_problem(response, 422, "extended_due_on")
    unchanged = (await client.get(f"/v1/escalations/{esc['id']}")).json()
    assert unchanged["due_on"] == "2019-04-15" and unchanged["extended_due_on"] is None
    assert unchanged["version"] == 1


async def test_an_extension_not_after_the_current_due_date_is_a_422(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-11"))
    response = await patch_current(
        client, f"/v1/escalations/{esc['id']}", json={"extended_due_on": "2019-04-15"}
    )
    assert_problem(response, 422, "extended_due_on")


async def test_clearing_the_extension_restores_the_statutory_due_date(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-11"))
    url = f"/v1/escalations/{esc['id']}"
    assert (
        await patch_current(client, url, json={"extended_due_on": "2019-05-13"})
    ).status_code == 200
    response = await patch_current(client, url, json={"extended_due_on": None})
    assert response.status_code == 200, response.text
    cleared = response.json()
    assert cleared["extended_due_on"] is None
    assert cleared["due_on"] == "2019-04-15"


async def test_a_stage3_cannot_be_extended(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    await created(client, item["id"], stage2("2019-03-11", completed_on="2019-05-10"))
    esc = await created(client, item["id"], stage3("2019-05-13"))
    response = await patch_current(
        client, f"/v1/escalations/{esc['id']}", json={"extended_due_on": "2019-07-01"}
    )
    assert_problem(response, 422, "extended_due_on")


async def test_patching_a_field_of_another_stage_is_a_422_naming_it(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-11"))
    url = f"/v1/escalations/{esc['id']}"
    assert_problem(await patch_current(client, url, json={"decision": "no_fault"}), 422, "decision")
    assert_problem(
        await patch_current(client, url, json={"panel_on": "2019-04-01"}), 422, "panel_on"
    )
    assert (await client.get(url)).json()["version"] == 1


async def test_patching_an_unknown_field_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-11"))
    response = await patch_current(client, f"/v1/escalations/{esc['id']}", json={"colour": "blue"})
    assert_problem(response, 422, "colour")


async def test_patching_points_replaces_them_wholesale(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    body = stage2(
        "2019-03-11",
        points=[{"summary": "First."}, {"summary": "Second."}, {"summary": "Third."}],
        recommendations=[{"text": "Keep me."}],
    )
    esc = await created(client, item["id"], body)
    response = await patch_current(
        client,
        f"/v1/escalations/{esc['id']}",
        json={
            "points": [
                {"summary": "Only this one.", "finding": "partly_upheld"},
                {"summary": "And this.", "finding": "not_upheld"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["points"] == [
        {"position": 1, "summary": "Only this one.", "finding": "partly_upheld"},
        {"position": 2, "summary": "And this.", "finding": "not_upheld"},
    ]
    assert changed["recommendations"] == [
        {"position": 1, "text": "Keep me.", "agreed": None, "publishable": False}
    ]
    assert changed["version"] == esc["version"] + 1
    assert (await client.get(f"/v1/escalations/{esc['id']}")).json()["points"] == changed["points"]
    emptied = await patch_current(client, f"/v1/escalations/{esc['id']}", json={"points": []})
    assert emptied.json()["points"] == []
    assert emptied.json()["version"] == esc["version"] + 2


async def test_completing_a_stage2_by_patch_completes_it(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-11"))
    response = await patch_current(
        client, f"/v1/escalations/{esc['id']}", json={"completed_on": "2019-04-12"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"
    assert response.json()["completed_on"] == "2019-04-12"


async def test_patching_completed_on_before_the_opening_is_a_422(
    client: httpx.AsyncClient,
) -> None:
    item = await responded_complaint(client)
    esc = await created(client, item["id"], stage2("2019-03-11"))
    response = await patch_current(
        client, f"/v1/escalations/{esc['id']}", json={"completed_on": "2019-03-10"}
    )
    assert_problem(response, 422, "completed_on")


async def test_patching_an_unknown_escalation_is_a_404(client: httpx.AsyncClient) -> None:
    response = await patch_current(
        client, "/v1/escalations/999999999", json={"completed_on": "2019-04-12"}
    )
    assert_problem(response, 404)


async def test_reading_an_unknown_escalation_is_a_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/escalations/999999999"), 404)


# --- listing ---------------------------------------------------------------------------------


async def test_the_list_filters_by_item_and_stage(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    s2 = await created(client, item["id"], stage2("2019-03-11", completed_on="2019-04-10"))
    s3 = await created(client, item["id"], stage3("2019-04-11"))
    om = await created(client, item["id"], ombudsman("2019-06-03"))
    assert [e["id"] for e in await escalations_of(client, item["id"])] == [
        s2["id"],
        s3["id"],
        om["id"],
    ]
    response = await client.get(
        "/v1/escalations", params={"item_id": item["id"], "stage": "stage3_review"}
    )
    assert response.status_code == 200
    assert [e["id"] for e in response.json()["items"]] == [s3["id"]]
    everywhere = await client.get(
        "/v1/escalations", params={"stage": "ombudsman_investigation", "limit": 200}
    )
    assert all(e["stage"] == "ombudsman_investigation" for e in everywhere.json()["items"])


async def test_the_list_filters_by_financial_year_of_opening_and_team(
    client: httpx.AsyncClient,
) -> None:
    team = "children-disability"
    early = await responded_complaint(client, team=team)
    late = await responded_complaint(
        client, team=team, received_on="2019-04-01", responded_on="2019-04-03"
    )
    other_team = await responded_complaint(
        client, received_on="2019-04-01", responded_on="2019-04-03"
    )
    in_2018_19 = await created(client, early["id"], stage2("2019-03-29"))
    in_2019_20 = await created(client, late["id"], stage2("2019-04-04"))
    elsewhere = await created(client, other_team["id"], stage2("2019-04-04"))
    response = await client.get(
        "/v1/escalations", params={"team": team, "financial_year": "2019-20", "limit": 200}
    )
    assert response.status_code == 200, response.text
    listed = response.json()["items"]
    ids = {e["id"] for e in listed}
    assert in_2019_20["id"] in ids
    assert in_2018_19["id"] not in ids and elsewhere["id"] not in ids
    assert all(e["team"] == team for e in listed)
    assert all(date(2019, 4, 1) <= date.fromisoformat(e["opened_on"]) for e in listed)
    assert all(date.fromisoformat(e["opened_on"]) <= date(2020, 3, 31) for e in listed)
    previous = await client.get(
        "/v1/escalations", params={"team": team, "financial_year": "2018-19", "limit": 200}
    )
    previous_ids = {e["id"] for e in previous.json()["items"]}
    assert in_2018_19["id"] in previous_ids and in_2019_20["id"] not in previous_ids


async def test_the_list_pages_with_a_next_link_keeping_filters(client: httpx.AsyncClient) -> None:
    team = "children-care-management"
    mine = []
    for _ in range(3):
        item = await responded_complaint(
            client, team=team, received_on="2019-06-03", responded_on="2019-06-07"
        )
        mine.append((await created(client, item["id"], stage2("2019-06-10")))["id"])
    params = {"team": team, "financial_year": "2019-20", "stage": "stage2_investigation"}
    first = await client.get("/v1/escalations", params={**params, "limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert len(page["items"]) == 2
    assert page["next"] is not None
    assert "team=children-care-management" in page["next"] and "limit=2" in page["next"]
    seen = [e["id"] for e in page["items"]]
    while page["next"]:
        response = await client.get(page["next"])
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [e["id"] for e in page["items"]]
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert set(mine) <= set(seen)
    everything = await client.get("/v1/escalations", params={**params, "limit": 200})
    assert [e["id"] for e in everything.json()["items"]] == seen
    assert everything.json()["next"] is None


async def test_a_malformed_financial_year_is_a_422_on_financial_year(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/escalations", params={"financial_year": "2018/19"})
    assert_problem(response, 422, "financial_year")


async def test_a_limit_above_the_maximum_is_a_422_on_limit(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/escalations", params={"limit": 201}), 422, "limit")
    assert_problem(await client.get("/v1/escalations", params={"limit": 0}), 422, "limit")


async def test_an_unknown_stage_filter_is_a_422_on_stage(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/escalations", params={"stage": "stage9"}), 422, "stage")


async def test_a_foreign_cursor_is_a_422_on_cursor(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/escalations", params={"cursor": "not-ours"})
    assert_problem(response, 422, "cursor")


# --- atomicity -------------------------------------------------------------------------------


async def test_a_failed_escalation_writes_nothing(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    body = ombudsman("2019-03-11", decision="no_fault", decision_on="2019-03-08")
    response = await escalate(client, item["id"], body)
    assert_problem(response, 422, "decision_on")
    assert await escalations_of(client, item["id"]) == []
    assert "escalated" not in await event_types(client, item["id"])
    after = (await client.get(f"/v1/feedback/{item['id']}")).json()
    assert after == item
    # The reference was not taken by the failed request.
    again = await escalate(client, item["id"], {**body, "decision_on": "2019-07-01"})
    assert again.status_code == 201, again.text


async def test_a_failed_stage2_writes_no_points_or_event(client: httpx.AsyncClient) -> None:
    item = await responded_complaint(client)
    body = stage2("2019-03-11", completed_on="2019-03-10", points=[{"summary": "One."}])
    assert_problem(await escalate(client, item["id"], body), 422, "completed_on")
    assert await escalations_of(client, item["id"]) == []
    assert await event_types(client, item["id"]) == ["received", "responded"]
