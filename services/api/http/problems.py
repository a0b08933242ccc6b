"""The error family rendered by one handler as RFC 9457 `application/problem+json`."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from services.api.errors import (
    Conflict,
    FieldProblem,
    Invalid,
    ProblemError,
    ServiceUnavailable,
    field_problem,
)

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://council-feedback.example/problems/"


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] = []


def problem_response(
    status: int,
    title: str,
    detail: str | None,
    *,
    slug: str,
    instance: str | None = None,
    errors: Sequence[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Render a problem document."""
    body = ProblemDetails(
        type=PROBLEM_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=list(errors),
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers or {}),
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem statuses a route may answer with."""
    return {
        status: {"model": ProblemDetails, "content": {PROBLEM_CONTENT_TYPE: {}}}
        for status in statuses
    }


def _field_path(loc: Sequence[int | str], body: Any) -> list[str]:
    """The location of a validation error within the request, without union tags."""
    if not loc:
        return []
    source, rest = loc[0], list(loc[1:])
    if source != "body":
        return [str(part) for part in rest]
    path: list[str] = []
    node = body
    for part in rest:
        # Tagged unions add the tag's value ("complaint") to the location; it is not a field.
        is_tag = (
            isinstance(node, dict)
            and isinstance(part, str)
            and part not in node
            and part in [v for v in node.values() if isinstance(v, str)]
        )
        if is_tag:
            continue
        path.append(str(part))
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return path


_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method of every route at the request's path, for a 405's Allow (RFC 9110, 15.5.6).

    The router answers 405 from the first route whose path matched, naming its methods only.
    """
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, BaseRoute) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    order = {method: n for n, method in enumerate(_METHOD_ORDER)}
    return ", ".join(sorted(methods, key=lambda m: (order.get(m, len(order)), m)))


def _validation_detail(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


# SQLSTATEs of a database that is away or refuses connections for now, not of a bug: besides
# class 08 (connection exception), admin and crash shutdown, "the database system is shutting
# down / starting up" (57P03, raised on connect, so no connection is invalidated) and too many
# connections.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def database_unavailable(exc: DBAPIError) -> bool:
    """Whether a driver error means a lost or refused database connection (503), not a bug."""
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(sqlstate, str) and (
        sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error the app can raise as problem+json."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            slug=exc.slug,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = exc.errors()
        if any(e.get("type") == "json_invalid" for e in raw):
            return problem_response(
                400,
                "Malformed JSON",
                "the request body is not valid JSON",
                slug="malformed-json",
                instance=request.url.path,
                errors=[field_problem("body", "not valid JSON", "json_invalid")],
            )
        body = exc.body
        errors = []
        for error in raw:
            path = _field_path(error.get("loc", ()), body)
            if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
                path.append(str(error.get("ctx", {}).get("discriminator", "kind")).strip("'"))
            name = ".".join(path) or str(error.get("loc", ("body",))[0])
            errors.append(field_problem(name, _validation_detail(error), str(error.get("type"))))
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        return problem_response(
            422,
            Invalid.title,
            f"invalid field(s): {names}",
            slug=Invalid.slug,
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem_response(
            exc.status_code,
            str(exc.detail),
            None,
            slug=f"http-{exc.status_code}",
            instance=request.url.path,
            headers=headers,
        )

    def _lost_race(request: Request, driver_error: object) -> JSONResponse:
        # Rules are checked before writing; this is the safety net for a lost race.
        # The database's message can quote key values, which may be personal: name the
        # constraint only.
        constraint = getattr(driver_error, "constraint_name", None)
        logger.warning("integrity error on %s (%s)", request.url.path, constraint or "unknown")
        return problem_response(
            409,
            Conflict.title,
            "the change conflicts with data written meanwhile; read it again and retry",
            slug=Conflict.slug,
            instance=request.url.path,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        return _lost_race(request, getattr(exc.orig, "__cause__", None))

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.warning("database unavailable on %s: %s", request.url.path, exc)
        return problem_response(
            503,
            ServiceUnavailable.title,
            "the database is not reachable; retry shortly",
            slug=ServiceUnavailable.slug,
            instance=request.url.path,
            headers={"Retry-After": "2"},
        )

    app.add_exception_handler(OperationalError, _unavailable)
    app.add_exception_handler(InterfaceError, _unavailable)
    app.add_exception_handler(ConnectionError, _unavailable)
    app.add_exception_handler(OSError, _unavailable)

    @app.exception_handler(asyncpg.IntegrityConstraintViolationError)
    async def _driver_integrity(
        request: Request, exc: asyncpg.IntegrityConstraintViolationError
    ) -> JSONResponse:
        return _lost_race(request, exc)

    @app.exception_handler(asyncpg.PostgresError)
    async def _driver(request: Request, exc: asyncpg.PostgresError) -> JSONResponse:
        sqlstate = str(exc.sqlstate or "")
        if sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES:
            return await _unavailable(request, exc)
        logger.exception("database error on %s", request.url.path, exc_info=exc)
        return problem_response(
            500, ProblemError.title, None, slug=ProblemError.slug, instance=request.url.path
        )

    app.add_exception_handler(asyncpg.InterfaceError, _unavailable)

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        if database_unavailable(exc):
            return await _unavailable(request, exc)
        logger.exception("database error on %s", request.url.path, exc_info=exc)
        return problem_response(
            500, ProblemError.title, None, slug=ProblemError.slug, instance=request.url.path
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The caller hung up before its body arrived: nobody reads this answer, and it is not
        # a fault of the API (load generators do it at the end of every run).
        logger.info("client disconnected before sending its body on %s", request.url.path)
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return problem_response(
            500, ProblemError.title, None, slug=ProblemError.slug, instance=request.url.path
        )
