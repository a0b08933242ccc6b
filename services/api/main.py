"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.domain.calendar import CalendarCache
from services.api.http.docs import install_docs
from services.api.http.limits import BodySizeLimit, RequestTimeout, pool_timeout_handler
from services.api.http.observability import install_observability
from services.api.http.problems import install_problem_handlers, problem_responses
from services.api.http.request_id import RequestId
from services.api.http.routes import (
    access,
    escalations,
    feedback,
    health,
    imports,
    ombudsman,
    people,
    reference,
    report_runs,
    stats,
)
from services.api.http.routing import operation_id
from services.api.http.security import RoleGuard
from services.api.http.transactions import HEADER as IDEMPOTENCY_HEADER
from services.api.http.transactions import purge_expired
from services.api.models.base import council_today
from services.api.rules.working_calendar import bank_holidays
from services.api.settings import Settings, get_fingerprint_secret, get_settings
from services.api.storage.database import PooledUnits, make_engine, make_sessionmaker

logger = logging.getLogger(__name__)

DESCRIPTION = """
Records complaints, compliments and members' casework, their statutory working-day clocks,
Stage 2 and Stage 3 escalations, Ombudsman investigations and the remedies agreed.

Every error is an RFC 9457 `application/problem+json` document naming the offending field.
"""


def route_roles(route: APIRoute) -> frozenset[str] | None:
    """The roles a route admits, from its RoleGuard; None when it has none."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if isinstance(dependency.call, RoleGuard):
            return frozenset(dependency.call.roles)
        pending.extend(dependency.dependencies)
    return None


ROUTERS = (
    feedback.router,
    escalations.router,
    ombudsman.router,
    people.router,
    reference.router,
    stats.router,
    report_runs.router,
    access.router,
    imports.router,
    health.router,
)


def api_routes() -> list[APIRoute]:
    """Every route of the app, as declared on its router."""
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


# Read by the route class (`transactions.py`) for every POST; declared here so that a client
# generated from the document can send it.
IDEMPOTENCY_KEY = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the first response is kept (24 hours, API_IDEMPOTENCY_HOURS) and "
        "sent again to a retry with the same key and body (`Idempotent-Replayed: true`); the "
        "same key with another body is 422, and 409 while the first request is still running."
    ),
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}


def document_route(route: APIRoute) -> None:
    """Declare the problems any route may answer with, the roles it admits and the
    Idempotency-Key every POST takes."""
    roles = route_roles(route)
    statuses = (400, 422, 503) if roles is None else (400, 401, 403, 422, 503)
    route.responses = {**problem_responses(*statuses), **route.responses}
    extra = route.openapi_extra or {}
    if "POST" in (route.methods or ()) and IDEMPOTENCY_KEY not in extra.get("parameters", []):
        # The routers' routes are shared by every app made: declared once.
        parameters = [*extra.get("parameters", []), IDEMPOTENCY_KEY]
        route.openapi_extra = {**extra, "parameters": parameters}
    if roles is None:
        return
    names = sorted(roles)
    line = f"Roles: {', '.join(names)}."
    if line not in (route.description or ""):
        route.description = f"{route.description or ''}\n\n{line}".strip()
    route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": names}


def require_preconditions(document: dict[str, Any]) -> dict[str, Any]:
    """Mark If-Match required in the document, as every PATCH requires it (428 without).

    The route reads it as optional so that a resource that does not exist is a 404 whether
    or not the caller sent it; the document states what a caller must send.
    """
    for item in document.get("paths", {}).values():
        for parameter in item.get("patch", {}).get("parameters", []):
            if parameter["in"] == "header" and parameter["name"] == "If-Match":
                parameter["required"] = True
    return document


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when set; otherwise the embedded PostgreSQL in the data folder."""
    if settings.database_url:
        return settings.database_url
    from services.api.storage.embedded import embedded_url

    return embedded_url(settings.data_dir / "pg", "feedback")


async def purge_idempotency_records(
    maker: async_sessionmaker[AsyncSession], every_seconds: float
) -> None:
    """Remove expired idempotency records now and then, for as long as the app runs."""
    while True:
        try:
            async with maker() as session, session.begin():
                removed = await purge_expired(session)
            if removed:
                logger.info("removed %d expired idempotency records", removed)
        except Exception:
            # The database may be away; the next round tries again.
            logger.warning("could not purge idempotency records", exc_info=True)
        await asyncio.sleep(every_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database is connected when it starts, not at import."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            resolve_database_url(settings),
            pool_size=settings.pool_size,
            pool_timeout=settings.pool_timeout_seconds,
        )
        # One pool for everything: requests' units of work, readiness, metrics, the purger.
        # It opens no connection at start, so the app starts (not ready) while its database
        # is away.
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.units = PooledUnits(engine)
        # The bank holidays take a second to compute: at start, not in the first request.
        bank_holidays()
        # A fingerprint secret that cannot be read or made stops the start, not every create.
        get_fingerprint_secret()
        if council_today() > settings.latest_date - timedelta(days=365):
            logger.warning(
                "dates after %s are refused: raise API_LATEST_DATE", settings.latest_date
            )
        # What is loaded by now lives as long as the process: the collector need not walk
        # it again in every full collection (about 170k objects, 100 ms each time).
        gc.collect()
        gc.freeze()
        purger = asyncio.create_task(
            purge_idempotency_records(app.state.sessionmaker, settings.idempotency_purge_seconds)
        )
        try:
            yield
        finally:
            purger.cancel()
            await engine.dispose()

    app = FastAPI(
        title=settings.title,
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # FastAPI's own pages load their scripts from a CDN; install_docs serves them.
        docs_url=None,
        redoc_url=None,
        telemetry=None
        if settings.opentelemetry
        else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.calendar = CalendarCache(settings.calendar_refresh_seconds)
    generate = app.openapi
    app.openapi = lambda: require_preconditions(generate())  # type: ignore[method-assign]
    install_problem_handlers(app)
    app.add_exception_handler(PoolTimeoutError, pool_timeout_handler)
    routes = api_routes()
    for route in routes:
        document_route(route)
    # The routes join the app's own router rather than being included router by router:
    # FastAPI resolves an included router's routes through a further layer on every request,
    # and these routers carry nothing (prefix, dependencies) that inclusion would add.
    app.router.routes.extend(routes)
    install_docs(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        per_path={
            "/v1/feedback/bulk": settings.max_bulk_bytes,
            "/v1/imports": settings.import_max_bytes,
            "/v1/import-suggestions": settings.import_max_bytes,
        },
    )
    app.add_middleware(RequestTimeout, seconds=settings.request_timeout_seconds)
    app.add_middleware(RequestId)
    install_observability(app, settings)
    return app
