"""The few years of figures the published report charts: timeliness and Ombudsman remedies.

Three statistics calls over the report's year and the four before it, whatever the number of
cases; then pure functions pick out one service's series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .annual import CASEWORK_WORKING_DAYS, COMPLAINT_WORKING_DAYS
from .api_models import RemedyTotals, Timeliness
from .client import ApiClient
from .figures import percent_half_up
from .financial_year import FinancialYear

Progress = Callable[[int, int, str], None]

# The charts show at most this many years, ending with the report's own.
HISTORY_YEARS = 5
# Remedy types whose amounts are money the council pays out.
MONEY_REMEDY_TYPES = ("financial_payment", "refund")


@dataclass(frozen=True)
class AnnualHistory:
    """Timeliness and remedies for the report's year and up to four years before it."""

    year: FinancialYear
    complaint_timeliness: Timeliness
    casework_timeliness: Timeliness
    remedies: RemedyTotals

    @property
    def first_year(self) -> FinancialYear:
        """The earliest year asked for."""
        return FinancialYear(self.year.start_year - (HISTORY_YEARS - 1))

    def years_held(self) -> list[FinancialYear]:
        """Oldest first: from the first year with any record to the report's year.

        The report's year and the one before are always shown, as the report's tables are.
        """
        slugs = {r.financial_year for r in self.complaint_timeliness.rows if r.total}
        slugs |= {r.financial_year for r in self.casework_timeliness.rows if r.total}
        slugs |= {r.financial_year for r in self.remedies.rows if r.count}
        window = [FinancialYear(self.first_year.start_year + i) for i in range(HISTORY_YEARS)]
        held = [y for y in window if y.slug in slugs]
        start = min([*held, self.year.previous])
        return [y for y in window if y >= start]


def compile_history(
    client: ApiClient, year: FinancialYear, progress: Progress | None = None
) -> AnnualHistory:
    """Fetch five years of timeliness and remedies: three calls."""
    first = FinancialYear(year.start_year - (HISTORY_YEARS - 1))
    report_progress = progress or (lambda step, total, what: None)
    report_progress(1, 3, "timeliness over five years")
    complaints = client.timeliness(
        "complaint", COMPLAINT_WORKING_DAYS, first, year, group_by=["service"]
    )
    report_progress(2, 3, "casework timeliness over five years")
    casework = client.timeliness(
        "member_enquiry", CASEWORK_WORKING_DAYS, first, year, group_by=["service"]
    )
    report_progress(3, 3, "remedies over five years")
    remedies = client.remedy_totals(first, year, group_by=["service", "type"])
    return AnnualHistory(
        year=year,
        complaint_timeliness=complaints,
        casework_timeliness=casework,
        remedies=remedies,
    )


@dataclass(frozen=True)
class YearRate:
    """Of a year's items, how many were answered in time; percent None when there were none."""

    year: FinancialYear
    numerator: int
    denominator: int
    percent: int | None


def timeliness_series(
    stats: Timeliness, service: str, years: list[FinancialYear]
) -> list[YearRate]:
    """One service's timeliness in each of the years, in their order."""
    totals: dict[str, tuple[int, int]] = {}
    for row in stats.rows:
        if row.service == service:
            within, total = totals.get(row.financial_year, (0, 0))
            totals[row.financial_year] = (within + row.answered_within, total + row.total)
    series = []
    for year in years:
        within, total = totals.get(year.slug, (0, 0))
        series.append(YearRate(year, within, total, percent_half_up(within, total)))
    return series


def remedy_amounts(
    remedies: RemedyTotals, service: str, years: list[FinancialYear]
) -> dict[str, list[int]]:
    """Pence of money remedies by type, one entry per year; types with no money left out."""
    index = {y.slug: i for i, y in enumerate(years)}
    amounts: dict[str, list[int]] = {}
    for row in remedies.rows:
        position = index.get(row.financial_year)
        if row.service != service or position is None or not row.amount_pence:
            continue
        kind = row.type or "other"
        amounts.setdefault(kind, [0] * len(years))[position] += row.amount_pence
    ordered = [t for t in MONEY_REMEDY_TYPES if t in amounts]
    ordered += sorted(t for t in amounts if t not in ordered)
    return {t: amounts[t] for t in ordered}
