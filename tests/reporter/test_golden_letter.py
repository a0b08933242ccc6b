"""Golden test: the demo council's 2025/26 Ombudsman letter, predicted, and its reconciliation
with the council's own count, compiled over HTTP from the real app (JSON and CSV). These are
the figures the README explains."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from services.reporter.cli import main as reporter

YEAR = "2025-26"
AS_OF = "2026-07-31"  # when the letter arrives
ADULT, EDUCATION = "adult_care_services", "education_and_childrens_services"

LETTER = {
    "decided": 8,
    "not_for_us": 1,
    "premature": 1,
    "another_body": 0,
    "assessed_and_closed": 2,
    "investigated": 5,
    "upheld": 4,
    "not_upheld": 1,
    "upheld_percent": 80,
    "satisfactory_remedy": 1,
    "satisfactory_remedy_percent": 25,
    "public_interest_reports": 0,
    "recommendations_due": 5,
    "recommendations_on_time": 4,
    "compliance_percent": 80,
    "upheld_per_100000_residents": 1.8,
}
# category -> (decided, not for us, assessed and closed, investigated, upheld, due, on time)
BY_CATEGORY = {
    ADULT: (4, 1, 0, 3, 3, 3, 2),
    EDUCATION: (4, 0, 2, 2, 1, 2, 2),
}
# figure -> (letter, council's report, {reason: contribution})
RECONCILED = {
    "cases": (
        8,
        6,
        {
            "received_in_an_earlier_year": 3,
            "not_logged_by_the_council": 1,
            "not_yet_decided": -1,
            "decided_after_the_year": -1,
        },
    ),
    "investigated": (
        5,
        6,
        {
            "received_in_an_earlier_year": 2,
            "not_yet_decided": -1,
            "decided_after_the_year": -1,
            "not_investigated_by_the_ombudsman": -1,
        },
    ),
    "upheld": (4, 3, {"received_in_an_earlier_year": 1}),
}
# reference -> {figure: reason} for every case counted on one basis and not the other.
CASES = {
    "24 009 118": dict.fromkeys(("cases", "investigated", "upheld"), "received_in_an_earlier_year"),
    "24 013 552": dict.fromkeys(("cases", "investigated"), "received_in_an_earlier_year"),
    "24 016 207": {"cases": "received_in_an_earlier_year"},
    "25 002 655": {"cases": "not_logged_by_the_council"},
    "25 003 481": {"investigated": "not_investigated_by_the_ombudsman"},
    "25 010 447": dict.fromkeys(("cases", "investigated"), "not_yet_decided"),
    "25 011 902": dict.fromkeys(("cases", "investigated"), "decided_after_the_year"),
}
# On both bases alike.
MATCHED = ("25 001 934", "25 005 012", "25 006 790")


@pytest.fixture(scope="module")
def files(
    live_api_url: str, api_keys: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("letter")
    patch = pytest.MonkeyPatch()
    patch.setenv("REPORTER_API_URL", live_api_url)
    patch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    try:
        argv = ["letter", "--year", YEAR, "--out", str(out), "--as-of", AS_OF]
        assert reporter(argv) == 0
    finally:
        patch.undo()
    return out


def _json(files: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((files / f"{name}-{YEAR}.json").read_text("utf-8"))
    return data


def _csv(files: Path, name: str) -> list[dict[str, str]]:
    with (files / f"{name}-{YEAR}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _cell(rows: list[dict[str, str]], section: str, category: str, measure: str) -> dict[str, str]:
    found = [
        r
        for r in rows
        if (r["section"], r["category"], r["measure"]) == (section, category, measure)
    ]
    assert len(found) == 1, (section, category, measure, len(found))
    return found[0]


def test_the_letters_figures(files: Path) -> None:
    letter = _json(files, "ombudsman-letter")
    assert (letter["financial_year"], letter["ombudsman"], letter["as_of"]) == (
        YEAR,
        "lgsco",
        AS_OF,
    )
    assert letter["figures"] == LETTER
    assert letter["population"] == {"year": 2021, "residents": 218_900}


@pytest.mark.parametrize("measure", list(LETTER))
def test_the_letters_figures_in_the_csv(files: Path, measure: str) -> None:
    rows = _csv(files, "ombudsman-letter")
    percents = {
        "upheld": "upheld_percent",
        "satisfactory_remedy": "satisfactory_remedy_percent",
        "recommendations_on_time": "compliance_percent",
    }
    if measure.endswith("_percent"):
        return  # written as the percent of its count
    row = _cell(rows, "ombudsman_letter", "all", measure)
    assert row["value"] == str(LETTER[measure])
    if measure in percents:
        assert row["percent"] == str(LETTER[percents[measure]])
    assert (row["year"], row["service"], row["team"]) == (YEAR, "", "")


@pytest.mark.parametrize("category", list(BY_CATEGORY))
def test_every_figure_by_the_ombudsmans_service_category(files: Path, category: str) -> None:
    decided, *_, upheld, _, _ = BY_CATEGORY[category]
    letter = _json(files, "ombudsman-letter")
    [figures] = [
        c["figures"] for c in letter["by_service_category"] if c["service_category"] == category
    ]
    assert (
        figures["decided"],
        figures["not_for_us"],
        figures["assessed_and_closed"],
        figures["investigated"],
        figures["upheld"],
        figures["recommendations_due"],
        figures["recommendations_on_time"],
    ) == BY_CATEGORY[category]
    rows = _csv(files, "ombudsman-letter")
    assert _cell(rows, "ombudsman_letter", category, "upheld")["value"] == str(upheld)
    assert _cell(rows, "ombudsman_letter", category, "decided")["value"] == str(decided)
    assert [c["service_category"] for c in letter["by_service_category"]] == [ADULT, EDUCATION]


@pytest.mark.parametrize("figure", list(RECONCILED))
def test_the_reconciliation_explains_every_difference(files: Path, figure: str) -> None:
    letter_count, report_count, reasons = RECONCILED[figure]
    report = _json(files, "ombudsman-reconciliation")
    [reconciled] = [f for f in report["figures"] if f["figure"] == figure]
    assert (reconciled["letter"], reconciled["report"]) == (letter_count, report_count)
    assert reconciled["difference"] == letter_count - report_count
    assert {r["reason"]: r["contribution"] for r in reconciled["explained"]} == reasons
    rows = _csv(files, "ombudsman-letter")
    assert _cell(rows, "ombudsman_reconciliation", "letter", figure)["value"] == str(letter_count)
    assert _cell(rows, "ombudsman_reconciliation", "report", figure)["value"] == str(report_count)
    for reason, contribution in reasons.items():
        cell = _cell(rows, "ombudsman_reconciliation", reason, figure)
        assert cell["value"] == str(contribution)


def test_the_reconciliation_case_by_case(files: Path) -> None:
    report = _json(files, "ombudsman-reconciliation")
    cases = {c["ombudsman_reference"]: c for c in report["cases"]}
    assert set(cases) == set(CASES) | set(MATCHED)
    for reference, reasons in CASES.items():
        got = {d["figure"]: d["reason"] for d in cases[reference]["differences"]}
        assert got == reasons, reference
    for reference in MATCHED:
        assert cases[reference]["differences"] == []
    unlogged = cases["25 002 655"]
    assert (unlogged["complaint_reference"], unlogged["team"]) == (None, None)
    assert cases["24 009 118"]["team_name"] == "Head of Integrated Care"
    rows = _csv(files, "ombudsman-reconciliation")
    assert len(rows) == sum(len(r) for r in CASES.values())
    assert {(r["ombudsman_reference"], r["figure"], r["reason"]) for r in rows} == {
        (reference, figure, reason)
        for reference, reasons in CASES.items()
        for figure, reason in reasons.items()
    }


def test_the_letter_before_its_year_ended_knew_fewer_decisions(
    live_api_url: str, api_keys: dict[str, str], tmp_path: Path
) -> None:
    patch = pytest.MonkeyPatch()
    patch.setenv("REPORTER_API_URL", live_api_url)
    patch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    try:
        argv = ["letter", "--year", YEAR, "--out", str(tmp_path), "--as-of", "2025-09-30"]
        assert reporter(argv) == 0
    finally:
        patch.undo()
    letter = json.loads((tmp_path / f"ombudsman-letter-{YEAR}.json").read_text("utf-8"))
    # By 30 September 2025: 24 016 207, 25 002 655, 25 003 481, 24 013 552 and 24 009 118.
    assert (letter["figures"]["decided"], letter["figures"]["upheld"]) == (5, 1)
