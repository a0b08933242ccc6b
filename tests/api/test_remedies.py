"""Remedies agreed on escalations: amounts, dates and where each one stands as of today."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from factories import make_complaint, patch_current

PROBLEM = "application/problem+json"


def council_today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    """An RFC 9457 problem with this status, naming `field` first when given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert body["errors"], body
        assert body["errors"][0]["field"] == field, body["errors"]


async def stage2_escalation(client: httpx.AsyncClient) -> dict[str, Any]:
    """A Stage 2 opened Monday 11 March 2019 on a complaint answered on 8 March."""
    body = make_complaint(responded_on="2019-03-08")
    item = (await client.post("/v1/feedback", json=body)).json()
    response = await client.post(
        f"/v1/feedback/{item['id']}/escalations",
        json={"stage": "stage2_investigation", "opened_on": "2019-03-11"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def make_remedy(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "financial_payment",
        "description": "A payment for the time and trouble of complaining.",
        "amount_pence": 20000,
        "payee_label": "Mr B",
        "due_on": "2019-05-01",
    }
    body.update(overrides)
    return body


def apology(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "apology", "description": "A written apology to Mrs C."}
    body.update(overrides)
    return body


async def add_remedy(
    client: httpx.AsyncClient, escalation_id: int, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"/v1/escalations/{escalation_id}/remedies", json=body)


async def added(client: httpx.AsyncClient, escalation_id: int, body: dict[str, Any]) -> dict:
    response = await add_remedy(client, escalation_id, body)
    assert response.status_code == 201, response.text
    return response.json()


async def remedies_of(client: httpx.AsyncClient, escalation_id: int, **params: Any) -> list[dict]:
    response = await client.get(
        "/v1/remedies", params={"escalation_id": escalation_id, "limit": 200, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- creating --------------------------------------------------------------------------------


async def test_a_financial_payment_of_200_pounds_is_created(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], make_remedy(amount_pence=20000))
    assert response.status_code == 201, response.text
    remedy = response.json()
    assert remedy["escalation_id"] == esc["id"]
    assert remedy["type"] == "financial_payment"
    assert remedy["amount_pence"] == 20000
    assert remedy["payee_label"] == "Mr B"
    assert remedy["version"] == 1
    assert (await client.get(f"/v1/remedies/{remedy['id']}")).json() == remedy


async def test_a_payment_without_an_amount_is_a_422_on_amount_pence(
    client: httpx.AsyncClient,
) -> None:
    esc = await stage2_escalation(client)
    body = make_remedy()
    del body["amount_pence"]
    assert_problem(await add_remedy(client, esc["id"], body), 422, "amount_pence")
    assert_problem(
        await add_remedy(client, esc["id"], make_remedy(amount_pence=None)), 422, "amount_pence"
    )
    assert await remedies_of(client, esc["id"]) == []


async def test_a_negative_amount_is_a_422_on_amount_pence(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], make_remedy(amount_pence=-20000))
    assert_problem(response, 422, "amount_pence")


async def test_a_zero_amount_is_a_422_on_amount_pence(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], make_remedy(amount_pence=0))
    assert_problem(response, 422, "amount_pence")


async def test_a_fractional_amount_is_a_422_on_amount_pence(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], make_remedy(amount_pence=200.5))
    assert_problem(response, 422, "amount_pence")


async def test_an_amount_written_200_0_is_200_pence(client: httpx.AsyncClient) -> None:
    # JSON, and the document's `integer`, do not tell 200.0 from 200.
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], make_remedy(amount_pence=200.0))
    assert response.status_code == 201, response.text
    assert response.json()["amount_pence"] == 200


async def test_a_string_amount_is_a_422_on_amount_pence(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], make_remedy(amount_pence="200"))
    assert_problem(response, 422, "amount_pence")
    assert await remedies_of(client, esc["id"]) == []


async def test_an_amount_on_an_apology_is_a_422_on_amount_pence(
    client: httpx.AsyncClient,
) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], apology(amount_pence=5000))
    assert_problem(response, 422, "amount_pence")


async def test_an_apology_without_an_amount_is_created(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    remedy = await added(client, esc["id"], apology())
    assert remedy["amount_pence"] is None and remedy["type"] == "apology"


async def test_a_refund_needs_an_amount(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], make_remedy(type="refund", amount_pence=None))
    assert_problem(response, 422, "amount_pence")
    refund = await added(client, esc["id"], make_remedy(type="refund", amount_pence=4599))
    assert refund["amount_pence"] == 4599


async def test_completed_on_in_the_future_is_a_422_on_completed_on(
    client: httpx.AsyncClient,
) -> None:
    esc = await stage2_escalation(client)
    later = (council_today() + timedelta(days=2)).isoformat()
    response = await add_remedy(client, esc["id"], apology(completed_on=later))
    assert_problem(response, 422, "completed_on")


async def test_completed_before_the_escalation_opened_is_a_422_on_completed_on(
    client: httpx.AsyncClient,
) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], apology(completed_on="2019-03-08"))
    assert_problem(response, 422, "completed_on")


async def test_an_unknown_field_in_a_remedy_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], apology(currency="GBP"))
    assert_problem(response, 422, "currency")


async def test_an_unknown_remedy_type_is_a_422_on_type(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    response = await add_remedy(client, esc["id"], apology(type="voucher"))
    assert_problem(response, 422, "type")


async def test_a_remedy_on_an_unknown_escalation_is_a_404(client: httpx.AsyncClient) -> None:
    assert_problem(await add_remedy(client, 999_999_999, make_remedy()), 404)


async def test_reading_an_unknown_remedy_is_a_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/remedies/999999999"), 404)


# --- status ----------------------------------------------------------------------------------


async def test_a_remedy_past_due_and_not_completed_is_overdue(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    remedy = await added(client, esc["id"], make_remedy(due_on="2019-05-01"))
    assert remedy["status"] == "overdue"
    assert remedy["days_late"] == (council_today() - date(2019, 5, 1)).days


async def test_a_remedy_completed_after_due_is_completed_late(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    body = make_remedy(due_on="2019-05-01", completed_on="2019-05-10")
    remedy = await added(client, esc["id"], body)
    assert remedy["status"] == "completed_late"
    assert remedy["days_late"] == 9


async def test_a_remedy_completed_on_its_due_date_is_on_time(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    on_the_day = await added(
        client, esc["id"], make_remedy(due_on="2019-05-01", completed_on="2019-05-01")
    )
    early = await added(client, esc["id"], apology(due_on="2019-05-01", completed_on="2019-04-02"))
    for remedy in (on_the_day, early):
        assert remedy["status"] == "completed_on_time"
        assert remedy["days_late"] is None


async def test_a_remedy_due_in_the_future_is_outstanding(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    later = (council_today() + timedelta(days=30)).isoformat()
    remedy = await added(client, esc["id"], apology(due_on=later))
    assert remedy["status"] == "outstanding"
    assert remedy["days_late"] is None
    undated = await added(client, esc["id"], apology())
    assert undated["status"] == "outstanding"


async def test_the_status_filter_returns_exactly_the_matching_remedies(
    client: httpx.AsyncClient,
) -> None:
    esc = await stage2_escalation(client)
    later = (council_today() + timedelta(days=30)).isoformat()
    overdue = [
        await added(client, esc["id"], make_remedy(due_on="2019-05-01")),
        await added(client, esc["id"], apology(due_on="2019-06-03")),
    ]
    late = await added(client, esc["id"], apology(due_on="2019-05-01", completed_on="2019-05-02"))
    on_time = await added(
        client, esc["id"], apology(due_on="2019-05-01", completed_on="2019-04-30")
    )
    outstanding = await added(client, esc["id"], apology(due_on=later))
    expected = {
        "overdue": [r["id"] for r in overdue],
        "completed_late": [late["id"]],
        "completed_on_time": [on_time["id"]],
        "outstanding": [outstanding["id"]],
    }
    for status, ids in expected.items():
        listed = await remedies_of(client, esc["id"], status=status)
        assert [r["id"] for r in listed] == ids, status
        assert all(r["status"] == status for r in listed)
    everywhere = await client.get("/v1/remedies", params={"status": "overdue", "limit": 200})
    assert all(r["status"] == "overdue" for r in everywhere.json()["items"])


async def test_an_unknown_status_filter_is_a_422_on_status(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/remedies", params={"status": "late"}), 422, "status")


async def test_the_due_before_filter_is_strict(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    first = await added(client, esc["id"], apology(due_on="2019-04-30"))
    second = await added(client, esc["id"], apology(due_on="2019-05-01"))
    await added(client, esc["id"], apology(due_on="2019-05-02"))
    await added(client, esc["id"], apology())
    listed = await remedies_of(client, esc["id"], due_before="2019-05-02")
    assert [r["id"] for r in listed] == [first["id"], second["id"]]


async def test_the_remedy_list_pages_with_a_next_link(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    ids = [(await added(client, esc["id"], apology()))["id"] for _ in range(3)]
    page = (
        await client.get("/v1/remedies", params={"escalation_id": esc["id"], "limit": 2})
    ).json()
    assert len(page["items"]) == 2 and page["next"] is not None
    seen = [r["id"] for r in page["items"]]
    while page["next"]:
        page = (await client.get(page["next"])).json()
        seen += [r["id"] for r in page["items"]]
    assert seen == ids


async def test_a_remedy_list_limit_above_the_maximum_is_a_422_on_limit(
    client: httpx.AsyncClient,
) -> None:
    assert_problem(await client.get("/v1/remedies", params={"limit": 201}), 422, "limit")


# --- changing --------------------------------------------------------------------------------


async def test_patching_completed_on_moves_the_status(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    remedy = await added(client, esc["id"], make_remedy(due_on="2019-05-01"))
    assert remedy["status"] == "overdue"
    response = await patch_current(
        client, f"/v1/remedies/{remedy['id']}", json={"completed_on": "2019-05-08"}
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["status"] == "completed_late"
    assert changed["days_late"] == 7
    assert changed["version"] == remedy["version"] + 1
    response = await patch_current(
        client, f"/v1/remedies/{remedy['id']}", json={"completed_on": "2019-04-29"}
    )
    assert response.json()["status"] == "completed_on_time"
    assert response.json()["days_late"] is None
    assert await remedies_of(client, esc["id"], status="overdue") == []


async def test_patching_the_amount_of_a_payment_to_null_is_a_422(
    client: httpx.AsyncClient,
) -> None:
    esc = await stage2_escalation(client)
    remedy = await added(client, esc["id"], make_remedy())
    response = await patch_current(
        client, f"/v1/remedies/{remedy['id']}", json={"amount_pence": None}
    )
    assert_problem(response, 422, "amount_pence")
    unchanged = (await client.get(f"/v1/remedies/{remedy['id']}")).json()
    assert unchanged["amount_pence"] == 20000 and unchanged["version"] == 1


async def test_patching_an_amount_onto_an_apology_is_a_422(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    remedy = await added(client, esc["id"], apology())
    response = await patch_current(
        client, f"/v1/remedies/{remedy['id']}", json={"amount_pence": 100}
    )
    assert_problem(response, 422, "amount_pence")


async def test_patching_a_fractional_amount_is_a_422(client: httpx.AsyncClient) -> None:
    esc = await stage2_escalation(client)
    remedy = await added(client, esc["id"], make_remedy())
    response = await patch_current(
        client, f"/v1/remedies/{remedy['id']}", json={"amount_pence": 200.5}
    )
    assert_problem(response, 422, "amount_pence")


async def test_patching_completed_on_before_the_escalation_opened_is_a_422(
    client: httpx.AsyncClient,
) -> None:
    esc = await stage2_escalation(client)
    remedy = await added(client, esc["id"], apology())
    response = await patch_current(
        client, f"/v1/remedies/{remedy['id']}", json={"completed_on": "2019-03-08"}
    )
    assert_problem(response, 422, "completed_on")


async def test_patching_the_type_of_a_remedy_is_a_422_naming_it(
    client: httpx.AsyncClient,
) -> None:
    esc = await stage2_escalation(client)
    remedy = await added(client, esc["id"], apology())
    response = await patch_current(client, f"/v1/remedies/{remedy['id']}", json={"type": "refund"})
    assert_problem(response, 422, "type")


async def test_patching_an_unknown_remedy_is_a_404(client: httpx.AsyncClient) -> None:
    response = await patch_current(
        client, "/v1/remedies/999999999", json={"completed_on": "2019-05-01"}
    )
    assert_problem(response, 404)
