"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from .database import make_engine, make_sessionmaker
from .limits import BodySizeLimit
from .problems import install_problem_handlers
from .routes import escalations, feedback, health, reference, report_runs, stats
from .settings import Settings, get_settings
from .working_calendar import CalendarCache

DESCRIPTION = """
Records complaints, compliments and members' casework, their statutory working-day clocks,
Stage 2 and Stage 3 escalations, Ombudsman investigations and the remedies agreed.

Every error is an RFC 9457 `application/problem+json` document naming the offending field.
"""


def operation_id(route: APIRoute) -> str:
    """Stable operation ids: the route function's name."""
    return route.name


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when set; otherwise the embedded PostgreSQL in the data folder."""
    if settings.database_url:
        return settings.database_url
    from .embedded import embedded_url

    return embedded_url(settings.data_dir / "pg", "feedback")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database is connected when it starts, not at import."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(resolve_database_url(settings), pool_size=settings.pool_size)
        app.state.sessionmaker = make_sessionmaker(engine)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title=settings.title,
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.calendar = CalendarCache(settings.calendar_refresh_seconds)
    install_problem_handlers(app)
    for module in (feedback, escalations, reference, stats, report_runs, health):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
