"""/v1/stats/ombudsman-letter and /v1/stats/ombudsman-reconciliation: the Ombudsman's year
counted its way (decisions by the decision date) in SQL, and the cases that reconcile it with
the council's own count. Built in 2021/22, a year the demo council has no Ombudsman cases in."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import bearer
from factories import make_complaint
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_ombudsman_import import decision_list, lgsco_reference, post_list

YEAR = "2021-22"


async def case(
    client: httpx.AsyncClient, opened_on: str, received_on: str = "2020-11-02", **fields: Any
) -> dict[str, Any]:
    """A complaint escalated to the Ombudsman on `opened_on`, with any decision given."""
    body = make_complaint(received_on=received_on, responded_on=received_on)
    item = (await client.post("/v1/feedback", json=body)).json()
    escalation = {
        "stage": "ombudsman_investigation",
        "opened_on": opened_on,
        "lgsco_reference": lgsco_reference(),
        **fields,
    }
    response = await client.post(f"/v1/feedback/{item['id']}/escalations", json=escalation)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def remedy(client: httpx.AsyncClient, escalation_id: int, **fields: Any) -> None:
    body = {"type": "apology", "description": "An apology", **fields}
    response = await client.post(f"/v1/escalations/{escalation_id}/remedies", json=body)
    assert response.status_code == 201, response.text


async def letter(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await client.get(
        "/v1/stats/ombudsman-letter", params={"financial_year": YEAR, **params}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def counted(body: dict[str, Any], **match: Any) -> int:
    return sum(r["count"] for r in body["decisions"] if all(r[k] == v for k, v in match.items()))


async def test_the_letter_counts_the_decisions_made_in_its_year_whenever_received(
    client: httpx.AsyncClient,
) -> None:
    adult = {"service_category": "adult_care_services"}
    await case(client, "2020-12-01", decision="no_fault", decision_on="2021-05-04", **adult)
    await case(
        client, "2021-06-01", decision="fault_injustice", decision_on="2021-09-01",
        satisfactory_remedy_provided=True, public_interest_report=True, **adult,
    )  # fmt: skip
    await case(client, "2021-07-01", decision="assessed_and_closed", decision_on="2022-03-31")
    await case(client, "2021-08-01", decision="no_fault", decision_on="2022-04-01", **adult)
    await case(client, "2021-09-01")
    body = await letter(client)
    assert (body["financial_year"], body["ombudsman"]) == (YEAR, "lgsco")
    assert counted(body) == 3
    assert counted(body, decision_stage="investigated") == 2
    assert counted(body, upheld=True) == 1
    assert counted(body, upheld=True, satisfactory_remedy_provided=True) == 1
    assert counted(body, public_interest_report=True) == 1
    assert counted(body, service_category=None) == 1
    assert counted(body, service_category="adult_care_services") == 2
    # Grouped, not listed: the two adult-care decisions differ, so they are two rows.
    assert len(body["decisions"]) == 3


async def test_a_decision_after_the_as_of_day_is_not_yet_known(
    client: httpx.AsyncClient,
) -> None:
    await case(client, "2021-06-01", decision="no_fault", decision_on="2021-09-01")
    await case(client, "2021-06-01", decision="no_fault", decision_on="2022-01-10")
    assert counted(await letter(client)) == 2
    assert counted(await letter(client, as_of="2021-12-31")) == 1
    assert (await letter(client, as_of="2021-12-31"))["as_of"] == "2021-12-31"


async def test_compliance_is_of_the_remedies_due_in_the_year_the_s31_duty_aside(
    client: httpx.AsyncClient,
) -> None:
    decided = await case(
        client, "2021-01-04", decision="fault_injustice", decision_on="2021-03-12",
        public_interest_report=True, service_category="housing",
    )  # fmt: skip
    await remedy(client, decided["id"], due_on="2021-04-12", completed_on="2021-04-01")
    await remedy(client, decided["id"], due_on="2021-05-12", completed_on="2021-06-01")
    await remedy(client, decided["id"], due_on="2021-07-12")
    await remedy(client, decided["id"], due_on="2022-02-01", completed_on="2022-05-01")
    # Due the year before: not this year's.
    await remedy(client, decided["id"], due_on="2021-03-31", completed_on="2021-03-30")
    body = await letter(client)
    # The s.31 duty (due 11 June 2021, not answered) is a duty of law, not a recommendation.
    assert body["compliance"] == [
        {
            "service_category": "housing",
            "due": 4,
            "completed_on_time": 1,
            "completed_late": 2,
            "not_completed": 1,
        }
    ]
    # As of 31 May 2021 two were due, and the one done on 1 June was not done yet.
    early = (await letter(client, as_of="2021-05-31"))["compliance"]
    assert early == [
        {
            "service_category": "housing",
            "due": 2,
            "completed_on_time": 1,
            "completed_late": 0,
            "not_completed": 1,
        }
    ]


@pytest.mark.parametrize(
    ("year", "estimate"),
    [("2022-23", (2021, 218_900)), ("2023-24", (2023, 230_000)), ("2016-17", (2019, 200_000))],
)
async def test_the_population_is_the_newest_estimate_no_later_than_the_year_else_the_oldest(
    client: httpx.AsyncClient, session: AsyncSession, year: str, estimate: tuple[int, int]
) -> None:
    await session.execute(
        text("INSERT INTO population_estimate VALUES (2019, 200000), (2023, 230000)")
    )
    body = await letter(client, financial_year=year)
    assert (body["population"]["year"], body["population"]["residents"]) == estimate


async def test_the_reconciliation_lists_every_case_of_the_year_on_either_basis(
    client: httpx.AsyncClient,
) -> None:
    earlier = await case(client, "2020-12-01", decision="no_fault", decision_on="2021-05-04")
    both = await case(client, "2021-06-01", decision="premature", decision_on="2021-06-09")
    pending = await case(client, "2021-09-01")
    later = await case(client, "2022-02-01", decision="no_fault", decision_on="2022-05-04")
    # Neither: went to the Ombudsman and was decided the year before.
    await case(client, "2020-05-01", "2020-04-06", decision="no_fault", decision_on="2020-09-01")
    unlogged = lgsco_reference()
    listed = decision_list(
        {"ombudsman_reference": unlogged, "received_date": "2021-10-01",
         "decision_date": "2021-10-05", "category": "premature"},
        # Not logged and decided the year after: on neither basis.
        {"ombudsman_reference": lgsco_reference(), "received_date": "2022-03-01",
         "decision_date": "2022-04-05", "category": "premature"},
    )  # fmt: skip
    assert (await post_list(client, listed)).status_code == 200
    response = await client.get(
        "/v1/stats/ombudsman-reconciliation",
        params={"financial_year": YEAR, "as_of": "2022-04-30"},
    )
    assert response.status_code == 200, response.text
    cases = {c["ombudsman_reference"]: c for c in response.json()["cases"]}
    assert set(cases) == {
        earlier["lgsco_reference"],
        both["lgsco_reference"],
        pending["lgsco_reference"],
        later["lgsco_reference"],
        unlogged,
    }
    assert cases[unlogged]["complaint_reference"] is None
    assert cases[both["lgsco_reference"]]["decision_stage"] == "not_for_us"
    assert cases[earlier["lgsco_reference"]]["opened_on"] == "2020-12-01"
    # Decided on 4 May 2022, after the as-of day: not yet known.
    assert cases[later["lgsco_reference"]]["decision"] is None
    assert cases[later["lgsco_reference"]]["decision_on"] is None


@pytest.mark.parametrize("path", ["ombudsman-letter", "ombudsman-reconciliation"])
async def test_the_figures_are_for_bi_and_the_reporter(
    client: httpx.AsyncClient, api_keys: dict[str, str], path: str
) -> None:
    params = {"financial_year": YEAR}
    for role, status in (("bi", 200), ("reporter", 200), ("crm", 403), ("portal", 403)):
        response = await client.get(
            f"/v1/stats/{path}", params=params, headers=bearer(api_keys[role])
        )
        assert response.status_code == status, role


async def test_a_year_is_a_financial_year(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/stats/ombudsman-letter", params={"financial_year": "2021"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "financial_year"


async def test_the_ledger_shows_the_s31_duty_like_a_remedy(client: httpx.AsyncClient) -> None:
    # The demo's 2018/19 public interest report (18 000 420, decided 12 March 2019), answered
    # on 22 May 2019.
    response = await client.get("/v1/stats/ombudsman-ledger", params={"financial_year": "2018-19"})
    rows = response.json()["rows"]
    [duty] = [r for r in rows if r["type"] == "public_interest_report_response"]
    assert (duty["lgsco_reference"], duty["public_interest_report"]) == ("18 000 420", True)
    assert (duty["due_on"], duty["completed_on"], duty["status"]) == (
        "2019-06-11",
        "2019-05-22",
        "completed_on_time",
    )
    assert duty["amount_pence"] is None
