"""/docs and /redoc work with no network but the app's own.

The pages and their assets come from the app; the browser tests load them in headless
Chromium with every request to another host failing, find every operation rendered, and read
Chromium's network log for any request the page sent elsewhere. FastAPI's own CDN page, under
the same browser, renders nothing and is seen asking the CDN: the test can tell the two apart.
"""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from headless import OFFLINE, Browser, find_chromium
from html5lib import HTMLParser
from live_server import serving

from services.api.http.docs import ASSETS_PATH, CONTENT_SECURITY_POLICY
from services.api.main import create_app
from services.api.settings import PROJECT_ROOT, Settings

# Swagger UI and ReDoc fetch the document and draw it after the page has loaded.
RENDER_BUDGET_MS = "20000"
PAGES = ("/docs", "/redoc")


def summaries() -> list[str]:
    """Every operation's summary in the committed contract."""
    document = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text("utf-8"))
    found = [
        operation["summary"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "summary" in operation
    ]
    assert len(found) >= 40
    return found


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings())


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def fetched_by(page: str) -> list[str]:
    """The addresses of every script, stylesheet and icon the page's markup loads."""
    parser = HTMLParser(namespaceHTMLElements=False)
    tree = parser.parse(page)
    return [
        element.get("src") or element.get("href") or ""
        for element in tree.iter()
        if element.tag in ("script", "link") and (element.get("src") or element.get("href"))
    ]


# -- the pages and their assets -------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_the_page_loads_everything_from_the_app_and_forbids_elsewhere(
    http: httpx.AsyncClient, path: str
) -> None:
    response = await http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    loaded = fetched_by(response.text)
    assert loaded, "the page loads its scripts"
    assert all(url.startswith(ASSETS_PATH + "/") for url in loaded), loaded
    assert "fonts.googleapis.com" not in response.text


async def test_swagger_ui_shows_no_validator_badge(http: httpx.AsyncClient) -> None:
    # The badge is an image from validator.swagger.io carrying the document's address.
    assert '"validatorUrl": null' in (await http.get("/docs")).text


async def test_every_asset_the_pages_name_is_served(http: httpx.AsyncClient) -> None:
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    names = {url for path in PAGES for url in fetched_by((await http.get(path)).text)}
    assert len(names) == 4  # Swagger UI's script and stylesheet, ReDoc's script, the icon
    for url in names:
        response = await http.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(types[Path(url).suffix]), url
        assert len(response.content) > 1000, url
        assert response.headers["etag"]


async def test_behind_a_path_prefix_the_pages_name_the_prefixed_addresses(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app, root_path="/feedback-api")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = (await client.get("/docs")).text
    assert "url: '/feedback-api/openapi.json'" in page
    assert all(url.startswith("/feedback-api" + ASSETS_PATH) for url in fetched_by(page))


async def test_the_pages_and_assets_are_counted_under_their_own_routes(
    http: httpx.AsyncClient,
) -> None:
    await http.get("/docs")
    await http.get(f"{ASSETS_PATH}/swagger-ui.css")
    body = (await http.get("/metrics")).text
    assert 'route="/docs",status="200"' in body
    assert f'route="{ASSETS_PATH}/{{path}}",status="200"' in body
    assert "<unmatched>" not in body


def test_the_pages_and_assets_stay_out_of_the_contract(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]


# -- in a browser that cannot reach anything but the app ------------------------------------


def page_requests(net_log: Path) -> list[str]:
    """Every address that a page from 127.0.0.1 asked for, from Chromium's network log.

    A request the page sends names the page's origin as its initiator, wherever it goes;
    Chromium's own (updates, autofill) name none and are left out.
    """
    log: dict[str, Any] = json.loads(net_log.read_text("utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        params["url"]
        for event in log["events"]
        if event["type"] == start_job
        and "url" in (params := event.get("params", {}))
        and urlsplit(params.get("initiator", "")).hostname == "127.0.0.1"
    ]


def load_offline(url: str, tmp_path: Path) -> tuple[str, list[str]]:
    """The rendered DOM of `url` (entities decoded) and the addresses the page asked for."""
    browser = Browser(find_chromium(), tmp_path / "profile")  # a fresh profile: nothing cached
    net_log = tmp_path / "net-log.json"
    done = browser.run(
        *OFFLINE,
        f"--log-net-log={net_log}",
        f"--virtual-time-budget={RENDER_BUDGET_MS}",
        "--dump-dom",
        url,
    )
    return html.unescape(done.stdout), page_requests(net_log)


@pytest.mark.parametrize("path", PAGES)
def test_the_page_lists_every_operation_with_nothing_fetched_from_elsewhere(
    live_api_url: str, tmp_path: Path, path: str
) -> None:
    dom, requested = load_offline(live_api_url + path, tmp_path)
    missing = [summary for summary in summaries() if summary not in dom]
    assert missing == [], f"{path} did not render these operations"
    elsewhere = [url for url in requested if not url.startswith(live_api_url + "/")]
    assert elsewhere == []
    assert live_api_url + "/openapi.json" in requested


@pytest.fixture(scope="module")
def cdn_docs_url() -> Iterator[str]:
    """FastAPI's own /docs, which loads Swagger UI from a CDN, for one operation."""
    control = FastAPI()

    @control.get("/ping", summary="Control operation")
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    with serving(control) as url:
        yield url


def test_the_cdn_page_fails_the_same_browser(cdn_docs_url: str, tmp_path: Path) -> None:
    dom, requested = load_offline(cdn_docs_url + "/docs", tmp_path)
    assert "Control operation" not in dom, "the browser reached the CDN: the block is not in force"
    assert any(urlsplit(url).hostname == "cdn.jsdelivr.net" for url in requested), requested
