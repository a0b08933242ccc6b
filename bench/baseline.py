"""The baselines: a minimal Starlette app doing one asyncpg statement per request.

Run as `python -m bench.baseline PORT DATABASE_URL`; the benchmark loads it exactly as it
loads the real API.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import uvicorn
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


def create_baseline(database_url: str) -> Starlette:
    """The baseline app on its own asyncpg pool."""
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(database_url, min_size=10, max_size=20)
        async with state["pool"].acquire() as connection:
            await connection.execute(TABLE)
        yield
        await state["pool"].close()

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


if __name__ == "__main__":
    uvicorn.run(
        create_baseline(sys.argv[2]),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
    )
