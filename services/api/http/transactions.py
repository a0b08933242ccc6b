"""The request pipeline: the one transaction boundary of a request, and idempotent POSTs.

Every request goes the same way, in this order:

1. the caller is authenticated and its role admitted, from the Authorization header alone,
   before any of the body is read and before any stored response is replayed;
2. the body is read whole within a deadline, its size bounded (`BodySizeLimit`) and, when it
   is JSON, its nesting, members and strings checked before anything parses it; a route that
   streams its body (bulk import) reads it itself, through the same checks;
3. only then is a connection taken for the unit of work: the Idempotency-Key is claimed, the
   route runs, its response is kept with the key, and all of it is committed together, or
   rolled back together.

Following the IETF httpapi Idempotency-Key draft: the first response is kept per client key
for a while; a retry gets it back; the same key with another request is 422; a retry while
the first is still running is 409.
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
from sqlalchemy import (
    Boolean,
    Integer,
    Interval,
    LargeBinary,
    String,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy import column as sql_column
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from services.api.domain.fingerprints import request_fingerprint
from services.api.errors import BadRequest, Conflict, Invalid
from services.api.http.limits import has_body, json_bounds, read_body
from services.api.http.problems import problem_response
from services.api.http.security import guard_of
from services.api.models.idempotency import IdempotencyRecord
from services.api.settings import Settings
from services.api.storage.database import UnitOfWork, UnitsOfWork

EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_KEPT_HEADERS = ("content-type", "location", "etag")

# The claim (migration 0008) takes the key's advisory lock, forgets an expired record and
# reads the stored one in one round trip; it answers claimed = false while another request
# holds the key.
_CLAIM = select(
    func.idempotency_claim(bindparam("client", type_=String), bindparam("key", type_=String))
    .table_valued(
        sql_column("claimed", Boolean),
        sql_column("fingerprint", String),
        sql_column("status_code", Integer),
        sql_column("headers", Text),
        sql_column("body", LargeBinary),
    )
    .render_derived()
)
_RECORD = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_KEEP = insert(_RECORD).values(
    {
        **{
            name: bindparam(name, type_=_RECORD.c[name].type)
            for name in ("client", "key", "fingerprint", "status_code", "headers", "body")
        },
        "expires_at": func.now() + bindparam("ttl", type_=Interval),
    }
)


@dataclass(frozen=True)
class _Claim:
    client: str
    key: str
    fingerprint: str


def _client(request: Request) -> str:
    # Keys are scoped to the caller's credential, without storing it.
    return hashlib.sha256(request.headers.get("authorization", "").encode()).hexdigest()


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not _KEY.fullmatch(key):
        raise BadRequest("1 to 255 visible ASCII characters", field=HEADER)
    return key


def _fingerprint(request: Request, body: bytes) -> str:
    # Keyed, as items' fingerprints are: the body may carry a person's name and email.
    return request_fingerprint(
        b"\n".join([request.method.encode(), request.url.path.encode(), body])
    )


async def _claim(db: AsyncConnection, claim: _Claim) -> Response | None:
    """The stored response of a retry, or None when the key is new and now held."""
    stored = (await db.execute(_CLAIM, {"client": claim.client, "key": claim.key})).one()
    if not stored.claimed:
        raise Conflict(
            "a request with this Idempotency-Key is still being processed; retry shortly",
            field=HEADER,
            headers={"Retry-After": "1"},
        )
    if stored.fingerprint is None:
        return None
    if stored.fingerprint != claim.fingerprint:
        raise Invalid("this Idempotency-Key was first used with a different request", field=HEADER)
    return Response(
        content=stored.body,
        status_code=stored.status_code,
        headers={**json.loads(stored.headers), "Idempotent-Replayed": "true"},
    )


async def _keep(db: AsyncConnection, claim: _Claim, response: Response, ttl: timedelta) -> None:
    headers = {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers}
    await db.execute(
        _KEEP,
        {
            "client": claim.client,
            "key": claim.key,
            "fingerprint": claim.fingerprint,
            "status_code": response.status_code,
            "headers": headers,
            "body": bytes(response.body),
            "ttl": ttl,
        },
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


_READ_ONLY = "__reads_only__"
_STREAMS_BODY = "__streams_its_body__"
_SECRET = "__answers_a_secret__"


def read_only(endpoint: EndpointT) -> EndpointT:
    """Mark a route that writes nothing and reads what it answers with in one statement: it
    runs on a connection in autocommit, without BEGIN and COMMIT, since one statement reads
    one snapshot anyway."""
    setattr(endpoint, _READ_ONLY, True)
    return endpoint


def streams_body(endpoint: EndpointT) -> EndpointT:
    """Mark a route that reads its body itself as it arrives (`http.limits.bounded_stream`)
    rather than whole before it runs. It holds its unit of work meanwhile, and only ever
    for a caller already authenticated."""
    setattr(endpoint, _STREAMS_BODY, True)
    return endpoint


def answers_a_secret(detail: str) -> Callable[[EndpointT], EndpointT]:
    """Mark a route whose response holds a secret shown once: with an Idempotency-Key, what
    is kept for a retry is this problem (422), never the response itself."""

    def mark(endpoint: EndpointT) -> EndpointT:
        setattr(endpoint, _SECRET, detail)
        return endpoint

    return mark


def _replay_of_secret(detail: str, path: str) -> Response:
    return problem_response(422, Invalid.title, detail, slug=Invalid.slug, instance=path)


async def _run(
    handler: Callable[[Request], Coroutine[Any, Any, Response]],
    work: UnitOfWork,
    request: Request,
    claim: _Claim | None,
    settings: Settings,
    secret: str | None,
) -> Response:
    """Claim the key, run the route, keep its response with the key, commit."""
    if claim is not None:
        stored = await _claim(work.connection, claim)
        if stored is not None:
            await work.rollback()
            return stored
    response = await handler(request)
    if response.status_code >= 400:
        await work.rollback()
        return response
    if claim is not None:
        kept = response if secret is None else _replay_of_secret(secret, request.url.path)
        await _keep(work.connection, claim, kept, timedelta(hours=settings.idempotency_hours))
    await work.commit()
    return response


class TransactionalRoute(APIRoute):
    """Runs each request through the pipeline above, in one unit of work committed only when
    the response is a success."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        known = _query_names(self.dependant)
        repeatable = _list_query_names(self.dependant)
        guard = guard_of(self.dependant)
        reads_only = getattr(self.endpoint, _READ_ONLY, False)
        streams = getattr(self.endpoint, _STREAMS_BODY, False)
        secret: str | None = getattr(self.endpoint, _SECRET, None)

        async def pipeline(request: Request) -> Response:
            state = request.app.state
            settings: Settings = state.settings
            units: UnitsOfWork = state.units
            with_body = has_body(request)
            if guard is not None and with_body:
                # A connection only for the key, given back before the body is awaited.
                async with units.connect() as connection:
                    await guard.admit(request, connection)
            _check_parameters(request, known, repeatable)
            key = _idempotency_key(request)
            body = b""
            if with_body and (key is not None or not streams):
                bounds = None if streams else json_bounds(settings)
                body = await read_body(request, settings.body_read_seconds, bounds)
            claim = None
            if key is not None:
                claim = _Claim(_client(request), key, _fingerprint(request, body))
            async with units.open(read_only=reads_only) as work:
                request.state.work = work
                if guard is not None and not with_body:
                    # Nothing to wait for from the caller: the key is looked up on the
                    # unit's own connection, still before anything else.
                    await guard.admit(request, work.connection)
                return await _run(handler, work, request, claim, settings, secret)

        return pipeline
