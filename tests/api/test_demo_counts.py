"""Listing the demo council's items with filters gives the seed report's figures."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

# (service, team, kind) -> (2018/19, 2017/18), as printed in the 2018/19 report; None is N/A.
SEED_TABLES: dict[tuple[str, str], dict[str, tuple[int, int | None]]] = {
    ("children", "complaint"): {
        "children-disability": (14, 10),
        "children-assessment": (14, 24),
        "children-care-management": (23, 29),
        "children-lac-adoption-preventative": (22, 32),
        "children-safeguarding-commissioning": (1, 8),
        "children-community-solutions": (7, None),
    },
    ("children", "compliment"): {
        "children-disability": (0, 1),
        "children-assessment": (0, 2),
        "children-care-management": (6, 4),
        "children-lac-adoption-preventative": (1, 11),
        "children-safeguarding-commissioning": (0, 0),
    },
    ("children", "member_enquiry"): {
        "children-disability": (2, 22),
        "children-assessment": (12, 24),
        "children-care-management": (8, 5),
        "children-lac-adoption-preventative": (9, 8),
        "children-safeguarding-commissioning": (16, 7),
        "children-community-solutions": (11, None),
    },
    ("adults", "complaint"): {
        "adults-disability": (15, 15),
        "adults-mental-health": (5, 1),
        "adults-integrated-care": (28, 14),
        "adults-integration-commissioning": (5, 4),
        "adults-community-solutions": (1, None),
    },
    ("adults", "compliment"): {
        "adults-disability": (7, 4),
        "adults-mental-health": (3, 0),
        "adults-integrated-care": (8, 2),
        "adults-integration-commissioning": (0, 0),
    },
    ("adults", "member_enquiry"): {
        "adults-disability": (71, 42),
        "adults-mental-health": (7, 11),
        "adults-integrated-care": (35, 65),
        "adults-integration-commissioning": (9, 9),
        "adults-community-solutions": (8, None),
    },
    ("education", "complaint"): {
        "education-participation-wellbeing": (3, 0),
        "education-early-years": (1, 0),
        "education-school-performance": (0, 0),
        "education-admissions": (14, 15),
    },
    ("education", "compliment"): {
        "education-participation-wellbeing": (5, 0),
        "education-early-years": (0, 2),
        "education-school-performance": (0, 1),
        "education-admissions": (0, 0),
    },
    ("education", "member_enquiry"): {
        "education-participation-wellbeing": (10, 6),
        "education-early-years": (2, 4),
        "education-school-performance": (1, 16),
        "education-admissions": (55, 60),
    },
}
SEED_TOTALS = {
    ("children", "complaint"): (81, 103),
    ("children", "compliment"): (7, 18),
    ("children", "member_enquiry"): (58, 66),
    ("adults", "complaint"): (54, 34),
    ("adults", "compliment"): (18, 6),
    ("adults", "member_enquiry"): (130, 127),
    ("education", "complaint"): (18, 15),
    ("education", "compliment"): (5, 3),
    ("education", "member_enquiry"): (71, 86),
}
# (service, kind) -> answered within N working days in 2018/19, and of how many.
SEED_TIMELINESS = {
    ("children", "complaint"): (20, 63, 81),
    ("adults", "complaint"): (20, 45, 54),
    ("education", "complaint"): (20, 14, 18),
    ("children", "member_enquiry"): (10, 55, 58),
    ("adults", "member_enquiry"): (10, 111, 130),
    ("education", "member_enquiry"): (10, 66, 71),
}
YEARS = ("2018-19", "2017-18")


async def _all(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a filtered list, following the next links."""
    page = (await client.get(path, params={**params, "limit": 200})).json()
    rows = list(page["items"])
    while page["next"]:
        page = (await client.get(page["next"])).json()
        rows += page["items"]
    return rows


@pytest.mark.parametrize(("service", "kind"), list(SEED_TABLES))
async def test_team_counts_match_the_seed_for_both_years(
    client: httpx.AsyncClient, service: str, kind: str
) -> None:
    for index, year in enumerate(YEARS):
        items = [
            i
            for i in await _all(
                client, "/v1/feedback", service=service, kind=kind, financial_year=year
            )
            if i["source_system"] == "demo"
        ]
        assert len(items) == SEED_TOTALS[(service, kind)][index], year
        for team, counts in SEED_TABLES[(service, kind)].items():
            expected = counts[index] or 0
            by_filter = await _all(
                client, "/v1/feedback", team=team, kind=kind, financial_year=year
            )
            demo = [i for i in by_filter if i["source_system"] == "demo"]
            assert len(demo) == expected, (team, year)


@pytest.mark.parametrize(("service", "kind"), list(SEED_TIMELINESS))
async def test_timeliness_matches_the_seed(
    client: httpx.AsyncClient, service: str, kind: str
) -> None:
    within, answered, total = SEED_TIMELINESS[(service, kind)]
    items = [
        i
        for i in await _all(
            client, "/v1/feedback", service=service, kind=kind, financial_year="2018-19"
        )
        if i["source_system"] == "demo"
    ]
    assert len(items) == total
    assert sum(1 for i in items if i["working_days_taken"] <= within) == answered


async def test_teams_that_did_not_exist_have_no_items_in_2017_18(
    client: httpx.AsyncClient,
) -> None:
    teams = (await client.get("/v1/reference/teams", params={"active_on": "2017-06-01"})).json()
    codes = {t["code"] for t in teams}
    assert "children-community-solutions" not in codes
    assert "adults-community-solutions" not in codes


@pytest.mark.parametrize(
    ("stage", "team", "year", "count"),
    [
        ("stage2_investigation", "children-care-management", "2018-19", 1),
        ("stage2_investigation", "children-lac-adoption-preventative", "2018-19", 2),
        ("stage2_investigation", "children-disability", "2017-18", 1),
        ("stage3_review", "children-disability", "2017-18", 1),
        ("stage3_review", None, "2018-19", 0),
        ("ombudsman_investigation", "children-lac-adoption-preventative", "2018-19", 1),
        ("ombudsman_investigation", "children-safeguarding-commissioning", "2018-19", 1),
        ("ombudsman_investigation", "children-disability", "2017-18", 1),
        ("ombudsman_investigation", "adults-disability", "2018-19", 3),
        ("ombudsman_investigation", "adults-integrated-care", "2018-19", 1),
        ("ombudsman_investigation", "adults-integration-commissioning", "2018-19", 1),
        ("ombudsman_investigation", "adults-disability", "2017-18", 3),
        ("ombudsman_investigation", "adults-integrated-care", "2017-18", 1),
    ],
)
async def test_escalation_counts_match_the_seed(
    client: httpx.AsyncClient, stage: str, team: str | None, year: str, count: int
) -> None:
    params = {"stage": stage, "financial_year": year}
    if team:
        params["team"] = team
    assert len(await _all(client, "/v1/escalations", **params)) == count


async def test_stage2_findings_and_ombudsman_remedies_match_the_seed(
    client: httpx.AsyncClient,
) -> None:
    stage2 = await _all(
        client, "/v1/escalations", stage="stage2_investigation", financial_year="2018-19"
    )
    findings = [p["finding"] for e in stage2 for p in e["points"] if p["finding"]]
    assert (findings.count("upheld"), findings.count("partly_upheld")) == (3, 3)
    assert findings.count("not_upheld") == 7
    ombudsman = await _all(
        client,
        "/v1/escalations",
        stage="ombudsman_investigation",
        service="adults",
        financial_year="2018-19",
    )
    assert sum(e["public_interest_report"] for e in ombudsman) == 1
    payments = []
    for escalation in ombudsman:
        remedies = await _all(client, "/v1/remedies", escalation_id=escalation["id"])
        payments += [
            (r["payee_label"], r["amount_pence"])
            for r in remedies
            if r["type"] == "financial_payment"
        ]
    assert sorted(payments) == [("Miss X", 60000), ("Mr A", 20000), ("Mr B", 20000)]
