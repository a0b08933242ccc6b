"""The demo council's Ombudsman year 2025/26: the cases it logged, and the Ombudsman's list.

The council's own records hold the complaints behind its Ombudsman cases of 2024/25 and
2025/26, the cases as the council escalated them (some with the decision already recorded
from the decision notice) and the remedies it agreed. The LGSCO's list of its 2025/26
decisions (`lgsco-decisions-2025-26.csv`) is then imported as a council would, which fills in
the decisions the council had not recorded and brings in the one complaint the council never
logged. Between them the year shows every reason the Ombudsman's letter and the council's
report differ:

    24 009 118  received 2024/25, decided 2025/26: fault causing injustice; a payment made late
    24 013 552  received 2024/25, decided 2025/26: no fault
    24 016 207  received 2024/25, decided 2025/26: assessed and closed
    25 001 934  2025/26: fault, and the council had already provided a satisfactory remedy
    25 002 655  2025/26: premature, a complaint the council never logged
    25 003 481  2025/26: assessed and closed (a tribunal's matter)
    25 005 012  2025/26: fault causing injustice; an apology and a payment, on time
    25 006 790  2025/26: fault without injustice; a change of practice, on time
    25 010 447  received 2025/26, not yet decided
    25 011 902  received 2025/26, decided in April 2026: in the 2026/27 letter

Invented, like every person of the demo; the references have the LGSCO's form.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.api.demo.cases import DEMO_SOURCE, DemoCase, DemoEscalation

DECISION_LIST = Path(__file__).with_name("lgsco-decisions-2025-26.csv")
YEAR = "2025-26"


@dataclass(frozen=True)
class _Case:
    reference: str
    complaint: str
    service: str
    team: str
    nature: str
    outcome: str
    received_on: str
    responded_on: str
    opened_on: str
    # What the council recorded itself, from the decision notice.
    recorded: dict[str, Any]
    remedies: tuple[dict[str, Any], ...] = ()


def _remedy(
    type_: str,
    description: str,
    due_on: str,
    completed_on: str,
    payee: str | None = None,
    amount_pence: int | None = None,
) -> dict[str, Any]:
    remedy: dict[str, Any] = {"type": type_, "description": description, "due_on": due_on}
    if amount_pence is not None:
        remedy["amount_pence"] = amount_pence
    if payee is not None:
        remedy["payee_label"] = payee
    return remedy | {"completed_on": completed_on}


CASES = (
    _Case(
        "24 009 118",
        "CS-2425-0001",
        "adults",
        "adults-integrated-care",
        "delays-in-service",
        "not_upheld",
        "2024-06-10",
        "2024-07-05",
        "2024-11-04",
        {"decision": "fault_injustice", "decision_on": "2025-05-13"},
        (
            _remedy(
                "financial_payment",
                "£300 for the distress and the time spent chasing a delayed care package",
                "2025-06-13",
                "2025-07-02",
                payee="Mrs D",
                amount_pence=30_000,
            ),
            _remedy("apology", "A written apology for the delay", "2025-06-13", "2025-06-05"),
        ),
    ),
    _Case(
        "24 013 552",
        "CS-2425-0002",
        "children",
        "children-assessment",
        "challenge-to-assessment-outcome",
        "not_upheld",
        "2024-09-16",
        "2024-10-11",
        "2025-01-20",
        {},
    ),
    _Case(
        "24 016 207",
        "CS-2425-0003",
        "education",
        "education-admissions",
        "disagree-with-policy-or-procedure",
        "not_upheld",
        "2024-11-25",
        "2024-12-13",
        "2025-02-24",
        {},
    ),
    _Case(
        "25 001 934",
        "CS-2425-0004",
        "adults",
        "adults-disability",
        "failure-to-do-something",
        "upheld",
        "2025-02-03",
        "2025-02-28",
        "2025-05-06",
        {},
    ),
    _Case(
        "25 003 481",
        "CS-2526-0001",
        "children",
        "children-care-management",
        "contact-worker-issues",
        "not_upheld",
        "2025-04-14",
        "2025-05-09",
        "2025-06-16",
        {},
    ),
    _Case(
        "25 005 012",
        "CS-2526-0002",
        "education",
        "education-participation-wellbeing",
        "failure-to-deliver-a-service",
        "not_upheld",
        "2025-05-12",
        "2025-06-06",
        "2025-07-21",
        {},
        (
            _remedy(
                "apology",
                "An apology for not arranging the agreed support",
                "2026-01-02",
                "2025-12-19",
                payee="Mr K",
            ),
            _remedy(
                "financial_payment",
                "£150 for the lost term of support",
                "2026-01-02",
                "2025-12-19",
                payee="Mr K",
                amount_pence=15_000,
            ),
        ),
    ),
    _Case(
        "25 006 790",
        "CS-2526-0003",
        "adults",
        "adults-integrated-care",
        "poor-communication",
        "partly_upheld",
        "2025-05-19",
        "2025-06-13",
        "2025-08-11",
        {},
        (
            _remedy(
                "policy_or_procedure_change",
                "Remind care managers to confirm a change to a care package in writing",
                "2026-03-10",
                "2026-03-05",
            ),
        ),
    ),
    _Case(
        "25 010 447",
        "CS-2526-0004",
        "children",
        "children-lac-adoption-preventative",
        "poor-communication",
        "not_upheld",
        "2025-10-06",
        "2025-10-31",
        "2026-01-12",
        {},
    ),
    _Case(
        "25 011 902",
        "CS-2526-0005",
        "adults",
        "adults-disability",
        "not-to-the-quality-or-standard-expected",
        "not_upheld",
        "2025-11-17",
        "2025-12-12",
        "2026-02-23",
        {
            "decision": "no_fault",
            "decision_on": "2026-04-21",
            "service_category": "adult_care_services",
        },
    ),
)

_PEOPLE = ("Rowan Ashby", "Kit Farrow", "Morgan Pell", "Ellis Brandt", "Jude Carver")
_CHANNELS = ("email", "web", "letter", "phone")


def ombudsman_year_cases() -> list[DemoCase]:
    """The complaints behind the demo's 2024/25 and 2025/26 Ombudsman cases, as logged."""
    cases = []
    for index, case in enumerate(CASES):
        person = _PEOPLE[index % len(_PEOPLE)]
        item = {
            "source_system": DEMO_SOURCE,
            "external_ref": case.complaint,
            "kind": "complaint",
            "service": case.service,
            "team": case.team,
            "channel": _CHANNELS[index % len(_CHANNELS)],
            "received_on": case.received_on,
            "person": {"name": person},
            "nature": case.nature,
            "outcome": case.outcome,
            "acknowledged_on": case.received_on,
            "responded_on": case.responded_on,
            "closed_on": case.responded_on,
        }
        escalation = {
            "stage": "ombudsman_investigation",
            "lgsco_reference": case.reference,
            "opened_on": case.opened_on,
            **case.recorded,
        }
        cases.append(DemoCase(item, (DemoEscalation(escalation, case.remedies),)))
    return cases
