"""Every audited write, made with personal values planted in every free-text field: none of
them reaches the audit trail, at whatever depth the write's changes nest them, and every
write leaves its row. A write route the walk does not know fails it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
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
from fastapi import FastAPI
from spreadsheets import XLSX, complaint_rows, complaints_mapping, complaints_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_access import api_routes

from services.api.domain.audit import MASKED, changed_fields
from services.api.main import create_app
from services.api.settings import Settings

PLANTED = "Planted"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# POSTs that write nothing: a suggested mapping is worked out from the file and returned.
WRITES_NOTHING = {("POST", "/v1/import-suggestions")}


def planted(what: str) -> str:
    """A personal value no audit row may hold."""
    return f"{PLANTED} {what}"


def person(what: str) -> dict[str, str]:
    return {
        "name": planted(f"{what} name"),
        "email": f"planted.{what.replace(' ', '-')}@example.org",
        "phone": "01234 Planted",
        "address": planted(f"{what} address"),
    }


class Walk:
    """The writes of one test, each checked for its audit rows as it is made."""

    def __init__(self, client: httpx.AsyncClient, session: AsyncSession) -> None:
        self.client = client
        self.session = session
        self.done: set[tuple[str, str]] = set()
        self.rows: list[dict[str, Any]] = []

    async def _last_id(self) -> int:
        return int(await self.session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_event")))

    async def write(self, method: str, route: str, url: str, **kwargs: Any) -> Any:
        """Make one write; it must succeed and leave at least one audit row."""
        start = await self._last_id()
        response = await self.client.request(method, url, **kwargs)
        assert response.status_code < 300, (method, url, response.text)
        rows = (
            await self.session.execute(
                text("SELECT action, resource_type, changes FROM audit_event WHERE id > :s"),
                {"s": start},
            )
        ).all()
        assert rows, f"{method} {route} left no audit row"
        self.rows += [{"action": a, "resource": r, "changes": c} for a, r, c in rows]
        self.done.add((method, route))
        return response.json() if response.content else None


def write_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, route in api_routes(app)
        for method in route.methods
        if method in WRITE_METHODS and (method, path) not in WRITES_NOTHING
    }


async def _walk_feedback(walk: Walk) -> None:
    complaint = make_complaint(
        responded_on="2019-03-08",
        person=person("complainant"),
        lessons_learned=planted("lesson about Mrs Example"),
    )
    item = await walk.write("POST", "/v1/feedback", "/v1/feedback", json=complaint)
    await walk.write(
        "POST",
        "/v1/feedback",
        "/v1/feedback",
        json=make_compliment(person=person("giver"), compliment_text=planted("thanks")),
    )
    enquiry = make_member_enquiry(enquirer=person("councillor"), person=person("resident"))
    await walk.write("POST", "/v1/feedback", "/v1/feedback", json=enquiry)
    rows = [make_complaint(person=person(f"bulk {n}")) for n in range(2)]
    await walk.write("POST", "/v1/feedback/bulk", "/v1/feedback/bulk", json=rows)

    url = f"/v1/feedback/{item['id']}"
    current = await walk.client.get(url)
    await walk.write(
        "PATCH",
        "/v1/feedback/{item_id}",
        url,
        json={"lessons_learned": planted("another lesson"), "outcome": "upheld"},
        headers={"If-Match": current.headers["etag"]},
    )
    event = make_event(
        "extended",
        "2019-03-08",
        actor=planted("officer"),
        reason=planted("reason naming the complainant"),
        new_due_on="2019-03-29",
    )
    # An extension after the response is refused: a fresh complaint takes it.
    fresh = await walk.write(
        "POST", "/v1/feedback", "/v1/feedback", json=make_complaint(person=person("other"))
    )
    await walk.write(
        "POST",
        "/v1/feedback/{item_id}/events",
        f"/v1/feedback/{fresh['id']}/events",
        json=event,
    )

    stage2 = {
        "stage": "stage2_investigation",
        "opened_on": "2019-03-11",
        "points": [{"summary": planted("point about Mr Example")}],
        "recommendations": [{"text": planted("recommendation naming Mr Example")}],
    }
    escalation = await walk.write(
        "POST",
        "/v1/feedback/{item_id}/escalations",
        f"/v1/feedback/{item['id']}/escalations",
        json=stage2,
    )
    url = f"/v1/escalations/{escalation['id']}"
    current = await walk.client.get(url)
    await walk.write(
        "PATCH",
        "/v1/escalations/{escalation_id}",
        url,
        json={
            "points": [{"summary": planted("point, again"), "finding": "upheld"}],
            "recommendations": [{"text": planted("recommendation, again"), "agreed": True}],
        },
        headers={"If-Match": current.headers["etag"]},
    )
    remedy = await walk.write(
        "POST",
        "/v1/escalations/{escalation_id}/remedies",
        f"/v1/escalations/{escalation['id']}/remedies",
        json={
            "type": "apology",
            "description": planted("apology to Mrs Example"),
            "payee_label": planted("payee"),
            "evidence": planted("evidence"),
        },
    )
    url = f"/v1/remedies/{remedy['id']}"
    current = await walk.client.get(url)
    await walk.write(
        "PATCH",
        "/v1/remedies/{remedy_id}",
        url,
        json={"description": planted("apology, again"), "evidence": planted("letter")},
        headers={"If-Match": current.headers["etag"]},
    )
    await walk.write(
        "POST", "/v1/people/{person_id}/erase", f"/v1/people/{item['person_id']}/erase"
    )


async def _if_match(walk: Walk, url: str) -> dict[str, str]:
    return {"If-Match": (await walk.client.get(url)).headers["etag"]}


async def _walk_reference(walk: Walk) -> None:
    service = {"code": "planted-service", "name": "Housing", "complaint_procedure": "corporate"}
    await walk.write("POST", "/v1/reference/services", "/v1/reference/services", json=service)
    await walk.write(
        "PATCH",
        "/v1/reference/services/{code}",
        "/v1/reference/services/planted-service",
        json={"name": "Housing and homes"},
        headers=await _if_match(walk, "/v1/reference/services/planted-service"),
    )
    team = {
        "code": "planted-team",
        "service": "planted-service",
        "name": "Lettings",
        "active_from": "2019-01-01",
    }
    await walk.write("POST", "/v1/reference/teams", "/v1/reference/teams", json=team)
    await walk.write(
        "PATCH",
        "/v1/reference/teams/{code}",
        "/v1/reference/teams/planted-team",
        json={"name": "Lettings and allocations"},
        headers=await _if_match(walk, "/v1/reference/teams/planted-team"),
    )
    nature = {"service": "planted-service", "code": "planted-nature", "name": "Repairs"}
    await walk.write("POST", "/v1/reference/natures", "/v1/reference/natures", json=nature)
    closure = {"day": "2019-12-30", "kind": "closure", "description": planted("funeral of")}
    await walk.write(
        "POST", "/v1/reference/non-working-days", "/v1/reference/non-working-days", json=closure
    )
    await walk.write(
        "DELETE",
        "/v1/reference/non-working-days/{day}",
        "/v1/reference/non-working-days/2019-12-30",
    )


async def _walk_report_runs(walk: Walk) -> None:
    for kind in ("annual", "ledger"):
        await walk.write(
            "POST", "/v1/report-runs", "/v1/report-runs", json={"kind": kind, "year": "2018-19"}
        )
    for run_ in range(2):
        claimed = await walk.write(
            "POST",
            "/v1/report-runs/claim",
            "/v1/report-runs/claim",
            json={"worker": f"worker-{run_}"},
        )
        if run_ == 0:
            first = claimed
    await walk.write(
        "PUT",
        "/v1/report-runs/{run_id}/files/{name}",
        f"/v1/report-runs/{first['id']}/files/annual-2018-19.csv",
        params={"worker": "worker-0"},
        content=b"year,service\r\n",
        headers={"content-type": "text/csv; charset=utf-8"},
    )
    await walk.write(
        "POST",
        "/v1/report-runs/{run_id}/complete",
        f"/v1/report-runs/{first['id']}/complete",
        json={"worker": "worker-0"},
    )
    await walk.write(
        "POST",
        "/v1/report-runs/{run_id}/fail",
        f"/v1/report-runs/{claimed['id']}/fail",
        json={"worker": "worker-1", "reason": planted("failure quoting Mrs Example")},
    )
    await walk.write(
        "POST", "/v1/report-runs/{run_id}/requeue", f"/v1/report-runs/{claimed['id']}/requeue"
    )


async def _walk_keys(walk: Walk) -> None:
    key = await walk.write(
        "POST", "/v1/api-keys", "/v1/api-keys", json={"name": "planted-key", "role": "bi"}
    )
    await walk.write("POST", "/v1/api-keys/{key_id}/revoke", f"/v1/api-keys/{key['id']}/revoke")


async def _walk_imports(walk: Walk) -> None:
    mapping = complaints_mapping(
        "planted-mapping",
        description=planted("mapping naming Mrs Example"),
        source_system="test-admin",
    )
    await walk.write("POST", "/v1/import-mappings", "/v1/import-mappings", json=mapping)
    change = {"description": planted("mapping now naming Mr Example")}
    response = await patch_current(walk.client, "/v1/import-mappings/planted-mapping", json=change)
    assert response.status_code == 200, response.text
    walk.done.add(("PATCH", "/v1/import-mappings/{name}"))
    workbook = complaints_workbook(complaint_rows("PLANTED", 2))
    report = await walk.write(
        "POST",
        "/v1/imports",
        "/v1/imports",
        files={"file": (f"{PLANTED} complaints of Mrs Example.xlsx", workbook, XLSX)},
        data={"mapping": "planted-mapping"},
    )
    record = report["record"]["id"]
    await walk.write("POST", "/v1/imports/{import_id}/undo", f"/v1/imports/{record}/undo")


async def _walk_ombudsman(walk: Walk) -> None:
    complaint = await walk.write(
        "POST",
        "/v1/feedback",
        "/v1/feedback",
        json=make_complaint(responded_on="2019-03-08", person=person("ombudsman complainant")),
    )
    listed = (
        "ombudsman_reference,decision_date,category,complaint_reference,received_date,"
        "public_interest_report\n"
        f"19 900 001,2019-06-03,fault_injustice,{complaint['external_ref']},2019-05-20,true\n"
    )
    await walk.write(
        "POST",
        "/v1/ombudsman/decisions",
        "/v1/ombudsman/decisions",
        content=listed.encode(),
        headers={"content-type": "text/csv"},
    )


WALKS: list[Callable[[Walk], Awaitable[None]]] = [
    _walk_feedback,
    _walk_ombudsman,
    _walk_reference,
    _walk_report_runs,
    _walk_keys,
    _walk_imports,
]


async def test_no_planted_personal_value_reaches_the_audit_of_any_write(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    walk = Walk(client, session)
    for part in WALKS:
        await part(walk)
    assert walk.done == write_routes(create_app(Settings())), "a write route is not walked"
    for row in walk.rows:
        held = json.dumps(row["changes"])
        assert PLANTED not in held and "planted." not in held, row
    masked_fields = {
        name
        for row in walk.rows
        for name, change in row["changes"].items()
        if MASKED in json.dumps(change)
    }
    # The walk did plant where masks were due: an event's actor and reason (nested under
    # `event`), a run's failure reason, the people's details.
    assert {"event", "error", "lessons_learned", "name", "points"} <= masked_fields


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (
            None,
            {"event": {"actor": "Ann Officer", "reason": "Mr X asked", "type": "extended"}},
            {
                "event": {
                    "before": None,
                    "after": {"actor": MASKED, "reason": MASKED, "type": "extended"},
                }
            },
        ),
        (
            {"files": [{"name": "a.csv", "size": 1}]},
            {"files": [{"name": "a.csv", "size": 2}]},
            {
                "files": {
                    "before": [{"name": MASKED, "size": 1}],
                    "after": [{"name": MASKED, "size": 2}],
                }
            },
        ),
        ({"error": None}, {"error": "Mrs Y's case"}, {"error": {"before": None, "after": MASKED}}),
    ],
)
def test_personal_fields_are_masked_wherever_they_nest(
    before: dict[str, Any] | None, after: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert changed_fields(before, after) == expected
