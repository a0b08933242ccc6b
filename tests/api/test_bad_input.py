"""Bad input gets a problem+json naming the field, and a failed request writes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from factories import (
    make_complaint,
    make_compliment,
    make_event,
    make_member_enquiry,
    patch_current,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.models import FeedbackEvent, FeedbackItem, Person

TOMORROW = (date.today() + timedelta(days=2)).isoformat()


def assert_problem(response: httpx.Response, status: int, field: str) -> dict[str, Any]:
    """The response is a problem document with this status that names this field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    fields = [e["field"] for e in body["errors"]]
    assert field in fields, fields
    return body


async def _rows(session: AsyncSession) -> tuple[int, int, int]:
    counts = []
    for table in (FeedbackItem, FeedbackEvent, Person):
        counts.append(await session.scalar(select(func.count()).select_from(table)) or 0)
    return counts[0], counts[1], counts[2]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(
            make_complaint(received_on="2019-03-04", responded_on="2019-03-01"),
            "responded_on",
            id="responded-before-received",
        ),
        pytest.param(make_complaint(received_on=TOMORROW), "received_on", id="received-future"),
        pytest.param(make_complaint(responded_on=TOMORROW), "responded_on", id="responded-future"),
        pytest.param(make_complaint(team="no-such-team"), "team", id="unknown-team"),
        pytest.param(
            make_complaint(team="adults-disability"), "team", id="team-of-another-service"
        ),
        pytest.param(
            make_complaint(team="children-community-solutions", received_on="2018-03-30"),
            "team",
            id="team-not-yet-active",
        ),
        pytest.param(
            make_complaint(nature="disagree-with-charge-received"),
            "nature",
            id="nature-of-another-service",
        ),
        pytest.param(make_complaint(service="housing"), "service", id="unknown-service"),
        pytest.param(
            make_compliment(outcome="upheld", responded_on="2019-03-05"),
            "outcome",
            id="outcome-on-a-compliment",
        ),
        pytest.param(make_complaint(outcome="upheld"), "outcome", id="outcome-before-response"),
        pytest.param(make_complaint(colour="blue"), "colour", id="unknown-field"),
        pytest.param(
            make_complaint(person={"name": "A", "shoe_size": 9}),
            "person.shoe_size",
            id="unknown-nested-field",
        ),
        pytest.param(make_complaint(kind="grumble"), "kind", id="unknown-kind"),
        pytest.param(make_complaint(channel="pigeon"), "channel", id="unknown-channel"),
        pytest.param(make_complaint(external_ref=""), "external_ref", id="empty-reference"),
        pytest.param(
            make_complaint(external_ref="x" * 101), "external_ref", id="overlong-reference"
        ),
        pytest.param(
            make_complaint(lessons_learned="x" * 10_001, responded_on="2019-03-05"),
            "lessons_learned",
            id="overlong-text",
        ),
        pytest.param(make_complaint(received_on="4 March 2019"), "received_on", id="bad-date"),
        pytest.param(make_complaint(received_on=None), "received_on", id="null-date"),
        pytest.param(
            {k: v for k, v in make_complaint().items() if k != "team"}, "team", id="missing-team"
        ),
        pytest.param(
            make_complaint(closed_on="2019-03-08"), "closed_on", id="closed-without-response"
        ),
        pytest.param(
            make_member_enquiry(enquirer_role="mayor"), "enquirer_role", id="unknown-role"
        ),
        pytest.param(
            make_compliment(publication_consent="perhaps"),
            "publication_consent",
            id="not-a-boolean",
        ),
    ],
)
async def test_bad_feedback_is_refused_naming_the_field(
    client: httpx.AsyncClient, session: AsyncSession, body: dict[str, Any], field: str
) -> None:
    before = await _rows(session)
    response = await client.post("/v1/feedback", json=body)
    assert_problem(response, 422, field)
    assert await _rows(session) == before


async def test_malformed_json_is_a_400_naming_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/feedback",
        content=b'{"kind": "complaint",',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 400, "body")


async def test_a_json_array_instead_of_an_object_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/feedback", json=[make_complaint()])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_body_over_one_mebibyte_is_a_413(client: httpx.AsyncClient) -> None:
    body = make_compliment(compliment_text="x" * (1024 * 1024 + 10))
    response = await client.post("/v1/feedback", json=body)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_chunked_body_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 65536

    response = await client.post(
        "/v1/feedback", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 201}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"financial_year": "2018/19"}, "financial_year"),
        ({"financial_year": "2018-20"}, "financial_year"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"status": "lost"}, "status"),
        ({"overdue": "maybe"}, "overdue"),
        ({"due_before": "yesterday"}, "due_before"),
        ({"updated_since": "last week"}, "updated_since"),
    ],
)
async def test_bad_list_parameters_are_refused_naming_them(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    assert_problem(await client.get("/v1/feedback", params=params), 422, field)


async def test_hostile_filter_values_are_only_values(client: httpx.AsyncClient) -> None:
    hostile = "x' OR '1'='1"
    # A team is a code, so this is refused outright ...
    assert_problem(await client.get("/v1/feedback", params={"team": hostile}), 422, "team")
    # ... and where free text is allowed, it is only ever a value.
    response = await client.get("/v1/audit", params={"key_name": hostile})
    assert response.status_code == 200
    assert response.json() == {"items": [], "next": None}


async def test_an_id_beyond_bigint_is_refused_not_a_500(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(f"/v1/feedback/{2**64}"), 422, "item_id")
    assert_problem(await client.get("/v1/feedback/0"), 422, "item_id")


async def test_an_extension_past_the_maximum_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = (await client.post("/v1/feedback", json=make_complaint())).json()
    # Children's Stage 1: at most 20 working days, i.e. 1 April 2019 from 4 March.
    path = f"/v1/feedback/{item['id']}/events"
    before = await _rows(session)
    response = await client.post(
        path, json=make_event("extended", "2019-03-05", new_due_on="2019-04-02", reason="complex")
    )
    body = assert_problem(response, 422, "new_due_on")
    assert "maximum of 20" in body["detail"]
    assert await _rows(session) == before
    far = make_event("extended", "2019-03-05", new_due_on="9999-12-31", reason="complex")
    assert_problem(await client.post(path, json=far), 422, "new_due_on")
    ok = make_event("extended", "2019-03-05", new_due_on="2019-04-01", reason="complex")
    assert (await client.post(path, json=ok)).status_code == 201


async def test_an_event_that_breaks_the_rules_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    item = (await client.post("/v1/feedback", json=make_complaint())).json()
    path = f"/v1/feedback/{item['id']}/events"
    response = await client.post(path, json=make_event("closed", "2019-03-05"))
    assert_problem(response, 409, "type")
    assert_problem(await client.post(path, json=make_event("received", "2019-03-05")), 409, "type")
    assert_problem(await client.post(path, json=make_event("escalated", "2019-03-05")), 409, "type")
    assert_problem(
        await client.post(path, json=make_event("responded", "2019-03-01")), 422, "occurred_on"
    )
    assert_problem(
        await client.post(path, json=make_event("responded", TOMORROW)), 422, "occurred_on"
    )
    assert_problem(
        await client.post(path, json=make_event("clock_paused", "2019-03-05")), 422, "reason"
    )
    assert [e["type"] for e in (await client.get(path)).json()] == ["received"]
    after = (await client.get(f"/v1/feedback/{item['id']}")).json()
    assert after == item


@pytest.mark.parametrize(
    ("kind_body", "change", "field"),
    [
        (make_compliment, {"outcome": "upheld"}, "outcome"),
        (make_complaint, {"compliment_text": "hi"}, "compliment_text"),
        (make_complaint, {"team": None}, "team"),
        (make_complaint, {"team": "education-admissions"}, "team"),
        (make_complaint, {"nature": "no-such-nature"}, "nature"),
        (make_complaint, {"received_on": "2019-03-01"}, "received_on"),
        (make_complaint, {"status": "closed"}, "status"),
    ],
)
async def test_bad_changes_are_refused_naming_the_field(
    client: httpx.AsyncClient, kind_body: Any, change: dict[str, Any], field: str
) -> None:
    item = (await client.post("/v1/feedback", json=kind_body())).json()
    response = await patch_current(client, f"/v1/feedback/{item['id']}", json=change)
    assert_problem(response, 422, field)
    assert (await client.get(f"/v1/feedback/{item['id']}")).json() == item


async def test_an_outcome_before_the_response_is_a_conflict(client: httpx.AsyncClient) -> None:
    item = (await client.post("/v1/feedback", json=make_complaint())).json()
    response = await patch_current(client, f"/v1/feedback/{item['id']}", json={"outcome": "upheld"})
    assert_problem(response, 409, "outcome")


async def test_unknown_routes_and_methods_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = await client.delete("/v1/feedback/1")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == "application/problem+json"
