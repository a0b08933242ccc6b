"""The demo cases make the figures of Barking and Dagenham's 2018/19 complaints report come true.

The expected figures are restated here from the report rather than imported from the module
under test, so that a slip in either shows up as a failure.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from services.api.demo.cases import DEMO_SOURCE, DemoCase, DemoEscalation, demo_cases
from services.api.models.base import council_today
from services.api.models.escalations import EscalationCreate, RemedyCreate
from services.api.models.feedback import FeedbackCreate
from services.api.rules.clock import WorkingCalendar
from services.api.rules.financial_year import FinancialYear

PROFILE = Path(__file__).resolve().parents[2] / "services/api/profiles/barking-and-dagenham.toml"
CALENDAR = WorkingCalendar.england_and_wales()
CASES = demo_cases()

# team -> (2018/19, 2017/18), as printed; teams printed "N/A" or 0 have no cases.
STAGE1 = {
    "children": {
        "children-disability": (14, 10),
        "children-assessment": (14, 24),
        "children-care-management": (23, 29),
        "children-lac-adoption-preventative": (22, 32),
        "children-safeguarding-commissioning": (1, 8),
        "children-community-solutions": (7, 0),
    },
    "adults": {
        "adults-disability": (15, 15),
        "adults-mental-health": (5, 1),
        "adults-integrated-care": (28, 14),
        "adults-integration-commissioning": (5, 4),
        "adults-community-solutions": (1, 0),
    },
    "education": {
        "education-participation-wellbeing": (3, 0),
        "education-early-years": (1, 0),
        "education-admissions": (14, 15),
    },
}
COMPLIMENTS = {
    "children": {
        "children-disability": (0, 1),
        "children-assessment": (0, 2),
        "children-care-management": (6, 4),
        "children-lac-adoption-preventative": (1, 11),
    },
    "adults": {
        "adults-disability": (7, 4),
        "adults-mental-health": (3, 0),
        "adults-integrated-care": (8, 2),
    },
    "education": {
        "education-participation-wellbeing": (5, 0),
        "education-early-years": (0, 2),
        "education-school-performance": (0, 1),
    },
}
MEMBERS = {
    "children": {
        "children-disability": (2, 22),
        "children-assessment": (12, 24),
        "children-care-management": (8, 5),
        "children-lac-adoption-preventative": (9, 8),
        "children-safeguarding-commissioning": (16, 7),
        "children-community-solutions": (11, 0),
    },
    "adults": {
        "adults-disability": (71, 42),
        "adults-mental-health": (7, 11),
        "adults-integrated-care": (35, 65),
        "adults-integration-commissioning": (9, 9),
        "adults-community-solutions": (8, 0),
    },
    "education": {
        "education-participation-wellbeing": (10, 6),
        "education-early-years": (2, 4),
        "education-school-performance": (1, 16),
        "education-admissions": (55, 60),
        # The printed rows sum to 68 against the printed total of 71: 3 sat with another team.
        "education-other": (3, 0),
    },
}
TOTALS = {
    "complaint": {"children": (81, 103), "adults": (54, 34), "education": (18, 15)},
    "compliment": {"children": (7, 18), "adults": (18, 6), "education": (5, 3)},
    "member_enquiry": {"children": (58, 66), "adults": (130, 127), "education": (71, 86)},
}
# service -> year -> (in time, of)
STAGE1_IN_TIME = {
    "children": {2018: (63, 81), 2017: (89, 103)},
    "adults": {2018: (45, 54), 2017: (33, 34)},
    "education": {2018: (14, 18), 2017: (11, 15)},
}
MEMBERS_IN_TIME = {
    "children": {2018: (55, 58), 2017: (59, 66)},
    "adults": {2018: (111, 130), 2017: (114, 127)},
    "education": {2018: (66, 71), 2017: (84, 86)},
}
PRINTED_PERCENT_2017 = {"children": 86, "adults": 97, "education": 73}
NATURES_2018 = {
    "children": {
        "challenge-to-assessment-outcome": 8,
        "challenge-to-section-17-support": 5,
        "challenge-to-support-provided": 13,
        "delays-in-service-minutes": 5,
        "foster-carer-issues": 1,
        "inaccurate-recording": 1,
        "other-service-failure-cause": 2,
        "poor-communication": 46,
    },
    "adults": {
        "delay-in-communication": 5,
        "delays-in-service": 8,
        "failure-to-do-something": 9,
        "inadequate-services-provided-by-a-third-party": 2,
        "inappropriate-behavior": 1,
        "incorrect-information-or-advice-given": 4,
        "not-to-the-quality-or-standard-expected": 11,
        "poor-communication": 14,
    },
    "education": {
        "delay-in-service": 3,
        "failure-to-deliver-a-service": 1,
        "failure-to-do-something": 5,
        "no-communication-received": 4,
        "not-to-the-quality-or-standard-expected": 2,
        "other-communication-cause": 3,
    },
}
OUTCOMES_2018 = {
    "children": {"upheld": 60, "partly_upheld": 15, "not_upheld": 6},
    "adults": {"upheld": 8, "partly_upheld": 17, "not_upheld": 29},
    "education": {"upheld": 9, "partly_upheld": 3, "not_upheld": 6},
}
# The opening words of each "Learning and Service Development" bullet.
LESSON_OPENINGS = {
    "children": (
        "It is clear that year on year that poor communication",
        "When working with families, decision making should be clear",
        "Social Workers at initial meetings should always ensure",
        "All allocated workers to ensure that case notes are kept updated",
        "The role of the Children's Rights Advocate",
        "It is important that families/children feel comfortable",
        "Children's wishes, and feelings should be kept updated",
    ),
    "adults": (
        "Services need to ensure that timely carers assessments",
        "Communication with families and services users needs to improve.",
        "When delays are expected to occur,",
        "Once the package of re-ablement has been completed",
        "Communication to be improved with families of those who have vulnerabilities",
    ),
    "education": ("The communication between teams in the Council could be improved",),
}
# (opening, ending) of each printed compliment excerpt.
PUBLISHED_COMPLIMENTS = {
    "children": (
        ("You say it how it is you've helped me", "From my heart thanx."),
        ("Finally, I just wanted to put in writing", "how well she gave evidence."),
        ("I just wanted to alert you to the high standard", "despite using public transport!"),
    ),
    "adults": (
        ("What a great social worker S is", "pressures are in place!"),
        ("I would like to pass my thanks on to my social worker", "the work with me."),
        ("I would like to thank-you for all your help", "I know my mum is too."),
    ),
    "education": (
        ("Your response time is excellent.", "a solid follow up."),
        ("I also want to say a big thank you to SW", "could potentially change."),
    ),
}
PRINTED_RECOMMENDATIONS = (
    "That the Learn 2 Live Team improves its arrangements for providing young people with a list "
    "of essential items when they move to a new property.",
    "That the Local Authority reviews systems whether the systems, currently in place for "
    "establishing how much money is in each young person's leaving care grant.",
    "The Adjudicating Officer reviews the contact centre used for parental contact to establish "
    "if this remains a suitable venue, if a further venue can be identified and used for such "
    "sessions.",
)
# stage -> (team, financial year of opening) -> count
ESCALATIONS = {
    "stage2_investigation": {
        ("children-care-management", 2018): 1,
        ("children-lac-adoption-preventative", 2018): 2,
        ("children-disability", 2017): 1,
    },
    "stage3_review": {("children-disability", 2017): 1},
    "ombudsman_investigation": {
        ("children-lac-adoption-preventative", 2018): 1,
        ("children-safeguarding-commissioning", 2018): 1,
        ("children-disability", 2017): 1,
        ("adults-disability", 2018): 3,
        ("adults-integrated-care", 2018): 1,
        ("adults-integration-commissioning", 2018): 1,
        ("adults-disability", 2017): 3,
        ("adults-integrated-care", 2017): 1,
    },
}
WARDS = {
    "Abbey", "Alibon", "Becontree", "Chadwell Heath", "Eastbrook", "Eastbury", "Gascoigne",
    "Goresbrook", "Heath", "Longbridge", "Mayesbrook", "Parsloes", "River", "Thames", "Valence",
    "Village", "Whalebone",
}  # fmt: skip
CONSTITUENCIES = {"Barking", "Dagenham and Rainham"}


def _year(day: str) -> int:
    return FinancialYear.containing(date.fromisoformat(day)).start_year


def _items(kind: str, service: str | None = None, year: int | None = None) -> list[dict[str, Any]]:
    return [
        case.item
        for case in CASES
        if case.item["kind"] == kind
        and service in (None, case.item["service"])
        and year in (None, _year(case.item["received_on"]))
    ]


def _escalations(stage: str) -> list[tuple[DemoCase, DemoEscalation]]:
    return [
        (case, escalation)
        for case in CASES
        for escalation in case.escalations
        if escalation.payload["stage"] == stage
    ]


def _working_days(item: dict[str, Any]) -> int:
    received, responded = item["received_on"], item["responded_on"]
    return CALENDAR.working_days_between(
        date.fromisoformat(received), date.fromisoformat(responded)
    )


def test_the_same_cases_on_every_call() -> None:
    assert demo_cases() == CASES


def test_every_payload_is_a_valid_request_body() -> None:
    feedback = TypeAdapter(FeedbackCreate)
    escalation = TypeAdapter(EscalationCreate)
    for case in CASES:
        feedback.validate_python(case.item)
        for step in case.escalations:
            escalation.validate_python(step.payload)
            for remedy in step.remedies:
                RemedyCreate.model_validate(remedy)


def test_items_are_demo_items_with_stable_unique_references() -> None:
    refs = [case.item["external_ref"] for case in CASES]
    assert len(set(refs)) == len(refs) == 900
    for case in CASES:
        item = case.item
        assert item["source_system"] == DEMO_SOURCE == "demo"
        match = re.fullmatch(r"CS-(\d\d)(\d\d)-\d{4}", item["external_ref"])
        assert match, item["external_ref"]
        assert int(match.group(1)) + 2000 == _year(item["received_on"])
        assert "procedure" not in item
        assert item["person"]["name"]


def test_teams_and_natures_are_the_profile_codes() -> None:
    profile = tomllib.loads(PROFILE.read_text())
    teams = {team["code"]: team for team in profile["teams"]}
    natures = {(nature["service"], nature["code"]) for nature in profile["natures"]}
    for case in CASES:
        item = case.item
        team = teams[item["team"]]
        assert team["service"] == item["service"]
        assert team["active_from"] <= date.fromisoformat(item["received_on"])
        if item["kind"] == "complaint":
            assert (item["service"], item["nature"]) in natures


@pytest.mark.parametrize(
    ("kind", "table"),
    [("complaint", STAGE1), ("compliment", COMPLIMENTS), ("member_enquiry", MEMBERS)],
)
@pytest.mark.parametrize("service", ["children", "adults", "education"])
def test_counts_by_team_as_printed(
    kind: str, table: dict[str, dict[str, tuple[int, int]]], service: str
) -> None:
    for index, year in enumerate((2018, 2017)):
        counted = Counter(item["team"] for item in _items(kind, service, year))
        expected = {team: counts[index] for team, counts in table[service].items()}
        assert counted == Counter({team: n for team, n in expected.items() if n}), (kind, year)
        assert sum(counted.values()) == TOTALS[kind][service][index]


def test_every_item_falls_in_one_of_the_two_years() -> None:
    assert {_year(case.item["received_on"]) for case in CASES} == {2017, 2018}


@pytest.mark.parametrize("service", ["children", "adults", "education"])
@pytest.mark.parametrize("year", [2018, 2017])
def test_stage1_timeliness(service: str, year: int) -> None:
    days = [_working_days(item) for item in _items("complaint", service, year)]
    in_time, total = STAGE1_IN_TIME[service][year]
    assert (sum(d <= 20 for d in days), len(days)) == (in_time, total)
    assert all(d <= 40 for d in days)
    if year == 2017:
        assert round(100 * in_time / total) == PRINTED_PERCENT_2017[service]


@pytest.mark.parametrize("service", ["children", "adults", "education"])
@pytest.mark.parametrize("year", [2018, 2017])
def test_members_casework_timeliness(service: str, year: int) -> None:
    days = [_working_days(item) for item in _items("member_enquiry", service, year)]
    in_time, total = MEMBERS_IN_TIME[service][year]
    assert (sum(d <= 10 for d in days), len(days)) == (in_time, total)
    assert all(d <= 25 for d in days)


def test_lifecycle_dates_are_in_order_and_not_in_the_future() -> None:
    today = council_today()
    for case in CASES:
        item = case.item
        received = date.fromisoformat(item["received_on"])
        closed = date.fromisoformat(item["closed_on"])
        acknowledged = date.fromisoformat(item["acknowledged_on"])
        assert received <= acknowledged <= closed <= today
        if item["kind"] == "compliment":
            assert "responded_on" not in item
            continue
        responded = date.fromisoformat(item["responded_on"])
        assert received < responded < closed
        assert acknowledged <= responded


@pytest.mark.parametrize("service", ["children", "adults", "education"])
def test_natures_and_outcomes_2018_19_as_printed(service: str) -> None:
    complaints = _items("complaint", service, 2018)
    assert Counter(item["nature"] for item in complaints) == Counter(NATURES_2018[service])
    assert Counter(item["outcome"] for item in complaints) == Counter(OUTCOMES_2018[service])


@pytest.mark.parametrize("service", ["children", "adults", "education"])
def test_every_complaint_has_a_nature_and_outcome(service: str) -> None:
    outcomes = {"upheld", "partly_upheld", "not_upheld", "resolved_on_receipt"}
    for item in _items("complaint", service):
        assert item["nature"]
        assert item["outcome"] in outcomes


@pytest.mark.parametrize("service", ["children", "adults", "education"])
def test_each_lesson_is_recorded_on_an_upheld_2018_19_complaint(service: str) -> None:
    lessons = [item for item in _items("complaint", service) if "lessons_learned" in item]
    assert all(_year(item["received_on"]) == 2018 for item in lessons)
    assert all(item["outcome"] in ("upheld", "partly_upheld") for item in lessons)
    texts = {item["lessons_learned"] for item in lessons}
    for opening in LESSON_OPENINGS[service]:
        assert sum(text.startswith(opening) for text in texts) == 1, opening
    assert len(texts) == len(LESSON_OPENINGS[service])


@pytest.mark.parametrize("service", ["children", "adults", "education"])
def test_only_the_printed_compliments_have_publication_consent(service: str) -> None:
    consented = [
        item["compliment_text"]
        for item in _items("compliment", service)
        if item["publication_consent"]
    ]
    assert len(consented) == len(PUBLISHED_COMPLIMENTS[service])
    for opening, ending in PUBLISHED_COMPLIMENTS[service]:
        assert [t for t in consented if t.startswith(opening) and t.endswith(ending)], opening
    for item in _items("compliment", service):
        assert item["publication_consent"] == (item["compliment_text"] in consented)
        assert _year(item["received_on"]) == 2018 or not item["publication_consent"]
        assert "outcome" not in item
        assert "nature" not in item


def test_members_casework_comes_from_ward_councillors_and_mps() -> None:
    roles: Counter[str] = Counter()
    for item in _items("member_enquiry"):
        roles[item["enquirer_role"]] += 1
        assert item["channel"] in ("portal", "email")
        if item["enquirer_role"] == "councillor":
            assert item["enquirer"]["name"].startswith("Cllr ")
            assert item["ward_or_constituency"] in WARDS
        else:
            assert item["enquirer_role"] == "mp"
            assert item["ward_or_constituency"] in CONSTITUENCIES
    assert roles["councillor"] > 4 * roles["mp"] > 0


def test_other_channels_vary() -> None:
    channels = {case.item["channel"] for case in CASES if case.item["kind"] != "member_enquiry"}
    assert channels == {"web", "email", "phone", "letter", "in_person", "portal"}


@pytest.mark.parametrize("stage", list(ESCALATIONS))
def test_escalations_by_team_and_year_opened(stage: str) -> None:
    counted = Counter(
        (case.item["team"], _year(step.payload["opened_on"])) for case, step in _escalations(stage)
    )
    assert counted == Counter(ESCALATIONS[stage])


def test_escalations_open_after_the_complaint_was_answered() -> None:
    for case in CASES:
        if case.escalations:
            assert case.item["kind"] == "complaint"
        previous = date.fromisoformat(case.item.get("responded_on", case.item["received_on"]))
        for step in case.escalations:
            opened = date.fromisoformat(step.payload["opened_on"])
            assert opened > previous
            previous = date.fromisoformat(
                step.payload.get("completed_on", step.payload["opened_on"])
            )


def test_the_stage3_review_follows_the_completed_stage2_of_the_same_complaint() -> None:
    [(case, stage3)] = _escalations("stage3_review")
    stages = [step.payload["stage"] for step in case.escalations]
    stage2 = case.escalations[stages.index("stage2_investigation")]
    assert stage2.payload["completed_on"] < stage3.payload["opened_on"]


def test_stage2_findings_and_recommendations_2018_19() -> None:
    stage2s = [
        step.payload
        for _, step in _escalations("stage2_investigation")
        if _year(step.payload["opened_on"]) == 2018
    ]
    completed = [payload for payload in stage2s if "completed_on" in payload]
    [open_one] = [payload for payload in stage2s if "completed_on" not in payload]
    assert len(completed) == 2
    findings = Counter(point["finding"] for p in completed for point in p["points"])
    assert findings == Counter(upheld=3, partly_upheld=3, not_upheld=7)
    recommendations = [rec for p in completed for rec in p["recommendations"]]
    assert all(rec["agreed"] is True for rec in recommendations)
    texts = [rec["text"] for rec in recommendations]
    assert set(PRINTED_RECOMMENDATIONS) <= set(texts)
    assert 4 <= len(texts) <= 5
    assert open_one["points"]
    assert all("finding" not in point for point in open_one["points"])


def test_ombudsman_decisions() -> None:
    cases = _escalations("ombudsman_investigation")
    references = [step.payload["lgsco_reference"] for _, step in cases]
    assert len(set(references)) == len(references)
    decisions: Counter[tuple[str, int, str | None]] = Counter()
    for case, step in cases:
        payload = step.payload
        assert re.fullmatch(r"\d\d \d{3} \d{3}", payload["lgsco_reference"])
        assert ("decision" in payload) == ("decision_on" in payload)
        if "decision_on" in payload:
            assert payload["decision_on"] > payload["opened_on"]
        key = (case.item["team"], _year(payload["opened_on"]), payload.get("decision"))
        decisions[key] += 1
    assert decisions[("children-lac-adoption-preventative", 2018, "no_fault")] == 1
    assert decisions[("children-safeguarding-commissioning", 2018, None)] == 1
    assert decisions[("adults-disability", 2018, "fault_injustice")] == 2
    assert decisions[("adults-disability", 2018, None)] == 1
    assert decisions[("adults-integrated-care", 2018, None)] == 1
    assert decisions[("adults-integration-commissioning", 2018, "fault_injustice")] == 1
    [(report_case, _)] = [
        (case, step) for case, step in cases if step.payload["public_interest_report"]
    ]
    assert report_case.item["team"] == "adults-integration-commissioning"


def _remedies() -> list[tuple[DemoCase, DemoEscalation, dict[str, Any]]]:
    return [
        (case, step, remedy)
        for case, step in _escalations("ombudsman_investigation")
        for remedy in step.remedies
    ]


def test_remedies_are_those_of_the_report() -> None:
    by_payee = Counter(
        (remedy["type"], remedy.get("payee_label"), remedy.get("amount_pence"))
        for _, _, remedy in _remedies()
    )
    assert by_payee[("financial_payment", "Mr B", 20_000)] == 1
    assert by_payee[("financial_payment", "Mr A", 20_000)] == 1
    assert by_payee[("apology", "Mr A", None)] == 1
    assert by_payee[("financial_payment", "Miss X", 60_000)] == 1
    types = Counter(remedy["type"] for _, _, remedy in _remedies())
    assert types == Counter(
        financial_payment=3,
        apology=1,
        review_of_arrangements=1,
        new_assessment=1,
        refund=1,
        policy_or_procedure_change=1,
    )
    for case, step, remedy in _remedies():
        payload = step.payload
        assert payload["decision"] == "fault_injustice"
        assert _year(payload["decision_on"]) == 2018
        assert case.item["service"] == "adults"
        if remedy["type"] in ("financial_payment", "refund"):
            assert isinstance(remedy["amount_pence"], int)
            assert remedy["amount_pence"] > 0
        else:
            assert "amount_pence" not in remedy
        if remedy["type"] in ("refund", "policy_or_procedure_change"):
            assert payload["public_interest_report"] is True
        if remedy["type"] in ("review_of_arrangements", "new_assessment"):
            decided = date.fromisoformat(payload["decision_on"])
            month_later = date(
                decided.year + decided.month // 12, decided.month % 12 + 1, decided.day
            )
            assert remedy["due_on"] == month_later.isoformat()


def test_remedies_are_done_and_one_was_late() -> None:
    today = council_today().isoformat()
    late = 0
    for _, step, remedy in _remedies():
        assert step.payload["decision_on"] < remedy["due_on"]
        assert step.payload["decision_on"] <= remedy["completed_on"] <= today
        late += remedy["completed_on"] > remedy["due_on"]
    assert late == 1
