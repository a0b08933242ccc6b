"""The Ombudsmen's own ways of counting: their decision categories, their service categories,
what counts as upheld, and the statutory clock a public interest report starts.

Each Ombudsman has its own vocabulary, so every table here is keyed by the Ombudsman: another
one (the Housing Ombudsman) adds its entries beside the LGSCO's.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, timedelta

from services.api.models.enums import (
    DecisionStage,
    Ombudsman,
    OmbudsmanDecision,
    OmbudsmanServiceCategory,
)

# The stage at which each category closes a case (the LGSCO's annual review letter counts
# "not for us", "assessed and closed" and "investigated" decisions).
CATEGORIES: Mapping[Ombudsman, Mapping[OmbudsmanDecision, DecisionStage]] = {
    Ombudsman.lgsco: {
        OmbudsmanDecision.premature: DecisionStage.not_for_us,
        OmbudsmanDecision.another_body: DecisionStage.not_for_us,
        OmbudsmanDecision.assessed_and_closed: DecisionStage.assessed_and_closed,
        OmbudsmanDecision.fault_injustice: DecisionStage.investigated,
        OmbudsmanDecision.fault_no_injustice: DecisionStage.investigated,
        OmbudsmanDecision.no_fault: DecisionStage.investigated,
    }
}
# Upheld: the Ombudsman found fault, with or without injustice. A case in which the council
# had already provided a satisfactory remedy is one of these, marked as such.
UPHELD: Mapping[Ombudsman, frozenset[OmbudsmanDecision]] = {
    Ombudsman.lgsco: frozenset(
        {OmbudsmanDecision.fault_injustice, OmbudsmanDecision.fault_no_injustice}
    )
}
# Only a decision to close after assessing a complaint gives a closure reason.
CLOSED_WITH_REASON: Mapping[Ombudsman, frozenset[OmbudsmanDecision]] = {
    Ombudsman.lgsco: frozenset({OmbudsmanDecision.assessed_and_closed})
}
SERVICE_CATEGORIES: Mapping[Ombudsman, frozenset[OmbudsmanServiceCategory]] = {
    Ombudsman.lgsco: frozenset(OmbudsmanServiceCategory)
}
# The LGSCO writes its references as two digits of the year and six more: "25 001 934".
REFERENCE_FORMS: Mapping[Ombudsman, re.Pattern[str]] = {
    Ombudsman.lgsco: re.compile(r"(\d{2}) ?(\d{3}) ?(\d{3})", re.ASCII)
}
NAMES: Mapping[Ombudsman, str] = {
    Ombudsman.lgsco: "the Local Government and Social Care Ombudsman",
}


def decision_stage(ombudsman: Ombudsman, decision: OmbudsmanDecision) -> DecisionStage:
    """The stage at which the Ombudsman closed a case decided so."""
    return CATEGORIES[ombudsman][decision]


def is_upheld(ombudsman: Ombudsman, decision: OmbudsmanDecision | None) -> bool:
    """Whether the Ombudsman counts a decision as upheld."""
    return decision is not None and decision in UPHELD[ombudsman]


def normal_reference(ombudsman: Ombudsman, text: str) -> str | None:
    """A reference written the Ombudsman's way ("25 001 934"), or None when it is not one."""
    match = REFERENCE_FORMS[ombudsman].fullmatch(text.strip())
    return " ".join(match.groups()) if match else None


def decision_problems(ombudsman: Ombudsman, values: Mapping[str, object]) -> list[tuple[str, str]]:
    """What is wrong with a decision's fields taken together, as (field, problem) pairs.

    `values` holds `decision`, `closure_reason`, `satisfactory_remedy_provided` and
    `service_category`, any of them None.
    """
    problems: list[tuple[str, str]] = []
    decision = values.get("decision")
    name = NAMES[ombudsman]
    if decision is not None and decision not in CATEGORIES[ombudsman]:
        problems.append(("decision", f"is not a category {name} uses"))
        return problems
    category = values.get("service_category")
    if category is not None and category not in SERVICE_CATEGORIES[ombudsman]:
        problems.append(("service_category", f"is not a service category {name} uses"))
    if values.get("closure_reason") is not None and decision not in CLOSED_WITH_REASON[ombudsman]:
        problems.append(
            ("closure_reason", "goes only with a decision to close after assessing the complaint")
        )
    remedy = values.get("satisfactory_remedy_provided")
    if remedy is not None and decision not in UPHELD[ombudsman]:
        problems.append(
            (
                "satisfactory_remedy_provided",
                "goes only with a finding of fault (the Ombudsman found the council's own "
                "remedy satisfactory)",
            )
        )
    return problems


def public_interest_response_due(report_on: date) -> date:
    """The last day of the three months beginning with the day the council received a public
    interest report, within which it must tell the Ombudsman what it has done or will do
    (Local Government Act 1974 s.31(2)).

    A period of months beginning with a day ends on the day before the same date of the last
    month; when that month has no such date (30 November: no 30 February), on its last day.
    """
    months = report_on.month - 1 + 3
    year, month = report_on.year + months // 12, months % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if report_on.day > last:
        return date(year, month, last)
    return date(year, month, report_on.day) - timedelta(days=1)
