"""Statistics are grouped counts computed in SQL, over the demo council's cases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from factories import make_complaint


async def _get(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_feedback_counts_by_team_match_the_seed(client: httpx.AsyncClient) -> None:
    body = await _get(
        client,
        "/v1/stats/feedback",
        from_year="2017-18",
        to_year="2018-19",
        service="children",
        kind="complaint",
        group_by=["team"],
    )
    counts = {(r["financial_year"], r["team"]): r["count"] for r in body["rows"]}
    assert counts[("2018-19", "children-disability")] == 14
    assert counts[("2017-18", "children-lac-adoption-preventative")] == 32
    assert counts[("2018-19", "children-community-solutions")] == 7
    assert ("2017-18", "children-community-solutions") not in counts
    assert sum(n for (year, _), n in counts.items() if year == "2018-19") == 81


async def test_outcomes_read_open_for_unanswered_complaints(client: httpx.AsyncClient) -> None:
    await client.post("/v1/feedback", json=make_complaint(received_on="2019-03-11"))
    body = await _get(
        client,
        "/v1/stats/feedback",
        from_year="2018-19",
        service="children",
        kind="complaint",
        group_by=["outcome"],
    )
    outcomes = {r["outcome"]: r["count"] for r in body["rows"]}
    assert outcomes == {"upheld": 60, "partly_upheld": 15, "not_upheld": 6, "open": 1}


async def test_timeliness_counts_answers_within_the_working_days(
    client: httpx.AsyncClient,
) -> None:
    body = await _get(
        client,
        "/v1/stats/timeliness",
        from_year="2017-18",
        to_year="2018-19",
        kind="member_enquiry",
        within=10,
        group_by=["service"],
    )
    figures = {
        (r["financial_year"], r["service"]): (r["answered_within"], r["total"])
        for r in body["rows"]
    }
    assert figures[("2018-19", "adults")] == (111, 130)
    assert figures[("2017-18", "adults")] == (114, 127)
    assert figures[("2018-19", "education")] == (66, 71)


async def test_escalations_group_by_stage_and_decision(client: httpx.AsyncClient) -> None:
    body = await _get(
        client,
        "/v1/stats/escalations",
        from_year="2018-19",
        service="children",
        group_by=["stage", "decision"],
    )
    rows = {(r["stage"], r["decision"]): r["count"] for r in body["rows"]}
    assert rows[("stage2_investigation", None)] == 3
    assert rows[("ombudsman_investigation", "no_fault")] == 1
    assert rows[("ombudsman_investigation", "pending")] == 1


async def test_stage2_findings_match_the_seed(client: httpx.AsyncClient) -> None:
    body = await _get(client, "/v1/stats/stage2-findings", from_year="2018-19")
    findings = {r["finding"]: r["count"] for r in body["findings"] if r["service"] == "children"}
    assert (findings["upheld"], findings["partly_upheld"], findings["not_upheld"]) == (3, 3, 7)
    agreed = sum(r["count"] for r in body["recommendations"] if r["agreed"])
    assert agreed >= 3


async def test_remedy_totals_and_the_ledger(client: httpx.AsyncClient) -> None:
    totals = await _get(
        client,
        "/v1/stats/remedies",
        from_year="2018-19",
        group_by=["type"],
        as_of="2019-12-31",
    )
    by_type = {r["type"]: r for r in totals["rows"]}
    assert by_type["financial_payment"]["amount_pence"] == 100000
    assert by_type["financial_payment"]["count"] == 3
    ledger = await _get(
        client, "/v1/stats/ombudsman-ledger", financial_year="2018-19", as_of="2019-12-31"
    )
    payments = sorted(
        (r["payee_label"], r["amount_pence"])
        for r in ledger["rows"]
        if r["type"] == "financial_payment"
    )
    assert payments == [("Miss X", 60000), ("Mr A", 20000), ("Mr B", 20000)]
    assert {r["status"] for r in ledger["rows"]} <= {"completed_on_time", "completed_late"}
    late = [r for r in ledger["rows"] if r["status"] == "completed_late"]
    assert all(r["days_late"] > 0 for r in late)
    assert any(r["public_interest_report"] for r in ledger["rows"])


async def test_the_ledger_of_a_year_without_decisions_is_empty(
    client: httpx.AsyncClient,
) -> None:
    ledger = await _get(client, "/v1/stats/ombudsman-ledger", financial_year="2030-31")
    assert ledger["rows"] == []


async def test_published_text_holds_only_consented_compliments(
    client: httpx.AsyncClient,
) -> None:
    body = await _get(client, "/v1/stats/published-text", financial_year="2018-19")
    children = [c for c in body["compliments"] if c["service"] == "children"]
    assert len(children) == 3
    assert any("learn 2 live" in r["text"].lower() for r in body["recommendations"])
    assert {entry["service"] for entry in body["lessons"]} == {"children", "adults", "education"}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/stats/feedback", {"from_year": "2018/19"}, "from_year"),
        ("/v1/stats/feedback", {"from_year": "2018-19", "to_year": "2017-18"}, "to_year"),
        ("/v1/stats/feedback", {"from_year": "1990-91", "to_year": "2018-19"}, "to_year"),
        ("/v1/stats/feedback", {"from_year": "2018-19", "group_by": "colour"}, "group_by.0"),
        ("/v1/stats/feedback", {}, "from_year"),
        ("/v1/stats/timeliness", {"from_year": "2018-19", "kind": "complaint"}, "within"),
        (
            "/v1/stats/timeliness",
            {"from_year": "2018-19", "kind": "complaint", "within": 0},
            "within",
        ),
        ("/v1/stats/ombudsman-ledger", {"financial_year": "18-19"}, "financial_year"),
    ],
)
async def test_bad_statistics_parameters_are_named(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], field: str
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
