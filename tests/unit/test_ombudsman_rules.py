"""The Ombudsman's ways of counting, as plain rules: categories and their stages, what counts as
upheld, which fields go together, references, and the s.31 clock of a public interest report."""

from __future__ import annotations

import re
from datetime import date

import pytest

from services.api.models import Escalation
from services.api.models.enums import (
    DecisionStage,
    Ombudsman,
    OmbudsmanDecision,
    OmbudsmanServiceCategory,
)
from services.api.rules.ombudsman import (
    CATEGORIES,
    UPHELD,
    decision_problems,
    decision_stage,
    is_upheld,
    normal_reference,
    public_interest_response_due,
)

LGSCO = Ombudsman.lgsco


@pytest.mark.parametrize(
    ("report_on", "due"),
    [
        # Three months beginning with 12 March end on 11 June.
        (date(2019, 3, 12), date(2019, 6, 11)),
        (date(2025, 1, 1), date(2025, 3, 31)),
        # No 30 February: the period ends on the last day of February.
        (date(2023, 11, 30), date(2024, 2, 29)),
        (date(2022, 11, 30), date(2023, 2, 28)),
        (date(2025, 1, 31), date(2025, 4, 30)),
        (date(2025, 3, 31), date(2025, 6, 30)),
        (date(2025, 3, 30), date(2025, 6, 29)),
        # Across the year's end.
        (date(2025, 10, 15), date(2026, 1, 14)),
        (date(2025, 12, 1), date(2026, 2, 28)),
    ],
)
def test_the_s31_answer_is_due_on_the_last_day_of_three_months_from_the_report(
    report_on: date, due: date
) -> None:
    assert public_interest_response_due(report_on) == due


def test_every_lgsco_category_closes_a_case_at_one_stage() -> None:
    assert set(CATEGORIES[LGSCO]) == set(OmbudsmanDecision)
    stages = {decision_stage(LGSCO, d) for d in OmbudsmanDecision}
    assert stages == set(DecisionStage)
    assert decision_stage(LGSCO, OmbudsmanDecision.premature) is DecisionStage.not_for_us
    assert decision_stage(LGSCO, OmbudsmanDecision.another_body) is DecisionStage.not_for_us
    assert decision_stage(LGSCO, OmbudsmanDecision.no_fault) is DecisionStage.investigated


def test_upheld_is_a_finding_of_fault_with_or_without_injustice() -> None:
    upheld = {d for d in OmbudsmanDecision if is_upheld(LGSCO, d)}
    assert upheld == {OmbudsmanDecision.fault_injustice, OmbudsmanDecision.fault_no_injustice}
    assert not is_upheld(LGSCO, None)


def test_the_database_holds_the_lgsco_to_the_same_categories() -> None:
    # The CHECK constraint is literal SQL; it must name exactly the rules' categories.
    check = next(
        c
        for c in Escalation.__table__.constraints  # type: ignore[attr-defined]
        if c.name == "ck_escalation_lgsco_categories"
    )
    named = set(re.findall(r"'([a-z_]+)'", str(check.sqltext))) - {"lgsco"}
    assert named == {d.value for d in CATEGORIES[LGSCO]}
    upheld_check = next(
        c
        for c in Escalation.__table__.constraints  # type: ignore[attr-defined]
        if c.name == "ck_escalation_satisfactory_remedy_decision"
    )
    assert set(re.findall(r"'([a-z_]+)'", str(upheld_check.sqltext))) == {
        d.value for d in UPHELD[LGSCO]
    }


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"decision": "fault_injustice", "satisfactory_remedy_provided": True}, []),
        (
            {"decision": "no_fault", "satisfactory_remedy_provided": True},
            ["satisfactory_remedy_provided"],
        ),
        ({"decision": "assessed_and_closed", "closure_reason": "late"}, []),
        ({"decision": "premature", "closure_reason": "late"}, ["closure_reason"]),
        ({"decision": None, "closure_reason": "late"}, ["closure_reason"]),
        ({"decision": None, "service_category": "housing"}, []),
        ({"decision": "premature", "service_category": "parking"}, ["service_category"]),
        ({"decision": "severe_maladministration"}, ["decision"]),
    ],
)
def test_a_decisions_fields_go_together(values: dict[str, object], fields: list[str]) -> None:
    assert [name for name, _ in decision_problems(LGSCO, values)] == fields


def test_every_service_category_is_the_lgscos() -> None:
    assert not decision_problems(
        LGSCO, {"decision": None, "service_category": OmbudsmanServiceCategory.housing}
    )


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("25 001 934", "25 001 934"),
        ("25001934", "25 001 934"),
        ("  25 001 934 ", "25 001 934"),
        ("25-001-934", None),
        ("2500193", None),
        ("AB 001 934", None),
        ("", None),
    ],
)
def test_references_are_written_the_lgscos_way(text: str, reference: str | None) -> None:
    assert normal_reference(LGSCO, text) == reference
