"""What a data path costs: create, read by id and list through the real API, CPU per request.

    python -m bench.paths [--before DIR] [--requests 2000] [--clients 4] [--rounds 3]

Builds its own PostgreSQL and database (migrated, reference data, a crm key), then for each
source tree (this checkout, and with `--before` another one, for instance an export of an
earlier commit: `git archive COMMIT | tar -x -C DIR`) starts the API from that tree as a
process of its own and sends the same requests: creates (each with an Idempotency-Key, as a
CRM sends them), reads of those items by id, and first pages of the list (50 items, one
financial year). For each it reports the API process's CPU time per request, PostgreSQL's
(every server process), and requests per second. The trees take turns, round after round,
on the same server and database, and the median round is reported: CPU time per request is
what the code costs; the rates move with whatever else the machine runs.

The API is pinned to CPU 0 and this client to CPU 1 where there are two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.bulk import cpu_seconds, postmaster_pid
from bench.servers import case_server, prepared_database
from drills.fault_drill import HOST, _pgserver

HERE = Path(__file__).resolve().parent
CASES = ("create", "read", "list")


@dataclass
class Measure:
    """One case of one tree in one round."""

    tree: str
    case: str
    round: int
    requests: int
    seconds: float
    api_cpu_ms: float
    pg_cpu_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@contextmanager
def api_from(root: Path, database_url: str, log: Path) -> Iterator[tuple[str, int]]:
    """The API of the source tree `root`, as a process on CPU 0: its URL and pid."""
    port = _pgserver().utils.find_suitable_port(HOST)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "API_HOST": HOST,
        "API_PORT": str(port),
        # The tree's own `services` package, not the one this checkout installed.
        "PYTHONPATH": str(root),
    }
    command = [sys.executable, "-m", "services.api.cli", "serve"]
    if (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "0", *command]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the API of {root} exited; see {log}")
            try:
                if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API of {root} did not become ready")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _complaint(ref: str) -> dict[str, Any]:
    return {
        "kind": "complaint",
        "service": "children",
        "team": "children-assessment",
        "source_system": "bench-paths",
        "external_ref": ref,
        "channel": "email",
        "received_on": "2021-05-04",
        "nature": "poor-communication",
        "person": {"name": "Bench Person", "email": "bench@example.org"},
    }


async def _drive(
    clients: int,
    total: int,
    one: Callable[[httpx.AsyncClient, int], Awaitable[int]],
    url: str,
    key: str,
) -> int:
    """Send `total` requests from `clients` concurrent clients; the count of non-2xx."""
    errors = 0
    counter = iter(range(total))

    async def client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            for n in counter:
                if not 200 <= await one(http, n) < 300:
                    errors += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return errors


class Cases:
    """The requests of each case, against one running API."""

    def __init__(self, url: str, key: str, clients: int) -> None:
        self.url, self.key, self.clients = url, key, clients
        self.ids: list[int] = []

    async def create(self, n: int) -> int:
        prefix = uuid.uuid4().hex[:8]

        async def one(http: httpx.AsyncClient, i: int) -> int:
            ref = f"{prefix}-{i}"
            response = await http.post(
                "/v1/feedback", json=_complaint(ref), headers={"Idempotency-Key": ref}
            )
            if response.status_code == 201:
                self.ids.append(response.json()["id"])
            return response.status_code

        return await _drive(self.clients, n, one, self.url, self.key)

    async def read(self, n: int) -> int:
        ids = self.ids

        async def one(http: httpx.AsyncClient, i: int) -> int:
            return (await http.get(f"/v1/feedback/{ids[i % len(ids)]}")).status_code

        return await _drive(self.clients, n, one, self.url, self.key)

    async def list(self, n: int) -> int:
        params = {"financial_year": "2021-22", "limit": "50"}

        async def one(http: httpx.AsyncClient, i: int) -> int:
            return (await http.get("/v1/feedback", params=params)).status_code

        return await _drive(self.clients, n, one, self.url, self.key)


def _measure(
    tree: str,
    case: str,
    round_: int,
    run: Callable[[], Awaitable[int]],
    requests: int,
    api_pid: int,
    pg_pid: int | None,
) -> Measure:
    api0, pg0 = cpu_seconds(api_pid), cpu_seconds(pg_pid, with_children=True)
    wall0 = time.perf_counter()
    errors = asyncio.run(run())
    wall = time.perf_counter() - wall0
    api = cpu_seconds(api_pid) - api0
    pg = cpu_seconds(pg_pid, with_children=True) - pg0
    return Measure(
        tree,
        case,
        round_,
        requests,
        round(wall, 3),
        round(api * 1000 / requests, 3),
        round(pg * 1000 / requests, 3),
        errors,
    )


def run(trees: dict[str, Path], requests: int, clients: int, rounds: int) -> list[Measure]:
    """Every case of every tree, the trees taking turns each round."""
    measures: list[Measure] = []
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    with case_server("bench-paths-") as (server, work):
        url, key = prepared_database(server, "feedback_paths")
        pg_pid = postmaster_pid(server)
        for round_ in range(1, rounds + 1):
            for tree, root in trees.items():
                with api_from(root, url, work / f"api-{tree}.log") as (api_url, api_pid):
                    cases = Cases(api_url, key, clients)
                    # A warm-up of each case: imports, prepared statements, caches.
                    asyncio.run(cases.create(200))
                    asyncio.run(cases.read(200))
                    asyncio.run(cases.list(100))
                    for case in CASES:
                        count = requests if case != "list" else requests // 4
                        send = getattr(cases, case)
                        measure = _measure(
                            tree,
                            case,
                            round_,
                            lambda s=send, k=count: s(k),
                            count,
                            api_pid,
                            pg_pid,
                        )
                        measures.append(measure)
                        print(_line(measure), flush=True)
    return measures


def _line(m: Measure) -> str:
    return (
        f"{m.tree:<8} {m.case:<7} round {m.round}  {m.requests:>5} requests  "
        f"{m.per_second:>7.0f}/s  api {m.api_cpu_ms:>6.3f} ms  pg {m.pg_cpu_ms:>6.3f} ms  "
        f"errors {m.errors}"
    )


def summary(measures: list[Measure], trees: list[str]) -> str:
    """The median round of each case and tree, and the change from the first tree."""
    lines = [
        "median of the rounds: CPU milliseconds per request (API process, PostgreSQL), requests/s",
        f"{'case':<8}" + "".join(f"{t + ' api':>14}{t + ' pg':>12}{t + ' /s':>10}" for t in trees),
    ]
    for case in CASES:
        row = f"{case:<8}"
        for tree in trees:
            of = [m for m in measures if m.tree == tree and m.case == case]
            row += f"{statistics.median(m.api_cpu_ms for m in of):>14.3f}"
            row += f"{statistics.median(m.pg_cpu_ms for m in of):>12.3f}"
            row += f"{statistics.median(m.per_second for m in of):>10.0f}"
        lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="another source tree to compare with")
    parser.add_argument("--requests", type=int, default=2000, help="creates and reads a round")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write every measure as JSON here")
    args = parser.parse_args(argv)
    trees = (
        {"after": HERE.parent}
        if args.before is None
        else {"before": args.before.resolve(), "after": HERE.parent}
    )
    measures = run(trees, args.requests, args.clients, args.rounds)
    print()
    print(summary(measures, list(trees)))
    if any(m.errors for m in measures):
        print("some requests failed: see the errors column", file=sys.stderr)
    if args.out:
        args.out.write_text(
            json.dumps([asdict(m) | {"per_second": m.per_second} for m in measures], indent=2)
        )
    return 1 if any(m.errors for m in measures) else 0


if __name__ == "__main__":
    sys.exit(main())
