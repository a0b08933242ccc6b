"""Golden test: the reporter's 2018/19 report for the demo council holds every figure the
published report prints, in the JSON and in the CSV, compiled over HTTP from the real app."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from services.reporter.cli import main as reporter

TOTAL = "Total"
DIS, ASS, CM = "Head of Disability", "Head of Assessment", "Head of Care Management"
LAC = "Head of Looked After Children, Adoption and Preventative Services"
SAF = "Safeguarding and Commissioning"
# The Stage 1 table names this team in full; the casework table calls it "Community Solutions".
CS_CHILDREN = "Community Solutions (MASH & NRPF)"
MH, IC, INT = "Head of Mental Health", "Head of Integrated Care", "Integration and Commissioning"
CS = "Community Solutions"
POW = "Head of Participation Opportunity and Wellbeing"
EY, SPP = "Early Years and Childcare", "Head of School Performance and Partnerships"
ADM = "Admissions and School Investments"

# service -> section -> team -> (2018/19, 2017/18); None is the report's N/A.
TABLES: dict[str, dict[str, dict[str, tuple[int, int | None]]]] = {
    "children": {
        "stage1_complaints": {
            DIS: (14, 10),
            ASS: (14, 24),
            CM: (23, 29),
            LAC: (22, 32),
            SAF: (1, 8),
            CS_CHILDREN: (7, None),
            TOTAL: (81, 103),
        },
        "stage2_investigations": {
            DIS: (0, 1),
            ASS: (0, 0),
            CM: (1, 0),
            LAC: (2, 0),
            SAF: (0, 0),
            TOTAL: (3, 1),
        },
        "stage3_reviews": {
            DIS: (0, 1),
            ASS: (0, 0),
            CM: (0, 0),
            LAC: (0, 0),
            SAF: (0, 0),
            TOTAL: (0, 1),
        },
        "ombudsman_investigations": {
            DIS: (0, 1),
            ASS: (0, 0),
            CM: (0, 0),
            LAC: (1, 0),
            SAF: (1, 0),
            TOTAL: (2, 1),
        },
        "compliments": {
            DIS: (0, 1),
            ASS: (0, 2),
            CM: (6, 4),
            LAC: (1, 11),
            SAF: (0, 0),
            TOTAL: (7, 18),
        },
        "members_casework": {
            DIS: (2, 22),
            ASS: (12, 24),
            CM: (8, 5),
            LAC: (9, 8),
            SAF: (16, 7),
            CS_CHILDREN: (11, None),
            TOTAL: (58, 66),
        },
    },
    "adults": {
        "stage1_complaints": {
            DIS: (15, 15),
            MH: (5, 1),
            IC: (28, 14),
            INT: (5, 4),
            CS: (1, None),
            TOTAL: (54, 34),
        },
        "ombudsman_investigations": {
            DIS: (3, 3),
            MH: (0, 0),
            IC: (1, 1),
            INT: (1, 0),
            TOTAL: (5, 4),
        },
        "compliments": {DIS: (7, 4), MH: (3, 0), IC: (8, 2), INT: (0, 0), TOTAL: (18, 6)},
        "members_casework": {
            DIS: (71, 42),
            MH: (7, 11),
            IC: (35, 65),
            INT: (9, 9),
            CS: (8, None),
            TOTAL: (130, 127),
        },
    },
    "education": {
        "stage1_complaints": {POW: (3, 0), EY: (1, 0), SPP: (0, 0), ADM: (14, 15), TOTAL: (18, 15)},
        "compliments": {POW: (5, 0), EY: (0, 2), SPP: (0, 1), ADM: (0, 0), TOTAL: (5, 3)},
        "members_casework": {
            POW: (10, 6),
            EY: (2, 4),
            SPP: (1, 16),
            ADM: (55, 60),
            TOTAL: (71, 86),
        },
    },
}
HEADLINES = {
    "children": {
        "stage1_complaints": 81,
        "stage2_investigations": 3,
        "stage3_reviews": 0,
        "ombudsman_investigations": 2,
        "compliments": 7,
        "members_casework": 58,
    },
    "adults": {
        "stage1_complaints": 54,
        "ombudsman_investigations": 5,
        "compliments": 18,
        "members_casework": 130,
    },
    "education": {"stage1_complaints": 18, "compliments": 5, "members_casework": 71},
}
# (service, section) -> (within, numerator, denominator, percent, previous percent,
# previous numerator and denominator where printed, meets the 90% target)
TIMELINESS = {
    ("children", "complaints"): (20, 63, 81, 78, 86, None, False),
    ("children", "members_casework"): (10, 55, 58, 95, 89, (59, 66), True),
    ("adults", "complaints"): (20, 45, 54, 83, 97, None, False),
    ("adults", "members_casework"): (10, 111, 130, 85, 90, (114, 127), False),
    ("education", "complaints"): (20, 14, 18, 78, 73, None, False),
    ("education", "members_casework"): (10, 66, 71, 93, 98, (84, 86), True),
}
# service -> nature name -> (count, percent) as printed for 2018/19.
NATURES = {
    "children": {
        "Challenge to Assessment Outcome": (8, 10),
        "Challenge to Conference Outcome": (0, 0),
        "Challenge to Section 17 Support": (5, 6),
        "Challenge to Savings": (0, 0),
        "Challenge to Support Provided": (13, 16),
        "Contact Worker Issues": (0, 0),
        "Delays in Service/Minutes": (5, 6),
        "Foster Carer Issues": (1, 1),
        "Inaccurate Recording": (1, 1),
        "Other Service Failure Cause": (2, 2),
        "Poor Communication": (46, 57),
    },
    "adults": {
        "Delay In Communication": (5, 9),
        "Delays In Service": (8, 15),
        "Disagree with Charge Received": (0, 0),
        "Dissatisfied with Financial Support Offered": (0, 0),
        "Failure to do something": (9, 17),
        "Inadequate Services Provided by a Third Party": (2, 4),
        "Inappropriate Behavior": (1, 2),
        "Incorrect Information or advice given": (4, 7),
        "Not to the quality or standard expected": (11, 20),
        "Poor Communication": (14, 26),
    },
    "education": {
        "Delay in service": (3, 17),
        "Disagree with policy or procedure": (0, 0),
        "Failure to deliver a service": (1, 6),
        "Failure to do something": (5, 28),
        "No communication received": (4, 22),
        "Not to the quality or standard expected": (2, 11),
        "Other communication cause": (3, 17),
    },
}
# service -> outcome -> (count, percent); the Education table prints no percentages.
OUTCOMES: dict[str, dict[str, tuple[int, int | None]]] = {
    "children": {
        "Upheld": (60, 74),
        "Partly Upheld": (15, 19),
        "Not Upheld": (6, 7),
        "Resolved Upon Receipt": (0, 0),
    },
    "adults": {"Upheld": (8, 15), "Partly Upheld": (17, 31), "Not Upheld": (29, 54)},
    "education": {"Upheld": (9, None), "Partly Upheld": (3, None), "Not Upheld": (6, None)},
}
PRINTED_RECOMMENDATIONS = (
    "That the Learn 2 Live Team improves its arrangements",
    "That the Local Authority reviews systems whether the systems",
    "The Adjudicating Officer reviews the contact centre used for parental contact",
)
# (payee, type, amount in pounds or None, words from the printed action)
REMEDIES = [
    ("Mr B", "financial_payment", "200.00", "avoidable distress and inconvenience"),
    ("Mr A", "financial_payment", "200.00", ""),
    ("Mr A", "apology", None, ""),
    ("Mr A", "review_of_arrangements", None, "review the visit arrangements"),
    ("Miss X", "financial_payment", "600.00", "aids and adaptations"),
    ("Miss X", "new_assessment", None, "new assessment"),
]
EXCERPTS = {
    "children": (
        "You say it how it is",
        "Finally, I just wanted to put in writing",
        "I just wanted to alert you to the high standard",
    ),
    "adults": (
        "What a great social worker S is",
        "I would like to pass my thanks on",
        "I would like to thank-you for all your help",
    ),
    "education": ("Your response time is excellent", "I also want to say a big thank you to SW"),
}


@pytest.fixture(scope="module")
def report_files(
    live_api_url: str, api_keys: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("reports")
    patch = pytest.MonkeyPatch()
    patch.setenv("REPORTER_API_URL", live_api_url)
    patch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    try:
        assert reporter(["annual", "--year", "2018-19", "--out", str(out)]) == 0
    finally:
        patch.undo()
    return out


@pytest.fixture(scope="module")
def report(report_files: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report_files / "annual-2018-19.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def csv_rows(report_files: Path) -> list[dict[str, str]]:
    with (report_files / "annual-2018-19.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _service(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in report["services"] if s["service"] == code)


def _csv(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, len(found))
    return found[0]


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)


def test_the_csv_has_the_tidy_columns(report_files: Path) -> None:
    header = (report_files / "annual-2018-19.csv").read_text("utf-8").splitlines()[0]
    assert header == "year,service,section,team,category,measure,value,percent,previous_year_value"


def test_the_report_states_the_counting_rule(report: dict[str, Any]) -> None:
    assert "financial year in which they were received" in report["counting_rule"]
    assert report["corporate_target_percent"] == 90


@pytest.mark.parametrize(
    ("service", "section", "team"),
    [
        (s, sec, t)
        for s, sections in TABLES.items()
        for sec, teams in sections.items()
        for t in teams
    ],
)
def test_every_team_count_of_every_table_for_both_years(
    report: dict[str, Any], csv_rows: list[dict[str, str]], service: str, section: str, team: str
) -> None:
    this_year, last_year = TABLES[service][section][team]
    table = next(t for t in _service(report, service)["tables"] if t["section"] == section)
    if team == TOTAL:
        figures = table["total"]
        row = _csv(csv_rows, service=service, section=section, category="total", measure="count")
    else:
        figures = next(r for r in table["rows"] if r["team_name"] == team)
        row = _csv(csv_rows, service=service, section=section, team=team, measure="count")
    assert (figures["value"], figures["previous_year_value"]) == (this_year, last_year)
    assert (row["value"], row["previous_year_value"]) == (_cell(this_year), _cell(last_year))


@pytest.mark.parametrize(
    ("service", "section"), [(s, sec) for s, sections in HEADLINES.items() for sec in sections]
)
def test_every_headline_count(
    report: dict[str, Any], csv_rows: list[dict[str, str]], service: str, section: str
) -> None:
    expected = HEADLINES[service][section]
    headline = next(h for h in _service(report, service)["headline"] if h["section"] == section)
    assert headline["value"] == expected
    row = _csv(csv_rows, service=service, section="headline", category=section)
    assert row["value"] == str(expected)


@pytest.mark.parametrize(("service", "section"), list(TIMELINESS))
def test_every_timeliness_figure(
    report: dict[str, Any], csv_rows: list[dict[str, str]], service: str, section: str
) -> None:
    within, numerator, denominator, percent, last_percent, last_pair, meets = TIMELINESS[
        (service, section)
    ]
    figure = next(t for t in _service(report, service)["timeliness"] if t["section"] == section)
    assert (figure["numerator"], figure["denominator"], figure["percent"]) == (
        numerator,
        denominator,
        percent,
    )
    assert figure["text"] == (
        f"{percent}% ({numerator} of {denominator}) answered within {within} working days"
    )
    assert figure["previous_year"]["percent"] == last_percent
    if last_pair:
        previous = figure["previous_year"]
        assert (previous["numerator"], previous["denominator"]) == last_pair
    assert figure["target_percent"] == 90
    assert figure["meets_target"] is meets
    measure = f"answered_within_{within}_working_days"
    row = _csv(csv_rows, service=service, section="timeliness", category=section, measure=measure)
    assert (row["value"], row["percent"]) == (str(numerator), str(percent))
    total = _csv(csv_rows, service=service, section="timeliness", category=section, measure="total")
    assert total["value"] == str(denominator)
    last = _csv(
        csv_rows,
        service=service,
        section="timeliness",
        category=section,
        measure="previous_year_percent",
    )
    assert last["value"] == str(last_percent)


@pytest.mark.parametrize(
    ("service", "nature"), [(s, n) for s, natures in NATURES.items() for n in natures]
)
def test_every_nature_count_and_percentage(
    report: dict[str, Any], csv_rows: list[dict[str, str]], service: str, nature: str
) -> None:
    count, percent = NATURES[service][nature]
    row = next(r for r in _service(report, service)["natures"]["rows"] if r["name"] == nature)
    assert (row["count"], row["percent"]) == (count, percent)
    cell = _csv(csv_rows, service=service, section="natures", category=nature)
    assert (cell["value"], cell["percent"]) == (str(count), str(percent))


@pytest.mark.parametrize(
    ("service", "outcome"), [(s, o) for s, outcomes in OUTCOMES.items() for o in outcomes]
)
def test_every_outcome_count_and_percentage(
    report: dict[str, Any], csv_rows: list[dict[str, str]], service: str, outcome: str
) -> None:
    count, percent = OUTCOMES[service][outcome]
    row = next(r for r in _service(report, service)["outcomes"]["rows"] if r["label"] == outcome)
    assert row["count"] == count
    cell = _csv(csv_rows, service=service, section="outcomes", category=outcome)
    assert cell["value"] == str(count)
    if percent is not None:
        assert row["percent"] == percent
        assert cell["percent"] == str(percent)


def test_the_stage2_findings_and_recommendations(
    report: dict[str, Any], csv_rows: list[dict[str, str]]
) -> None:
    stage2 = _service(report, "children")["stage2"]
    assert stage2["investigations"] == 3
    findings = stage2["findings"]
    assert (findings["upheld"], findings["partly_upheld"], findings["not_upheld"]) == (3, 3, 7)
    for finding, count in (("upheld", 3), ("partly_upheld", 3), ("not_upheld", 7)):
        row = _csv(csv_rows, service="children", section="stage2_findings", category=finding)
        assert row["value"] == str(count)
    printed = stage2["recommendations"]
    assert len(printed) == 3
    for start in PRINTED_RECOMMENDATIONS:
        assert any(text.startswith(start) for text in printed), start


def test_the_ombudsman_cases_decisions_and_remedies(
    report: dict[str, Any], csv_rows: list[dict[str, str]]
) -> None:
    children = _service(report, "children")["ombudsman"]
    assert children["investigations"] == 2
    assert children["decisions"]["no_fault"] == 1
    assert children["decisions"]["pending"] == 1
    adults = _service(report, "adults")["ombudsman"]
    assert adults["investigations"] == 5
    assert adults["public_interest_reports"] == 1
    remedies = adults["remedies"]
    for payee, kind, amount, words in REMEDIES:
        match = [
            r
            for r in remedies
            if r["payee_label"] == payee
            and r["type"] == kind
            and r["amount"] == amount
            and words in r["description"]
        ]
        assert match, (payee, kind, amount)
    assert any(r["type"] == "refund" for r in remedies)
    payments = _csv(
        csv_rows,
        service="adults",
        section="ombudsman_remedies",
        category="financial_payment",
        measure="amount_pounds",
    )
    assert payments["value"] == "1000.00"


def test_the_stage2_chapter_says_how_many_were_completed_and_remain_open(
    report: dict[str, Any],
) -> None:
    # "Of the 3 Stage 2's undertaken 2 have been completed ... The 1 remaining complaint is
    # still within the initial stages."
    stage2 = _service(report, "children")["stage2"]
    assert (stage2["investigations"], stage2["completed"], stage2["open"]) == (3, 2, 1)


def test_the_ombudsman_chapter_says_which_teams_case_was_decided_how(
    report: dict[str, Any],
) -> None:
    # "The complaint in relation to Safeguarding and Commissioning remains ongoing ... Head of
    # Looked After Children Adoption and Preventative Services ... found no fault".
    children = _service(report, "children")["ombudsman"]
    assert [(t["team_name"], t["decision"], t["count"]) for t in children["teams"]] == [
        (LAC, "no_fault", 1),
        (SAF, "pending", 1),
    ]
    adults = _service(report, "adults")["ombudsman"]
    assert [(t["team_name"], t["decision"], t["count"]) for t in adults["teams"]] == [
        (DIS, "fault_injustice", 2),
        (DIS, "pending", 1),
        (IC, "pending", 1),
        (INT, "fault_injustice", 1),
    ]


def test_the_public_interest_report_owes_its_s31_answer_apart_from_the_remedies(
    report: dict[str, Any], csv_rows: list[dict[str, str]]
) -> None:
    adults = _service(report, "adults")["ombudsman"]
    assert len(adults["remedies"]) == 8
    assert "public_interest_report_response" not in {r["type"] for r in adults["remedies"]}
    [duty] = adults["public_interest_duties"]
    assert (duty["lgsco_reference"], duty["due_on"], duty["completed_on"]) == (
        "18 000 420",
        "2019-06-11",
        "2019-05-22",
    )
    assert duty["status"] == "completed_on_time"
    row = _csv(
        csv_rows, service="adults", section="ombudsman_public_interest_duty", measure="count"
    )
    assert (row["category"], row["value"]) == ("completed_on_time", "1")
    total = _csv(
        csv_rows, service="adults", section="ombudsman_remedies", category="total", measure="count"
    )
    assert total["value"] == "8"


@pytest.mark.parametrize("service", list(EXCERPTS))
def test_the_published_compliments_and_learning(report: dict[str, Any], service: str) -> None:
    section = _service(report, service)
    excerpts = section["compliment_excerpts"]
    assert len(excerpts) == len(EXCERPTS[service])
    for start in EXCERPTS[service]:
        assert any(text.startswith(start) for text in excerpts), start
    assert section["learning"]


def test_the_csv_carries_no_free_text_or_names(csv_rows: list[dict[str, str]]) -> None:
    texts = {value for row in csv_rows for value in row.values()}
    assert not any("social worker" in text.lower() for text in texts)
    assert not any(text.startswith(("Mr ", "Miss ", "Mrs ")) for text in texts)
