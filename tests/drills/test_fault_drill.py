"""The fault drill at full size, and the mapping of database errors it relies on.

The drill (`python -m drills.fault_drill`) runs its own PostgreSQL in a temporary folder and
the real API as a separate process; 32 clients post 5,000 items with idempotency keys while
PostgreSQL is stopped hard twice. It never touches the test suite's database.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from services.api.http.problems import database_unavailable

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ITEMS = 5000
CLIENTS = 32
# Longer than the drill's own deadline, so the drill fails (and cleans up) before this does.
TIMEOUT_SECONDS = 480


def _run_drill(report: Path) -> tuple[int, str]:
    command = [
        sys.executable,
        "-m",
        "drills.fault_drill",
        *("--items", str(ITEMS), "--clients", str(CLIENTS), "--report", str(report)),
    ]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        # SIGTERM lets the drill stop the API and PostgreSQL and remove its folder.
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        pytest.fail(f"the drill did not finish within {TIMEOUT_SECONDS} s:\n{output}")
    return process.returncode, output


def test_fault_drill_keeps_every_acknowledged_item_exactly_once(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    returncode, output = _run_drill(report_path)
    print(output)
    assert report_path.exists(), output
    report: dict[str, Any] = json.loads(report_path.read_text())

    # Every acknowledged item is present exactly once, none doubled.
    assert report["acknowledged"] == ITEMS, output
    assert report["stored_count"] == ITEMS, output
    assert report["stored_distinct"] == ITEMS, output
    # 503 problem+json with Retry-After while the database was away; no 500 and no hang.
    server_errors = {s: n for s, n in report["statuses"].items() if s.startswith("5")}
    assert set(server_errors) <= {"503"}, output
    assert report["problem_503"] > 0, output
    assert report["statuses"].get("timeout", 0) == 0, output
    assert len(report["outages"]) == 2, output
    assert all(outage["count_503"] > 0 for outage in report["outages"]), output
    # Recovered by itself: acknowledgements resumed after each restart, same API process.
    assert all(o["recovered_after_start_seconds"] is not None for o in report["outages"]), output
    assert all(report["guarantees"].values()), report["failures"]
    assert report["ok"], report["failures"]
    assert returncode == 0, output


class _DriverError(Exception):
    """Stands for a driver's error carrying a SQLSTATE, as asyncpg's adapted errors do."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "unavailable"),
    [
        ("57P03", True),  # the database system is shutting down / starting up
        ("57P01", True),  # terminating connection due to administrator command
        ("57P02", True),  # crash shutdown
        ("08006", True),  # connection failure
        ("08003", True),  # connection does not exist
        ("53300", True),  # too many connections
        ("42P01", False),  # undefined table: a bug
        ("22P02", False),  # invalid text representation: a bug
        (None, False),
    ],
)
def test_lost_or_refused_connections_are_unavailable(
    sqlstate: str | None, unavailable: bool
) -> None:
    error = DBAPIError("SELECT 1", None, _DriverError("boom", sqlstate))
    assert database_unavailable(error) is unavailable


def test_an_invalidated_connection_is_unavailable() -> None:
    error = DBAPIError("SELECT 1", None, _DriverError("closed", None), connection_invalidated=True)
    assert database_unavailable(error) is True
