"""The Ombudsman remedy ledger: one statistics call and the teams' names, then pure assembly."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from .api_models import REMEDY_TYPES, LedgerRow, OmbudsmanLedger, Team
from .client import ApiClient
from .csv_cells import CsvValue
from .figures import percent_half_up, pounds, pounds_figure
from .financial_year import FinancialYear
from .report_models import (
    Compliance,
    LedgerEntry,
    LedgerReport,
    LedgerTotals,
    ServiceTotal,
    TypeTotal,
)

Progress = Callable[[int, int, str], None]


LEDGER_CSV_HEADER = [
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


def compile_ledger(
    client: ApiClient,
    year: FinancialYear,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> LedgerReport:
    """Fetch the year's ledger (2 calls) and assemble it; as_of defaults to the API's today."""
    report_progress = progress or (lambda step, total, what: None)
    report_progress(1, 2, "teams")
    teams = client.teams()
    report_progress(2, 2, "ombudsman ledger")
    ledger = client.ombudsman_ledger(year, as_of)
    return assemble_ledger(teams, ledger, year, datetime.now(UTC).replace(microsecond=0))


def _entry(row: LedgerRow, names: dict[str, str]) -> LedgerEntry:
    return LedgerEntry(
        ombudsman_reference=row.lgsco_reference,
        complaint_reference=row.complaint_reference,
        service=row.service,
        team=row.team,
        team_name=names.get(row.team, row.team),
        decision_date=row.decision_on,
        decision=row.decision,
        public_interest_report=row.public_interest_report,
        remedy_type=row.type,
        description=row.description,
        amount=None if row.amount_pence is None else pounds(row.amount_pence),
        amount_pence=row.amount_pence,
        payee_label=row.payee_label,
        due_date=row.due_on,
        completed_date=row.completed_on,
        status=row.status,
        days_late=row.days_late,
    )


def _grouped(
    entries: list[LedgerEntry], key: Callable[[LedgerEntry], str], order: Iterable[str]
) -> list[tuple[str, int, str]]:
    """(key, count, pounds) per key: known keys in their order, then the rest sorted."""
    groups: dict[str, tuple[int, int]] = {}
    for entry in entries:
        count, pence = groups.get(key(entry), (0, 0))
        groups[key(entry)] = (count + 1, pence + (entry.amount_pence or 0))
    known = [k for k in order if k in groups]
    keys = known + sorted(k for k in groups if k not in known)
    return [(k, groups[k][0], pounds(groups[k][1])) for k in keys]


def compliance(entries: list[LedgerEntry], as_of: date) -> Compliance:
    """Of the remedies due on or before as_of, those completed on or before their due date."""
    due = [e for e in entries if e.due_date is not None and e.due_date <= as_of]
    on_time = sum(
        1
        for e in due
        if e.completed_date is not None
        and e.due_date is not None
        and e.completed_date <= e.due_date
    )
    return Compliance(
        due=len(due), completed_on_time=on_time, percent=percent_half_up(on_time, len(due))
    )


def assemble_ledger(
    teams: list[Team], ledger: OmbudsmanLedger, year: FinancialYear, generated_at: datetime
) -> LedgerReport:
    """Assemble the ledger from the API's rows; no I/O, same inputs same report."""
    names = {t.code: t.name for t in teams}
    entries = [_entry(row, names) for row in ledger.rows]
    services = sorted({e.service for e in entries})
    totals = LedgerTotals(
        by_service=[
            ServiceTotal(service=k, count=n, amount=a)
            for k, n, a in _grouped(entries, lambda e: e.service, services)
        ],
        by_type=[
            TypeTotal(type=k, count=n, amount=a)
            for k, n, a in _grouped(entries, lambda e: e.remedy_type, REMEDY_TYPES)
        ],
        total_paid=pounds(
            sum(e.amount_pence or 0 for e in entries if e.completed_date is not None)
        ),
        total_agreed=pounds(sum(e.amount_pence or 0 for e in entries)),
    )
    return LedgerReport(
        financial_year=year.slug,
        label=year.label,
        as_of=ledger.as_of,
        generated_at=generated_at,
        rows=entries,
        totals=totals,
        compliance=compliance(entries, ledger.as_of),
    )


def ledger_csv_rows(report: LedgerReport) -> list[list[CsvValue]]:
    """One row per remedy under LEDGER_CSV_HEADER; payee labels are already pseudonymous."""
    # Figures go in as numbers and dates, text as text: `csv_cell` neutralises only the text.
    return [
        [
            e.ombudsman_reference,
            e.complaint_reference,
            e.service,
            e.team,
            e.decision_date,
            e.decision,
            e.public_interest_report,
            e.remedy_type,
            e.description,
            None if e.amount_pence is None else pounds_figure(e.amount_pence),
            e.payee_label,
            e.due_date,
            e.completed_date,
            e.status,
            e.days_late,
        ]
        for e in report.rows
    ]
