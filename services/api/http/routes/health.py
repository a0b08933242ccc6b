"""Liveness and readiness."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.http.problems import problem_response, problem_responses
from services.api.http.routing import operation_id
from services.api.storage.migrate import current_revision, head_revision

router = APIRouter(prefix="/health", tags=["health"], generate_unique_id_function=operation_id)


@cache
def newest_revision() -> str | None:
    """The newest migration, read from its folder once: it does not change while serving."""
    return head_revision()


class Health(BaseModel):
    status: str
    revision: str | None = None


@router.get("/live", response_model=Health)
async def health_live() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses=problem_responses(503))
async def health_ready(request: Request) -> Health | JSONResponse:
    """Ready when the database answers and its schema is at the newest migration."""
    maker = request.app.state.sessionmaker
    head = newest_revision()
    try:
        session: AsyncSession
        async with maker() as session:
            connection = await session.connection()
            current = await connection.run_sync(current_revision)
    except Exception:
        current = "unreachable"
    if current != head:
        if current == "unreachable":
            detail = "the database is not reachable"
        elif current is None:
            detail = "the database has no migrations applied: run `feedback migrate`"
        else:
            detail = f"the database is at migration {current}, not {head}: run `feedback migrate`"
        return problem_response(
            503,
            "Not ready",
            detail,
            slug="not-ready",
            instance=request.url.path,
            headers={"Retry-After": "5"},
        )
    return Health(status="ok", revision=current)
