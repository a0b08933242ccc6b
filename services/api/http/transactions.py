"""The one transaction boundary of a request, and idempotent POSTs.

Every route runs in one session: the route's work, its audit rows and, for a POST with an
`Idempotency-Key`, the stored response are committed together after the response is built,
or rolled back together. Following the IETF httpapi Idempotency-Key draft: the first response
is kept per client key for a while; a retry gets it back; the same key with another request is
422; a retry while the first is still running is 409.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, get_args, get_origin

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.domain.fingerprints import request_fingerprint
from services.api.errors import BadRequest, Conflict, Invalid
from services.api.models.idempotency import IdempotencyRecord
from services.api.storage.database import SessionWork, Work, session_work

EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_KEPT_HEADERS = ("content-type", "location", "etag")


# Statements of every idempotent POST, sent as prepared statements on the driver. The claim
# (migration 0008) takes the key's advisory lock, forgets an expired record and reads the
# stored one in one round trip; it answers claimed = false while another request holds the key.
_CLAIM = "SELECT claimed, fingerprint, status_code, headers, body FROM idempotency_claim($1, $2)"
_KEEP = (
    "INSERT INTO idempotency_record "
    "(client, key, fingerprint, status_code, headers, body, expires_at) "
    "VALUES ($1, $2, $3, $4, $5::jsonb, $6, now() + make_interval(secs => $7))"
)


@dataclass(frozen=True)
class _Claim:
    client: str
    key: str
    fingerprint: str


def _client(request: Request) -> str:
    # Keys are scoped to the caller's credential, without storing it.
    return hashlib.sha256(request.headers.get("authorization", "").encode()).hexdigest()


async def _begin(work: Work, request: Request) -> Response | _Claim | None:
    """The stored response of a retry, a claim on a new key, or None without a key."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not _KEY.fullmatch(key):
        raise BadRequest("1 to 255 visible ASCII characters", field=HEADER)
    client = _client(request)
    body = await request.body()
    # Keyed, as items' fingerprints are: the body may carry a person's name and email.
    fingerprint = request_fingerprint(
        b"\n".join([request.method.encode(), request.url.path.encode(), body])
    )
    db = await work.driver()
    stored = await db.fetchrow(_CLAIM, client, key)
    if not stored["claimed"]:
        raise Conflict(
            "a request with this Idempotency-Key is still being processed; retry shortly",
            field=HEADER,
            headers={"Retry-After": "1"},
        )
    if stored["fingerprint"] is None:
        return _Claim(client, key, fingerprint)
    if stored["fingerprint"] != fingerprint:
        raise Invalid("this Idempotency-Key was first used with a different request", field=HEADER)
    return Response(
        content=stored["body"],
        status_code=stored["status_code"],
        headers={**json.loads(stored["headers"]), "Idempotent-Replayed": "true"},
    )


async def _keep(work: Work, claim: _Claim, response: Response, ttl: timedelta) -> None:
    headers = {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers}
    db = await work.driver()
    await db.execute(
        _KEEP,
        claim.client,
        claim.key,
        claim.fingerprint,
        response.status_code,
        json.dumps(headers),
        bytes(response.body),
        ttl.total_seconds(),
    )


async def purge_expired(session: AsyncSession) -> int:
    """Remove stored responses past their window; returns how many."""
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(col(IdempotencyRecord.expires_at) < func.now())
        .returning(col(IdempotencyRecord.key))
    )
    return len(result.all())


def _list_query_names(dependant: Dependant) -> set[str]:
    names = {
        p.alias
        for p in dependant.query_params
        if any(
            get_origin(t) is list
            for t in (p.field_info.annotation, *get_args(p.field_info.annotation))
        )
    }
    for dependency in dependant.dependencies:
        names |= _list_query_names(dependency)
    return names


def _check_parameters(request: Request, known: set[str], repeatable: set[str]) -> None:
    """Refuse what the framework would quietly pass over: unknown or repeated query
    parameters (a misspelt filter must not widen a query) and NUL characters."""
    if request.scope.get("query_string"):
        _check_query(request, known, repeatable)
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise Invalid("must not contain NUL characters", field=name)


def _check_query(request: Request, known: set[str], repeatable: set[str]) -> None:
    for name in request.query_params:
        if name not in known:
            raise Invalid("unknown query parameter", field=name)
        values = request.query_params.getlist(name)
        if len(values) > 1 and name not in repeatable:
            raise Invalid("given more than once", field=name)
        if any("\x00" in v for v in values):
            raise Invalid("must not contain NUL characters", field=name)


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


_ON_DRIVER = "__runs_on_driver__"


def on_driver(*, read_only: bool = False) -> Callable[[EndpointT], EndpointT]:
    """Mark a route to run on a pooled asyncpg connection instead of an ORM session.

    Such a route uses `request.state.work` (and dependencies that do) but no session; a
    read-only one sends its statements without BEGIN and COMMIT.
    """

    def mark(endpoint: EndpointT) -> EndpointT:
        setattr(endpoint, _ON_DRIVER, "read" if read_only else "write")
        return endpoint

    return mark


class TransactionalRoute(APIRoute):
    """Runs each request in one transaction, committed only when the response is a success."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        known = _query_names(self.dependant)
        repeatable = _list_query_names(self.dependant)
        mode = getattr(self.endpoint, _ON_DRIVER, None)

        async def in_transaction(request: Request) -> Response:
            _check_parameters(request, known, repeatable)
            state = request.app.state
            ttl = timedelta(hours=state.settings.idempotency_hours)
            # An app run without its lifespan (under test) has no pool: sessions serve all.
            pooled = getattr(state, "driver_work", None)
            if mode is None or pooled is None:
                opened = session_work(state.session_factory)(mode == "read")
            else:
                opened = pooled(mode == "read")
            async with opened as work:
                request.state.work = work
                if isinstance(work, SessionWork):
                    request.state.session = work.session
                try:
                    started = await _begin(work, request)
                    if isinstance(started, Response):
                        await work.rollback()
                        return started
                    response = await handler(request)
                    if response.status_code >= 400:
                        await work.rollback()
                        return response
                    if isinstance(started, _Claim):
                        await _keep(work, started, response, ttl)
                    await work.commit()
                    return response
                except BaseException:
                    await work.rollback()
                    raise

        return in_transaction
