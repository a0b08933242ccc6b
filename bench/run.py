"""The benchmark: `python -m bench.run` builds its own database, loads the real API and a
minimal baseline side by side with wrk, and prints a table (also written as JSON).

Every target is a ratio against a baseline measured in the same run on the same database,
because these machines are shared and noisy. The API and the baseline get CPU 0, wrk gets
CPU 1 (when there are two), PostgreSQL may use both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from drills.fault_drill import Api, Postgres, _create_database, _load_reference_data_and_key
from services.api.migrate import upgrade

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"


@dataclass
class Load:
    """What wrk measured for one case."""

    case: str
    target: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def _pinned(cpu: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *command]
    return command


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(case: str, target: str, url: str, script: str, args: list[str], seconds: int) -> Load:
    """Run wrk with 32 connections and parse its --latency report."""
    command = _pinned(
        1,
        [
            "wrk",
            "-t2",
            "-c32",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(HERE / script),
            url,
            "--",
            *args,
        ],
    )
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    out = done.stdout
    if "Requests/sec" not in out or "99%" not in out:
        raise RuntimeError(f"wrk gave no figures for {case}/{target}:\n{out}\n{done.stderr}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Load(case, target, rps, p50, p99, errors, total)


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        return subprocess.Popen(
            _pinned(0, command), env=env, stdout=handle, stderr=subprocess.STDOUT
        )


def _profile(pid: int, svg: Path, seconds: int) -> subprocess.Popen[bytes]:
    """Sample the API with py-spy while a case runs; needs permission to trace the process."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "200",
            "--output",
            str(svg),
            "--format",
            "speedscope" if svg.suffix == ".json" else "flamegraph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


async def _max_id(url: str, table: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(f"SELECT coalesce(max(id), 1) FROM {table}"))
    finally:
        await connection.close()


def run(seconds: int, out: Path, profile: Path | None = None) -> dict[str, Any]:
    """Run every case; return the results."""
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is needed (Debian: apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    server = Postgres(work / "pgdata")
    api: Api | None = None
    baseline: subprocess.Popen[bytes] | None = None
    try:
        server.init()
        server.start()
        asyncio.run(_create_database(server))
        url = server.url()
        upgrade(url)
        key = asyncio.run(_load_reference_data_and_key(url))
        api = Api(url, work / "api.log")
        api.start()
        # The API process was started unpinned by the drill helper: pin it now.
        if shutil.which("taskset") and api.pid and (os.cpu_count() or 1) > 1:
            subprocess.run(
                ["taskset", "-p", "-c", "0", str(api.pid)], check=False, capture_output=True
            )
        port = api.port + 1
        baseline = _start(
            [sys.executable, "-m", "bench.baseline", str(port), url],
            {**os.environ, "PYTHONPATH": str(HERE.parent)},
            work / "baseline.log",
        )
        base_url = f"http://{HOST}:{port}"
        _wait(f"{base_url}/rows/1")

        results = [
            wrk("create", "baseline", f"{base_url}/insert", "create.lua", ["base", ""], seconds)
        ]
        profiler = _profile(api.pid, profile, seconds) if profile and api.pid else None
        results.append(
            wrk("create", "api", f"{api.base_url}/v1/feedback", "create.lua", ["api", key], seconds)
        )
        if profiler is not None:
            profiler.wait(timeout=60)
        api_max = asyncio.run(_max_id(url, "feedback_item"))
        base_max = asyncio.run(_max_id(url, "bench_baseline"))
        results += [
            wrk(
                "read",
                "baseline",
                f"{base_url}/",
                "read.lua",
                ["/rows/{id}", str(base_max)],
                seconds,
            ),
            wrk(
                "read",
                "api",
                f"{api.base_url}/",
                "read.lua",
                ["/v1/feedback/{id}", str(api_max), key],
                seconds,
            ),
            wrk(
                "read-list",
                "api",
                f"{api.base_url}/",
                "read.lua",
                ["/v1/feedback?team=children-assessment&limit=50", "1", key],
                seconds,
            ),
        ]
        report = summarise(results, server.version())
        out.write_text(json.dumps(report, indent=2) + "\n")
        return report
    finally:
        if baseline is not None:
            baseline.terminate()
            baseline.wait(timeout=20)
        if api is not None:
            api.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def summarise(results: list[Load], postgres: str) -> dict[str, Any]:
    """The table's figures and the targets' verdicts."""
    by = {(r.case, r.target): r for r in results}
    create_ratio = (
        by["create", "api"].requests_per_second / by["create", "baseline"].requests_per_second
    )
    read_ratio = by["read", "api"].requests_per_second / by["read", "baseline"].requests_per_second
    p99_ratio = by["create", "api"].p99_ms / max(by["create", "baseline"].p99_ms, 0.001)
    targets = [
        ("create: >= 35% of baseline requests/s", create_ratio >= 0.35, f"{create_ratio:.0%}"),
        ("create: p99 < 4x baseline p99", p99_ratio < 4, f"{p99_ratio:.1f}x"),
        ("create: no errors", by["create", "api"].errors == 0, str(by["create", "api"].errors)),
        ("read: >= 50% of baseline requests/s", read_ratio >= 0.5, f"{read_ratio:.0%}"),
    ]
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "postgres": postgres,
            "pinning": "app and baseline on CPU 0, wrk on CPU 1, PostgreSQL on both",
        },
        "results": [asdict(r) for r in results],
        "targets": [{"target": t, "met": ok, "measured": m} for t, ok, m in targets],
    }


def table(report: dict[str, Any]) -> str:
    """The results as a plain-text table."""
    lines = [
        f"{'case':<10} {'target':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    for r in report["results"]:
        lines.append(
            f"{r['case']:<10} {r['target']:<9} {r['requests_per_second']:>9.0f} "
            f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>7}"
        )
    lines.append("")
    for t in report["targets"]:
        lines.append(f"[{'met' if t['met'] else 'NOT met':>7}] {t['target']}: {t['measured']}")
    lines.append(f"\n{report['machine']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument(
        "--profile", type=Path, help="record the API under the create load with py-spy (SVG)"
    )
    args = parser.parse_args(argv)
    report = run(args.seconds, args.out, args.profile)
    print(table(report))
    return 0 if all(t["met"] for t in report["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
