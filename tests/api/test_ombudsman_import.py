"""POST /v1/ombudsman/decisions: the Ombudsman's decision list matched to the cases held by its
reference. What the council lacks is filled in, missing cases are made, rows contradicting what
is held are reported and not written, and one malformed row writes nothing at all."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from datetime import date
from typing import Any

import httpx
import pytest
from conftest import bearer
from factories import make_complaint, patch_current
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.demo.ombudsman_year import DECISION_LIST
from services.api.rules.ombudsman import public_interest_response_due

PATH = "/v1/ombudsman/decisions"
CSV = {"content-type": "text/csv"}
_numbers = itertools.count(1)


def lgsco_reference() -> str:
    """A fresh reference of the LGSCO's form."""
    number = next(_numbers)
    return f"90 {number // 1000:03d} {number % 1000:03d}"


def decision_list(*rows: dict[str, Any]) -> bytes:
    """A list with the columns the rows use, in the order first used."""
    columns = list(dict.fromkeys(name for row in rows for name in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


async def post_list(client: httpx.AsyncClient, content: bytes, **kwargs: Any) -> httpx.Response:
    headers = {**CSV, **kwargs.pop("headers", {})}
    return await client.post(PATH, content=content, headers=headers, **kwargs)


async def complaint(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = make_complaint(responded_on="2019-03-08", **overrides)
    response = await client.post("/v1/feedback", json=body)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


async def ombudsman_case(
    client: httpx.AsyncClient, reference: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A complaint the council escalated to the Ombudsman on 11 March 2019."""
    item = await complaint(client)
    body = {
        "stage": "ombudsman_investigation",
        "opened_on": "2019-03-11",
        "lgsco_reference": reference or lgsco_reference(),
        **fields,
    }
    response = await client.post(f"/v1/feedback/{item['id']}/escalations", json=body)
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case | {"complaint_reference": item["external_ref"]}


async def held(client: httpx.AsyncClient, escalation_id: int) -> dict[str, Any]:
    response = await client.get(f"/v1/escalations/{escalation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def count_rows(session: AsyncSession) -> tuple[int, int, int]:
    """Escalations, remedies and audit rows held, to see that nothing was written."""
    row = (
        await session.execute(
            text(
                "SELECT (SELECT count(*) FROM escalation), (SELECT count(*) FROM remedy),"
                " (SELECT count(*) FROM audit_event)"
            )
        )
    ).one()
    return row[0], row[1], row[2]


def outcomes(response: httpx.Response) -> list[str]:
    return [row["outcome"] for row in response.json()["rows"]]


async def test_a_decision_fills_in_what_the_council_lacked(client: httpx.AsyncClient) -> None:
    case = await ombudsman_case(client)
    before = await client.get(f"/v1/escalations/{case['id']}")
    content = decision_list(
        {
            "ombudsman_reference": case["lgsco_reference"],
            "decision_date": "2019-06-04",
            "category": "assessed_and_closed",
            "closure_reason": "no_evidence_of_fault",
            "service_category": "education_and_childrens_services",
        }
    )
    response = await post_list(client, content)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["received"], result["updated"], result["created"]) == (1, 1, 0)
    assert result["rows"] == [
        {
            "row": 2,
            "ombudsman_reference": case["lgsco_reference"],
            "escalation_id": case["id"],
            "outcome": "updated",
            "differences": [],
            "remedy_missing": False,
        }
    ]
    after = await client.get(f"/v1/escalations/{case['id']}")
    decided = after.json()
    assert decided["decision"] == "assessed_and_closed"
    assert decided["decision_on"] == "2019-06-04"
    assert decided["decision_stage"] == "assessed_and_closed"
    assert decided["closure_reason"] == "no_evidence_of_fault"
    assert decided["service_category"] == "education_and_childrens_services"
    assert decided["status"] == "completed"
    # A careful client's ETag no longer matches: the import changed the case.
    assert after.headers["etag"] != before.headers["etag"]


async def test_importing_the_same_list_again_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    case = await ombudsman_case(client)
    content = decision_list(
        {
            "ombudsman_reference": case["lgsco_reference"],
            "decision_date": "2019-06-04",
            "category": "no_fault",
        },
        {"ombudsman_reference": lgsco_reference(), "decision_date": "2019-06-05",
         "category": "premature", "received_date": "2019-06-01"},
    )  # fmt: skip
    first = await post_list(client, content)
    assert outcomes(first) == ["updated", "created_without_complaint"]
    escalations, remedies, _ = await count_rows(session)
    again = await post_list(client, content)
    assert again.status_code == 200
    assert outcomes(again) == ["unchanged", "unchanged"]
    assert [r["escalation_id"] for r in again.json()["rows"]] == [
        r["escalation_id"] for r in first.json()["rows"]
    ]
    assert (await count_rows(session))[:2] == (escalations, remedies)


async def test_a_row_naming_a_held_complaint_makes_its_case(client: httpx.AsyncClient) -> None:
    item = await complaint(client)
    reference = lgsco_reference()
    content = decision_list(
        {
            "ombudsman_reference": reference,
            "complaint_reference": item["external_ref"],
            "received_date": "2019-03-20",
            "decision_date": "2019-07-01",
            "category": "fault_injustice",
            "satisfactory_remedy": "true",
        }
    )
    response = await post_list(client, content)
    assert response.status_code == 200, response.text
    [row] = response.json()["rows"]
    assert row["outcome"] == "created"
    case = await held(client, row["escalation_id"])
    assert (case["item_id"], case["lgsco_reference"]) == (item["id"], reference)
    assert (case["opened_on"], case["decision_on"]) == ("2019-03-20", "2019-07-01")
    assert case["satisfactory_remedy_provided"] is True
    assert case["ombudsman"] == "lgsco"
    events = (await client.get(f"/v1/feedback/{item['id']}/events")).json()
    assert events[-1]["type"] == "escalated"


async def test_a_row_matching_nothing_is_recorded_as_the_ombudsmans_case_alone(
    client: httpx.AsyncClient,
) -> None:
    reference = lgsco_reference()
    content = decision_list(
        {
            "ombudsman_reference": reference,
            "received_date": "2019-05-27",
            "decision_date": "2019-06-03",
            "category": "premature",
            "service_category": "adult_care_services",
        }
    )
    response = await post_list(client, content)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created_without_complaint"] == 1
    case = await held(client, result["rows"][0]["escalation_id"])
    assert (case["item_id"], case["service"], case["team"]) == (None, None, None)
    assert case["decision_stage"] == "not_for_us"
    assert case["opened_on"] == "2019-05-27"
    # The list of cases shows it, by the year it went to the Ombudsman.
    listed = await client.get(
        "/v1/escalations",
        params={"stage": "ombudsman_investigation", "financial_year": "2019-20"},
    )
    assert [e["id"] for e in listed.json()["items"]] == [case["id"]]


async def test_a_row_contradicting_what_is_held_is_reported_and_not_written(
    client: httpx.AsyncClient,
) -> None:
    decided = await ombudsman_case(client, decision="no_fault", decision_on="2019-06-04")
    open_case = await ombudsman_case(client)
    content = decision_list(
        {
            "ombudsman_reference": decided["lgsco_reference"],
            "decision_date": "2019-06-04",
            "category": "fault_injustice",
            "service_category": "housing",
        },
        {
            "ombudsman_reference": open_case["lgsco_reference"],
            "decision_date": "2019-06-05",
            "category": "no_fault",
        },
    )
    response = await post_list(client, content)
    assert response.status_code == 200, response.text
    first, second = response.json()["rows"]
    assert first["outcome"] == "contradicts"
    assert first["differences"] == [
        {"column": "category", "held": "no_fault", "listed": "fault_injustice"}
    ]
    kept = await held(client, decided["id"])
    assert (kept["decision"], kept["service_category"], kept["version"]) == (
        "no_fault",
        None,
        decided["version"],
    )
    # The other rows are written all the same.
    assert second["outcome"] == "updated"
    assert (await held(client, open_case["id"]))["decision"] == "no_fault"


async def test_a_row_naming_another_complaint_than_the_case_holds_contradicts_it(
    client: httpx.AsyncClient,
) -> None:
    case = await ombudsman_case(client)
    other = await complaint(client)
    content = decision_list(
        {
            "ombudsman_reference": case["lgsco_reference"],
            "complaint_reference": other["external_ref"],
            "decision_date": "2019-06-04",
            "category": "no_fault",
        }
    )
    [row] = (await post_list(client, content)).json()["rows"]
    assert row["outcome"] == "contradicts"
    assert row["differences"][0]["column"] == "complaint_reference"
    assert (await held(client, case["id"]))["decision"] is None


async def test_a_remedy_recommended_and_not_recorded_is_flagged(
    client: httpx.AsyncClient,
) -> None:
    bare = await ombudsman_case(client)
    remedied = await ombudsman_case(client)
    remedy = {"type": "apology", "description": "An apology", "due_on": "2019-07-04"}
    added = await client.post(f"/v1/escalations/{remedied['id']}/remedies", json=remedy)
    assert added.status_code == 201
    rows = [
        {
            "ombudsman_reference": c["lgsco_reference"],
            "decision_date": "2019-06-04",
            "category": "fault_injustice",
            "remedy_recommended": "true",
        }
        for c in (bare, remedied)
    ]
    result = (await post_list(client, decision_list(*rows))).json()
    assert [r["remedy_missing"] for r in result["rows"]] == [True, False]
    assert result["remedies_missing"] == 1


async def test_a_public_interest_report_starts_the_s31_duty_once(
    client: httpx.AsyncClient,
) -> None:
    case = await ombudsman_case(client)
    content = decision_list(
        {
            "ombudsman_reference": case["lgsco_reference"],
            "decision_date": "2019-03-12",
            "category": "fault_injustice",
            "public_interest_report": "true",
        }
    )
    assert outcomes(await post_list(client, content)) == ["updated"]
    assert outcomes(await post_list(client, content)) == ["unchanged"]
    remedies = (await client.get("/v1/remedies", params={"escalation_id": case["id"]})).json()
    [duty] = remedies["items"]
    assert duty["type"] == "public_interest_report_response"
    assert duty["due_on"] == "2019-06-11" == str(public_interest_response_due(date(2019, 3, 12)))
    assert duty["status"] == "overdue"
    assert duty["days_late"] > 0


# -- bad input: one malformed row and nothing is written -----------------------------------


async def test_one_malformed_row_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    case = await ombudsman_case(client)
    before = await count_rows(session)
    content = decision_list(
        {"ombudsman_reference": case["lgsco_reference"], "decision_date": "2019-06-04",
         "category": "no_fault", "received_date": ""},
        {"ombudsman_reference": lgsco_reference(), "decision_date": "2019-06-05",
         "category": "premature", "received_date": "2019-06-01"},
        {"ombudsman_reference": lgsco_reference(), "decision_date": "2019-06-05",
         "category": "upheld", "received_date": "2019-06-01"},
    )  # fmt: skip
    response = await post_list(client, content)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert "nothing was written" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["[4].category"]
    assert problem["errors"][0]["pointer"] == "/4/category"
    assert await count_rows(session) == before
    assert (await held(client, case["id"]))["decision"] is None


def _bom(content: bytes) -> bytes:
    return codecs.BOM_UTF8 + content


def _windows_1252(content: bytes) -> bytes:
    return content.decode().replace("housing", "h\xe9using").encode("cp1252")


def _trailing_column(content: bytes) -> bytes:
    return b"\r\n".join(line + b"," if line else line for line in content.split(b"\r\n"))


@pytest.mark.parametrize(
    ("row", "spoil", "field", "words"),
    [
        ({"complaint_reference": "NO-SUCH-REF", "received_date": "2019-03-20"}, None,
         "[2].complaint_reference", "no complaint is held"),
        ({}, None, "[2].ombudsman_reference", "no case is held under this reference"),
        ({"category": "maladministration"}, None, "[2].category", "not a category"),
        ({"received_date": "2019-07-01"}, None, "[2].decision_date", "before the Ombudsman"),
        ({}, _bom, "[1].ombudsman_reference", "byte-order mark"),
        ({"service_category": "housing"}, _windows_1252, "[2].service_category",
         "another encoding"),
        ({}, _trailing_column, "[1].D", "trailing empty column"),
    ],
)  # fmt: skip
async def test_each_kind_of_bad_input_is_a_problem_naming_its_row_and_column(
    client: httpx.AsyncClient,
    session: AsyncSession,
    row: dict[str, str],
    spoil: Any,
    field: str,
    words: str,
) -> None:
    before = await count_rows(session)
    line = {
        "ombudsman_reference": lgsco_reference(),
        "decision_date": "2019-06-04",
        "category": "no_fault",
        **row,
    }
    content = decision_list(line)
    response = await post_list(client, spoil(content) if spoil else content)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors[0]["field"] == field, errors
    assert words in errors[0]["detail"]
    assert await count_rows(session) == before


async def test_a_decision_before_the_case_went_to_the_ombudsman_is_refused(
    client: httpx.AsyncClient,
) -> None:
    case = await ombudsman_case(client)
    content = decision_list(
        {"ombudsman_reference": case["lgsco_reference"], "decision_date": "2019-03-01",
         "category": "no_fault"}
    )  # fmt: skip
    response = await post_list(client, content)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "[2].decision_date"
    assert "2019-03-11" in error["detail"]


async def test_a_decision_before_the_council_received_the_complaint_is_refused(
    client: httpx.AsyncClient,
) -> None:
    item = await complaint(client)  # received on 4 March 2019
    content = decision_list(
        {"ombudsman_reference": lgsco_reference(), "complaint_reference": item["external_ref"],
         "received_date": "2019-02-01", "decision_date": "2019-02-20", "category": "premature"}
    )  # fmt: skip
    response = await post_list(client, content)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [
        "[2].received_date",
        "[2].decision_date",
    ]


async def test_a_repeated_row_is_refused(client: httpx.AsyncClient) -> None:
    row = {"ombudsman_reference": lgsco_reference(), "decision_date": "2019-06-04",
           "category": "premature", "received_date": "2019-06-01"}  # fmt: skip
    response = await post_list(client, decision_list(row, row))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["detail"]) == (
        "[3].ombudsman_reference",
        "repeats row 2: a decision is listed once",
    )


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "text/csv; charset=windows-1252"]
)
async def test_the_list_is_csv_in_utf8(client: httpx.AsyncClient, content_type: str) -> None:
    content = decision_list(
        {"ombudsman_reference": lgsco_reference(), "decision_date": "2019-06-04",
         "category": "premature", "received_date": "2019-06-01"}
    )  # fmt: skip
    response = await client.post(PATH, content=content, headers={"content-type": content_type})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Content-Type"


@pytest.mark.parametrize(("role", "status"), [("bi", 403), ("reporter", 403), ("portal", 403)])
async def test_only_the_crm_and_admins_import(
    client: httpx.AsyncClient, api_keys: dict[str, str], role: str, status: int
) -> None:
    content = decision_list(
        {"ombudsman_reference": lgsco_reference(), "decision_date": "2019-06-04",
         "category": "premature", "received_date": "2019-06-01"}
    )  # fmt: skip
    response = await post_list(client, content, headers=bearer(api_keys[role]))
    assert response.status_code == status


async def test_a_retry_with_the_same_idempotency_key_writes_nothing_more(
    client: httpx.AsyncClient, session: AsyncSession, api_keys: dict[str, str]
) -> None:
    content = decision_list(
        {"ombudsman_reference": lgsco_reference(), "decision_date": "2019-06-04",
         "category": "premature", "received_date": "2019-06-01"}
    )  # fmt: skip
    headers = {**bearer(api_keys["crm"]), "Idempotency-Key": "decisions-2019-06"}
    first = await post_list(client, content, headers=headers)
    assert first.status_code == 200, first.text
    held_now = await count_rows(session)
    again = await post_list(client, content, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await count_rows(session) == held_now


async def test_the_import_is_audited_case_by_case(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    case = await ombudsman_case(client)
    content = decision_list(
        {"ombudsman_reference": case["lgsco_reference"], "decision_date": "2019-06-04",
         "category": "no_fault"}
    )  # fmt: skip
    await post_list(client, content)
    rows = (
        await session.execute(
            text(
                "SELECT action, resource_type, resource_id, changes FROM audit_event"
                " ORDER BY id DESC LIMIT 2"
            )
        )
    ).all()
    summary, update = rows
    assert (summary.action, summary.resource_type) == ("ombudsman_import", "decision_list")
    assert (update.action, update.resource_id) == ("update", str(case["id"]))
    assert update.changes["decision"] == {"before": None, "after": "no_fault"}


# -- the file the test writes, round-tripped ------------------------------------------------


async def test_a_list_the_test_writes_round_trips_through_the_import(
    client: httpx.AsyncClient,
) -> None:
    """Every column of every row reaches the case it names, and back out of the API."""
    items = [await complaint(client) for _ in range(3)]
    rows = [
        {
            "ombudsman_reference": lgsco_reference(),
            "complaint_reference": items[0]["external_ref"],
            "received_date": "2019-03-14",
            "decision_date": "2019-08-01",
            "category": "fault_injustice",
            "closure_reason": "",
            "satisfactory_remedy": "true",
            "remedy_recommended": "false",
            "public_interest_report": "false",
            "service_category": "education_and_childrens_services",
        },
        {
            "ombudsman_reference": lgsco_reference(),
            "complaint_reference": items[1]["external_ref"],
            "received_date": "2019-03-15",
            "decision_date": "2019-05-02",
            "category": "assessed_and_closed",
            "closure_reason": "court_or_tribunal",
            "satisfactory_remedy": "",
            "remedy_recommended": "false",
            "public_interest_report": "false",
            "service_category": "housing",
        },
        {
            "ombudsman_reference": lgsco_reference(),
            "complaint_reference": items[2]["external_ref"],
            "received_date": "2019-03-18",
            "decision_date": "2019-09-03",
            "category": "fault_no_injustice",
            "closure_reason": "",
            "satisfactory_remedy": "false",
            "remedy_recommended": "false",
            "public_interest_report": "true",
            "service_category": "benefits_and_tax",
        },
        {
            "ombudsman_reference": lgsco_reference(),
            "complaint_reference": "",
            "received_date": "2019-04-01",
            "decision_date": "2019-04-09",
            "category": "another_body",
            "closure_reason": "",
            "satisfactory_remedy": "",
            "remedy_recommended": "false",
            "public_interest_report": "false",
            "service_category": "corporate_and_other_services",
        },
    ]
    content = decision_list(*rows)
    response = await post_list(client, content)
    assert response.status_code == 200, response.text
    result = response.json()
    assert outcomes(response) == ["created", "created", "created", "created_without_complaint"]

    def as_listed(case: dict[str, Any], complaint_reference: str) -> dict[str, str]:
        """A case written back as a row of the list."""

        def cell(value: Any) -> str:
            if isinstance(value, bool):
                return "true" if value else "false"
            return "" if value is None else str(value)

        return {
            "ombudsman_reference": case["lgsco_reference"],
            "complaint_reference": complaint_reference,
            "received_date": case["opened_on"],
            "decision_date": cell(case["decision_on"]),
            "category": cell(case["decision"]),
            "closure_reason": cell(case["closure_reason"]),
            "satisfactory_remedy": cell(case["satisfactory_remedy_provided"]),
            "remedy_recommended": "false",
            "public_interest_report": cell(case["public_interest_report"]),
            "service_category": cell(case["service_category"]),
        }

    by_item = {item["id"]: item["external_ref"] for item in items}
    written_back = []
    for row in result["rows"]:
        case = await held(client, row["escalation_id"])
        written_back.append(as_listed(case, by_item.get(case["item_id"], "")))
    assert written_back == rows
    # The list written back from what is held is the list imported: importing it changes nothing.
    again = await post_list(client, decision_list(*written_back))
    assert outcomes(again) == ["unchanged"] * 4


# -- the s.31 duty kept in step with the case ----------------------------------------------


async def test_the_s31_duty_follows_the_report_and_its_date(client: httpx.AsyncClient) -> None:
    case = await ombudsman_case(client)
    url = f"/v1/escalations/{case['id']}"
    decided = {"decision": "fault_injustice", "decision_on": "2019-03-12"}
    response = await patch_current(client, url, json=decided | {"public_interest_report": True})
    assert response.status_code == 200, response.text

    async def duties() -> list[dict[str, Any]]:
        page = (await client.get("/v1/remedies", params={"escalation_id": case["id"]})).json()
        return [r for r in page["items"] if r["type"] == "public_interest_report_response"]

    [duty] = await duties()
    assert duty["due_on"] == "2019-06-11"
    await patch_current(client, url, json={"decision_on": "2019-03-31"})
    [moved] = await duties()
    assert (moved["id"], moved["due_on"]) == (duty["id"], "2019-06-30")
    await patch_current(client, url, json={"public_interest_report": False})
    assert await duties() == []


async def test_an_answered_duty_keeps_its_report(client: httpx.AsyncClient) -> None:
    case = await ombudsman_case(
        client, decision="fault_injustice", decision_on="2019-03-12", public_interest_report=True
    )
    page = (await client.get("/v1/remedies", params={"escalation_id": case["id"]})).json()
    [duty] = page["items"]
    answered = await patch_current(
        client, f"/v1/remedies/{duty['id']}", json={"completed_on": "2019-05-22"}
    )
    assert answered.json()["status"] == "completed_on_time"
    refused = await patch_current(
        client, f"/v1/escalations/{case['id']}", json={"public_interest_report": False}
    )
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "public_interest_report"
    assert (await held(client, case["id"]))["public_interest_report"] is True


async def test_the_duty_is_the_services_to_make_and_its_date_the_laws(
    client: httpx.AsyncClient,
) -> None:
    case = await ombudsman_case(
        client, decision="fault_injustice", decision_on="2019-03-12", public_interest_report=True
    )
    made = await client.post(
        f"/v1/escalations/{case['id']}/remedies",
        json={"type": "public_interest_report_response", "description": "Tell them"},
    )
    assert made.status_code == 422
    assert made.json()["errors"][0]["field"] == "type"
    [duty] = (await client.get("/v1/remedies", params={"escalation_id": case["id"]})).json()[
        "items"
    ]
    moved = await patch_current(client, f"/v1/remedies/{duty['id']}", json={"due_on": "2019-09-01"})
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["field"] == "due_on"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"decision": "no_fault", "decision_on": "2019-06-04", "closure_reason": "late"},
         ["closure_reason"]),
        ({"decision": "premature", "decision_on": "2019-06-04",
          "satisfactory_remedy_provided": True}, ["satisfactory_remedy_provided"]),
        ({"closure_reason": "late"}, ["closure_reason"]),
    ],
)  # fmt: skip
async def test_a_cases_decision_fields_must_go_together(
    client: httpx.AsyncClient, fields: dict[str, Any], named: list[str]
) -> None:
    item = await complaint(client)
    body = {
        "stage": "ombudsman_investigation",
        "opened_on": "2019-03-11",
        "lgsco_reference": lgsco_reference(),
        **fields,
    }
    response = await client.post(f"/v1/feedback/{item['id']}/escalations", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == named


async def test_the_demos_own_list_is_held_already(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await count_rows(session)
    response = await post_list(client, DECISION_LIST.read_bytes())
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["received"], result["unchanged"]) == (8, 8)
    assert await count_rows(session) == (before[0], before[1], before[2] + 1)


async def test_a_case_the_council_never_logged_takes_no_remedy(client: httpx.AsyncClient) -> None:
    content = decision_list(
        {"ombudsman_reference": lgsco_reference(), "received_date": "2019-05-27",
         "decision_date": "2019-06-03", "category": "fault_injustice"}
    )  # fmt: skip
    [row] = (await post_list(client, content)).json()["rows"]
    response = await client.post(
        f"/v1/escalations/{row['escalation_id']}/remedies",
        json={"type": "apology", "description": "An apology"},
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "escalation_id"
