"""A canned feedback API for the reporter's tests: httpx.MockTransport, no database.

The bodies are shaped as the real API answers (extra fields included), for a small council:
children (one team new in 2018/19) and education (a corporate procedure).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

SERVICES = [
    {
        "code": "children",
        "name": "Children's Social Care",
        "complaint_procedure": "children_statutory",
    },
    {"code": "education", "name": "Education", "complaint_procedure": "corporate"},
]
TEAMS = [
    {"code": "children-community", "service": "children", "name": "Community Solutions",
     "active_from": "2018-04-01", "active_to": None},
    {"code": "children-disability", "service": "children", "name": "Head of Disability",
     "active_from": "2010-04-01", "active_to": None},
    {"code": "children-closed", "service": "children", "name": "Closed Long Ago",
     "active_from": "2010-04-01", "active_to": "2015-03-31"},
    {"code": "education-admissions", "service": "education", "name": "Admissions",
     "active_from": "2010-04-01", "active_to": None},
]  # fmt: skip
NATURES = [
    {"service": "children", "code": "assessment", "name": "Challenge to Assessment Outcome"},
    {"service": "children", "code": "poor-communication", "name": "Poor Communication"},
    {"service": "education", "code": "delay", "name": "Delay in service"},
]


def _row(year: str, count: int, **dims: Any) -> dict[str, Any]:
    keys = ("service", "team", "kind", "procedure", "nature", "outcome", "status", "channel")
    return {"financial_year": year, **dict.fromkeys(keys), **dims, "count": count}


FEEDBACK_BY_TEAM = [
    _row("2017-18", 103, service="children", team="children-disability", kind="complaint"),
    _row("2017-18", 18, service="children", team="children-disability", kind="compliment"),
    _row("2018-19", 74, service="children", team="children-disability", kind="complaint"),
    _row("2018-19", 7, service="children", team="children-community", kind="complaint"),
    _row("2018-19", 7, service="children", team="children-disability", kind="compliment"),
    _row("2018-19", 58, service="children", team="children-disability", kind="member_enquiry"),
    _row("2017-18", 15, service="education", team="education-admissions", kind="complaint"),
    _row("2018-19", 18, service="education", team="education-admissions", kind="complaint"),
]
COMPLAINTS_BY_NATURE = [
    _row("2018-19", 8, service="children", nature="assessment", outcome="upheld"),
    _row("2018-19", 46, service="children", nature="poor-communication", outcome="upheld"),
    _row("2018-19", 15, service="children", nature="poor-communication", outcome="partly_upheld"),
    _row("2018-19", 6, service="children", nature="poor-communication", outcome="not_upheld"),
    _row("2018-19", 6, service="children", nature=None, outcome="open"),
    _row("2018-19", 18, service="education", nature="delay", outcome="upheld"),
]
TIMELINESS = {
    "complaint": [
        ("2017-18", "children", 89, 103),
        ("2018-19", "children", 63, 81),
        ("2017-18", "education", 11, 15),
        ("2018-19", "education", 14, 18),
    ],
    "member_enquiry": [("2018-19", "children", 55, 58)],
}


def _escalation(year: str, team: str, stage: str, count: int, **dims: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"financial_year": year, "service": "children", "team": team}
    row["stage"] = stage
    row |= {"decision": None, "outcome": None, "status": None, "public_interest_report": False}
    return row | dims | {"count": count}


ESCALATIONS = [
    _escalation("2017-18", "children-disability", "stage2_investigation", 1),
    _escalation("2017-18", "children-disability", "stage3_review", 1, outcome="partly_upheld"),
    _escalation("2018-19", "children-disability", "stage2_investigation", 3),
    _escalation(
        "2018-19", "children-disability", "ombudsman_investigation", 1, decision="no_fault"
    ),
    _escalation(
        "2018-19",
        "children-community",
        "ombudsman_investigation",
        1,
        decision="fault_injustice",
        public_interest_report=True,
    ),
]
STAGE2 = {
    "findings": [
        {"financial_year": "2018-19", "service": "children", "finding": "upheld", "count": 3},
        {"financial_year": "2018-19", "service": "children", "finding": "not_upheld", "count": 7},
        {"financial_year": "2018-19", "service": "children", "finding": None, "count": 4},
    ],
    "recommendations": [
        {"financial_year": "2018-19", "service": "children", "stage": "stage2_investigation",
         "agreed": True, "count": 5},
        {"financial_year": "2018-19", "service": "children", "stage": "stage2_investigation",
         "agreed": False, "count": 1},
    ],
}  # fmt: skip


def ledger_row(**changes: Any) -> dict[str, Any]:
    """A ledger row as the API gives it, with some fields changed."""
    row = {
        "lgsco_reference": "18 000 871",
        "complaint_reference": "CS-1819-0001",
        "item_id": 11,
        "escalation_id": 21,
        "remedy_id": 31,
        "service": "children",
        "team": "children-community",
        "decision_on": "2018-11-20",
        "decision": "fault_injustice",
        "public_interest_report": True,
        "type": "financial_payment",
        "description": "£200 to reflect Mr B's avoidable distress",
        "amount_pence": 20000,
        "payee_label": "Mr B",
        "due_on": "2018-12-20",
        "completed_on": "2018-12-06",
        "status": "completed_on_time",
        "days_late": None,
    }
    return row | changes


LEDGER_ROWS = [
    ledger_row(),
    ledger_row(
        remedy_id=32,
        type="new_assessment",
        description="A new assessment, within one month",
        amount_pence=None,
        payee_label="Mr B",
        due_on="2018-12-20",
        completed_on="2019-01-03",
        status="completed_late",
        days_late=14,
    ),
    ledger_row(
        remedy_id=33,
        type="refund",
        description="Refund of top-ups",
        amount_pence=912460,
        payee_label="Mrs Y",
        due_on="2019-04-12",
        completed_on=None,
        status="outstanding",
        days_late=None,
    ),
]
PUBLISHED = {
    "lessons": [{"service": "children", "team": None, "text": "Communicate clearly.", "count": 4}],
    "recommendations": [
        {"service": "children", "team": "children-disability", "text": "Review the venue.",
         "count": 1},
    ],
    "compliments": [
        {"service": "children", "team": "children-disability", "text": "Thank you, S.",
         "count": 1},
    ],
}  # fmt: skip


EDUCATION_AND_CHILDREN = "education_and_childrens_services"


def _decisions(category: str | None, decision: str, stage: str, count: int, **marks: Any) -> Any:
    upheld = decision in ("fault_injustice", "fault_no_injustice")
    row = {"service_category": category, "decision": decision, "decision_stage": stage}
    row |= {"upheld": upheld, "satisfactory_remedy_provided": None}
    return row | {"public_interest_report": False} | marks | {"count": count}


# The letter's grouped counts: four decisions made in the year.
LETTER_DECISIONS = [
    _decisions(EDUCATION_AND_CHILDREN, "fault_injustice", "investigated", 1,
               satisfactory_remedy_provided=True, public_interest_report=True),
    _decisions(EDUCATION_AND_CHILDREN, "no_fault", "investigated", 1),
    _decisions(EDUCATION_AND_CHILDREN, "premature", "not_for_us", 1),
    _decisions(None, "assessed_and_closed", "assessed_and_closed", 1),
]  # fmt: skip
LETTER_COMPLIANCE = [
    {"service_category": EDUCATION_AND_CHILDREN, "due": 3, "completed_on_time": 2,
     "completed_late": 1, "not_completed": 0},
]  # fmt: skip


def _case(
    reference: str, opened: str, decided: str | None, decision: str | None, **rest: Any
) -> Any:
    stages = {"premature": "not_for_us", "assessed_and_closed": "assessed_and_closed"}
    case = {"escalation_id": 1, "ombudsman_reference": reference, "complaint_reference": None,
            "service": None, "team": None, "service_category": EDUCATION_AND_CHILDREN,
            "opened_on": opened, "decision_on": decided, "decision": decision,
            "decision_stage": None if decision is None else stages.get(decision, "investigated"),
            "upheld": decision in ("fault_injustice", "fault_no_injustice")}  # fmt: skip
    return case | rest


def _logged(reference: str, team: str) -> dict[str, Any]:
    return {"complaint_reference": reference, "service": team.split("-")[0], "team": team}


# Every way a case counts on one basis and not the other, and one counted on both.
RECONCILIATION_CASES = [
    _case("18 000 871", "2018-05-08", "2018-11-20", "fault_injustice",
          **_logged("CS-1819-0001", "children-community")),
    _case("18 005 719", "2017-12-01", "2019-01-28", "no_fault",
          **_logged("CS-1718-0002", "children-disability")),
    _case("18 009 001", "2018-09-01", "2018-09-03", "premature"),
    _case("18 012 345", "2018-10-01", "2018-12-01", "assessed_and_closed", service_category=None,
          **_logged("CS-1819-0003", "education-admissions")),
    _case("18 016 402", "2019-02-25", None, None, **_logged("CS-1819-0004", "children-disability")),
]  # fmt: skip


# Remedies by the year of the decision: (year, service, team, type, count, pence).
REMEDY_HISTORY = [
    ("2016-17", "children", "children-disability", "financial_payment", 1, 15000),
    ("2018-19", "children", "children-community", "financial_payment", 1, 20000),
    ("2018-19", "children", "children-community", "new_assessment", 1, 0),
    ("2018-19", "children", "children-community", "refund", 1, 912460),
]


def _remedy_rows(params: httpx.QueryParams, group_by: list[str]) -> list[dict[str, Any]]:
    """REMEDY_HISTORY summed by year and the dimensions asked for, within the years asked."""
    first, last = params["from_year"], params.get("to_year", params["from_year"])
    totals: dict[tuple[Any, ...], dict[str, Any]] = {}
    for year, service, team, kind, count, pence in REMEDY_HISTORY:
        if not first <= year <= last:
            continue
        dims = {"service": service, "team": team, "type": kind}
        shown = {d: (dims[d] if d in group_by else None) for d in dims}
        row = totals.setdefault(
            (year, *shown.values()),
            {"financial_year": year, **shown, "count": 0, "amount_pence": 0,
             "completed_on_time": 0, "completed_late": 0, "outstanding": 0, "overdue": 0},
        )  # fmt: skip
        row["count"] += count
        row["amount_pence"] += pence
        row["completed_on_time"] += count
    return [totals[key] for key in sorted(totals, key=str)]


def run_body(run_id: int, kind: str, year: str, worker: str = "w") -> dict[str, Any]:
    """A report run as the API gives it."""
    return {
        "id": run_id,
        "kind": kind,
        "financial_year": year,
        "status": "running",
        "worker": worker,
        "attempts": 1,
        "error": None,
        "requested_at": "2019-04-01T09:00:00Z",
        "claimed_at": "2019-04-01T09:00:01Z",
        "lease_expires_at": "2019-04-01T09:05:01Z",
        "completed_at": None,
        "files": [],
    }


@dataclass
class FakeApi:
    """Serves the canned bodies; records requests, uploads and run outcomes."""

    queue: list[tuple[str, str]] = field(default_factory=list)
    empty_years: bool = False
    reconciliation_cases: list[dict[str, Any]] = field(
        default_factory=lambda: list(RECONCILIATION_CASES)
    )
    broken_paths: set[str] = field(default_factory=set)
    requests: list[httpx.Request] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)
    uploads: dict[tuple[int, str], tuple[str, bytes]] = field(default_factory=dict)
    completed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    next_id: int = 1

    def transport(self) -> httpx.MockTransport:
        """A transport for ApiClient(transport=...)."""
        return httpx.MockTransport(self.handle)

    def stats_paths(self) -> list[str]:
        """The paths of the requests made so far, in order."""
        return [r.url.path for r in self.requests]

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request and record both."""
        self.requests.append(request)
        response = self._answer(request)
        self.responses.append(response)
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in self.broken_paths:
            return _problem(422, "from_year: something the test broke")
        if request.method == "GET":
            return self._get(path, request.url.params)
        return self._runs(request)

    def _get(self, path: str, params: httpx.QueryParams) -> httpx.Response:
        empty = self.empty_years
        group_by = params.get_list("group_by")
        if path == "/v1/reference/services":
            return httpx.Response(200, json=SERVICES)
        if path == "/v1/reference/teams":
            return httpx.Response(200, json=TEAMS)
        if path == "/v1/reference/natures":
            return httpx.Response(200, json=NATURES)
        if path == "/v1/stats/feedback":
            rows = COMPLAINTS_BY_NATURE if "nature" in group_by else FEEDBACK_BY_TEAM
            return httpx.Response(200, json={"group_by": group_by, "rows": [] if empty else rows})
        if path == "/v1/stats/timeliness":
            kind = params["kind"]
            within = int(params["within"])
            rows = [
                {"financial_year": y, "service": s, "team": None, "kind": kind,
                 "within_working_days": within, "answered_within": n, "answered": d, "total": d}
                for y, s, n, d in TIMELINESS.get(kind, [])
            ]  # fmt: skip
            return httpx.Response(200, json={"rows": [] if empty else rows})
        if path == "/v1/stats/escalations":
            rows = [] if empty else ESCALATIONS
            return httpx.Response(200, json={"group_by": group_by, "rows": rows})
        if path == "/v1/stats/stage2-findings":
            return httpx.Response(
                200, json={"findings": [], "recommendations": []} if empty else STAGE2
            )
        if path == "/v1/stats/ombudsman-ledger":
            body = {
                "financial_year": params["financial_year"],
                "as_of": params.get("as_of", "2019-04-30"),
                "rows": [] if empty else LEDGER_ROWS,
            }
            return httpx.Response(200, json=body)
        if path == "/v1/stats/remedies":
            rows = [] if empty else _remedy_rows(params, group_by)
            body = {"as_of": "2019-04-30", "group_by": group_by, "rows": rows}
            return httpx.Response(200, json=body)
        if path == "/v1/stats/ombudsman-letter":
            body = {
                "financial_year": params["financial_year"],
                "ombudsman": "lgsco",
                "as_of": params.get("as_of", "2019-04-30"),
                "population": None if empty else {"year": 2018, "residents": 200_000},
                "decisions": [] if empty else LETTER_DECISIONS,
                "compliance": [] if empty else LETTER_COMPLIANCE,
            }
            return httpx.Response(200, json=body)
        if path == "/v1/stats/ombudsman-reconciliation":
            body = {
                "financial_year": params["financial_year"],
                "ombudsman": "lgsco",
                "as_of": params.get("as_of", "2019-04-30"),
                "cases": [] if empty else self.reconciliation_cases,
            }
            return httpx.Response(200, json=body)
        if path == "/v1/stats/published-text":
            texts = (
                {"lessons": [], "recommendations": [], "compliments": []} if empty else PUBLISHED
            )
            return httpx.Response(200, json={"financial_year": params["financial_year"], **texts})
        return _problem(404, f"no route {path}")

    def _runs(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        parts = path.strip("/").split("/")
        if path == "/v1/report-runs/claim":
            worker = json.loads(request.content)["worker"]
            if not self.queue:
                return httpx.Response(204)
            kind, year = self.queue.pop(0)
            run_id, self.next_id = self.next_id, self.next_id + 1
            return httpx.Response(200, json=run_body(run_id, kind, year, worker))
        run_id = int(parts[2])
        if request.method == "PUT" and parts[3] == "files":
            name = parts[4]
            created = (run_id, name) not in self.uploads
            self.uploads[(run_id, name)] = (request.headers["content-type"], request.content)
            body = {"name": name, "content_type": request.headers["content-type"],
                    "size": len(request.content), "sha256": "0" * 64,
                    "url": f"http://testserver{path}"}  # fmt: skip
            return httpx.Response(201 if created else 200, json=body)
        payload = json.loads(request.content)
        if parts[3] == "complete":
            self.completed.append(run_id)
            return httpx.Response(
                200, json=run_body(run_id, "annual", "2018-19") | {"status": "completed"}
            )
        if parts[3] == "fail":
            self.failed[run_id] = payload["reason"]
            return httpx.Response(
                200, json=run_body(run_id, "annual", "2018-19") | {"status": "failed"}
            )
        return _problem(404, f"no route {path}")


def _problem(status: int, detail: str) -> httpx.Response:
    body: dict[str, Any] = {
        "type": "https://council-feedback.example/problems/invalid",
        "title": "The request is not valid" if status == 422 else "Not found",
        "status": status,
        "detail": detail,
        "errors": [],
    }
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})
