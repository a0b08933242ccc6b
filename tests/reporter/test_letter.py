"""The Ombudsman's letter predicted and reconciled, from canned answers: its figures, the
reasons that add up to every difference, its CSV in the annual report's columns, and the
chapter the published report prints."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from fake_api import RECONCILIATION_CASES, FakeApi
from test_html_report import YEAR, compiled, parse, text_of

from services.reporter.annual import ANNUAL_CSV_HEADER
from services.reporter.api_models import Team
from services.reporter.cli import main as reporter
from services.reporter.client import ApiClient
from services.reporter.csv_cells import csv_bytes
from services.reporter.document import render_annual_html
from services.reporter.letter import (
    RECONCILIATION_CSV_HEADER,
    OmbudsmanReview,
    compile_letter,
    compile_reconciliation,
    compile_review,
    letter_csv_rows,
    reconciliation_csv_rows,
)
from services.reporter.output import json_bytes
from services.reporter.settings import ReporterSettings

SETTINGS = ReporterSettings(api_url="http://api.test")


def review_of(api: FakeApi) -> OmbudsmanReview:
    with ApiClient(SETTINGS, transport=api.transport()) as client:
        return compile_review(client, YEAR)


@pytest.fixture(scope="module")
def review() -> OmbudsmanReview:
    return review_of(FakeApi())


def test_the_letter_takes_one_call_and_the_reconciliation_two() -> None:
    api = FakeApi()
    with ApiClient(SETTINGS, transport=api.transport()) as client:
        compile_letter(client, YEAR)
        assert api.stats_paths() == ["/v1/stats/ombudsman-letter"]
        compile_reconciliation(client, YEAR)
        teams = [Team(code="x", service="children", name="X", active_from="2010-04-01")]
        compile_reconciliation(client, YEAR, teams=teams)
    assert api.stats_paths()[1:] == [
        "/v1/reference/teams",
        "/v1/stats/ombudsman-reconciliation",
        "/v1/stats/ombudsman-reconciliation",
    ]


def test_the_letters_figures_are_the_ombudsmans(review: OmbudsmanReview) -> None:
    figures = review.letter.figures
    assert (figures.decided, figures.not_for_us, figures.premature) == (4, 1, 1)
    assert (figures.assessed_and_closed, figures.investigated) == (1, 2)
    assert (figures.upheld, figures.not_upheld, figures.upheld_percent) == (1, 1, 50)
    assert (figures.satisfactory_remedy, figures.satisfactory_remedy_percent) == (1, 100)
    assert figures.public_interest_reports == 1
    assert (figures.recommendations_due, figures.recommendations_on_time) == (3, 2)
    assert figures.compliance_percent == 67
    # 1 upheld decision among 200,000 residents.
    assert figures.upheld_per_100000_residents == Decimal("0.5")
    population = review.letter.population
    assert population is not None
    assert (population.year, population.residents) == (2018, 200_000)


def test_every_figure_is_given_by_the_ombudsmans_service_categories(
    review: OmbudsmanReview,
) -> None:
    categories = review.letter.by_service_category
    assert [(c.service_category, c.label) for c in categories] == [
        ("education_and_childrens_services", "Education and Children's Services"),
        (None, "Not recorded"),
    ]
    education, unrecorded = (c.figures for c in categories)
    assert (education.decided, education.investigated, education.upheld) == (3, 2, 1)
    assert (unrecorded.decided, unrecorded.assessed_and_closed) == (1, 1)
    assert education.recommendations_due == 3
    assert unrecorded.recommendations_due == 0
    assert sum(c.figures.decided for c in categories) == review.letter.figures.decided


def test_the_reconciliation_sets_both_bases_side_by_side(review: OmbudsmanReview) -> None:
    figures = {f.figure: f for f in review.reconciliation.figures}
    assert [(f.letter, f.report, f.difference) for f in figures.values()] == [
        (4, 3, 1),
        (2, 3, -1),
        (1, 1, 0),
    ]
    assert {r.reason: r.contribution for r in figures["cases"].explained} == {
        "received_in_an_earlier_year": 1,
        "not_logged_by_the_council": 1,
        "not_yet_decided": -1,
    }
    assert {r.reason: r.contribution for r in figures["investigated"].explained} == {
        "received_in_an_earlier_year": 1,
        "not_yet_decided": -1,
        "not_investigated_by_the_ombudsman": -1,
    }
    assert figures["upheld"].explained == []


def test_the_letters_side_of_the_reconciliation_is_the_letter(review: OmbudsmanReview) -> None:
    figures = {f.figure: f.letter for f in review.reconciliation.figures}
    letter = review.letter.figures
    assert figures == {
        "cases": letter.decided,
        "investigated": letter.investigated,
        "upheld": letter.upheld,
    }


def test_the_reasons_add_up_to_every_difference_case_by_case(review: OmbudsmanReview) -> None:
    for figure in review.reconciliation.figures:
        listed = [
            d
            for c in review.reconciliation.cases
            for d in c.differences
            if d.figure == figure.figure
        ]
        assert sum(1 if d.in_letter else -1 for d in listed) == figure.difference
        assert sum(r.contribution for r in figure.explained) == figure.difference
        assert sum(r.cases for r in figure.explained) == len(listed)
    by_reference = {c.ombudsman_reference: c for c in review.reconciliation.cases}
    assert [d.reason for d in by_reference["18 009 001"].differences] == [
        "not_logged_by_the_council"
    ]
    assert by_reference["18 009 001"].team_name is None
    assert by_reference["18 000 871"].differences == []
    assert by_reference["18 000 871"].team_name == "Community Solutions"
    [not_investigated] = by_reference["18 012 345"].differences
    assert not_investigated.figure == "investigated"
    assert "assessed it and closed it on 1 Dec 2018" in not_investigated.explanation


def test_the_letter_csv_keeps_the_annual_reports_columns(review: OmbudsmanReview) -> None:
    content = csv_bytes(ANNUAL_CSV_HEADER, letter_csv_rows(review.letter, review.reconciliation))
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert all(len(r) == len(ANNUAL_CSV_HEADER) for r in rows)

    def cell(section: str, category: str, measure: str) -> dict[str, str]:
        [row] = [
            r
            for r in rows
            if (r["section"], r["category"], r["measure"]) == (section, category, measure)
        ]
        return row

    upheld = cell("ombudsman_letter", "all", "upheld")
    assert (upheld["year"], upheld["value"], upheld["percent"]) == ("2018-19", "1", "50")
    rate = cell("ombudsman_letter", "all", "upheld_per_100000_residents")
    assert rate["value"] == "0.5"
    assert cell("ombudsman_letter", "not_recorded", "decided")["value"] == "1"
    assert cell("ombudsman_letter", "population", "residents")["value"] == "200000"
    assert cell("ombudsman_reconciliation", "difference", "investigated")["value"] == "-1"
    assert cell("ombudsman_reconciliation", "not_yet_decided", "cases")["value"] == "-1"


def test_the_reconciliation_csv_has_a_row_per_difference_its_text_neutralised() -> None:
    hostile = [dict(c) for c in RECONCILIATION_CASES]
    hostile[1]["complaint_reference"] = '=HYPERLINK("http://x")'
    api = FakeApi(reconciliation_cases=hostile)
    with ApiClient(SETTINGS, transport=api.transport()) as client:
        report = compile_reconciliation(client, YEAR)
    content = csv_bytes(RECONCILIATION_CSV_HEADER, reconciliation_csv_rows(report))
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert len(rows) == sum(len(c.differences) for c in report.cases) == 6
    earlier = [r for r in rows if r["ombudsman_reference"] == "18 005 719"]
    assert {r["complaint_reference"] for r in earlier} == {'\'=HYPERLINK("http://x")'}
    assert {(r["figure"], r["contribution"], r["reason"]) for r in earlier} == {
        ("cases", "1", "received_in_an_earlier_year"),
        ("investigated", "1", "received_in_an_earlier_year"),
    }


def test_the_json_gives_the_rate_as_a_number(review: OmbudsmanReview) -> None:
    data = json.loads(json_bytes(review.letter))
    assert data["report"] == "ombudsman-letter"
    assert data["figures"]["upheld_per_100000_residents"] == 0.5
    assert data["period"] == {"from": "2018-04-01", "to": "2019-03-31"}


def test_a_year_without_decisions_has_no_rates_to_give() -> None:
    empty = review_of(FakeApi(empty_years=True))
    figures = empty.letter.figures
    assert (figures.decided, figures.upheld_percent, figures.compliance_percent) == (0, None, None)
    assert figures.upheld_per_100000_residents is None
    assert empty.letter.by_service_category == []
    assert [f.difference for f in empty.reconciliation.figures] == [0, 0, 0]


def test_the_cli_writes_the_letter_and_its_reconciliation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTER_API_URL", "http://api.test")
    api = FakeApi()
    argv = ["letter", "--year", "2018-19", "--out", str(tmp_path), "--as-of", "2019-04-30"]
    assert reporter(argv, transport=api.transport()) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ombudsman-letter-2018-19.csv",
        "ombudsman-letter-2018-19.json",
        "ombudsman-reconciliation-2018-19.csv",
        "ombudsman-reconciliation-2018-19.json",
    ]
    assert len(api.requests) == 3
    assert {r.url.params.get("as_of") for r in api.requests if "stats" in r.url.path} == {
        "2019-04-30"
    }
    header = (tmp_path / "ombudsman-reconciliation-2018-19.csv").read_text().splitlines()[0]
    assert header.split(",") == RECONCILIATION_CSV_HEADER


def test_the_annual_report_prints_the_letter_as_a_chapter(review: OmbudsmanReview) -> None:
    page = render_annual_html(*compiled(FakeApi()), review)
    tree = parse(page)
    text = text_of(tree)
    assert "The Ombudsman's Annual Review Letter" in text
    assert "the Ombudsman made 4 decisions on complaints about the council" in text
    assert "It upheld 1 of the 2 it investigated (50%)" in text
    assert "That is 0.5 upheld decisions per 100,000 residents" in text
    assert "a difference of +1: +1 received in an earlier year and decided in this one" in text
    assert "\u22121 received this year and not yet decided (1 case)" in text
    captions = [text_of(c) for c in tree.iter("{http://www.w3.org/1999/xhtml}caption")]
    assert "The Ombudsman's letter and this report, 2018/19" in captions
    assert "The cases that count in one and not the other, 2018/19" in captions
    contents = tree.find(".//{http://www.w3.org/1999/xhtml}nav")
    assert contents is not None
    assert "The Ombudsman's Annual Review Letter" in text_of(contents)


def test_a_letter_of_another_year_is_refused(review: OmbudsmanReview) -> None:
    report, history = compiled(FakeApi())
    other = review.letter.model_copy(update={"financial_year": "2019-20", "label": "2019/20"})
    with pytest.raises(ValueError, match="2019/20 letter"):
        render_annual_html(report, history, OmbudsmanReview(other, review.reconciliation))
