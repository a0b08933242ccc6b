"""The published report: one self-contained HTML page with inline SVG charts.

Pure tests render it from canned answers; the browser tests have Chromium (headless) render
the demo council's 2018/19 report, compiled over HTTP from the real app, to a PNG, a PDF
and its DOM, and audit it with axe-core against WCAG 2.2 A and AA and best practice; the
end-to-end test has a worker publish it at the API's static URL.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import html5lib
import httpx
import pytest
from fake_api import FakeApi
from headless import (
    DESKTOP_WINDOW,
    PHONE_WINDOW,
    ROOT,
    Audit,
    Browser,
    auditor,
    axe_audit,
    report,
    start_browser,
)
from PIL import Image

from services.reporter.annual import compile_annual
from services.reporter.cli import main as reporter
from services.reporter.client import ApiClient
from services.reporter.document import render_annual_html
from services.reporter.financial_year import FinancialYear
from services.reporter.history import AnnualHistory, compile_history
from services.reporter.letter import compile_review
from services.reporter.report_models import AnnualReport, TimelinessFigure, YearTimeliness
from services.reporter.settings import ReporterSettings
from services.reporter.wording import timeliness_sentences

YEAR = FinancialYear(2018)
XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
MAX_UPLOAD_BYTES = 1024 * 1024
# The demo's service areas in the council profile's order, as the seed prints them.
DEMO_SERVICES = (
    ("children", "Children's Social Care"),
    ("adults", "Adult Social Care"),
    ("education", "Education"),
)
SECTION_HEADINGS = (
    "Summary",
    "Stage 1",
    "Timeliness of Dealing with Complaints",
    "Concerns and Outcomes of Complaints",
    "Learning and Service Development",
    "Stage 2 Complaints Commenced",
    "Stage 3 Reviews Undertaken",
    "Local Government & Social Care Ombudsman",
    "Compliments Received",
    "Members & MP's Casework",
)


# -- rendering from canned answers --------------------------------------------------------


def compiled(api: FakeApi) -> tuple[AnnualReport, AnnualHistory]:
    with ApiClient(ReporterSettings(api_url="http://api.test"), transport=api.transport()) as c:
        return compile_annual(c, YEAR), compile_history(c, YEAR)


@pytest.fixture(scope="module")
def canned() -> tuple[AnnualReport, AnnualHistory]:
    return compiled(FakeApi())


@pytest.fixture(scope="module")
def page(canned: tuple[AnnualReport, AnnualHistory]) -> str:
    return render_annual_html(*canned)


def parse(document: str, strict: bool = True) -> ElementTree.Element:
    """The document as html5lib's tree; strict, any parse error raises."""
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), strict=strict)
    tree: ElementTree.Element = parser.parse(document)
    return tree


def text_of(element: ElementTree.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def figures_of(tree: ElementTree.Element) -> list[ElementTree.Element]:
    return list(tree.iter(f"{XHTML}figure"))


def timeliness(percent: int, last: int, meets: bool, change: Any) -> TimelinessFigure:
    return TimelinessFigure(
        section="complaints",
        within_working_days=20,
        numerator=percent,
        denominator=100,
        percent=percent,
        text="",
        previous_year=YearTimeliness(numerator=last, denominator=100, percent=last, text=""),
        target_percent=90,
        meets_target=meets,
        change=change,
    )


def test_a_decrease_below_the_target_is_said_so() -> None:
    figure = timeliness(78, 86, False, "decrease")
    assert timeliness_sentences(figure, "2018/19", "2017/18", "complaints", "answered") == [
        "In 2018/19 78% (78 of 100) of complaints were answered within 20 working days, which "
        "is a decrease on the 2017/18 figure of 86% (86 of 100).",
        "This is below the corporate target of 90%, by 12 percentage points.",
    ]


def test_an_increase_meeting_the_target_is_said_so() -> None:
    figure = timeliness(95, 89, True, "increase")
    sentences = timeliness_sentences(figure, "2018/19", "2017/18", "enquiries", "responded to")
    assert "which is an increase on the 2017/18 figure of 89% (89 of 100)." in sentences[0]
    assert sentences[1] == "This meets the corporate target of 90%."


def test_the_words_follow_the_figures_not_a_fixed_text() -> None:
    same = timeliness(90, 90, True, "no change")
    assert (
        "the same as the 2017/18 figure of 90%"
        in timeliness_sentences(same, "2018/19", "2017/18", "complaints", "answered")[0]
    )
    nothing = TimelinessFigure.model_validate(
        timeliness(0, 0, False, None).model_dump()
        | {"numerator": 0, "denominator": 0, "percent": None, "meets_target": None}
    )
    assert timeliness_sentences(nothing, "2031/32", "2030/31", "complaints", "answered") == [
        "In 2031/32 there were no complaints to answer, so there is no figure to set against "
        "the corporate target of 90%."
    ]


def test_the_page_carries_the_generated_sentences(page: str) -> None:
    text = text_of(parse(page))
    # Children: 63 of 81 (78%) against 89 of 103 (86%); education 14 of 18 against 11 of 15.
    assert "78% (63 of 81) of complaints were answered within 20 working days, which is" in text
    assert "a decrease on the 2017/18 figure of 86% (89 of 103)" in text
    assert "an increase on the 2017/18 figure of 73% (11 of 15)" in text
    assert "This is below the corporate target of 90%, by 12 percentage points." in text
    assert "81 Stage 1 complaints were received in 2018/19, down from 103 in 2017/18" in text
    assert (
        "The investigations considered 14 complaint points: the independent investigators "
        "upheld 3 and did not uphold 7; 4 are still under investigation." in text
    )
    assert "the council agreed 3 remedies, including £9,324.60 in payments and refunds." in text
    assert "Of these, 1 was completed on time, 1 was completed late and 1 is outstanding." in text
    assert "1 found fault causing injustice and 1 found no fault." in text


def test_the_html_parses_without_a_single_error(page: str) -> None:
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(page)
    assert parser.errors == []
    assert page.startswith("<!DOCTYPE html>\n")
    assert '<html lang="en-GB">' in page


def test_a_team_that_did_not_exist_reads_n_a(page: str) -> None:
    tree = parse(page)
    table = next(
        t
        for t in tree.iter(f"{XHTML}table")
        if text_of(t.find(f"{XHTML}caption")).startswith("Stage 1 Complaints Received: Children")
    )
    rows = {
        text_of(row.find(f"{XHTML}th")): [text_of(cell) for cell in row.iter(f"{XHTML}td")]
        for row in table.iter(f"{XHTML}tr")
        if row.find(f"{XHTML}th") is not None
    }
    assert rows["Community Solutions"] == ["7", "N/A"]
    assert rows["Head of Disability"] == ["74", "103"]
    assert rows["Total"] == ["81", "103"]


def test_every_chart_is_inline_svg_with_a_text_alternative(page: str) -> None:
    tree = parse(page)
    figures = figures_of(tree)
    assert len(figures) >= 4
    for figure in figures:
        # A figure is named by its caption; a figure with a caption may take no other role.
        assert figure.get("role") is None
        caption = figure.find(f"{XHTML}figcaption")
        assert caption is not None
        assert re.match(r"Figure \d+\. \S", text_of(caption)), text_of(caption)
        svg = figure.find(f"{SVG}svg")
        assert svg is not None, "the chart is drawn inline"
        # The chart is an image whose name is its title and every figure in words.
        assert svg.get("role") == "img"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None
        assert desc is not None
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert text_of(title)
        assert re.search(r"\d", text_of(desc)), text_of(desc)
        # Text stays text: a reader can select it and a screen magnifier keeps it sharp.
        assert list(svg.iter(f"{SVG}text"))
    assert page.count("<svg") == len(figures)


def test_the_charts_are_readable_in_greyscale(page: str) -> None:
    colours = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", page)}
    greys = {c for c in colours if c[1:3] == c[3:5] == c[5:7]}
    # The page's own accent colour aside, every fill and stroke is a grey.
    assert colours - greys <= {"#1f3d5a"}
    # Series differ by hatching too.
    assert "<pattern" in page


def fetched(page: str) -> list[str]:
    """What a browser would load for the page: every reference that is not within it."""
    references = re.findall(r"""\b(?:src|href|action|srcset|data)\s*=\s*["']([^"']*)""", page)
    outside = [ref for ref in references if not ref.startswith("#")]
    outside += re.findall(r"url\(\s*['\"]?([^#'\")][^)]*)\)", page)
    for tag in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "<base", "@import"):
        if tag in page:
            outside.append(tag)
    return outside


def test_the_page_fetches_nothing(page: str) -> None:
    assert 'href="#' in page
    assert fetched(page) == []
    assert "http://" not in page
    assert "https://" not in page


def test_the_same_figures_give_the_same_bytes(canned: tuple[AnnualReport, AnnualHistory]) -> None:
    assert render_annual_html(*canned) == render_annual_html(*canned)


def test_text_from_the_api_is_escaped(canned: tuple[AnnualReport, AnnualHistory]) -> None:
    report, history = canned
    hostile = "<script>alert('x')</script> & <b>bold</b>"
    children = report.services[0]
    stage1 = children.tables[0]
    rows = [stage1.rows[0].model_copy(update={"team_name": hostile}), *stage1.rows[1:]]
    children = children.model_copy(
        update={
            "name": hostile,
            "learning": [hostile],
            "tables": [stage1.model_copy(update={"rows": rows}), *children.tables[1:]],
        }
    )
    page = render_annual_html(report.model_copy(update={"services": [children]}), history)
    assert "<script" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;" in page
    parse(page)


def test_a_year_without_data_renders_without_charts() -> None:
    report, history = compiled(FakeApi(empty_years=True))
    page = render_annual_html(report, history)
    tree = parse(page)
    assert figures_of(tree) == []
    assert "there were no complaints to answer" in text_of(tree)


def test_the_html_takes_three_calls_more_and_never_lists_items() -> None:
    api = FakeApi()
    with ApiClient(ReporterSettings(api_url="http://api.test"), transport=api.transport()) as c:
        compile_annual(c, YEAR)
        compile_history(c, YEAR)
    assert len(api.requests) == 11 + 3
    extra = api.requests[11:]
    assert [r.url.path for r in extra] == [
        "/v1/stats/timeliness",
        "/v1/stats/timeliness",
        "/v1/stats/remedies",
    ]
    assert {r.url.params["from_year"] for r in extra} == {"2014-15"}
    assert {r.url.params["to_year"] for r in extra} == {"2018-19"}


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("REPORTER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REPORTER_API_URL", "http://api.test")


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("formats", "written"),
    [
        ([], {"json", "csv"}),
        (["--format", "html"], {"json", "csv", "html"}),
        (["--format", "json,csv,html"], {"json", "csv", "html"}),
        (["--format", "csv", "--format", "html"], {"json", "csv", "html"}),
    ],
)
def test_the_cli_writes_the_html_when_asked(
    formats: list[str], written: set[str], tmp_path: Path
) -> None:
    api = FakeApi()
    argv = ["annual", "--year", "2018-19", "--out", str(tmp_path), *formats]
    assert reporter(argv, transport=api.transport()) == 0
    assert {p.name for p in tmp_path.iterdir()} == {f"annual-2018-19.{f}" for f in written}
    # The document adds the history (3 calls) and the Ombudsman's letter chapter (3).
    assert len(api.requests) == (17 if "html" in written else 11)


@pytest.mark.usefixtures("cli_env")
def test_an_unknown_format_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["annual", "--year", "2018-19", "--out", str(tmp_path), "--format", "html,pdf"]
    assert reporter(argv, transport=httpx.MockTransport(lambda r: httpx.Response(500))) == 2
    assert capsys.readouterr().err.splitlines() == [
        "reporter: --format: 'pdf' is not a format: choose from json, csv, html, comma-separated"
    ]
    assert list(tmp_path.iterdir()) == []


# -- the demo report in a real browser ----------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    return start_browser(tmp_path_factory)


@pytest.fixture(scope="module")
def audit(browser: Browser) -> Audit:
    return auditor(browser)


@pytest.fixture(scope="module")
def demo_report(
    live_api_url: str, api_keys: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The demo council's 2018/19 report written by the CLI with --format html."""
    out = tmp_path_factory.mktemp("published")
    patch = pytest.MonkeyPatch()
    patch.setenv("REPORTER_API_URL", live_api_url)
    patch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    try:
        argv = ["annual", "--year", "2018-19", "--out", str(out), "--format", "html"]
        assert reporter(argv) == 0
    finally:
        patch.undo()
    return out / "annual-2018-19.html"


def test_the_demo_document_is_valid_self_contained_and_fits_an_upload(demo_report: Path) -> None:
    document = demo_report.read_text("utf-8")
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(document)
    assert parser.errors == []
    assert len(document.encode("utf-8")) < MAX_UPLOAD_BYTES
    assert fetched(document) == []
    text = text_of(parse(document))
    assert "In 2018/19 78% (63 of 81) of complaints were answered within 20 working days" in text
    assert "a decrease on the 2017/18 figure of 86%" in text
    assert "below the corporate target of 90%" in text
    assert "a decrease on the 2017/18 figure of 97%" in text
    assert "an increase on the 2017/18 figure of 73%" in text
    assert "This meets the corporate target of 90%." in text
    assert "£9,124.60" in text
    assert "£200.00" in text
    # The Stage 2 and Ombudsman chapters say what became of each case, from the data.
    assert (
        "Of the 3 Stage 2 investigations commenced in 2018/19, 2 have been completed and 1 "
        "remains open." in text
    )
    assert (
        "By team: the case of Head of Looked After Children, Adoption and Preventative Services "
        "found no fault; the case of Safeguarding and Commissioning remains ongoing." in text
    )
    assert "it did so on 22 May 2019" in text  # the s.31 answer to the public interest report
    # And the Ombudsman's own count of the year beside this report's.
    assert "In 2018/19 the Ombudsman made 7 decisions on complaints about the council" in text
    assert "Upheld: 5 in the 2018/19 letter against 3 in this report, a difference of +2" in text


def test_the_browser_renders_the_first_page(browser: Browser, demo_report: Path) -> None:
    png = demo_report.with_suffix(".png")
    browser.run(
        f"--screenshot={png}",
        "--window-size={},{}".format(*DESKTOP_WINDOW),
        "--hide-scrollbars",
        demo_report.as_uri(),
    )
    with Image.open(png) as image:
        assert image.size == (1240, 1754)
        pixels = image.convert("L")
        histogram = pixels.histogram()
    total = sum(histogram)
    # Not blank: plenty of ink, and anti-aliased text in many shades of grey.
    ink = sum(histogram[:200])
    assert ink / total > 0.02, f"only {ink} dark pixels"
    assert sum(1 for count in histogram if count) > 50


def test_it_prints_as_several_a4_pages(browser: Browser, demo_report: Path) -> None:
    pdf = demo_report.with_suffix(".pdf")
    browser.run(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", demo_report.as_uri())
    content = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", content))
    # One page or more per service area after the cover; the seed report runs to twenty.
    assert pages >= 6, pages
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", content)
    assert boxes
    # A4 is 595 x 842 points.
    assert all(abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2 for w, h in boxes), boxes


def dom_outline(dom: str) -> list[tuple[str, str]]:
    """Headings, table captions and figures of a document, in document order."""
    outline = []
    for element in parse(dom, strict=False).iter():
        tag = element.tag.replace(XHTML, "") if isinstance(element.tag, str) else ""
        if tag in ("h1", "h2", "h3"):
            outline.append((tag, text_of(element)))
        elif tag == "caption":
            outline.append(("table", text_of(element)))
        elif tag == "figure":
            svg = element.find(f"{SVG}svg")
            drawn = svg is not None and svg.get("role") == "img"
            kind = "figure" if drawn and svg.get("aria-labelledby") else "broken-figure"
            outline.append((kind, element.get("id") or ""))
    return outline


def in_order(outline: list[tuple[str, str]], wanted: list[tuple[str, str]]) -> list[str]:
    """The wanted entries (kind, start of text) not found in that order in the outline."""
    missing = []
    position = 0
    for kind, start in wanted:
        for index in range(position, len(outline)):
            if outline[index][0] == kind and outline[index][1].startswith(start):
                position = index + 1
                break
        else:
            missing.append(f"{kind} {start!r} after entry {position}")
    return missing


def test_the_rendered_dom_has_every_heading_table_and_figure_in_order(
    browser: Browser, demo_report: Path
) -> None:
    done = browser.run("--dump-dom", demo_report.as_uri())
    outline = dom_outline(done.stdout)
    assert not [entry for entry in outline if entry[0] == "broken-figure"]
    wanted: list[tuple[str, str]] = [
        ("h1", "Annual Report for Complaints 2018/19"),
        ("h2", "The Year in Figures"),
        *[("h3", name) for _, name in DEMO_SERVICES],
        ("h2", "Contents"),
    ]
    for slug, name in DEMO_SERVICES:
        wanted.append(("h2", name))
        for heading in SECTION_HEADINGS:
            wanted.append(("h3", heading))
            if heading == "Summary":
                wanted.append(("table", f"{name}: the year in figures"))
            if heading == "Stage 1":
                wanted.append(("table", "Stage 1"))
                wanted.append(("figure", f"service-{slug}-figure-stage1"))
            if heading.startswith("Timeliness"):
                wanted.append(("figure", f"service-{slug}-figure-timeliness"))
            if heading.startswith("Concerns"):
                wanted.append(("table", f"Nature of Stage 1 complaints: {name}"))
                wanted.append(("table", f"Outcome of Stage 1 complaints: {name}"))
                wanted.append(("figure", f"service-{slug}-figure-shares"))
            if heading == "Compliments Received" or heading.startswith("Members"):
                wanted.append(("table", f"{heading}: {name}, by team"))
    wanted.append(("h2", "How the Figures are Counted"))
    assert in_order(outline, wanted) == []
    # The Ombudsman's remedies: a table and a chart in the adults' part, with the money.
    adults = [entry for entry in outline if "adults" in entry[1] or "Adult" in entry[1]]
    assert ("figure", "service-adults-figure-remedies") in adults
    assert any(e[0] == "table" and e[1].startswith("Remedies agreed") for e in adults)
    children = outline.index(("h2", "Children's Social Care"))
    assert (
        in_order(
            outline[children:],
            [
                ("h3", "Stage 2 Complaints Commenced"),
                ("table", "Stage 2 Complaints Commenced: Children's Social Care"),
                ("h3", "Local Government & Social Care Ombudsman"),
                ("table", "Local Government & Social Care Ombudsman: Children's Social Care"),
                ("table", "Ombudsman decisions"),
            ],
        )
        == []
    )


# -- the worker publishes it --------------------------------------------------------------


def test_the_worker_publishes_the_document_at_the_static_url(
    live_api_url: str, api_keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORTER_API_URL", live_api_url)
    monkeypatch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    monkeypatch.setenv("REPORTER_WORKER_NAME", "html-worker")
    bi_key = {"Authorization": f"Bearer {api_keys['bi']}"}
    with httpx.Client(base_url=live_api_url, timeout=30, headers=bi_key) as bi:
        run = bi.post("/v1/report-runs", json={"kind": "annual", "year": "2018-19"}).json()
        assert reporter(["worker", "--once"]) == 0
        done = bi.get(f"/v1/report-runs/{run['id']}").json()
        assert done["status"] == "completed", done
        files = {f["name"]: f for f in done["files"]}
        assert files["annual-2018-19.html"]["content_type"] == "text/html; charset=utf-8"

        published = bi.get("/v1/reports/annual/2018-19.html")
        assert published.status_code == 200
        assert published.headers["content-type"].startswith("text/html")
        assert published.headers["etag"]
        assert published.text.startswith("<!DOCTYPE html>")
        assert "Annual Report for Complaints 2018/19" in published.text
        parse(published.text)
        unchanged = bi.get(
            "/v1/reports/annual/2018-19.html",
            headers={"If-None-Match": published.headers["etag"]},
        )
        assert unchanged.status_code == 304


def _png_dimensions(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_the_readme_screenshot_is_the_first_a4_page() -> None:
    root = Path(__file__).resolve().parents[2]
    shot = root / "docs" / "annual-report-first-page.png"
    assert "docs/annual-report-first-page.png" in (root / "README.md").read_text("utf-8")
    width, height = _png_dimensions(shot.read_bytes())
    assert width == 1240
    assert abs(height / width - 297 / 210) < 0.01
    assert shot.stat().st_size < 400_000


# -- the accessibility audit --------------------------------------------------------------


@pytest.mark.parametrize("window", [DESKTOP_WINDOW, PHONE_WINDOW], ids=["desktop", "phone"])
def test_the_demo_document_passes_the_wcag_2_2_aa_audit(
    audit: Audit, demo_report: Path, window: tuple[int, int]
) -> None:
    violations = audit(demo_report.read_text("utf-8"), window)
    assert violations == [], report(violations)


def test_a_year_without_data_passes_the_audit_too(audit: Audit) -> None:
    # No charts and every table empty: the document's other shape.
    violations = audit(render_annual_html(*compiled(FakeApi(empty_years=True))))
    assert violations == [], report(violations)


def test_the_ombudsman_chapter_with_every_kind_of_case_passes_the_audit(audit: Audit) -> None:
    # The canned year holds a case the council never logged, one not yet decided, one the
    # Ombudsman did not investigate and one received the year before.
    api = FakeApi()
    with ApiClient(ReporterSettings(api_url="http://api.test"), transport=api.transport()) as c:
        review = compile_review(c, YEAR)
    page = render_annual_html(*compiled(api), review)
    assert "Not logged by the council" in page
    for window in (DESKTOP_WINDOW, PHONE_WINDOW):
        violations = audit(page, window)
        assert violations == [], report(violations)


def test_the_audit_finds_what_it_is_there_to_find(audit: Audit) -> None:
    # An unnamed button, a region named like another, and a figure that claims to be an image.
    document = (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>t</title></head>'
        '<body><main><section aria-label="Part"><h1>A</h1><button id="unnamed"></button>'
        '</section><section aria-label="Part"><h2>B</h2>'
        '<figure role="img" aria-label="x"><figcaption>x</figcaption></figure>'
        "</section></main></body></html>"
    )
    found = {v.rule: v for v in audit(document)}
    assert {"button-name", "landmark-unique", "aria-allowed-role"} <= set(found)
    assert found["button-name"].targets == ("#unnamed",)
    assert found["button-name"].impact == "critical"


def test_the_audit_runs_the_pinned_axe_core(browser: Browser, audit: Audit) -> None:
    pinned = json.loads((ROOT / "package.json").read_text("utf-8"))["devDependencies"]
    locked = json.loads((ROOT / "package-lock.json").read_text("utf-8"))["packages"]
    assert locked["node_modules/axe-core"]["version"] == pinned["axe-core"]
    engine, _ = axe_audit(browser, '<!DOCTYPE html><html lang="en"><title>t</title></html>')
    assert engine == pinned["axe-core"]
