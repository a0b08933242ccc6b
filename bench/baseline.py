"""The baselines: a minimal Starlette app doing one asyncpg statement per request, and, for
reference, the same two endpoints written as plainly in FastAPI (what the framework alone
costs, before any of the API's own work).

Run as `python -m bench.baseline PORT DATABASE_URL [starlette|fastapi]`; the benchmark loads
each exactly as it loads the real API.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TABLE = """
CREATE TABLE IF NOT EXISTS bench_baseline (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_ref text NOT NULL,
    body jsonb NOT NULL
)
"""


def _pool_lifespan(
    state: dict[str, Any], database_url: str
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """A lifespan opening the app's asyncpg pool into `state` and making the table."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(database_url, min_size=10, max_size=20)
        async with state["pool"].acquire() as connection:
            await connection.execute(TABLE)
        yield
        await state["pool"].close()

    return lifespan


def create_baseline(database_url: str) -> Starlette:
    """The baseline app on its own asyncpg pool."""
    state: dict[str, Any] = {}

    lifespan = _pool_lifespan(state, database_url)

    async def insert(request: Request) -> Response:
        body = await request.body()
        ref = json.loads(body).get("external_ref", "")
        row_id = await state["pool"].fetchval(
            "INSERT INTO bench_baseline (external_ref, body) VALUES ($1, $2) RETURNING id",
            ref,
            body.decode(),
        )
        return JSONResponse({"id": row_id}, status_code=201)

    async def select_one(request: Request) -> Response:
        row = await state["pool"].fetchrow(
            "SELECT id, external_ref, body FROM bench_baseline WHERE id = $1",
            int(request.path_params["row_id"]),
        )
        if row is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return JSONResponse({"id": row["id"], "external_ref": row["external_ref"]})

    return Starlette(
        routes=[
            Route("/insert", insert, methods=["POST"]),
            Route("/rows/{row_id:int}", select_one),
        ],
        lifespan=lifespan,
    )


class Inserted(BaseModel):
    id: int


class Row(BaseModel):
    id: int
    external_ref: str


def create_fastapi_reference(database_url: str) -> FastAPI:
    """The same endpoints in FastAPI: a validated body in, a response model out."""
    state: dict[str, Any] = {}

    lifespan = _pool_lifespan(state, database_url)

    app = FastAPI(lifespan=lifespan)

    @app.post("/insert", response_model=Inserted, status_code=201)
    async def insert(body: dict[str, Any]) -> Inserted:
        row_id = await state["pool"].fetchval(
            "INSERT INTO bench_baseline (external_ref, body) VALUES ($1, $2) RETURNING id",
            str(body.get("external_ref", "")),
            json.dumps(body),
        )
        return Inserted(id=row_id)

    @app.get("/rows/{row_id}", response_model=Row)
    async def select_one(row_id: int) -> Row:
        row = await state["pool"].fetchrow(
            "SELECT id, external_ref FROM bench_baseline WHERE id = $1", row_id
        )
        if row is None:
            raise HTTPException(404)
        return Row(id=row["id"], external_ref=row["external_ref"])

    return app


if __name__ == "__main__":
    kind = sys.argv[3] if len(sys.argv) > 3 else "starlette"
    make = create_fastapi_reference if kind == "fastapi" else create_baseline
    uvicorn.run(
        make(sys.argv[2]),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
    )
