"""Benchmark of spreadsheet imports: a workbook of 20,000 complaints through the real API.

`python -m bench.imports [--rows 20000]` starts its own PostgreSQL, migrates a database, loads
the demo council's reference data, runs the API as a process and sends one workbook (a title
row, a header of two rows under merged cells, a totals row) as a dry run, a commit, the same
file again and an undo, timing each request and reading the API's peak resident memory
(VmHWM) after each. It also times reading the sheet alone, in this process, to show how much
of an import is openpyxl's parsing.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta

import httpx
from openpyxl import Workbook

from bench.bulk import peak_rss_mb
from bench.servers import case_server, prepared_database, running_api
from services.api.domain.imports.reading import ReadLimits, open_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEAMS = ("Head of Disability", "Head of Assessment", "Head of Care Management")
OUTCOMES = ("Upheld", "Partly", "Not upheld")
MAPPING = {
    "name": "bench",
    "source_system": "bench-sheet",
    "sheets": [
        {
            "sheet": "*",
            "fixed": {"kind": "complaint", "service": "children"},
            "columns": [
                {"column": "Ref", "field": "external_ref"},
                {"column": "Team", "field": "team"},
                {"column": "Complainant", "field": "person.name"},
                {"column": "How received", "field": "channel", "values": {"E-mail": "email"}},
                {"column": "Date Rec'd", "field": "received_on"},
                {"column": "Resp. sent", "field": "responded_on"},
                {"column": "Outcome", "field": "outcome", "values": {"Partly": "partly_upheld"}},
                {"column": "Nature", "field": "nature"},
                {"column": "Working days", "check": "working_days_taken"},
            ],
        }
    ],
}


def workbook(rows: int) -> bytes:
    """A council's sheet of `rows` children's complaints in 2018/19, dates typed three ways."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "2018-19"
    sheet.append(["Children's Social Care complaints 2018/19"])
    sheet.append([])
    sheet.append(["Case", None, None, None, "Dates", None, "Outcome", "Nature", "Working days"])
    sheet.append(["Ref", "Team", "Complainant", "How received", "Date Rec'd", "Resp. sent"])
    for merged in ("A1:I1", "A3:D3", "E3:F3", "G3:G4", "H3:H4", "I3:I4"):
        sheet.merge_cells(merged)
    start = date(2018, 4, 2)
    for n in range(rows):
        received = start + timedelta(days=7 * (n % 45))
        forms = (received.strftime("%d/%m/%Y"), received.strftime("%d-%b-%y"), received)
        sheet.append(
            [
                f"B-{n + 1:06d}",
                TEAMS[n % 3],
                f"Resident {n % 997}",
                ("E-mail", "Letter", "Phone")[n % 3],
                forms[n % 3],
                received + timedelta(days=14),
                OUTCOMES[n % 3],
                "Poor Communication",
                10,
            ]
        )
    sheet.append(["Total", f"=COUNTA(A5:A{rows + 4})"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _read_alone(data: bytes) -> float:
    began = time.perf_counter()
    book = open_workbook(io.BytesIO(data), "cases.xlsx", ReadLimits())
    sum(1 for _ in book.sheets[0].rows())
    book.close()
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args(argv)
    data = workbook(args.rows)
    read_seconds = _read_alone(data)
    # The API's own deadline (30 s) is lifted: this measures the work, not the limit.
    os.environ["API_REQUEST_TIMEOUT_SECONDS"] = "600"
    results: list[tuple[str, float, int, float]] = []
    with case_server("bench-imports-") as (server, work):
        url, key = prepared_database(server, "imports")
        with running_api(url, work / "api.log") as api:
            assert api.pid is not None
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=api.base_url, headers=headers, timeout=900) as client:
                saved = client.post("/v1/import-mappings", json=MAPPING)
                saved.raise_for_status()
                base_rss = peak_rss_mb(api.pid)

                def send(dry_run: bool) -> httpx.Response:
                    return client.post(
                        "/v1/imports",
                        params={"dry_run": str(dry_run).lower()},
                        files={"file": ("cases.xlsx", data, XLSX)},
                        data={"mapping": "bench"},
                    )

                import_id = None
                for label in ("dry run", "commit", "again", "undo"):
                    began = time.perf_counter()
                    if label == "undo":
                        response = client.post(f"/v1/imports/{import_id}/undo")
                    else:
                        response = send(label == "dry run")
                    seconds = time.perf_counter() - began
                    response.raise_for_status()
                    body = response.json()
                    if label == "commit":
                        import_id = body["record"]["id"]
                    made = body.get("created", 0) if label != "undo" else body["created"]
                    results.append((label, seconds, made, peak_rss_mb(api.pid)))
    print(f"import of {args.rows:,} rows ({len(data):,} bytes of .xlsx) through the API")
    print(f"{'request':<10} {'seconds':>8} {'rows/s':>8} {'created':>8} {'api peak MB':>12}")
    for label, seconds, made, rss in results:
        print(f"{label:<10} {seconds:>8.2f} {args.rows / seconds:>8,.0f} {made:>8,} {rss:>12.0f}")
    print(f"api peak RSS before the first import: {base_rss:.0f} MB")
    print(
        f"reading the sheet alone (openpyxl, streamed): {read_seconds:.2f} s, "
        f"{args.rows / read_seconds:,.0f} rows/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
