"""The interactive documentation, /docs (Swagger UI) and /redoc, served wholly by the app.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, and a council network that blocks it
sees a blank page. These pages take the same scripts from the `fastapi-offline` package, which
ships them, and serve them under /docs/assets. The Content-Security-Policy has the browser fetch
nothing from anywhere else: ReDoc would still load its logo from its own CDN.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/assets"
ASSETS = Path(str(files("fastapi_offline").joinpath("static")))
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
# The init scripts are inline and the UIs style elements inline; ReDoc searches in a worker
# made from a blob, and both draw icons from data: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def _page(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-cache"
    return response


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets from the app, outside the OpenAPI document.

    Build the app with `docs_url=None, redoc_url=None`, so that FastAPI adds none of its own.
    """
    openapi_url = app.openapi_url
    if openapi_url is None:
        return

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return _page(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{ASSETS_PATH}/{SWAGGER_JS}",
                swagger_css_url=f"{root}{ASSETS_PATH}/{SWAGGER_CSS}",
                swagger_favicon_url=f"{root}{ASSETS_PATH}/{FAVICON}",
                # The badge would send the document's address to validator.swagger.io.
                swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
            )
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return _page(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS_PATH}/{REDOC_JS}",
                redoc_favicon_url=f"{root}{ASSETS_PATH}/{FAVICON}",
                with_google_fonts=False,
            )
        )

    app.router.routes.extend(
        [
            Route(DOCS_PATH, swagger_ui, methods=["GET"], include_in_schema=False),
            Route(REDOC_PATH, redoc, methods=["GET"], include_in_schema=False),
            Mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets"),
        ]
    )
