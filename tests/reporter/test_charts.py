"""The charts print every text they are given as it is: no mathtext, whatever the names hold."""

from __future__ import annotations

from html import unescape
from xml.etree import ElementTree

import pytest
from fake_api import FakeApi

from services.reporter.annual import compile_annual
from services.reporter.charts import (
    Chart,
    RatePoint,
    Share,
    paired_bars,
    rate_lines,
    share_bars,
    stacked_money,
)
from services.reporter.client import ApiClient
from services.reporter.document import render_annual_html
from services.reporter.financial_year import FinancialYear
from services.reporter.history import compile_history
from services.reporter.settings import ReporterSettings

# A price range matplotlib would set as maths between the dollars, TeX it would render as a
# Greek letter, and a command it does not know, which made the whole document fail.
DOLLARS = "Cost $5 to $10"
ALPHA = "$\\alpha$ team"
UNKNOWN = "Fees $\\notacommand$"


def svg_texts(chart: Chart) -> list[str]:
    """Every line of text the chart's SVG draws, as a reader sees it."""
    # The inline SVG is an HTML element: no namespace of its own.
    root = ElementTree.fromstring(chart.svg)
    return [unescape("".join(t.itertext())) for t in root.iter("text")]


def test_bar_labels_titles_and_legends_are_literal() -> None:
    chart = paired_bars(
        "bars",
        f"Title {DOLLARS}",
        [DOLLARS, ALPHA, UNKNOWN],
        [3, 2, 1],
        [1, None, 4],
        (f"Year {ALPHA}", f"Before {DOLLARS}"),
        f"Axis {ALPHA}",
        f"Axis {DOLLARS}",
    )
    texts = svg_texts(chart)
    for expected in (
        f"Title {DOLLARS}",
        DOLLARS,
        ALPHA,
        UNKNOWN,
        f"Year {ALPHA}",
        f"Before {DOLLARS}",
        f"Axis {ALPHA}",
        f"Axis {DOLLARS}",
    ):
        assert expected in texts


def test_line_chart_titles_ticks_and_legends_are_literal() -> None:
    points = [RatePoint(f"{DOLLARS} {i}", 3, 4) for i in range(2)]
    chart = rate_lines(
        "lines",
        f"Title {ALPHA}",
        [(DOLLARS, points), (UNKNOWN, points)],
        90,
        f"Axis {DOLLARS}",
        f"Axis {ALPHA}",
    )
    texts = svg_texts(chart)
    for expected in (
        f"Title {ALPHA}",
        DOLLARS,
        UNKNOWN,
        f"{DOLLARS} 0",
        f"{DOLLARS} 1",
        f"Axis {DOLLARS}",
        f"Axis {ALPHA}",
    ):
        assert expected in texts


def test_share_panels_and_money_stacks_are_literal() -> None:
    shares = share_bars(
        "shares",
        f"Title {DOLLARS}",
        [(f"Panel {ALPHA}", [Share(DOLLARS, 2, 67), Share(UNKNOWN, 1, 33)])],
        3,
        f"Axis {ALPHA}",
    )
    money = stacked_money(
        "money",
        f"Title {UNKNOWN}",
        [DOLLARS, ALPHA],
        [(f"Paid {DOLLARS}", [1000, 0]), (f"Refund {ALPHA}", [0, 2500])],
        f"Axis {DOLLARS}",
        f"Axis {ALPHA}",
    )
    for chart, expected in (
        (shares, [f"Title {DOLLARS}", f"Panel {ALPHA}", DOLLARS, UNKNOWN, f"Axis {ALPHA}"]),
        (
            money,
            [f"Title {UNKNOWN}", DOLLARS, ALPHA, f"Paid {DOLLARS}", f"Refund {ALPHA}"],
        ),
    ):
        texts = svg_texts(chart)
        assert [e for e in expected if e not in texts] == []


@pytest.mark.parametrize("name", [DOLLARS, ALPHA, UNKNOWN])
def test_a_team_or_nature_named_with_dollars_still_gives_the_document(name: str) -> None:
    api = FakeApi()
    with ApiClient(ReporterSettings(api_url="http://api.test"), transport=api.transport()) as c:
        report = compile_annual(c, FinancialYear(2018))
        history = compile_history(c, FinancialYear(2018))
    children = report.services[0]
    stage1, *other_tables = children.tables
    rows = [stage1.rows[0].model_copy(update={"team_name": name}), *stage1.rows[1:]]
    natures = children.natures
    nature_rows = [natures.rows[0].model_copy(update={"name": name}), *natures.rows[1:]]
    children = children.model_copy(
        update={
            "tables": [stage1.model_copy(update={"rows": rows}), *other_tables],
            "natures": natures.model_copy(update={"rows": nature_rows}),
        }
    )
    page = render_annual_html(report.model_copy(update={"services": [children]}), history)
    # Both charts that name it, the Stage 1 bars and the shares, draw the name as it is.
    stage1_chart = page[page.index('id="service-children-figure-stage1-title"') :]
    shares_chart = page[page.index('id="service-children-figure-shares-title"') :]
    drawn = f">{name.replace('&', '&amp;').replace('<', '&lt;')}</text>"
    assert drawn in stage1_chart[: stage1_chart.index("</svg>")]
    assert drawn in shares_chart[: shares_chart.index("</svg>")]
