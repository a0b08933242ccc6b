"""How `feedback serve` picks its workers and keeps their shared metrics folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.api import cli
from services.api.http import observability
from services.api.http.observability import (
    MULTIPROCESS_ENV,
    forget_dead_workers,
    shared_metrics_directory,
)
from services.api.settings import Settings


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `serve` would hand uvicorn, with the metrics folder as it was then; no server."""
    import uvicorn

    calls: list[dict[str, Any]] = []

    def run(app: str, **options: Any) -> None:
        folder = os.environ.get(MULTIPROCESS_ENV)
        listing = sorted(os.listdir(folder)) if folder else None
        calls.append({"app": app, "folder": folder, "listing": listing, **options})

    monkeypatch.setattr(uvicorn, "run", run)
    # serve puts the database's address in the environment for its workers.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
    monkeypatch.delenv("API_WORKERS", raising=False)
    monkeypatch.setattr(cli, "_database_url", lambda settings: "postgresql://db.invalid/x")
    # The server process's logging is its own; the test's is left alone.
    monkeypatch.setattr(observability, "configure_logging", lambda level: None)
    return calls


def test_several_workers_share_a_fresh_folder_removed_when_the_server_stops(
    served: list[dict[str, Any]],
) -> None:
    assert cli.main(["serve", "--workers", "3"]) == 0
    (call,) = served
    assert call["workers"] == 3
    assert (call["app"], call["factory"]) == ("services.api.cli:worker_app", True)
    assert call["listing"] == [], "the folder was not fresh"
    assert not os.path.exists(call["folder"])
    assert MULTIPROCESS_ENV not in os.environ
    assert os.environ["DATABASE_URL"] == "postgresql://db.invalid/x"


def test_one_worker_keeps_its_metrics_in_memory(served: list[dict[str, Any]]) -> None:
    assert cli.main(["serve", "--workers", "1"]) == 0
    assert [(call["workers"], call["folder"]) for call in served] == [(1, None)]


def test_workers_default_to_api_workers_then_to_the_cores(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "get_settings", Settings)
    monkeypatch.setattr(cli, "available_cores", lambda: 6)
    assert cli.main(["serve"]) == 0
    monkeypatch.setenv("API_WORKERS", "2")
    assert cli.main(["serve"]) == 0
    assert [call["workers"] for call in served] == [6, 2]


def test_the_cores_are_those_this_process_may_run_on() -> None:
    assert cli.available_cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("count", ["0", "-1", "two"])
def test_a_worker_count_that_is_not_a_positive_whole_number_is_refused(
    count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["serve", "--workers", count])
    assert exit_.value.code == 2
    assert "--workers" in capsys.readouterr().err
    with pytest.raises(ValidationError):
        Settings(workers=0)


def test_the_folder_is_private_and_an_inherited_variable_is_put_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))
    (tmp_path / "counter_1.db").write_bytes(b"someone else's")
    with shared_metrics_directory() as folder:
        assert os.environ[MULTIPROCESS_ENV] == str(folder) != str(tmp_path)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert os.environ[MULTIPROCESS_ENV] == str(tmp_path)
    assert (tmp_path / "counter_1.db").exists(), "an inherited folder is not emptied"


def test_only_the_live_gauges_of_processes_that_are_gone_are_dropped(tmp_path: Path) -> None:
    gone = 2**22 + 12345  # above Linux's largest process id
    for name in (
        f"gauge_livesum_{gone}.db",
        f"counter_{gone}.db",
        f"gauge_livesum_{os.getpid()}.db",
    ):
        (tmp_path / name).write_bytes(b"")
    forget_dead_workers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"counter_{gone}.db",
        f"gauge_livesum_{os.getpid()}.db",
    ]
