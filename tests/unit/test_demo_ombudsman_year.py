"""The demo's Ombudsman year 2025/26: the complaints the council logged, its cases as it
recorded them, and the LGSCO's list of the year, which fit each other and show every reason
the letter and the council's report differ."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

from pydantic import TypeAdapter

from services.api.demo.cases import demo_cases
from services.api.demo.ombudsman_year import DECISION_LIST, ombudsman_year_cases
from services.api.models.base import council_today
from services.api.models.enums import Ombudsman
from services.api.models.escalations import EscalationCreate, RemedyCreate
from services.api.models.feedback import FeedbackCreate
from services.api.rules.decision_list import read_decision_list
from services.api.rules.financial_year import FinancialYear

PROFILE = Path(__file__).resolve().parents[2] / "services/api/profiles/barking-and-dagenham.toml"
CASES = ombudsman_year_cases()
YEAR = FinancialYear(2025)
LISTED = read_decision_list(DECISION_LIST.read_bytes(), Ombudsman.lgsco, council_today())


def _escalations() -> dict[str, dict[str, str]]:
    return {
        case.escalations[0].payload["lgsco_reference"]: case.escalations[0].payload
        for case in CASES
    }


def test_every_case_is_a_valid_request_body_of_the_profiles_teams() -> None:
    profile = tomllib.loads(PROFILE.read_text())
    teams = {t["code"] for t in profile["teams"]}
    natures = {(n["service"], n["code"]) for n in profile["natures"]}
    for case in CASES:
        TypeAdapter(FeedbackCreate).validate_python(case.item)
        assert case.item["team"] in teams
        assert (case.item["service"], case.item["nature"]) in natures
        for step in case.escalations:
            TypeAdapter(EscalationCreate).validate_python(step.payload)
            for remedy in step.remedies:
                RemedyCreate.model_validate(remedy)


def test_references_are_the_lgscos_and_clash_with_nothing_of_2018_19() -> None:
    earlier = {s.payload.get("lgsco_reference") for c in demo_cases() for s in c.escalations} | {
        c.item["external_ref"] for c in demo_cases()
    }
    for case in CASES:
        reference = case.escalations[0].payload["lgsco_reference"]
        assert re.fullmatch(r"\d\d \d{3} \d{3}", reference)
        assert reference not in earlier
        assert case.item["external_ref"] not in earlier
        match = re.fullmatch(r"CS-(\d\d)\d\d-\d{4}", case.item["external_ref"])
        assert match
        received = FinancialYear.containing(date.fromisoformat(case.item["received_on"]))
        assert int(match.group(1)) + 2000 == received.start_year


def test_the_list_reads_without_a_problem_and_fits_the_councils_cases() -> None:
    assert LISTED.problems == []
    held = _escalations()
    unlogged = [row for row in LISTED.rows if row.ombudsman_reference not in held]
    assert [(r.ombudsman_reference, r.decision) for r in unlogged] == [("25 002 655", "premature")]
    for row in LISTED.rows:
        assert YEAR.first_day <= row.decision_on <= YEAR.last_day
        payload = held.get(row.ombudsman_reference)
        if payload is None:
            continue
        # The Ombudsman received it when the council says it went there.
        assert str(row.received_on) == payload["opened_on"]
        # What the council recorded itself agrees with the list: nothing contradicts.
        if "decision" in payload:
            assert (payload["decision"], payload["decision_on"]) == (
                row.decision,
                str(row.decision_on),
            )


def test_the_year_shows_every_reason_the_letter_and_the_report_differ() -> None:
    held = _escalations()
    listed = {row.ombudsman_reference: row for row in LISTED.rows}
    opened = {ref: date.fromisoformat(p["opened_on"]) for ref, p in held.items()}
    earlier = [ref for ref in listed if ref in opened and opened[ref] < YEAR.first_day]
    assert len(earlier) == 3
    assert "25 002 655" not in held  # a premature complaint the council never logged
    undecided = [ref for ref in held if ref not in listed and "decision" not in held[ref]]
    assert undecided == ["25 010 447"]
    after = [ref for ref, p in held.items() if p.get("decision_on", "") > "2026-03-31"]
    assert after == ["25 011 902"]
    closed = [r.closure_reason for r in LISTED.rows if r.decision == "assessed_and_closed"]
    assert len(closed) == 2 and None not in closed
    remedied = [r.ombudsman_reference for r in LISTED.rows if r.satisfactory_remedy_provided]
    assert remedied == ["25 001 934"]
    remedies = [r for c in CASES for s in c.escalations for r in s.remedies]
    late = [r for r in remedies if r["completed_on"] > r["due_on"]]
    assert [(r["type"], r["payee_label"]) for r in late] == [("financial_payment", "Mrs D")]
