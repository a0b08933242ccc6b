"""Fault drill: concurrent idempotent writes while PostgreSQL is stopped hard and restarted.

    python -m drills.fault_drill [--items 5000 --clients 32] [--report report.json]

What it does, on a machine where nothing but Python is guaranteed:

1. initialises its own PostgreSQL (the binaries shipped in the pgserver wheel) in a fresh
   temporary folder, listening on a free TCP port of 127.0.0.1 only; as root, where PostgreSQL
   refuses to run, the binaries run as pgserver's unprivileged system user, as pgserver does;
2. migrates it, loads the reference data of a council profile and creates a crm key;
3. starts the real API (`python -m services.api.cli serve`) as a separate process;
4. lets N concurrent clients post compliments, each with an `Idempotency-Key`, retrying on
   connection errors, timeouts, 409 and 503 with exponential backoff honouring Retry-After;
5. meanwhile stops PostgreSQL hard (`pg_ctl stop -m immediate`) after 20% and after 60% of the
   items were acknowledged, and starts it again a few seconds later;
6. checks, with the same API process: every acknowledged item is stored exactly once, nothing
   is doubled, no 500 was answered, 503s were problem+json with Retry-After, and new requests
   succeed after the last restart.

It prints a summary table and exits 1 when any guarantee fails; everything it started is
stopped and its temporary folder removed, on failure too.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import asyncpg
import httpx

from services.api.settings import PROJECT_ROOT

PROFILE = PROJECT_ROOT / "services" / "api" / "profiles" / "barking-and-dagenham.toml"
# The drill's crm key records under its name; its items' references start "drill-", the
# probes' "probe-".
SOURCE_SYSTEM = "drill"
DATABASE = "feedback"
HOST = "127.0.0.1"
PROBLEM_JSON = "application/problem+json"
# The unprivileged system user pgserver itself runs PostgreSQL as when started by root.
PGSERVER_SYSTEM_USER = "pgserver"


@dataclass(frozen=True)
class DrillConfig:
    """The drill's knobs; the defaults are those of the issue."""

    items: int = 5000
    clients: int = 32
    # Stop PostgreSQL once these fractions of the items were acknowledged.
    outage_at: tuple[float, ...] = (0.2, 0.6)
    down_seconds: float = 3.0
    request_timeout: float = 10.0
    backoff_base: float = 0.05
    backoff_cap: float = 2.0
    deadline_seconds: float = 360.0
    probes: int = 10
    # Keep the temporary folder (database, logs) for a post-mortem.
    keep_temp: bool = False


# --- PostgreSQL from the pgserver wheel --------------------------------------------------------


def _pgserver() -> Any:
    """The pgserver package, imported quietly (it warns about its runtime folder)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    return pgserver


def _listen_port(fallback: Callable[[str], int]) -> int:
    """A free port of 127.0.0.1 below the ephemeral range, for a server that restarts.

    While the server is down, clients' connection attempts take source ports from the
    ephemeral range; a port in it could be taken (or self-connected to) before the restart.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return fallback(HOST)
    candidates = list(range(max(1024, low - 10_000), low))
    random.shuffle(candidates)
    for port in candidates[:200]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    return fallback(HOST)


class Postgres:
    """A throwaway PostgreSQL cluster in `pgdata`, on a free TCP port of 127.0.0.1."""

    def __init__(self, pgdata: Path) -> None:
        pgserver = _pgserver()
        self.pgdata = pgdata
        # Inside pgdata, as pgserver keeps it: the server's own user can write there.
        self.log = pgdata / "log"
        self.bin_path: Path = pgserver._commands.POSTGRES_BIN_PATH
        self.port = _listen_port(pgserver.utils.find_suitable_port)
        self.system_user: str | None = None
        self._commands: dict[str, Callable[..., str]] = {
            name: pgserver._commands.create_command_function(name) for name in ("initdb", "pg_ctl")
        }
        self.running = False

    @property
    def options(self) -> str:
        """The postgres options of every start: TCP on 127.0.0.1 only, no unix socket."""
        no_socket = " -k ''" if os.name == "posix" else ""
        return f"-h {HOST} -p {self.port}{no_socket}"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{database}"

    def _run(self, command: str, args: list[str], timeout: float) -> str:
        # The server's user may not be able to enter the caller's working folder.
        return self._commands[command](
            args,
            pgdata=self.pgdata,
            user=self.system_user,
            cwd=str(self.pgdata.parent),
            timeout=timeout,
        )

    def init(self) -> None:
        """initdb, as pgserver does it, also when running as root."""
        self.pgdata.mkdir()
        if os.name == "posix" and os.geteuid() == 0:
            # PostgreSQL refuses to run as root: do what pgserver does (postgres_server.py).
            pgserver = _pgserver()
            utils = pgserver.utils
            self.system_user = PGSERVER_SYSTEM_USER
            entry = utils.ensure_user_exists(self.system_user)
            utils.ensure_prefix_permissions(self.pgdata)
            utils.ensure_prefix_permissions(self.bin_path)
            read = stat.S_IRGRP | stat.S_IROTH
            execute = stat.S_IXGRP | stat.S_IXOTH
            utils.ensure_folder_permissions(self.bin_path, read | execute)
            utils.ensure_folder_permissions(self.bin_path.parent / "lib", read)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"],
            timeout=120,
        )

    def start(self) -> None:
        """Start and wait until it accepts connections (after crash recovery, if any)."""
        self._run(
            "pg_ctl",
            ["-w", "-t", "60", "-l", str(self.log), "-o", self.options, "start"],
            timeout=90,
        )
        self.running = True

    def stop_immediate(self) -> None:
        """Stop hard: every backend is killed, nothing is flushed; the next start recovers."""
        self.running = False
        self._run("pg_ctl", ["-w", "-t", "60", "stop", "-m", "immediate"], timeout=90)

    def stop(self) -> None:
        """Stop for good, quickly, whatever state it is in."""
        if not (self.pgdata / "postmaster.pid").exists():
            return
        try:
            self._run("pg_ctl", ["-w", "-t", "30", "stop", "-m", "fast"], timeout=60)
        except (subprocess.SubprocessError, OSError):
            self._run("pg_ctl", ["-w", "-t", "30", "stop", "-m", "immediate"], timeout=60)
        self.running = False

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bin_path / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip().removeprefix("postgres (PostgreSQL) ") or "?"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


async def _create_database(server: Postgres) -> None:
    connection = await asyncpg.connect(server.url("postgres"), timeout=10)
    try:
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


async def _load_reference_data_and_key(url: str) -> str:
    """Load the council profile and create a crm key, in one committed transaction."""
    from services.api.domain.access import create_key
    from services.api.domain.profile import load_profile
    from services.api.models.access import ApiKeyCreate, Role
    from services.api.storage.database import make_engine, make_sessionmaker

    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await load_profile(session, PROFILE)
            created = await create_key(session, ApiKeyCreate(name="drill", role=Role.crm))
    finally:
        await engine.dispose()
    return created.key


# --- the API process ---------------------------------------------------------------------------


class Api:
    """The real API, `python -m services.api.cli serve`, in its own process."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.database_url = database_url
        self.log_path = log
        self.port: int = _pgserver().utils.find_suitable_port(HOST)
        self.base_url = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "API_PORT": str(self.port),
            "API_HOST": HOST,
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.api.cli", "serve"],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the API exited with {self.process.returncode}")
                try:
                    if client.get("/health/live").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise RuntimeError(f"the API did not answer /health/live within {timeout:.0f} s")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --- the clients -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt: when sent and answered (monotonic seconds) and what came back."""

    sent: float
    answered: float
    outcome: str  # an HTTP status ("201"), "timeout" or "connection-error"


@dataclass
class Outage:
    after_acks: int
    stop_sent: float = 0.0
    stopped: float = 0.0
    started: float = 0.0
    # Filled in afterwards from the attempts.
    recovered: float | None = None
    count_503: int = 0
    other_errors: int = 0

    @property
    def db_down_seconds(self) -> float:
        return self.started - self.stop_sent

    @property
    def api_outage_seconds(self) -> float | None:
        return None if self.recovered is None else self.recovered - self.stop_sent


@dataclass
class Tally:
    """Everything the clients saw."""

    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # external_ref -> id
    replayed: int = 0
    problem_503: int = 0
    bad_503: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def statuses(self) -> Counter[str]:
        return Counter(a.outcome for a in self.attempts)

    @property
    def max_latency(self) -> float:
        return max((a.answered - a.sent for a in self.attempts), default=0.0)


def compliment(ref: str) -> dict[str, Any]:
    """The body of one compliment of the drill."""
    return {
        "kind": "compliment",
        "service": "adults",
        "team": "adults-disability",
        "source_system": SOURCE_SYSTEM,
        "external_ref": ref,
        "channel": "email",
        "received_on": (date.today() - timedelta(days=30)).isoformat(),
        "compliment_text": "Thank you for the help, even while the database was restarting.",
    }


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("retry-after", "0")))
    except ValueError:
        return 0.0


def _is_problem_503(response: httpx.Response) -> bool:
    if not response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        return False
    if "retry-after" not in response.headers:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == 503


class Drill:
    """The clients and the controller that takes the database away."""

    def __init__(self, config: DrillConfig, api: Api, server: Postgres, key: str) -> None:
        self.config = config
        self.api = api
        self.server = server
        self.key = key
        self.tally = Tally()
        self.outages = [Outage(after_acks=round(config.items * f)) for f in config.outage_at]
        self.clients_done = asyncio.Event()
        self.started_at = 0.0
        self.finished_at = 0.0

    def _backoff(self, attempt: int, retry_after: float) -> float:
        exponential = self.config.backoff_base * 2.0 ** min(attempt, 16) * random.uniform(0.5, 1.0)
        delay = min(self.config.backoff_cap, max(exponential, retry_after))
        return delay * random.uniform(1.0, 1.1)  # keep retries of many clients apart

    async def post(self, client: httpx.AsyncClient, ref: str) -> None:
        """Post one item until it is acknowledged (201 or 200) or refused for good."""
        body = compliment(ref)
        headers = {"Idempotency-Key": ref}
        for attempt in itertools.count():
            retry_after = 0.0
            sent = time.monotonic()
            try:
                response = await client.post("/v1/feedback", json=body, headers=headers)
            except httpx.TimeoutException:
                self.tally.attempts.append(Attempt(sent, time.monotonic(), "timeout"))
            except httpx.TransportError:
                self.tally.attempts.append(Attempt(sent, time.monotonic(), "connection-error"))
            else:
                status = response.status_code
                self.tally.attempts.append(Attempt(sent, time.monotonic(), str(status)))
                if status in (200, 201):
                    self.tally.acknowledged[ref] = int(response.json()["id"])
                    if response.headers.get("idempotent-replayed") == "true":
                        self.tally.replayed += 1
                    return
                if status == 503:
                    if _is_problem_503(response):
                        self.tally.problem_503 += 1
                    else:
                        self.tally.bad_503.append(f"{ref}: {response.headers} {response.text}")
                    retry_after = _retry_after(response)
                elif status == 409:
                    retry_after = _retry_after(response)
                elif status >= 500:
                    # A failure of the drill, but retrying keeps the run going to the checks.
                    self.tally.server_errors.append(f"{ref}: {status} {response.text[:300]}")
                else:
                    self.tally.refused.append(f"{ref}: {status} {response.text[:300]}")
                    return
            await asyncio.sleep(self._backoff(attempt, retry_after))

    async def worker(self, client: httpx.AsyncClient, refs: Iterator[str]) -> None:
        for ref in refs:  # shared by all workers: each takes the next item
            await self.post(client, ref)

    async def controller(self) -> None:
        """Stop PostgreSQL hard at each threshold of acknowledged items, then start it again."""
        for outage in self.outages:
            while len(self.tally.acknowledged) < outage.after_acks:
                if self.clients_done.is_set():
                    return
                await asyncio.sleep(0.005)
            outage.stop_sent = time.monotonic()
            await asyncio.to_thread(self.server.stop_immediate)
            outage.stopped = time.monotonic()
            await asyncio.sleep(self.config.down_seconds)
            await asyncio.to_thread(self.server.start)
            outage.started = time.monotonic()

    def client(self) -> httpx.AsyncClient:
        timeout = self.config.request_timeout
        return httpx.AsyncClient(
            base_url=self.api.base_url,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            limits=httpx.Limits(max_connections=self.config.clients + 8),
        )

    async def run(self) -> None:
        refs = (f"drill-{i:05d}" for i in range(self.config.items))
        controller = asyncio.create_task(self.controller())
        self.started_at = time.monotonic()
        try:
            async with self.client() as client:
                await asyncio.gather(
                    *(self.worker(client, refs) for _ in range(self.config.clients))
                )
            self.finished_at = time.monotonic()
            self.clients_done.set()
            await controller  # an outage under way ends with the database started again
        finally:
            if not controller.done():
                controller.cancel()
        self.measure_outages()

    def measure_outages(self) -> None:
        attempts = sorted(self.tally.attempts, key=lambda a: a.answered)
        for outage in self.outages:
            if not outage.started:
                continue
            # Recovered: the first item acknowledged that was sent after the database stopped.
            outage.recovered = next(
                (
                    a.answered
                    for a in attempts
                    if a.sent >= outage.stopped and a.outcome in ("200", "201")
                ),
                None,
            )
            end = outage.recovered if outage.recovered is not None else float("inf")
            during = [a for a in attempts if outage.stop_sent <= a.answered <= end]
            outage.count_503 = sum(a.outcome == "503" for a in during)
            outage.other_errors = sum(a.outcome not in ("200", "201", "503") for a in during)

    async def probe(self) -> list[str]:
        """After the last restart: new items and readiness succeed at the first attempt."""
        problems: list[str] = []
        async with self.client() as client:
            for n in range(self.config.probes):
                ref = f"probe-{n:03d}"
                response = await client.post(
                    "/v1/feedback",
                    json=compliment(ref),
                    headers={"Idempotency-Key": f"probe-{ref}"},
                )
                if response.status_code != 201:
                    problems.append(f"probe {ref}: {response.status_code} {response.text[:200]}")
            ready = await client.get("/health/ready")
            if ready.status_code != 200:
                problems.append(f"/health/ready: {ready.status_code} {ready.text[:200]}")
        return problems


async def _stored(url: str) -> tuple[int, int, dict[str, int]]:
    """count(*), count(DISTINCT external_ref) and ref -> id of the drill's rows."""
    connection = await asyncpg.connect(url, timeout=10)
    try:
        row = await connection.fetchrow(
            "SELECT count(*), count(DISTINCT external_ref) FROM feedback_item"
            " WHERE source_system = $1 AND external_ref LIKE 'drill-%'",
            SOURCE_SYSTEM,
        )
        rows = await connection.fetch(
            "SELECT external_ref, id FROM feedback_item"
            " WHERE source_system = $1 AND external_ref LIKE 'drill-%'",
            SOURCE_SYSTEM,
        )
    finally:
        await connection.close()
    assert row is not None
    return int(row[0]), int(row[1]), {r["external_ref"]: int(r["id"]) for r in rows}


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Report:
    items: int
    clients: int
    postgres: str = ""
    elapsed_seconds: float = 0.0
    throughput_per_second: float = 0.0
    acknowledged: int = 0
    replayed: int = 0
    stored_count: int = 0
    stored_distinct: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    problem_503: int = 0
    max_latency_seconds: float = 0.0
    outages: list[dict[str, Any]] = field(default_factory=list)
    guarantees: dict[str, bool] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.guarantees) and all(self.guarantees.values()) and not self.failures


def _check(report: Report, name: str, ok: bool, why: str) -> None:
    report.guarantees[name] = ok
    if not ok:
        report.failures.append(f"{name}: {why}")


def _evaluate(
    report: Report,
    drill: Drill,
    stored: tuple[int, int, dict[str, int]],
    probe_problems: list[str],
    api_same_process: bool,
) -> None:
    tally, config = drill.tally, drill.config
    count, distinct, ids = stored
    statuses = tally.statuses()
    report.acknowledged = len(tally.acknowledged)
    report.replayed = tally.replayed
    report.stored_count, report.stored_distinct = count, distinct
    report.statuses = dict(sorted(statuses.items()))
    report.problem_503 = tally.problem_503
    report.max_latency_seconds = round(tally.max_latency, 3)
    report.elapsed_seconds = round(drill.finished_at - drill.started_at, 2)
    if report.elapsed_seconds > 0:
        report.throughput_per_second = round(report.acknowledged / report.elapsed_seconds, 1)
    report.outages = [
        {
            "after_acks": o.after_acks,
            "db_down_seconds": round(o.db_down_seconds, 2),
            "api_outage_seconds": (
                None if o.api_outage_seconds is None else round(o.api_outage_seconds, 2)
            ),
            "recovered_after_start_seconds": (
                None if o.recovered is None else round(max(0.0, o.recovered - o.started), 2)
            ),
            "count_503": o.count_503,
            "other_errors": o.other_errors,
        }
        for o in drill.outages
        if o.started
    ]

    wrong_ids = [ref for ref, id_ in tally.acknowledged.items() if ids.get(ref) != id_]
    _check(
        report,
        "every item acknowledged",
        report.acknowledged == config.items and not tally.refused,
        f"{report.acknowledged} of {config.items}; refused: {tally.refused[:3]}",
    )
    _check(
        report,
        "acknowledged items stored, with the id answered",
        not wrong_ids,
        f"{len(wrong_ids)} missing or with another id, e.g. {wrong_ids[:5]}",
    )
    _check(
        report,
        "stored exactly once, none doubled",
        count == distinct == config.items,
        f"count {count}, distinct {distinct}, expected {config.items}",
    )
    other_5xx = {s: n for s, n in statuses.items() if s.isdigit() and int(s) >= 500 and s != "503"}
    _check(report, "no 500 or other 5xx", not other_5xx, f"{other_5xx}; {tally.server_errors[:3]}")
    _check(
        report,
        "503s are problem+json with Retry-After",
        tally.problem_503 > 0 and not tally.bad_503,
        f"{tally.problem_503} good, {len(tally.bad_503)} bad, e.g. {tally.bad_503[:2]}",
    )
    _check(
        report,
        "both outages happened and answered 503",
        len(report.outages) == len(drill.outages)
        and all(o["count_503"] > 0 for o in report.outages),
        f"outages: {report.outages}",
    )
    timeouts, dropped = statuses.get("timeout", 0), statuses.get("connection-error", 0)
    _check(
        report,
        "no hang (no request timed out or was dropped)",
        timeouts == dropped == 0,
        f"{timeouts} requests timed out after {config.request_timeout} s, {dropped} dropped",
    )
    _check(
        report,
        "recovered by itself after each outage",
        all(o.recovered is not None for o in drill.outages) and not probe_problems,
        "; ".join(probe_problems) or "an outage saw no acknowledgement after it",
    )
    _check(
        report,
        "same API process throughout",
        api_same_process,
        "the API process exited or was replaced",
    )


def run(config: DrillConfig) -> Report:
    """Run the drill; never raises for a failed guarantee, see `Report.ok`/`failures`."""
    report = Report(items=config.items, clients=config.clients)
    root = Path(tempfile.mkdtemp(prefix="fault-drill-"))
    server: Postgres | None = None
    api: Api | None = None
    try:
        server = Postgres(root / "pgdata")
        report.postgres = server.version()
        server.init()
        server.start()
        asyncio.run(_create_database(server))
        url = server.url()

        from services.api.storage.migrate import upgrade

        upgrade(url)
        key = asyncio.run(_load_reference_data_and_key(url))

        api = Api(url, root / "api.log")
        api.start()
        pid = api.pid
        drill = Drill(config, api, server, key)

        async def exercise() -> tuple[list[str], bool]:
            try:
                await asyncio.wait_for(drill.run(), timeout=config.deadline_seconds)
            except TimeoutError:
                report.failures.append(
                    f"deadline: not done after {config.deadline_seconds:.0f} s "
                    f"({len(drill.tally.acknowledged)} acknowledged)"
                )
                drill.finished_at = time.monotonic()
                drill.measure_outages()
                if not server.running:
                    await asyncio.to_thread(server.start)
                return [], False
            return await drill.probe(), True

        probe_problems, finished = asyncio.run(exercise())
        if not finished:
            probe_problems.append("the drill did not finish in time")
        stored = asyncio.run(_stored(url))
        same = api.alive() and api.pid == pid
        _evaluate(report, drill, stored, probe_problems, same)
    except Exception as error:
        report.failures.append(f"the drill itself failed: {type(error).__name__}: {error}")
    finally:
        _clean_up(report, root, api, server, keep=config.keep_temp)
    return report


def _clean_up(
    report: Report, root: Path, api: Api | None, server: Postgres | None, *, keep: bool
) -> None:
    """Stop the API and PostgreSQL and remove the folder, whatever happened before."""
    if not report.ok:
        if api is not None:
            print(f"--- API log (tail)\n{api.log_tail()}", file=sys.stderr)
        if server is not None:
            print(f"--- PostgreSQL log (tail)\n{server.log_tail()}", file=sys.stderr)
    stops: list[tuple[str, Callable[[], None]]] = []
    if api is not None:
        stops.append(("API", api.stop))
    if server is not None:
        stops.append(("PostgreSQL", server.stop))
    for name, stop in stops:
        try:
            stop()
        except Exception as error:
            report.failures.append(f"clean-up: stopping {name} failed: {error}")
    if keep:
        print(f"kept {root}", file=sys.stderr)
    else:
        shutil.rmtree(root, ignore_errors=True)


def summary(report: Report) -> str:
    """The report as a short table."""
    lines = [
        f"Fault drill: {report.items} items, {report.clients} clients, "
        f"PostgreSQL {report.postgres}",
        "",
        f"{'outage':<7}{'after acks':>11}{'db down s':>12}{'api down s':>12}"
        f"{'ok after start s':>18}{'503s':>7}{'other errors':>14}",
    ]
    for n, o in enumerate(report.outages, 1):
        api_s = "-" if o["api_outage_seconds"] is None else f"{o['api_outage_seconds']:.2f}"
        after = (
            "-"
            if o["recovered_after_start_seconds"] is None
            else f"{o['recovered_after_start_seconds']:.2f}"
        )
        lines.append(
            f"{n:<7}{o['after_acks']:>11}{o['db_down_seconds']:>12.2f}{api_s:>12}"
            f"{after:>18}{o['count_503']:>7}{o['other_errors']:>14}"
        )
    statuses = ", ".join(f"{s}: {n}" for s, n in report.statuses.items())
    lines += [
        "db down: from the stop to started again; api down: from the stop to the first",
        "acknowledgement of a request sent after it; ok after start: that acknowledgement,",
        "after the start; 503s, other errors: answers while the API was down",
        "",
        f"elapsed {report.elapsed_seconds:.1f} s, {report.throughput_per_second:.0f} items/s, "
        f"max latency {report.max_latency_seconds:.2f} s",
        f"acknowledged {report.acknowledged} ({report.replayed} replayed), stored "
        f"{report.stored_count} rows / {report.stored_distinct} distinct refs",
        f"responses: {statuses}; 503 problem+json with Retry-After: {report.problem_503}",
        "",
    ]
    lines += [f"{'PASS' if ok else 'FAIL'}  {name}" for name, ok in report.guarantees.items()]
    for failure in report.failures:
        lines.append(f"  ! {failure}")
    lines.append("")
    lines.append("RESULT: " + ("PASS" if report.ok else "FAIL"))
    return "\n".join(lines)


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Unwind through the `finally` blocks: the API and PostgreSQL are stopped, the folder removed.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drills.fault_drill", description=__doc__)
    parser.add_argument("--items", type=int, default=DrillConfig.items)
    parser.add_argument("--clients", type=int, default=DrillConfig.clients)
    parser.add_argument("--down-seconds", type=float, default=DrillConfig.down_seconds)
    parser.add_argument("--deadline", type=float, default=DrillConfig.deadline_seconds)
    parser.add_argument("--report", type=Path, help="also write the report as JSON here")
    parser.add_argument("--keep-temp", action="store_true", help="keep the database and logs")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    config = DrillConfig(
        items=args.items,
        clients=args.clients,
        down_seconds=args.down_seconds,
        deadline_seconds=args.deadline,
        keep_temp=args.keep_temp,
    )
    report = run(config)
    print(summary(report), flush=True)
    if args.report:
        args.report.write_text(json.dumps({**asdict(report), "ok": report.ok}, indent=2) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
