"""Bulk import benchmark: `python -m bench.bulk` posts 200,000 items through
`POST /v1/feedback/bulk` in batches and compares the rate with a COPY of the same rows.

It builds its own PostgreSQL, migrates it, loads a council profile and starts the real API
as a separate process (the fault drill's helpers), then:

1. generates the items (complaints, compliments and members' enquiries over the reference
   data just loaded, with back-filled acknowledgements, responses, closures and outcomes,
   people, and enquirers new or already held; every external reference unique) and writes
   them as NDJSON batch files, before the clock starts;
2. posts the batches, each with an `Idempotency-Key` as a CRM would, from a few concurrent
   clients, and times the whole import (first request sent to last answer);
3. polls the API process's peak resident memory (VmHWM) and notes it when a quarter of the
   items and when all of them were imported: bounded memory means the two are about equal;
4. the baseline: the item rows exactly as the API wrote them (every column, ids included) are
   exported to a file in COPY's binary format, then timed as one `COPY ... FROM` into
   `bench_copy`, a fresh copy of `feedback_item` with the same columns, defaults, checks and
   indexes (no foreign keys: COPY checks none). The events and people the API wrote besides
   are not in that baseline; their own COPY is timed and printed alongside, for context.

Nothing is pinned: the API, PostgreSQL and the clients share the machine's CPUs, and the
CPU time each used is printed with the rates, since a shared machine makes wall-clock rates
noisy. The COPY is timed three times and the median counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from drills.fault_drill import Postgres

HERE = Path(__file__).resolve().parent
# The source system of the crm key the benchmark posts with (drills.fault_drill's).
SOURCE_SYSTEM = "drill"
FIRST_DAY = date(2018, 4, 1)
LAST_DAY = date(2025, 3, 31)
MEMBERS_HELD = 50
COPY_TABLES = (("feedback_item", "bench_copy"),)
CONTEXT_TABLES = (("feedback_event", "bench_copy_event"), ("person", "bench_copy_person"))


# --- the items -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """The reference data loaded, as the generator needs it."""

    teams: list[tuple[str, str, date, date | None]]  # code, service, active_from, active_to
    natures: dict[str, list[str]]
    members: list[int]  # people already held: councillors and MPs


async def _reference(url: str) -> Reference:
    """Read the teams and natures, and add a few members as people already held."""
    connection = await asyncpg.connect(url)
    try:
        teams = [
            (r["code"], r["service"], r["active_from"], r["active_to"])
            for r in await connection.fetch(
                "SELECT code, service, active_from, active_to FROM team ORDER BY code"
            )
        ]
        natures: dict[str, list[str]] = {}
        for r in await connection.fetch("SELECT service, code FROM nature ORDER BY service, code"):
            natures.setdefault(r["service"], []).append(r["code"])
        members = [
            r["id"]
            for r in await connection.fetch(
                "INSERT INTO person (name) SELECT 'Cllr Held ' || n"
                " FROM generate_series(1, $1) AS n RETURNING id",
                MEMBERS_HELD,
            )
        ]
    finally:
        await connection.close()
    return Reference(teams, natures, members)


_FIRST = ["Amara", "Ben", "Chloe", "Dev", "Efe", "Femi", "Grace", "Hassan", "Ines", "Jack"]
_LAST = ["Adeyemi", "Brown", "Chowdhury", "Davies", "Evans", "Fernandes", "Green", "Hussain"]
_STREETS = ["Ripple Road", "Longbridge Road", "Green Lane", "Becontree Avenue", "Station Parade"]
_WARDS = ["Abbey", "Alibon", "Becontree", "Chadwell Heath", "Eastbrook", "Gascoigne", "Heath"]
_THANKS = [
    "Thank you for your kindness and patience.",
    "The social worker went above and beyond for our family.",
    "Very grateful for the quick help with the school place.",
    "The carers have been wonderful with my mother.",
]
_LESSONS = [
    "Letters to families are now checked by a second officer.",
    "Assessments are explained in person before the written outcome is sent.",
    "Charges are confirmed in writing before the service starts.",
]
_CHANNELS = ["web", "email", "phone", "letter", "in_person", "portal"]
_OUTCOMES = ["upheld", "partly_upheld", "not_upheld", "resolved_on_receipt"]


def _person(rng: random.Random, n: int) -> dict[str, Any]:
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    person: dict[str, Any] = {"name": name}
    if rng.random() < 0.6:
        person["email"] = f"{name.split()[0].lower()}.{n}@example.org"
    if rng.random() < 0.4:
        person["phone"] = f"020 7{n % 1000:03d} {rng.randrange(10_000):04d}"
    if rng.random() < 0.3:
        person["address"] = f"{rng.randrange(1, 300)} {rng.choice(_STREETS)}, Dagenham"
    return person


def _after(rng: random.Random, day: date, low: int, high: int) -> date:
    return day + timedelta(days=rng.randint(low, high))


def item(n: int, ref: Reference, rng: random.Random) -> dict[str, Any]:
    """The n-th item of the benchmark: valid, and different from its neighbours."""
    while True:
        received = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
        code, service, active_from, active_to = rng.choice(ref.teams)
        if active_from <= received and (active_to is None or received <= active_to):
            break
    body: dict[str, Any] = {
        "service": service,
        "team": code,
        "source_system": SOURCE_SYSTEM,
        "external_ref": f"B{n:08d}",
        "channel": rng.choice(_CHANNELS),
        "received_on": received.isoformat(),
    }
    draw = rng.random()
    if draw < 0.6:
        body["kind"] = "complaint"
        if ref.natures.get(service) and rng.random() < 0.8:
            body["nature"] = rng.choice(ref.natures[service])
        if rng.random() < 0.9:
            body["person"] = _person(rng, n)
        stage = rng.random()
        if stage >= 0.2:
            acknowledged = _after(rng, received, 1, 5)
            body["acknowledged_on"] = acknowledged.isoformat()
            if stage >= 0.35:
                responded = _after(rng, acknowledged, 3, 40)
                body["responded_on"] = responded.isoformat()
                body["outcome"] = rng.choice(_OUTCOMES)
                if rng.random() < 0.3:
                    body["lessons_learned"] = rng.choice(_LESSONS)
                if stage >= 0.65:
                    body["closed_on"] = _after(rng, responded, 0, 10).isoformat()
    elif draw < 0.85:
        body["kind"] = "compliment"
        body["compliment_text"] = rng.choice(_THANKS)
        body["publication_consent"] = rng.random() < 0.5
        if rng.random() < 0.5:
            body["person"] = _person(rng, n)
        if rng.random() < 0.4:
            body["acknowledged_on"] = _after(rng, received, 1, 10).isoformat()
    else:
        body["kind"] = "member_enquiry"
        body["channel"] = "portal" if rng.random() < 0.5 else body["channel"]
        body["enquirer_role"] = "councillor" if rng.random() < 0.8 else "mp"
        body["ward_or_constituency"] = rng.choice(_WARDS)
        if rng.random() < 0.3:
            body["enquirer_id"] = rng.choice(ref.members)
        else:
            body["enquirer"] = {"name": f"Cllr {rng.choice(_LAST)}"}
        if rng.random() < 0.7:
            body["person"] = _person(rng, n)
        if rng.random() < 0.6:
            responded = _after(rng, received, 1, 20)
            body["responded_on"] = responded.isoformat()
            if rng.random() < 0.5:
                body["closed_on"] = _after(rng, responded, 0, 5).isoformat()
    return body


def write_batches(work: Path, ref: Reference, items: int, batch: int, seed: int = 6) -> list[Path]:
    """The items as NDJSON files of `batch` lines each."""
    rng = random.Random(seed)
    paths = []
    for start in range(0, items, batch):
        path = work / f"batch-{start // batch:04d}.ndjson"
        with path.open("w") as out:
            for n in range(start, min(start + batch, items)):
                out.write(json.dumps(item(n, ref, rng), separators=(",", ":")) + "\n")
        paths.append(path)
    return paths


# --- memory of the API process ---------------------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def _ticks(pid: int) -> tuple[int, int]:
    """utime + stime, and the same of waited-for children, of one process (clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def cpu_seconds(pid: int | None, *, with_children: bool = False) -> float:
    """CPU time used so far by a process; with its children (PostgreSQL's backends, living
    and exited) when asked."""
    if pid is None:
        return 0.0
    own, reaped = _ticks(pid)
    total = own + (reaped if with_children else 0)
    if with_children:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class MemoryWatch:
    """Polls VmHWM in a thread (VmHWM is itself a high-water mark; polling only makes sure
    the figure noted at each checkpoint is fresh)."""

    def __init__(self, pid: int | None, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> float:
        if self.pid is not None:
            self.peak = max(self.peak, peak_rss_mb(self.pid))
        return self.peak

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


# --- the import through the API -------------------------------------------------------------


@dataclass
class Imported:
    seconds: float
    created: int
    rss_at_checkpoint: float | None
    checkpoint_items: int


async def post_batches(
    api_base_url: str,
    crm_key: str,
    paths: list[Path],
    clients: int,
    watch: MemoryWatch,
    checkpoint_items: int,
) -> Imported:
    """Post every batch file; `clients` requests in flight at once."""
    queue: Iterator[Path] = iter(paths)
    created = 0
    rss_at_checkpoint: float | None = None

    async def client_loop(http: httpx.AsyncClient) -> None:
        nonlocal created, rss_at_checkpoint
        for path in queue:
            body = path.read_bytes()
            response = await http.post(
                "/v1/feedback/bulk",
                content=body,
                headers={
                    "content-type": "application/x-ndjson",
                    "Idempotency-Key": f"bench-{path.stem}",
                },
            )
            if response.status_code != 200:
                raise RuntimeError(f"{path.name}: {response.status_code} {response.text[:2000]}")
            created += response.json()["created"]
            if rss_at_checkpoint is None and created >= checkpoint_items:
                rss_at_checkpoint = await asyncio.to_thread(watch.sample)

    async with httpx.AsyncClient(
        base_url=api_base_url,
        headers={"Authorization": f"Bearer {crm_key}"},
        timeout=httpx.Timeout(120.0),
        limits=httpx.Limits(max_connections=clients),
    ) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(http) for _ in range(clients)))
        seconds = time.perf_counter() - started
    return Imported(seconds, created, rss_at_checkpoint, checkpoint_items)


# --- the COPY baseline ------------------------------------------------------------------------

_ITEMS = f"SELECT * FROM feedback_item WHERE source_system = '{SOURCE_SYSTEM}' ORDER BY id"
_EVENTS = (
    "SELECT e.* FROM feedback_event e JOIN feedback_item i ON i.id = e.item_id"
    f" WHERE i.source_system = '{SOURCE_SYSTEM}' ORDER BY e.id"
)
_PEOPLE = (
    "SELECT p.* FROM person p WHERE p.id IN (SELECT person_id FROM feedback_item"
    f" WHERE source_system = '{SOURCE_SYSTEM}' UNION SELECT enquirer_id FROM feedback_item"
    f" WHERE source_system = '{SOURCE_SYSTEM}') ORDER BY p.id"
)


async def _copy_rows(
    connection: asyncpg.Connection,
    source: str,
    target: str,
    query: str,
    file: Path,
    *,
    export: bool = True,
    postgres_pid: int | None = None,
) -> tuple[int, float, float]:
    """Export the rows of `query` in COPY's binary format (unless done already), then time
    one COPY of them into a fresh copy of `source` named `target`, in its own transaction.
    Returns rows, seconds and PostgreSQL's CPU seconds."""
    await connection.execute(f"DROP TABLE IF EXISTS {target}")
    await connection.execute(f"CREATE TABLE {target} (LIKE {source} INCLUDING ALL)")
    if export:
        await connection.copy_from_query(query, output=str(file), format="binary")
    await connection.execute("CHECKPOINT")
    cpu = cpu_seconds(postgres_pid, with_children=True)
    started = time.perf_counter()
    async with connection.transaction():
        status = await connection.copy_to_table(target, source=str(file), format="binary")
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(postgres_pid, with_children=True) - cpu
    await connection.execute(f"DROP TABLE {target}")
    return int(status.split()[-1]), seconds, cpu


async def copy_baseline(
    database_url: str, work: Path, repeats: int = 3, postgres_pid: int | None = None
) -> dict[str, Any]:
    """COPY the item rows the API wrote (the baseline, `repeats` times), then its events and
    people once (for context)."""
    connection = await asyncpg.connect(database_url)
    try:
        runs = []
        for n in range(repeats):
            rows, seconds, cpu = await _copy_rows(
                connection,
                "feedback_item",
                "bench_copy",
                _ITEMS,
                work / "items.copy",
                export=n == 0,
                postgres_pid=postgres_pid,
            )
            runs.append((seconds, cpu))
        event_rows, event_seconds, _ = await _copy_rows(
            connection, "feedback_event", "bench_copy_event", _EVENTS, work / "events.copy"
        )
        people_rows, people_seconds, _ = await _copy_rows(
            connection, "person", "bench_copy_person", _PEOPLE, work / "people.copy"
        )
    finally:
        await connection.close()
    seconds, postgres_cpu = sorted(runs)[len(runs) // 2]
    return {
        "rows": rows,
        "seconds": seconds,
        "all_seconds": [round(s, 3) for s, _ in runs],
        "postgres_cpu_seconds": postgres_cpu,
        "event_rows": event_rows,
        "event_seconds": event_seconds,
        "people_rows": people_rows,
        "people_seconds": people_seconds,
    }


async def _stored(database_url: str) -> tuple[int, int, int]:
    """Items, events and audit rows of the benchmark's import."""
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM feedback_item WHERE source_system = $1),"
            " (SELECT count(*) FROM feedback_event e JOIN feedback_item i ON i.id = e.item_id"
            "  WHERE i.source_system = $1),"
            " (SELECT count(*) FROM audit_event WHERE action = 'bulk_create')",
            SOURCE_SYSTEM,
        )
    finally:
        await connection.close()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def measure(
    database_url: str,
    api_base_url: str,
    crm_key: str,
    work: Path,
    items: int = 200_000,
    batch: int = 5_000,
    *,
    clients: int = 2,
    api_pid: int | None = None,
    postgres_pid: int | None = None,
) -> dict[str, Any]:
    """Import `items` through the API in batches, then COPY the same item rows; the figures.

    With the API's pid its peak memory and CPU time are measured too, and with PostgreSQL's
    (the postmaster's) the CPU time of the server.
    """
    ref = asyncio.run(_reference(database_url))
    paths = write_batches(work, ref, items, batch)
    checkpoint = max(batch, items // 4)
    api_cpu = cpu_seconds(api_pid)
    postgres_cpu = cpu_seconds(postgres_pid, with_children=True)
    with MemoryWatch(api_pid) as watch:
        rss_before = watch.sample()
        imported = asyncio.run(
            post_batches(api_base_url, crm_key, paths, clients, watch, checkpoint)
        )
    api_cpu = cpu_seconds(api_pid) - api_cpu
    postgres_cpu = cpu_seconds(postgres_pid, with_children=True) - postgres_cpu
    for path in paths:
        path.unlink()
    stored_items, stored_events, audit_rows = asyncio.run(_stored(database_url))
    if imported.created != items or stored_items != items:
        raise RuntimeError(f"created {imported.created}, stored {stored_items} of {items}")
    copy = asyncio.run(copy_baseline(database_url, work, postgres_pid=postgres_pid))
    api_rate = items / imported.seconds
    copy_rate = copy["rows"] / copy["seconds"]
    measured = api_pid is not None
    return {
        "items": items,
        "api_seconds": round(imported.seconds, 3),
        "api_items_per_second": round(api_rate, 1),
        "copy_seconds": round(copy["seconds"], 3),
        "copy_rows_per_second": round(copy_rate, 1),
        "ratio": round(api_rate / copy_rate, 4),
        "api_peak_rss_mb": round(watch.peak, 1) if measured else None,
        "batch": batch,
        "clients": clients,
        "api_peak_rss_mb_at_checkpoint": (
            round(imported.rss_at_checkpoint, 1) if imported.rss_at_checkpoint else None
        ),
        "checkpoint_items": checkpoint,
        "api_rss_mb_before": round(rss_before, 1) if measured else None,
        "api_cpu_seconds": round(api_cpu, 2) if measured else None,
        "postgres_cpu_seconds": round(postgres_cpu, 2) if postgres_pid else None,
        "copy_all_seconds": copy["all_seconds"],
        "copy_postgres_cpu_seconds": (
            round(copy["postgres_cpu_seconds"], 2) if postgres_pid else None
        ),
        "events_written": stored_events,
        "audit_rows": audit_rows,
        "context_copy": {
            "event_rows": copy["event_rows"],
            "event_seconds": round(copy["event_seconds"], 3),
            "people_rows": copy["people_rows"],
            "people_seconds": round(copy["people_seconds"], 3),
        },
    }


def table(result: dict[str, Any]) -> str:
    """The figures as a small plain-text table."""
    context = result["context_copy"]
    every_row = result["copy_seconds"] + context["event_seconds"] + context["people_seconds"]
    cpu = result["api_cpu_seconds"] is not None and result["postgres_cpu_seconds"] is not None

    def cpu_cells(api: float | None, postgres: float | None) -> str:
        if not cpu:
            return ""
        return f" {'-' if api is None else f'{api:.1f}':>7} {postgres:>7.1f}"

    header = f"{'case':<6} {'target':<9} {'rows':>8} {'seconds':>8} {'rows/s':>9}"
    lines = [
        header + (f" {'api cpu':>7} {'pg cpu':>7}" if cpu else ""),
        f"{'bulk':<6} {'baseline':<9} {result['items']:>8} {result['copy_seconds']:>8.2f} "
        f"{result['copy_rows_per_second']:>9.0f}"
        + cpu_cells(None, result["copy_postgres_cpu_seconds"]),
        f"{'bulk':<6} {'api':<9} {result['items']:>8} {result['api_seconds']:>8.2f} "
        f"{result['api_items_per_second']:>9.0f}"
        + cpu_cells(result["api_cpu_seconds"], result["postgres_cpu_seconds"]),
        "",
        f"[{'met' if result['ratio'] >= 0.2 else 'NOT met':>7}] bulk: >= 20% of COPY's rows/s: "
        f"{result['ratio']:.1%}",
        f"api: {result['clients']} concurrent clients, {result['batch']} items a request "
        f"(NDJSON, each with an Idempotency-Key); besides the items it wrote "
        f"{result['events_written']} events, {context['people_rows']} people and "
        f"{result['audit_rows']} audit rows",
        "baseline: one binary COPY of the item rows the API wrote, every column, into a copy of "
        "feedback_item with its indexes and checks (no foreign keys); median of "
        f"{', '.join(f'{s:.2f}' for s in result['copy_all_seconds'])} s. Events and people are "
        f"not in it: their COPY took {context['event_seconds']:.2f} s and "
        f"{context['people_seconds']:.2f} s more ({every_row:.2f} s for every row)",
    ]
    if result["api_peak_rss_mb"] is not None:
        lines.append(
            f"api peak RSS (VmHWM): {result['api_rss_mb_before']:.0f} MB before, "
            f"{result['api_peak_rss_mb_at_checkpoint']:.0f} MB after "
            f"{result['checkpoint_items']} items, {result['api_peak_rss_mb']:.0f} MB after "
            f"{result['items']}"
        )
    if cpu:
        lines.append("cpu: CPU seconds used by the API process and by PostgreSQL meanwhile")
    return "\n".join(lines)


def postmaster_pid(server: Postgres) -> int | None:
    try:
        return int((server.pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def run(items: int, batch: int, clients: int) -> dict[str, Any]:
    """Build a server and the API, measure, and take everything down again."""
    from bench.servers import case_server, prepared_database, running_api

    with case_server("bench-bulk-") as (server, work):
        url, key = prepared_database(server, "feedback_bulk")
        with running_api(url, work / "api.log") as api:
            try:
                result = measure(
                    url,
                    api.base_url,
                    key,
                    work,
                    items,
                    batch,
                    clients=clients,
                    api_pid=api.pid,
                    postgres_pid=postmaster_pid(server),
                )
            except Exception:
                print(f"--- API log (tail)\n{api.log_tail()}", file=sys.stderr)
                raise
        result["postgres"] = server.version()
        result["cpus"] = os.cpu_count()
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bulk",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    result = run(args.items, args.batch, args.clients)
    print(table(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["ratio"] >= 0.2 else 1


if __name__ == "__main__":
    sys.exit(main())
