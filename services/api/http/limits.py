"""Limits on what a request may send and how long it may take."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import Invalid, PayloadTooLarge, ProblemError, ServiceUnavailable
from services.api.http.problems import problem_response
from services.api.settings import Settings

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


class BodyTimeout(ProblemError):
    status, slug, title = 408, "request-timeout", "The request body did not arrive in time"


@dataclass(frozen=True)
class JsonBounds:
    """How deep a JSON body may nest, how many members an array or object may hold and how
    long a string may be (in bytes as sent)."""

    depth: int = 32
    members: int = 10_000
    string_bytes: int = 100_000


def json_bounds(settings: Settings) -> JsonBounds:
    """The bounds of JSON bodies the settings give."""
    return JsonBounds(
        depth=settings.max_json_depth,
        members=settings.max_json_members,
        string_bytes=settings.max_json_string_bytes,
    )


# Everything but brackets and commas, deleted from the text between strings.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b"[]{},")
_COMMA, _OPEN_ARRAY, _OPEN_OBJECT = ord(","), ord("["), ord("{")
_SLICE = 1024 * 1024


class JsonShape:
    """Checks a JSON text against its bounds as it streams in, before any parser sees it.

    Parsers pay for depth before they can refuse it (the C parser recurses; ijson's memory
    grows with the square of the depth), so the text is measured first: strings are found
    with bytes methods (escaped quotes and backslashes removed, then split at the quotes),
    and only the brackets and commas between them are walked in Python. With `lines`, every
    newline starts a new text (NDJSON), as the line reader splits them.
    """

    def __init__(self, bounds: JsonBounds, *, lines: bool = False) -> None:
        self.bounds = bounds
        self.lines = lines
        self._reset()

    def _reset(self) -> None:
        self._depth = 0
        self._members: list[int] = []
        self._in_string = False
        self._run = 0  # bytes of the string still open
        self._carry = b""  # trailing backslashes, whose escape ends in the next chunk

    def check(self, body: bytes) -> None:
        """Check a whole body."""
        if not self._fits(body):
            self.feed(body)
        self._reset()

    def feed(self, chunk: bytes) -> None:
        """Check the next piece of the text; raises a problem (413 or 422) past a bound."""
        # A body read whole arrives as one piece: measured a slice at a time, the copies
        # the measure makes stay small.
        for start in range(0, len(chunk), _SLICE):
            self._feed(chunk[start : start + _SLICE])

    def _feed(self, chunk: bytes) -> None:
        if not self.lines:
            self._advance(chunk)
            return
        *complete, rest = chunk.split(b"\n")
        for line in complete:
            if not self._fits(line):
                self._advance(line)
            self._reset()
        if rest:
            self._advance(rest)

    def _fits(self, text: bytes) -> bool:
        # A whole text that could not break a bound even if every byte counted: most bodies,
        # and most lines, are passed by three counts done in C.
        bounds = self.bounds
        return (
            self._depth == 0
            and not self._in_string
            and not self._carry
            and len(text) <= bounds.string_bytes
            and text.count(b"[") + text.count(b"{") <= bounds.depth
            and text.count(b",") < bounds.members
        )

    def _advance(self, chunk: bytes) -> None:
        data = self._carry + chunk
        stripped = data.rstrip(b"\\")
        self._carry = data[len(stripped) :]
        # What remains of escapes cannot end a string: an escaped backslash, then a quote.
        text = stripped.replace(b"\\\\", b"").replace(b'\\"', b"")
        parts = text.split(b'"')
        inside = self._in_string
        strings, between = (parts[0::2], parts[1::2]) if inside else (parts[1::2], parts[0::2])
        ends_inside = inside != (len(parts) % 2 == 0)
        limit = self.bounds.string_bytes
        if strings:
            longest = max(map(len, strings))
            if inside:
                longest = max(longest, self._run + len(strings[0]))
            if longest > limit:
                raise PayloadTooLarge(f"a string is longer than {limit} bytes", field="body")
        if ends_inside:
            self._run = self._run + len(parts[0]) if len(parts) == 1 else len(strings[-1])
        else:
            self._run = 0
        self._in_string = ends_inside
        self._walk(b"".join(between).translate(None, _NOT_STRUCTURE))

    def _walk(self, structure: bytes) -> None:
        depth, members = self._depth, self._members
        max_depth, max_members = self.bounds.depth, self.bounds.members
        for byte in structure:
            if byte == _COMMA:
                if members:
                    members[-1] += 1
                    if members[-1] >= max_members:
                        raise PayloadTooLarge(
                            f"an array or object has more than {max_members} members",
                            field="body",
                        )
            elif byte in (_OPEN_ARRAY, _OPEN_OBJECT):
                depth += 1
                if depth > max_depth:
                    raise Invalid(f"nested more than {max_depth} levels deep", field="body")
                members.append(0)
            elif depth:
                depth -= 1
                members.pop()
        self._depth = depth


def is_json(request: Request) -> bool:
    """Whether the body is read as JSON: no content type, or application/json or +json, as
    FastAPI decides."""
    content_type = request.headers.get("content-type")
    if not content_type:
        return True
    main = content_type.split(";", 1)[0].strip().lower()
    return main == "application/json" or (
        main.startswith("application/") and main.endswith("+json")
    )


def has_body(request: Request) -> bool:
    """Whether the request carries a body (RFC 9112, 6.3)."""
    headers = request.headers
    length = headers.get("content-length")
    return (length is not None and length != "0") or "transfer-encoding" in headers


async def read_body(request: Request, seconds: float, bounds: JsonBounds | None) -> bytes:
    """The whole body, which must arrive within `seconds`; a JSON one checked against
    `bounds` before anything parses it. Starlette keeps it for the route."""
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            body = await request.body()
    except TimeoutError:
        if not deadline.expired():
            raise
        raise BodyTimeout(
            f"the body did not arrive within {seconds:g} s", headers={"Connection": "close"}
        ) from None
    if bounds is not None and body and is_json(request):
        JsonShape(bounds).check(body)
    return body


async def bounded_stream(
    request: Request, seconds: float, shape: JsonShape | None
) -> AsyncIterator[bytes]:
    """The body as it arrives, each piece within `seconds` of the one before and checked by
    `shape` before it is passed on."""
    pieces = request.stream().__aiter__()
    while True:
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline:
                piece = await anext(pieces)
        except StopAsyncIteration:
            return
        except TimeoutError:
            if not deadline.expired():
                raise
            raise BodyTimeout(
                f"no part of the body arrived for {seconds:g} s", headers={"Connection": "close"}
            ) from None
        if shape is not None:
            shape.feed(piece)
        yield piece
