"""The benchmark: `python -m bench.run` builds its own PostgreSQL and data, runs each case
against the real API and its baseline, and prints a table (also written as JSON).

- load: create and read by id under wrk (32 connections), against a minimal Starlette +
  asyncpg app doing one statement per request; the API and the baseline get CPU 0, wrk CPU 1.
- bulk: 200,000 items through POST /v1/feedback/bulk, against COPY of the same rows.
- annual: the reporter compiling a year's report and ledger from 1,000,000 items, against
  the API's own statistics statements run directly; with each statement's plan.

Every target is a ratio against a baseline measured in the same run on the same server,
because these machines are shared and noisy. Each case has a database of its own.
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
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import annual, bulk
from bench.bulk import cpu_seconds, postmaster_pid
from bench.servers import case_server, prepared_database, running_api
from drills.fault_drill import Api, Postgres

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
    # CPU milliseconds per request, over the measured run: the app's process, and
    # PostgreSQL's (every server process), which no faster app can spend less of.
    app_cpu_ms: float | None = None
    db_cpu_ms: float | None = None


def _pinned(cpu: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *command]
    return command


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def wrk(
    case: str,
    target: str,
    url: str,
    script: str,
    args: list[str],
    seconds: int,
    *,
    app_pid: int | None = None,
    postgres_pid: int | None = None,
) -> Load:
    """Warm the target up for two seconds, then run wrk with 32 connections and parse its
    --latency report; with the pids, the CPU time each side spent per request."""
    # The create script's first argument prefixes its references: the warm-up gets its own.
    warm_args = [f"warm-{args[0]}", *args[1:]] if script == "create.lua" else args
    warm = [str(HERE / script), url, "--", *warm_args]
    subprocess.run(
        _pinned(1, ["wrk", "-t2", "-c32", "-d2s", "-s", *warm]), capture_output=True, check=True
    )
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
    app_cpu, db_cpu = cpu_seconds(app_pid), cpu_seconds(postgres_pid, with_children=True)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    app_cpu = cpu_seconds(app_pid) - app_cpu
    db_cpu = cpu_seconds(postgres_pid, with_children=True) - db_cpu
    out = done.stdout
    if "Requests/sec" not in out or "99%" not in out:
        raise RuntimeError(f"wrk gave no figures for {case}/{target}:\n{out}\n{done.stderr}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Load(
        case,
        target,
        rps,
        p50,
        p99,
        errors,
        total,
        app_cpu_ms=round(app_cpu * 1000 / total, 3) if app_pid and total else None,
        db_cpu_ms=round(db_cpu * 1000 / total, 3) if postgres_pid and total else None,
    )


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


def _pin(pid: int | None, cpu: int) -> None:
    if pid and shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        subprocess.run(
            ["taskset", "-p", "-c", str(cpu), str(pid)], check=False, capture_output=True
        )


def _load_cases(server: Postgres, work: Path, seconds: int, profile: Path | None) -> list[Load]:
    """Create and read: the real API and the baseline under wrk, one after the other."""
    url, key = prepared_database(server, "feedback_load")
    api = Api(url, work / "api.log")
    baseline: subprocess.Popen[bytes] | None = None
    reference: subprocess.Popen[bytes] | None = None
    try:
        api.start()
        # The API process is started unpinned by the drill's helper: pin it now.
        _pin(api.pid, 0)
        port = api.port + 1
        baseline = _start(
            [sys.executable, "-m", "bench.baseline", str(port), url],
            {**os.environ, "PYTHONPATH": str(HERE.parent)},
            work / "baseline.log",
        )
        base_url = f"http://{HOST}:{port}"
        _wait(f"{base_url}/rows/1")
        # Started once the baseline has made the table both use.
        reference = _start(
            [sys.executable, "-m", "bench.baseline", str(port + 1), url, "fastapi"],
            {**os.environ, "PYTHONPATH": str(HERE.parent)},
            work / "reference.log",
        )
        reference_url = f"http://{HOST}:{port + 1}"
        _wait(f"{reference_url}/rows/1")

        db = postmaster_pid(server)

        def load(
            target: str, pid: int | None, case: str, address: str, script: str, args: list[str]
        ) -> Load:
            return wrk(case, target, address, script, args, seconds, app_pid=pid, postgres_pid=db)

        base_pid, reference_pid = baseline.pid, reference.pid
        results = [
            load("baseline", base_pid, "create", f"{base_url}/insert", "create.lua", ["base", ""]),
            load(
                "fastapi",
                reference_pid,
                "create",
                f"{reference_url}/insert",
                "create.lua",
                ["ref", ""],
            ),
        ]
        profiler = _profile(api.pid, profile, seconds) if profile and api.pid else None
        results.append(
            load(
                "api", api.pid, "create", f"{api.base_url}/v1/feedback", "create.lua", ["api", key]
            )
        )
        if profiler is not None:
            profiler.wait(timeout=60)
        api_max = asyncio.run(_max_id(url, "feedback_item"))
        base_max = asyncio.run(_max_id(url, "bench_baseline"))
        rows = ["/rows/{id}", str(base_max)]
        item = ["/v1/feedback/{id}", str(api_max), key]
        page = ["/v1/feedback?team=children-assessment&limit=50", "1", key]
        results += [
            load("baseline", base_pid, "read", f"{base_url}/", "read.lua", rows),
            load("fastapi", reference_pid, "read", f"{reference_url}/", "read.lua", rows),
            load("api", api.pid, "read", f"{api.base_url}/", "read.lua", item),
            load("api", api.pid, "read-list", f"{api.base_url}/", "read.lua", page),
        ]
        return results
    finally:
        for process in (baseline, reference):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)
        api.stop()


def _bulk_case(server: Postgres, work: Path, items: int) -> dict[str, Any]:
    url, key = prepared_database(server, "feedback_bulk")
    (work / "bulk").mkdir()
    with running_api(url, work / "api-bulk.log") as api:
        # The server runs nothing else meanwhile: its CPU time is the import's.
        return bulk.measure(
            url,
            api.base_url,
            key,
            work / "bulk",
            items,
            api_pid=api.pid,
            postgres_pid=bulk.postmaster_pid(server),
        )


def _annual_case(server: Postgres, work: Path, items: int) -> dict[str, Any]:
    url, _ = prepared_database(server, "feedback_annual")
    key = asyncio.run(annual.make_reporter_key(url))
    with running_api(url, work / "api-annual.log") as api:
        return annual.measure(url, api.base_url, key, work / "annual", items=items)


CASES = ("load", "bulk", "annual")


def run(
    seconds: int,
    out: Path,
    profile: Path | None = None,
    *,
    cases: tuple[str, ...] = CASES,
    bulk_items: int = 200_000,
    annual_items: int = annual.ITEMS,
) -> dict[str, Any]:
    """Run the cases asked for, each on a database of its own on one server; the results."""
    if "load" in cases and not shutil.which("wrk"):
        sys.exit("bench: wrk is needed (Debian: apt-get install wrk)")
    with case_server("bench-") as (server, work):
        loads = _load_cases(server, work, seconds, profile) if "load" in cases else []
        bulk_result = _bulk_case(server, work, bulk_items) if "bulk" in cases else None
        annual_result = _annual_case(server, work, annual_items) if "annual" in cases else None
        report = summarise(loads, server.version(), bulk_result, annual_result)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report


def summarise(
    results: list[Load],
    postgres: str,
    bulk_result: dict[str, Any] | None = None,
    annual_result: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The table's figures and the targets' verdicts."""
    targets: list[tuple[str, bool, str]] = []
    framework: dict[str, float] | None = None
    if results:
        by = {(r.case, r.target): r for r in results}
        create_api, create_base = by["create", "api"], by["create", "baseline"]
        create_ratio = create_api.requests_per_second / create_base.requests_per_second
        read_ratio = (
            by["read", "api"].requests_per_second / by["read", "baseline"].requests_per_second
        )
        p99_ratio = create_api.p99_ms / max(create_base.p99_ms, 0.001)
        targets += [
            ("create: >= 35% of baseline requests/s", create_ratio >= 0.35, f"{create_ratio:.0%}"),
            ("create: p99 < 4x baseline p99", p99_ratio < 4, f"{p99_ratio:.1f}x"),
            ("create: no errors", create_api.errors == 0, str(create_api.errors)),
            ("read: >= 50% of baseline requests/s", read_ratio >= 0.5, f"{read_ratio:.0%}"),
        ]
        budgets = [
            budget
            for case, share in (("create", 0.35), ("read", 0.5))
            if (budget := _app_budget(by, case, share)) is not None
        ]
        if ("create", "fastapi") in by and ("read", "fastapi") in by:
            framework = {
                case: by[case, "fastapi"].requests_per_second
                / by[case, "baseline"].requests_per_second
                for case in ("create", "read")
            }
    if bulk_result is not None:
        ratio = bulk_result["ratio"]
        targets.append(("bulk: >= 20% of COPY's rows/s", ratio >= 0.2, f"{ratio:.0%}"))
    if annual_result is not None:
        targets += [(t["target"], t["met"], t["measured"]) for t in annual_result["targets"]]
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "postgres": postgres,
            "cores": {
                "create and read": "API and baseline each pinned to CPU 0 (loaded one at a "
                "time), wrk to CPU 1, PostgreSQL unpinned (both)",
                "bulk": "API, its client and PostgreSQL unpinned (both CPUs); COPY by PostgreSQL",
                "annual": "API, reporter and PostgreSQL unpinned (both CPUs); raw SQL by "
                "PostgreSQL",
            },
        },
        "results": [asdict(r) for r in results],
        # For reference, not a target: the same endpoints written plainly in FastAPI.
        "fastapi_reference": framework,
        # How much CPU the app may spend per request for a target to be reachable at all.
        "app_budgets": budgets if results else [],
        "bulk": bulk_result,
        "annual": annual_result,
        "targets": [{"target": t, "met": ok, "measured": m} for t, ok, m in targets],
    }


def _app_budget(by: dict[tuple[str, str], Load], case: str, share: float) -> dict[str, Any] | None:
    """The most CPU per request the app could spend and still reach `share` of the baseline.

    Generous on purpose: the app has CPU 0 to itself, PostgreSQL spends what it was measured
    to spend per request anywhere on the machine, and wrk costs nothing. A target is out of
    reach of any app whose CPU per request is above this.
    """
    api, baseline = by[case, "api"], by[case, "baseline"]
    if not api.db_cpu_ms:
        return None
    needed = share * baseline.requests_per_second
    per_request_ms = 1000 / needed
    budget = min(per_request_ms, (os.cpu_count() or 1) * per_request_ms - api.db_cpu_ms)
    reference = by.get((case, "fastapi"))
    return {
        "case": case,
        "requests_per_second_needed": round(needed),
        "db_cpu_ms": api.db_cpu_ms,
        "app_cpu_budget_ms": round(budget, 3),
        "app_cpu_ms": api.app_cpu_ms,
        "fastapi_reference_app_cpu_ms": reference.app_cpu_ms if reference else None,
    }


def _ms_cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(report: dict[str, Any]) -> str:
    """The results as a plain-text table."""
    lines: list[str] = []
    if report["results"]:
        lines.append(
            f"{'case':<10} {'target':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
            f" {'app CPU ms':>10} {'db CPU ms':>9}"
        )
        for r in report["results"]:
            lines.append(
                f"{r['case']:<10} {r['target']:<9} {r['requests_per_second']:>9.0f} "
                f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>7}"
                f" {_ms_cell(r.get('app_cpu_ms')):>10} {_ms_cell(r.get('db_cpu_ms')):>9}"
            )
        lines.append("CPU ms: CPU time per request, of the app's process and of PostgreSQL")
        framework = report.get("fastapi_reference")
        if framework:
            lines.append(
                "fastapi: the baseline's two endpoints written plainly in FastAPI, for reference "
                f"(create {framework['create']:.0%}, read {framework['read']:.0%} of the baseline)"
            )
        for budget in report.get("app_budgets") or []:
            reference = budget["fastapi_reference_app_cpu_ms"]
            lines.append(
                f"{budget['case']}: the target needs {budget['requests_per_second_needed']:,} "
                f"req/s; with PostgreSQL's {budget['db_cpu_ms']:.3f} ms a request, the app may "
                f"spend at most {budget['app_cpu_budget_ms']:.3f} ms of CPU (it spends "
                f"{_ms_cell(budget['app_cpu_ms'])}; the plain FastAPI endpoint "
                f"{_ms_cell(reference)})"
            )
        lines.append("")
    if report.get("bulk"):
        lines += [bulk.table(report["bulk"]), ""]
    if report.get("annual"):
        lines += [annual.table(report["annual"]), ""]
    lines.append("targets")
    for t in report["targets"]:
        lines.append(f"[{'met' if t['met'] else 'NOT met':>7}] {t['target']}: {t['measured']}")
    machine = report["machine"]
    lines.append(f"\n{machine['cpus']} CPUs, PostgreSQL {machine['postgres']}")
    for case, cores in machine["cores"].items():
        lines.append(f"  {case}: {cores}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--seconds", type=int, default=15, help="of each wrk load")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help="comma-separated, of: load (create and read), bulk, annual",
    )
    parser.add_argument("--bulk-items", type=int, default=200_000)
    parser.add_argument("--annual-items", type=int, default=annual.ITEMS)
    parser.add_argument(
        "--profile", type=Path, help="record the API under the create load with py-spy"
    )
    args = parser.parse_args(argv)
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    report = run(
        args.seconds,
        args.out,
        args.profile,
        cases=cases,
        bulk_items=args.bulk_items,
        annual_items=args.annual_items,
    )
    print(table(report))
    return 0 if all(t["met"] for t in report["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
