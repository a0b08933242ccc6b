"""Structured logs carrying the request id, and Prometheus metrics at /metrics.

Logs: `configure_logging()` makes every log line of the process (the app's, uvicorn's,
SQLAlchemy's) one JSON object on stderr. During a request each line carries the request id,
which the `RequestLogContext` middleware takes from the `RequestId` middleware outside it.
One access line is written per request; it names the route template, never the raw path,
query string or body, which may hold personal data.

Metrics: each app has its own registry (`app.state.metrics_registry`), exposed at
`GET /metrics` in the Prometheus text format. The endpoint asks for no API key: it is meant
for the internal network only, so keep it from the public side of the proxy or ingress.

Several worker processes (`feedback serve --workers N`) share one set of figures through
prometheus-client's multiprocess mode: the server makes a fresh folder, names it in
PROMETHEUS_MULTIPROC_DIR before any worker starts (prometheus-client reads it once, at import),
and removes it when it stops. Each worker writes its figures to its own files there, and
whichever worker answers /metrics adds up every worker's. Without that variable (the tests,
`create_app()` in a process of its own) the app keeps its figures in memory.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.pool import QueuePool
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.http.request_id import RequestId
from services.api.models.report_runs import RunStatus
from services.api.settings import Settings

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("services.api.access")

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_request_id", default=None
)

# The route label of requests no route matched: raw paths would be unbounded and may be personal.
UNMATCHED = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Up to the default request timeout and a little past it.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
REPORT_RUNS_QUERY = text("SELECT status, count(*) FROM report_run GROUP BY status")
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# How often each worker of several writes down its pool's figures for the others to add up.
POOL_SAMPLE_SECONDS = 1.0

# ---------------------------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "request_id",
    "color_message",  # uvicorn's copy of the message with terminal colours
}
_HANDLER_NAME = "services.api.json-stderr"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
        }
        for key, value in vars(record).items():
            if key in _RECORD_ATTRIBUTES or key.startswith("_"):
                continue
            entry[f"extra_{key}" if key in entry else key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # json.dumps escapes newlines, so a traceback stays on its one line.
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served, if any.

    Put on the handler (not a logger) so that records propagated from other libraries'
    loggers, such as uvicorn's and SQLAlchemy's, are stamped too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Write every log line of the process to stderr as one JSON object.

    Meant for the process's entry point, once, before the server starts; run uvicorn with
    `log_config=None` so it does not put its own handlers back, and `access_log=False`: its
    access line holds the raw path and query string, and `RequestLogContext` writes one
    without them.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
        if existing.get_name() == _HANDLER_NAME:
            existing.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    # The JSON lines carry no source file, line, thread or process: not working them out for
    # every record is the logging HOWTO's own advice, and spares each request a stack walk.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # uvicorn's loggers write through the root handler, not their own plain-text ones.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.captureWarnings(True)


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


class HttpMetrics:
    """The request metrics of one app; `registry` is None when the workers' files hold them."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from receiving a request to the end of its response, by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        # A worker that died has nothing in flight: only live workers' figures are added up.
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being served now.",
            registry=registry,
            multiprocess_mode="livesum",
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)


def _engine_of(app: FastAPI) -> Any:
    """The app's database engine: `app.state.engine`, else the bind of its sessionmaker."""
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        return engine
    maker = getattr(app.state, "sessionmaker", None)
    binds: Mapping[str, Any] = getattr(maker, "kw", None) or {}
    return binds.get("bind")


class PoolMetrics:
    """The engine pool's connections in use and size, summed over the live workers."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.in_use = Gauge(
            "db_pool_connections_in_use",
            "Database connections checked out of the pools now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.size = Gauge(
            "db_pool_size",
            "Connections the database pools keep (overflow aside).",
            registry=registry,
            multiprocess_mode="livesum",
        )

    def sample(self, app: FastAPI) -> None:
        """Write down this process's pool figures; nothing when the app has no pool yet."""
        pool = getattr(_engine_of(app), "pool", None)
        if isinstance(pool, QueuePool):
            self.in_use.set(pool.checkedout())
            self.size.set(pool.size())


class ReportRunsCollector(Collector):
    """Report runs by status, counted in the database at scrape time.

    The count needs a query, which is asynchronous: `/metrics` calls `refresh()` before
    collecting. When the database cannot be asked, the gauge is left out of that scrape. It
    is the database's figure, the same whichever worker asks, so it is never added up.
    """

    def __init__(self, app: FastAPI, query_timeout: float) -> None:
        self.app = app
        self.query_timeout = query_timeout
        self.report_runs: dict[str, int] | None = None

    async def refresh(self) -> None:
        """Count the report runs by status; on any failure, forget the last count."""
        self.report_runs = await self._count_report_runs()

    async def _count_report_runs(self) -> dict[str, int] | None:
        maker = getattr(self.app.state, "sessionmaker", None)
        if maker is None:
            return None
        try:
            async with asyncio.timeout(self.query_timeout), maker() as session:
                rows = (await session.execute(REPORT_RUNS_QUERY)).all()
        except Exception as error:
            logger.warning(
                "report runs could not be counted for /metrics: %s", type(error).__name__
            )
            return None
        counts = {status.value: 0 for status in RunStatus}
        counts.update({str(status): int(count) for status, count in rows})
        return counts

    def collect(self) -> Iterable[Metric]:
        counts = self.report_runs
        if counts is not None:
            runs = GaugeMetricFamily(
                "report_runs", "Report runs in the database, by status.", labels=["status"]
            )
            for status, count in sorted(counts.items()):
                runs.add_metric([status], float(count))
            yield runs


async def metrics(request: Request) -> Response:
    """Prometheus metrics; no key asked, so reachable from the internal network only."""
    # Plain routes do not name themselves in the scope as API routes do; the label needs it.
    request.scope.setdefault("route", metrics_route)
    state = request.app.state
    registry: CollectorRegistry | None = getattr(state, "metrics_registry", None)
    if registry is None:
        return Response("metrics are not installed\n", status_code=404, media_type="text/plain")
    state.pool_metrics.sample(request.app)
    await state.report_runs_collector.refresh()
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(
        encoder(registry), headers={"Content-Type": content_type, "Cache-Control": "no-store"}
    )


# ---------------------------------------------------------------------------------------------
# Several workers
# ---------------------------------------------------------------------------------------------


def multiprocess_directory() -> Path | None:
    """The folder the workers share their figures through, when there is one."""
    value = os.environ.get(MULTIPROCESS_ENV)
    return Path(value) if value else None


@contextmanager
def shared_metrics_directory() -> Iterator[Path]:
    """A fresh, private folder for the workers' figures, named in PROMETHEUS_MULTIPROC_DIR.

    Enter it before the server process imports prometheus-client and before any worker
    starts: each reads the variable once. One inherited from elsewhere is set aside rather
    than emptied, since what else it holds is not known; the folder is removed on the way out.
    """
    folder = Path(tempfile.mkdtemp(prefix="feedback-metrics-"))
    inherited = os.environ.get(MULTIPROCESS_ENV)
    os.environ[MULTIPROCESS_ENV] = str(folder)
    try:
        yield folder
    finally:
        if inherited is None:
            os.environ.pop(MULTIPROCESS_ENV, None)
        else:
            os.environ[MULTIPROCESS_ENV] = inherited
        shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def forget_dead_workers(folder: Path) -> None:
    """Drop the live gauges of workers that are gone, such as one killed and replaced."""
    for file in folder.glob("gauge_live*_*.db"):
        pid = file.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            mark_process_dead(int(pid), str(folder))  # type: ignore[no-untyped-call]


async def _sample_pool(app: FastAPI, pool_metrics: PoolMetrics) -> None:
    while True:
        await asyncio.sleep(POOL_SAMPLE_SECONDS)
        pool_metrics.sample(app)


def _share_figures_while_serving(app: FastAPI, folder: Path, pool_metrics: PoolMetrics) -> None:
    """Around the app's own lifespan: keep this worker's pool figures current in `folder`.

    The worker answering /metrics reads its own pool, not the others': each writes its
    figures down every second, and removes its live gauges when it stops.
    """
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: Any) -> AsyncIterator[Any]:
        async with inner(served) as state:
            forget_dead_workers(folder)
            # Before the first request: from now on, another worker's scrape counts this pool.
            pool_metrics.sample(app)
            sampler = asyncio.create_task(_sample_pool(app, pool_metrics))
            try:
                yield state
            finally:
                sampler.cancel()
                with suppress(asyncio.CancelledError):
                    await sampler
                mark_process_dead(os.getpid(), str(folder))  # type: ignore[no-untyped-call]

    app.router.lifespan_context = lifespan


# A plain route, not an API operation: no schema, no roles, outside the OpenAPI document.
metrics_route = Route("/metrics", metrics, methods=["GET"], include_in_schema=False)
metrics_router = APIRouter()
metrics_router.routes.append(metrics_route)


# ---------------------------------------------------------------------------------------------
# The middleware
# ---------------------------------------------------------------------------------------------


def route_template(scope: Scope) -> str | None:
    """The template of the route that served the request (`/v1/feedback/{item_id}`), if any."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None


class RequestLogContext:
    """Set the request id for the log lines of a request; write its access line and metrics.

    Must sit inside `RequestId`, which puts the id in `scope["state"]["request_id"]`.
    """

    def __init__(self, app: ASGIApp, metrics: HttpMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = (scope.get("state") or {}).get("request_id")
        token = current_request_id.set(request_id if isinstance(request_id, str) else None)
        status: int | None = None

        async def observing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        if self.metrics is not None:
            self.metrics.in_flight.inc()
        started = time.perf_counter()
        failed = False
        try:
            await self.app(scope, receive, observing_send)
        except BaseException:
            failed = True
            raise
        finally:
            self._record(scope, status or 500, time.perf_counter() - started)
            if self.metrics is not None:
                self.metrics.in_flight.dec()
            # An error escaping here is logged by the server-error handler outside every
            # middleware; leaving the id set lets that line carry it too. Each request runs
            # in a task of its own, so the id ends with it.
            if not failed:
                current_request_id.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = str(scope.get("method", "")).upper()
        method_label = method if method in _METHODS else "OTHER"
        template = route_template(scope)
        route = template or UNMATCHED
        if self.metrics is not None:
            self.metrics.observe(method_label, route, status, seconds)
        access_logger.info(
            "%s %s %s",
            method_label,
            route,
            status,
            extra={
                "method": method_label,
                "path": route,
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )


# ---------------------------------------------------------------------------------------------
# Installation
# ---------------------------------------------------------------------------------------------


def _add_inside_request_id(app: FastAPI, middleware: Middleware) -> None:
    """Add `middleware` just inside `RequestId`; or outermost, if `RequestId` comes later."""
    if app.middleware_stack is not None:
        raise RuntimeError("install observability before the app serves its first request")
    for index, existing in enumerate(app.user_middleware):
        factory: object = existing.cls
        if factory is RequestId:
            app.user_middleware.insert(index + 1, middleware)
            return
    # add_middleware puts each later one outside: a RequestId added after this still wraps it.
    app.user_middleware.insert(0, middleware)


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Give `app` its metrics registry, the log-context and metrics middleware, and /metrics.

    Call it once per app, before the app starts; calling it again does nothing.
    """
    if hasattr(app.state, "metrics_registry"):
        return
    registry = CollectorRegistry()
    folder = multiprocess_directory()
    if folder is None:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        own: CollectorRegistry | None = registry
    else:
        # Process, platform and GC figures would describe only the worker asked; left out.
        MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
        own = None
    http_metrics = HttpMetrics(own)
    pool_metrics = PoolMetrics(own)
    report_runs = ReportRunsCollector(app, query_timeout=settings.pool_timeout_seconds)
    registry.register(report_runs)
    app.state.metrics_registry = registry
    app.state.http_metrics = http_metrics
    app.state.pool_metrics = pool_metrics
    app.state.report_runs_collector = report_runs
    if folder is not None:
        _share_figures_while_serving(app, folder, pool_metrics)
    _add_inside_request_id(app, Middleware(RequestLogContext, metrics=http_metrics))
    app.include_router(metrics_router)
