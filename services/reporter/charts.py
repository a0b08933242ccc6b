"""The published report's charts: matplotlib drawings as inline SVG, readable in greyscale.

Each chart has a title, labelled axes and a text alternative that states its figures in
words; series differ by grey level and hatching or line style and marker, never by colour
alone. Text stays text (`svg.fonttype` none) and is printed as given (no mathtext, no TeX),
the ids are the chart's own, and the same figures always give the same bytes (a fixed hash
salt, no date in the metadata).
"""

from __future__ import annotations

import functools
import io
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Concatenate, ParamSpec

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .figures import percent_half_up

WIDTH_INCHES = 6.8
STYLE: dict[Any, Any] = {
    # Every text is printed as given: a name with dollars ("Cost $5 to $10") is not maths,
    # and one with a TeX command matplotlib does not know cannot stop the report.
    "text.parse_math": False,
    "text.usetex": False,
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#404040",
    "axes.labelcolor": "#202020",
    "xtick.color": "#404040",
    "ytick.color": "#404040",
    "hatch.linewidth": 0.7,
    "legend.frameon": False,
    "legend.fontsize": 8,
}
# No date, tool or version in the file: the same figures give the same bytes.
METADATA: dict[str, str | None] = {"Creator": None, "Date": None, "Format": None, "Type": None}
INK = "#202020"
# (fill, hatch) of successive series: distinct grey levels, and hatching as well.
SERIES_FILLS: tuple[tuple[str, str], ...] = (
    ("#3a3a3a", ""),
    ("#c8c8c8", "////"),
    ("#ffffff", "xxx"),
    ("#8c8c8c", "...."),
    ("#e6e6e6", "\\\\\\\\"),
)
# (line style, marker, grey) of successive lines.
LINE_STYLES: tuple[tuple[str, str, str], ...] = (
    ("-", "o", "#202020"),
    ("--", "s", "#606060"),
    ("-.", "^", "#909090"),
)
LABEL_WIDTH = 46
TITLE_WIDTH = 80
P = ParamSpec("P")


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart and its words: a title, a short caption and the full description."""

    chart_id: str
    title: str
    summary: str
    description: str
    svg: str


def _wrap(label: str) -> str:
    return "\n".join(textwrap.wrap(label, LABEL_WIDTH)) or label


def _lines(label: str) -> int:
    return _wrap(label).count("\n") + 1


def _new_figure(height: float) -> Figure:
    figure = Figure(figsize=(WIDTH_INCHES, height), layout="constrained")
    FigureCanvasSVG(figure)
    return figure


def _svg(figure: Figure, chart_id: str, title: str, description: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=METADATA)
    return inline_svg(buffer.getvalue(), chart_id, title, description)


def _styled(draw: Callable[Concatenate[str, P], Chart]) -> Callable[Concatenate[str, P], Chart]:
    """Draw in the report's style, with a hash salt of the chart's own (its first argument)."""

    @functools.wraps(draw)
    def styled(chart_id: str, /, *args: P.args, **kwargs: P.kwargs) -> Chart:
        # Keys typed Any: matplotlib's stubs list the rc keys, and older ones do not.
        rc: dict[Any, Any] = {**STYLE, "svg.hashsalt": chart_id}
        with matplotlib.rc_context(rc):
            return draw(chart_id, *args, **kwargs)

    return styled


_VIEW_BOX = re.compile(r'viewBox="([^"]+)"')


def inline_svg(raw: str, chart_id: str, title: str, description: str) -> str:
    """matplotlib's SVG file as an element for an HTML page.

    Drops the XML prolog and the document-wide `*` style, scales to its container by its
    viewBox, gives every id the chart's prefix (so several charts share a page) and makes it
    an image named by the `<title>` and `<desc>` it adds: its figures in words.
    """
    body = raw[raw.index("<svg") :]
    opening_end = body.index(">") + 1
    view_box = _VIEW_BOX.search(body[:opening_end])
    if view_box is None:
        raise ValueError("matplotlib wrote an SVG without a viewBox")
    rest = body[opening_end:]
    rest = re.sub(r'<style type="text/css">.*?</style>', "", rest, flags=re.S)
    rest = re.sub(r"<defs>\s*</defs>", "", rest)
    rest = re.sub(r'\bid="([^"]+)"', rf'id="{chart_id}-\1"', rest)
    rest = rest.replace("url(#", f"url(#{chart_id}-")
    rest = rest.replace('xlink:href="#', f'href="#{chart_id}-')
    rest = re.sub(r"\n\s+", "\n", rest)
    opening = (
        f'<svg class="chart-svg" viewBox="{view_box.group(1)}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    return opening + rest.strip()


def _count(value: int | None) -> str:
    return "not applicable" if value is None else str(value)


def _title(title: str) -> str:
    return "\n".join(textwrap.wrap(title, TITLE_WIDTH)) or title


def _finish_axes(axes: Axes, title: str, x_label: str, y_label: str) -> None:
    axes.set_title(_title(title), pad=8)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)


@_styled
def paired_bars(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    this_year: Sequence[int | None],
    last_year: Sequence[int | None],
    years: tuple[str, str],
    value_label: str,
    category_label: str,
) -> Chart:
    """Horizontal bars by category, this year (dark) against last year (light, hatched).

    None is a category that did not exist that year: no bar, and "N/A" beside it.
    """
    this_label, last_label = years
    count = len(categories)
    figure = _new_figure(1.5 + 0.26 * max(count, 1) + 0.1 * sum(_lines(c) for c in categories))
    axes = figure.add_subplot()
    positions = list(range(count))
    height = 0.38
    bars = (
        (this_year, this_label, SERIES_FILLS[0], -height / 2),
        (last_year, last_label, SERIES_FILLS[1], height / 2),
    )
    for values, label, (fill, hatch), offset in bars:
        drawn = axes.barh(
            [p + offset for p in positions],
            [v or 0 for v in values],
            height=height,
            color=fill,
            hatch=hatch,
            edgecolor=INK,
            linewidth=0.6,
            label=label,
        )
        axes.bar_label(drawn, labels=["N/A" if v is None else str(v) for v in values], padding=3)
    axes.set_yticks(positions, [_wrap(c) for c in categories])
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    top = max([v or 0 for v in (*this_year, *last_year)] + [1])
    axes.set_xlim(0, top * 1.12 + 1)
    _finish_axes(axes, title, value_label, category_label)
    figure.legend(loc="outside lower center", ncols=2)
    this_total = sum(v or 0 for v in this_year)
    last_total = sum(v or 0 for v in last_year)
    description = (
        "; ".join(
            f"{c}: {_count(t)} in {this_label}, {_count(p)} in {last_label}"
            for c, t, p in zip(categories, this_year, last_year, strict=True)
        )
        + f". Total: {this_total} in {this_label}, {last_total} in {last_label}."
    )
    summary = f"{this_total} in {this_label} against {last_total} in {last_label}."
    return Chart(chart_id, title, summary, description, _svg(figure, chart_id, title, description))


@dataclass(frozen=True)
class RatePoint:
    """A year's share of items answered in time."""

    year: str
    numerator: int
    denominator: int

    @property
    def percent(self) -> int | None:
        """Rounded half up; None when there was nothing to answer."""
        return percent_half_up(self.numerator, self.denominator)


def _rate_words(point: RatePoint) -> str:
    if point.percent is None:
        return f"{point.year} none to answer"
    return f"{point.year} {point.percent}% ({point.numerator} of {point.denominator})"


@_styled
def rate_lines(
    chart_id: str,
    title: str,
    series: Sequence[tuple[str, Sequence[RatePoint]]],
    target_percent: int,
    value_label: str,
    year_label: str,
) -> Chart:
    """Percentages by year as lines with markers, against a dotted target line."""
    years = [p.year for p in series[0][1]] if series else []
    figure = _new_figure(3.3)
    axes = figure.add_subplot()
    positions = list(range(len(years)))
    axes.axhline(
        target_percent,
        color=INK,
        linestyle=":",
        linewidth=1.4,
        label=f"Corporate target ({target_percent}%)",
    )
    for index, (name, points) in enumerate(series):
        style, marker, grey = LINE_STYLES[index % len(LINE_STYLES)]
        values = [math.nan if p.percent is None else p.percent for p in points]
        axes.plot(
            positions,
            values,
            linestyle=style,
            marker=marker,
            color=grey,
            markersize=6,
            linewidth=1.6,
            label=name,
        )
    for x in positions:
        # In each year the highest point is labelled above, the others below: the labels of
        # close percentages never print over each other or over the line.
        year_points = [p[x] for _, p in series if p[x].percent is not None]
        for rank, point in enumerate(sorted(year_points, key=lambda p: -(p.percent or 0))):
            above = rank == 0
            axes.annotate(
                f"{point.percent}%",
                (x, point.percent or 0),
                textcoords="offset points",
                xytext=(0, 7) if above else (0, -13),
                ha="center",
                fontsize=7.5,
                color=INK,
                # A white ground keeps a label legible where it crosses a line.
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            )
    axes.set_xticks(positions, years)
    axes.set_xlim(-0.5, max(len(years) - 0.5, 0.5))
    axes.set_ylim(0, 108)
    axes.set_yticks(range(0, 101, 20))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}%"))
    _finish_axes(axes, title, year_label, value_label)
    figure.legend(loc="outside lower center", ncols=1)
    description = (
        " ".join(f"{name}: {', '.join(_rate_words(p) for p in points)}." for name, points in series)
        + f" The corporate target is {target_percent}%."
    )
    latest = [
        f"{name.split(' answered')[0]} {points[-1].percent}%"
        for name, points in series
        if points and points[-1].percent is not None
    ]
    summary = (
        f"{years[-1] if years else ''}: {'; '.join(latest) or 'nothing to answer'}; "
        f"target {target_percent}%."
    )
    return Chart(chart_id, title, summary, description, _svg(figure, chart_id, title, description))


@dataclass(frozen=True)
class Share:
    """One bar of a share chart: a label, its count and its percentage of the whole."""

    label: str
    count: int
    percent: int | None


@_styled
def share_bars(
    chart_id: str,
    title: str,
    panels: Sequence[tuple[str, Sequence[Share]]],
    denominator: int,
    value_label: str,
) -> Chart:
    """Horizontal bars of percentages, one panel per breakdown of the same whole."""
    # A panel is as tall as its labels: a wrapped label takes a line more.
    heights = [max(sum(_lines(r.label) for r in rows), 1) for _, rows in panels]
    figure = _new_figure(0.9 * len(panels) + 0.2 * sum(heights))
    grid = figure.add_gridspec(len(panels), 1, height_ratios=heights)
    for index, (panel_title, rows) in enumerate(panels):
        axes = figure.add_subplot(grid[index])
        fill, hatch = SERIES_FILLS[0] if index == 0 else SERIES_FILLS[1]
        positions = list(range(len(rows)))
        drawn = axes.barh(
            positions,
            [r.percent or 0 for r in rows],
            height=0.66,
            color=fill,
            hatch=hatch,
            edgecolor=INK,
            linewidth=0.6,
        )
        axes.bar_label(drawn, labels=[f"{r.percent or 0}% ({r.count})" for r in rows], padding=3)
        axes.set_yticks(positions, [_wrap(r.label) for r in rows])
        axes.invert_yaxis()
        axes.set_xlim(0, 112)
        axes.set_xticks(range(0, 101, 20))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}%"))
        _finish_axes(axes, panel_title, value_label, "")
    figure.suptitle(_title(title), x=0.01, ha="left", fontweight="bold", fontsize=10)
    description = (
        " ".join(
            f"{panel_title}: "
            + ", ".join(f"{r.label} {r.count} ({r.percent or 0}%)" for r in rows)
            + "."
            for panel_title, rows in panels
        )
        + f" Percentages are of {denominator} complaints."
    )
    summary = (
        "; ".join(
            f"{panel_title}: largest share {top.label} ({top.percent or 0}%)"
            for panel_title, rows in panels
            if rows
            for top in [max(rows, key=lambda r: r.count)]
        )
        + "."
    )
    return Chart(chart_id, title, summary, description, _svg(figure, chart_id, title, description))


def _money(pence: int) -> str:
    whole, part = divmod(pence, 100)
    return f"£{whole:,}.{part:02d}"


@_styled
def stacked_money(
    chart_id: str,
    title: str,
    years: Sequence[str],
    stacks: Sequence[tuple[str, Sequence[int]]],
    value_label: str,
    year_label: str,
) -> Chart:
    """Vertical bars of money by year, stacked by kind, each kind a grey and a hatch."""
    figure = _new_figure(2.8)
    axes = figure.add_subplot()
    positions = list(range(len(years)))
    bottoms = [0.0] * len(years)
    for index, (name, pence) in enumerate(stacks):
        fill, hatch = SERIES_FILLS[index % len(SERIES_FILLS)]
        pounds = [p / 100 for p in pence]
        axes.bar(
            positions,
            pounds,
            bottom=bottoms,
            width=0.55,
            color=fill,
            hatch=hatch,
            edgecolor=INK,
            linewidth=0.6,
            label=name,
        )
        bottoms = [b + v for b, v in zip(bottoms, pounds, strict=True)]
    totals = [sum(p[i] for _, p in stacks) for i in range(len(years))]
    for x, total in zip(positions, totals, strict=True):
        axes.annotate(
            _money(total),
            (x, total / 100),
            textcoords="offset points",
            xytext=(0, 4),
            ha="center",
            fontsize=7.5,
            color=INK,
        )
    axes.set_xticks(positions, list(years))
    axes.set_ylim(0, max([*totals, 100]) / 100 * 1.15)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"£{value:,.0f}"))
    _finish_axes(axes, title, year_label, value_label)
    axes.legend(loc="upper left")
    description = " ".join(
        f"{year}: {_money(total)}"
        + (
            " (" + ", ".join(f"{name.lower()} {_money(p[i])}" for name, p in stacks if p[i]) + ")."
            if total
            else "."
        )
        for i, (year, total) in enumerate(zip(years, totals, strict=True))
    )
    summary = f"{_money(sum(totals))} over {len(years)} years."
    return Chart(chart_id, title, summary, description, _svg(figure, chart_id, title, description))
