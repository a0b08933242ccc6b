"""Observability and limits: JSON logs with the request id, /metrics, the request timeout."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy.exc
from conftest import bearer, in_test_transaction
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from services.api.http.limits import RequestTimeout, is_pool_timeout, pool_timeout_handler
from services.api.http.observability import (
    UNMATCHED,
    JsonFormatter,
    RequestIdFilter,
    RequestLogContext,
    configure_logging,
    current_request_id,
    install_observability,
)
from services.api.http.request_id import RequestId
from services.api.main import create_app
from services.api.settings import Settings
from services.api.storage.database import async_url, make_engine, make_sessionmaker


def observed(app: FastAPI, settings: Settings) -> FastAPI:
    """The app with observability, whether or not create_app installs it already."""
    if not hasattr(app.state, "metrics_registry"):
        install_observability(app, settings)
    return app


@pytest.fixture
def app(engine: AsyncEngine, database_url: str, session: AsyncSession) -> FastAPI:
    """The real app, its requests in the test's rolled-back transaction."""
    settings = Settings(database_url=database_url)
    app = observed(create_app(settings), settings)
    return in_test_transaction(app, engine, session)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no key unless a request adds one."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above during the test, as the service writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    # The test's own HTTP client logs each request from outside the app.
    handler.addFilter(lambda record: not record.name.startswith(("httpx", "httpcore")))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in parsed(stream) if line["logger"] == "services.api.access"]


def samples(exposition: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of one metric in a text exposition, keyed by their sorted labels."""
    found = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


# ---------------------------------------------------------------------------------------------
# /metrics
# ---------------------------------------------------------------------------------------------


async def test_metrics_answer_without_a_key_in_the_prometheus_format(
    http: httpx.AsyncClient, api_keys: dict[str, str], engine: AsyncEngine
) -> None:
    served = await http.get("/v1/reference/services", headers=bearer(api_keys["admin"]))
    assert served.status_code == 200
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    body = response.text
    requests = samples(body, "http_requests_total")
    assert requests[(("method", "GET"), ("route", "/v1/reference/services"), ("status", "200"))]
    durations = samples(body, "http_request_duration_seconds_count")
    assert durations[(("method", "GET"), ("route", "/v1/reference/services"))] == 1
    assert samples(body, "db_pool_connections_in_use")[()] >= 0
    runs = samples(body, "report_runs")
    assert {dict(labels)["status"] for labels in runs} >= {"queued", "running", "completed"}
    again = (await http.get("/metrics")).text
    assert samples(again, "http_requests_total")[
        (("method", "GET"), ("route", "/metrics"), ("status", "200"))
    ]
    async with engine.connect() as connection:
        committed = (await connection.execute(text("SELECT count(*) FROM report_run"))).scalar()
    assert sum(runs.values()) == committed


async def test_metrics_are_not_in_the_openapi_document(app: FastAPI) -> None:
    assert "/metrics" not in app.openapi()["paths"]


async def test_unmatched_paths_are_not_labels(http: httpx.AsyncClient) -> None:
    assert (await http.get("/no/such/place/jane.doe@example.org")).status_code == 404
    body = (await http.get("/metrics")).text
    assert f'route="{UNMATCHED}",status="404"' in body
    assert "jane.doe" not in body


async def test_metrics_leave_out_report_runs_when_the_database_is_unreachable(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    unreachable = make_engine("postgresql://nobody@127.0.0.1:1/nowhere", pool_size=1)
    app.state.sessionmaker = make_sessionmaker(unreachable)
    try:
        response = await http.get("/metrics")
    finally:
        await unreachable.dispose()
    assert response.status_code == 200
    assert samples(response.text, "report_runs") == {}
    assert "http_requests_total" in response.text


async def test_metrics_answer_before_the_database_is_set_up(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    app = observed(create_app(settings), settings)  # not started: no engine, no sessionmaker
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert samples(response.text, "db_pool_connections_in_use") == {(): 0}
    assert samples(response.text, "db_pool_size") == {(): 0}
    assert samples(response.text, "report_runs") == {}


async def test_connections_in_use_are_read_from_the_engine_pool_at_scrape_time(
    http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = samples((await http.get("/metrics")).text, "db_pool_connections_in_use")[()]
    async with engine.connect() as held:
        await held.execute(text("SELECT 1"))
        during = (await http.get("/metrics")).text
    assert samples(during, "db_pool_connections_in_use")[()] == before + 1
    assert samples(during, "db_pool_size")[()] == engine.pool.size()


async def test_each_app_has_its_own_registry(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    first = observed(create_app(settings), settings)
    second = observed(create_app(settings), settings)
    assert first.state.metrics_registry is not second.state.metrics_registry
    registry = first.state.metrics_registry
    install_observability(first, settings)  # again: nothing changes
    assert first.state.metrics_registry is registry
    factories: list[object] = [m.cls for m in first.user_middleware]
    assert factories.count(RequestLogContext) == 1
    assert factories.index(RequestId) + 1 == factories.index(RequestLogContext)


# ---------------------------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------------------------


async def test_log_lines_carry_the_request_id_the_response_returns(
    app: FastAPI, http: httpx.AsyncClient, api_keys: dict[str, str], log_lines: io.StringIO
) -> None:
    async def chatty() -> dict[str, str]:
        logging.getLogger("uvicorn.error").info("a line from another library")
        logging.getLogger("services.api.routes").warning("a line from a route", extra={"n": 1})
        return {"ok": "yes"}

    app.add_api_route("/test/chatty", chatty)
    response = await http.get("/test/chatty")
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    lines = parsed(log_lines)
    assert len(lines) == 3
    assert {line["request_id"] for line in lines} == {request_id}
    assert [line["message"] for line in lines[:2]] == [
        "a line from another library",
        "a line from a route",
    ]
    assert lines[1]["n"] == 1
    (access,) = access_lines(log_lines)
    assert access["level"] == "INFO"
    assert access["method"] == "GET"
    assert access["route"] == access["path"] == "/test/chatty"
    assert access["status"] == 200
    assert access["duration_ms"] >= 0
    assert access["time"].endswith("Z")


async def test_the_callers_request_id_is_kept(
    http: httpx.AsyncClient, api_keys: dict[str, str], log_lines: io.StringIO
) -> None:
    response = await http.get(
        "/v1/reference/services",
        headers={**bearer(api_keys["admin"]), "X-Request-ID": "caller-id.42"},
    )
    assert response.headers["X-Request-ID"] == "caller-id.42"
    assert {line["request_id"] for line in parsed(log_lines)} == {"caller-id.42"}
    unusable = await http.get("/health/live", headers={"X-Request-ID": "has spaces"})
    made = unusable.headers["X-Request-ID"]
    assert made != "has spaces"
    assert access_lines(log_lines)[-1]["request_id"] == made


async def test_access_lines_name_the_route_template_not_the_path_or_query(
    http: httpx.AsyncClient, api_keys: dict[str, str], log_lines: io.StringIO
) -> None:
    await http.get(
        "/v1/reference/teams", params={"service": "education"}, headers=bearer(api_keys["admin"])
    )
    await http.get("/no/such/place/jane.doe@example.org")
    matched, unmatched = access_lines(log_lines)
    assert matched["route"] == matched["path"] == "/v1/reference/teams"
    assert unmatched["route"] is None
    assert unmatched["path"] == UNMATCHED
    assert unmatched["status"] == 404
    assert "education" not in log_lines.getvalue()
    assert "jane.doe" not in log_lines.getvalue()


async def test_an_unhandled_error_is_logged_with_the_request_id(
    app: FastAPI, log_lines: io.StringIO
) -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/test/broken", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/test/broken", headers={"X-Request-ID": "err-1"})
    finally:
        current_request_id.set(None)  # the client ran the app in this very task
    assert response.status_code == 500
    lines = parsed(log_lines)
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["request_id"] == "err-1"
    assert "RuntimeError: boom" in error["exc_info"]
    (access,) = access_lines(log_lines)
    assert access["status"] == 500
    assert access["request_id"] == "err-1"


async def test_the_context_also_works_when_installed_before_request_id(
    log_lines: io.StringIO,
) -> None:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        logging.getLogger("test").info("hello")
        return {"hello": "world"}

    install_observability(app, Settings())
    app.add_middleware(RequestId)  # added later, so outside
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/hello")
    request_id = response.headers["X-Request-ID"]
    assert [line["request_id"] for line in parsed(log_lines)] == [request_id, request_id]


def test_the_formatter_writes_extras_and_exceptions_on_one_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("test.formatter")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("case %s moved", "C-1", extra={"case_ref": "C-1", "count": 3, "odd": object()})
        try:
            raise ValueError("bad value")
        except ValueError:
            log.exception("it failed", extra={"level": "clash"})
    finally:
        log.removeHandler(handler)
        log.propagate = True
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "case C-1 moved"
    assert first["level"] == "WARNING"
    assert first["logger"] == "test.formatter"
    assert first["request_id"] is None
    assert (first["case_ref"], first["count"]) == ("C-1", 3)
    assert first["odd"].startswith("<object object")
    assert "exc_info" not in first
    assert second["level"] == "ERROR"
    assert second["extra_level"] == "clash"
    assert second["exc_info"].startswith("Traceback")
    assert "ValueError: bad value" in second["exc_info"]


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        n: (list(logging.getLogger(n).handlers), logging.getLogger(n).propagate) for n in names
    }
    levels = {n: logging.getLogger(n).level for n in names}
    try:
        yield
    finally:
        logging.captureWarnings(False)
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, (kept, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = kept
            logger.propagate = propagate
            logger.setLevel(levels[name])


@pytest.mark.usefixtures("restored_logging")
def test_configure_logging_writes_json_lines_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info")
    token = current_request_id.set("r-1")
    try:
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("services.api").debug("not at INFO")
    finally:
        current_request_id.reset(token)
    configure_logging("INFO")  # again: still one handler, so one line each
    logging.getLogger("sqlalchemy.pool").warning("pool overflow")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["request_id"]) for line in lines] == [
        ("uvicorn.error", "r-1"),
        ("sqlalchemy.pool", None),
    ]
    assert logging.getLogger().handlers[0].stream is sys.stderr  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------


def timed_app(seconds: float) -> Any:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(5)
        return PlainTextResponse("late")

    async def fast(request: Request) -> Response:
        return PlainTextResponse("fast")

    async def streaming(request: Request) -> Response:
        async def parts() -> AsyncIterator[bytes]:
            yield b"first "
            await asyncio.sleep(seconds * 3)
            yield b"second"

        return StreamingResponse(parts(), media_type="text/plain")

    async def own_timeout(request: Request) -> Response:
        raise TimeoutError("a driver's own timeout")

    routes = [
        Route("/slow", slow),
        Route("/fast", fast),
        Route("/streaming", streaming),
        Route("/own-timeout", own_timeout),
    ]
    return RequestTimeout(Starlette(routes=routes), seconds=seconds)


async def test_a_request_past_the_timeout_is_a_503_with_retry_after() -> None:
    transport = httpx.ASGITransport(app=timed_app(0.1))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        started = asyncio.get_running_loop().time()
        slow = await client.get("/slow")
        elapsed = asyncio.get_running_loop().time() - started
        fast = await client.get("/fast")
        streaming = await client.get("/streaming")
    assert slow.status_code == 503
    assert slow.headers["content-type"] == "application/problem+json"
    assert slow.headers["Retry-After"] == "1"
    assert slow.json()["status"] == 503
    assert slow.json()["instance"] == "/slow"
    assert elapsed < 2
    assert (fast.status_code, fast.text) == (200, "fast")
    # Its response had started before the deadline: it is let finish.
    assert (streaming.status_code, streaming.text) == (200, "first second")


async def test_a_timeout_error_of_the_apps_own_is_not_the_deadlines_503() -> None:
    transport = httpx.ASGITransport(app=timed_app(5), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/own-timeout")
    assert response.status_code == 500


def test_settings_carry_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_REQUEST_TIMEOUT_SECONDS", "12.5")
    settings = Settings()
    assert settings.request_timeout_seconds == 12.5
    assert settings.pool_timeout_seconds == 5.0
    assert settings.shutdown_grace_seconds == 20.0


async def test_a_pool_wait_that_runs_out_is_recognised(database_url: str) -> None:
    tiny = create_async_engine(
        async_url(database_url), pool_size=1, max_overflow=0, pool_timeout=0.1
    )
    try:
        async with tiny.connect():
            with pytest.raises(sqlalchemy.exc.TimeoutError) as waited:
                async with tiny.connect():
                    pass
    finally:
        await tiny.dispose()
    assert is_pool_timeout(waited.value)
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = waited.value
    assert is_pool_timeout(wrapped)
    assert not is_pool_timeout(sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception()))
    assert not is_pool_timeout(TimeoutError())


async def test_the_pool_timeout_handler_answers_503_with_retry_after() -> None:
    app = FastAPI()

    @app.get("/busy")
    async def busy() -> None:
        raise sqlalchemy.exc.TimeoutError("QueuePool limit of size 1 overflow 0 reached")

    app.add_exception_handler(sqlalchemy.exc.TimeoutError, pool_timeout_handler)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/busy")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "1"


async def test_a_caller_hanging_up_before_its_body_is_not_logged_as_an_error(
    app: FastAPI, api_keys: dict[str, str], log_lines: io.StringIO
) -> None:
    headers = {**bearer(api_keys["crm"]), "idempotency-key": "gone-1"}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/feedback",
        "raw_path": b"/v1/feedback",
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-type", b"application/json"), (b"content-length", b"500")],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 499
    errors = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    assert not [e for e in errors if e["level"] == "ERROR"]
