"""Limits on what a request may send and how long it may take."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import ServiceUnavailable
from services.api.http.problems import problem_response

logger = logging.getLogger(__name__)


class BodySizeLimit:
    """Refuse request bodies over a limit with 413, without reading them into memory first."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.max_bytes)
        declared: bytes | None = None
        chunked = False
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        if not chunked and (declared is None or declared.isdigit()):
            # The server frames the body by its declared length, and a request with neither
            # header has none (RFC 9112, 6.3): only a chunked body needs counting.
            await self.app(scope, receive, send)
            return
        seen = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Stop reading; whatever the app answers to the cut body is replaced below.
                    too_large = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        refused = False

        async def replacing_send(message: Message) -> None:
            nonlocal refused
            if not too_large:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(scope, receive, send, limit)

        await self.app(scope, counting_receive, replacing_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413,
            "Request body too large",
            f"the body must be at most {limit} bytes",
            slug="payload-too-large",
            instance=scope.get("path"),
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class RequestTimeout:
    """Answer 503 with Retry-After when the app has not started its response in time.

    The app is cancelled at the deadline. Once it has started its response the deadline is
    lifted and the response is let finish: a half-sent answer cannot be replaced.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("the request timeout must be positive")
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        deadline = asyncio.timeout(self.seconds)

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and not started:
                started = True
                deadline.reschedule(None)
            await send(message)

        try:
            async with deadline:
                await self.app(scope, receive, watched_send)
        except TimeoutError:
            # A TimeoutError of the app's own (a driver's, say) is not this deadline's.
            if not deadline.expired():
                raise
            if started:
                return
        else:
            return
        route = scope.get("route")
        logger.warning(
            "request cancelled after %s s without a response",
            self.seconds,
            extra={
                "method": scope.get("method"),
                "route": getattr(route, "path_format", None) or getattr(route, "path", None),
                "timeout_seconds": self.seconds,
            },
        )
        response = problem_response(
            503,
            ServiceUnavailable.title,
            f"the request took longer than {self.seconds:g} s and was stopped; retry shortly",
            slug="timeout",
            instance=scope.get("path"),
            headers={"Retry-After": "1"},
        )
        await response(scope, receive, send)


def is_pool_timeout(exc: BaseException) -> bool:
    """Whether `exc` is, or was raised from, a wait for a pooled database connection that ran out.

    SQLAlchemy raises `sqlalchemy.exc.TimeoutError` when no connection frees up within the
    engine's `pool_timeout`; it is not an OperationalError, so it needs its own 503.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, PoolTimeoutError):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False


async def pool_timeout_handler(request: Request, exc: Exception) -> Response:
    """Exception handler: a pool wait that ran out is a 503 with Retry-After, not a 500.

    Register with `app.add_exception_handler(sqlalchemy.exc.TimeoutError, pool_timeout_handler)`.
    """
    route = request.scope.get("route")
    logger.warning(
        "no database connection became free in time",
        extra={"route": getattr(route, "path_format", None) or getattr(route, "path", None)},
    )
    return problem_response(
        503,
        ServiceUnavailable.title,
        "the service is busy: no database connection became free in time; retry shortly",
        slug=ServiceUnavailable.slug,
        instance=request.url.path,
        headers={"Retry-After": "1"},
    )
