"""The interactive documentation, /docs (Swagger UI) and /redoc, served wholly by the app.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, and a council network that blocks it
sees a blank page. These pages take the same scripts from the `fastapi-offline` package, which
ships them, and serve them under /docs/assets. The Content-Security-Policy has the browser fetch
nothing from anywhere else: ReDoc would still load its logo from its own CDN.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/assets"
ASSETS = Path(str(files("fastapi_offline").joinpath("static")))
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
# Both pages start their UI from an inline script and both UIs set styles inline; ReDoc
# searches in a worker made from a blob and draws its icons from data: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _page(path: str, render: Callable[[str], HTMLResponse]) -> Route:
    """A plain route (outside the OpenAPI document) answering `render(root path)`."""

    async def endpoint(request: Request) -> HTMLResponse:
        # Plain routes do not name themselves in the scope; the access line and metrics do.
        request.scope["route"] = route
        response = render(_root(request))
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Cache-Control"] = "no-cache"
        return response

    route = Route(path, endpoint, methods=["GET"], include_in_schema=False)
    return route


class _Assets:
    """The package's files under ASSETS_PATH, naming their mount in the scope as pages do."""

    def __init__(self) -> None:
        self.files = StaticFiles(directory=ASSETS)
        self.mount = Mount(ASSETS_PATH, app=self, name="docs-assets")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.mount
        await self.files(scope, receive, send)


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets from the app, outside the OpenAPI document.

    Build the app with `docs_url=None, redoc_url=None`, so that FastAPI adds none of its own.
    """
    openapi_url = app.openapi_url
    if openapi_url is None:
        return

    def swagger_ui(root: str) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/{SWAGGER_JS}",
            swagger_css_url=f"{root}{ASSETS_PATH}/{SWAGGER_CSS}",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/{FAVICON}",
            # The badge would send the document's address to validator.swagger.io.
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )

    def redoc(root: str) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_PATH}/{REDOC_JS}",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/{FAVICON}",
            with_google_fonts=False,
        )

    app.router.routes.extend(
        [_page(DOCS_PATH, swagger_ui), _page(REDOC_PATH, redoc), _Assets().mount]
    )
