"""`feedback serve --workers 2`: the real server, two worker processes, one set of metrics.

Which worker accepts a connection is the kernel's choice; to know, the test stops one worker
(SIGSTOP) while it sends requests, so that the other must serve them, then the other way
round. A stopped worker is left stopped for well under the five seconds after which uvicorn
would take it for hung.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from live_server import free_port
from prometheus_client.parser import text_string_to_metric_families

from services.api.settings import PROJECT_ROOT

POOL_SIZE = 2
WORKERS = 2
STARTUP_SECONDS = 120
LIVE = (("method", "GET"), ("route", "/health/live"), ("status", "200"))


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    tmp: Path
    log: Path

    def workers(self) -> list[int]:
        """The worker processes: the server's children started by multiprocessing's spawn."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and b"spawn_main" in command:
                found.append(int(entry.name))
        return sorted(found)

    def folders(self) -> list[Path]:
        return sorted(self.tmp.glob("feedback-metrics-*"))

    def metrics(self) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
        """/metrics as {sample name: {sorted labels: value}}, on a connection of its own."""
        response = httpx.get(self.url + "/metrics", timeout=10)
        assert response.status_code == 200, response.text
        found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = (
                    sample.value
                )
        return found

    def live_requests(self) -> float:
        return self.metrics().get("http_requests_total", {}).get(LIVE, 0.0)

    def pool_size(self) -> float:
        return self.metrics().get("db_pool_size", {}).get((), 0.0)

    def send(self, count: int) -> None:
        """`count` requests to /health/live, each on a new connection."""
        for _ in range(count):
            assert httpx.get(self.url + "/health/live", timeout=10).status_code == 200

    def started(self) -> int:
        """How many workers have finished starting (their lifespan included), from the log."""
        return self.log.read_text(errors="replace").count('"Application startup complete."')

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def wait_for(condition: Callable[[], bool], server: Server, what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"the server exited:\n{server.output()}"
        try:
            if condition():
                return
        except (httpx.HTTPError, AssertionError):
            pass
        time.sleep(0.2)
    pytest.fail(f"{what} within {STARTUP_SECONDS} s:\n{server.output()}")


@contextmanager
def stopped(pid: int) -> Iterator[None]:
    """The process stopped (SIGSTOP) while inside, and let run again on the way out."""
    os.kill(pid, signal.SIGSTOP)
    try:
        while Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
            time.sleep(0.01)
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`feedback serve --workers 2` on the run's database, its temporary files in a folder."""
    tmp = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        DATABASE_URL=database_url,
        API_HOST="127.0.0.1",
        API_PORT=str(port),
        API_POOL_SIZE=str(POOL_SIZE),
        TMPDIR=str(tmp),
    )
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.api.cli", "serve", "--workers", str(WORKERS)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Server(process, f"http://127.0.0.1:{port}", tmp, log)
    try:
        wait_for(
            lambda: len(running.workers()) == WORKERS and running.started() == WORKERS,
            running,
            "two workers did not both start",
        )
        yield running
    finally:
        for pid in running.workers():
            os.kill(pid, signal.SIGCONT)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_requests_served_by_either_worker_add_up_in_one_scrape(server: Server) -> None:
    first, second = server.workers()
    before = server.live_requests()
    with stopped(first):
        server.send(3)  # only the second worker can accept them
        assert server.live_requests() == before + 3
    with stopped(second):
        server.send(5)
        # Answered by the first worker, which served 5 of the 8 and read the other's files.
        assert server.live_requests() == before + 8
    assert server.live_requests() == before + 8
    # Each worker's pool keeps POOL_SIZE connections; the gauge adds up the live workers'.
    assert server.pool_size() == WORKERS * POOL_SIZE
    assert len(server.folders()) == 1


def test_a_worker_killed_hard_is_replaced_and_its_gauges_are_dropped(server: Server) -> None:
    (folder,) = server.folders()
    dead = server.workers()[0]
    served = server.live_requests()
    started = server.started()
    os.kill(dead, signal.SIGKILL)
    wait_for(
        lambda: (
            dead not in server.workers()
            and len(server.workers()) == WORKERS
            and server.started() == started + 1
        ),
        server,
        "the killed worker was not replaced",
    )
    # The replacement dropped the dead worker's live gauges as it started.
    assert not (folder / f"gauge_livesum_{dead}.db").exists()
    assert server.pool_size() == WORKERS * POOL_SIZE
    # What the dead worker served still counts.
    assert (folder / f"counter_{dead}.db").exists()
    assert server.live_requests() == served


# Last in this module: it stops the module's server.
def test_stopping_the_server_removes_the_metrics_folder(server: Server) -> None:
    assert len(server.folders()) == 1
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0, server.output()
    assert server.folders() == []
    assert server.workers() == []
