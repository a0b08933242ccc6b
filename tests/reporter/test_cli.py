"""The `reporter` command: exit codes, one-line errors, files written, progress on terminals."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import httpx
import pytest
from fake_api import FakeApi

from services.reporter.cli import main


@pytest.fixture(autouse=True)
def quick_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No REPORTER_* from the environment of the run; retries that do not wait."""
    for name in list(os.environ):
        if name.startswith("REPORTER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REPORTER_API_URL", "http://api.test")
    monkeypatch.setenv("REPORTER_RETRIES", "2")
    monkeypatch.setenv("REPORTER_BACKOFF_SECONDS", "0")


def untouchable(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.method} {request.url}")


def stderr_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


@pytest.mark.parametrize("year", ["2018/19", "2018-20", "18-19", "2018-2019"])
@pytest.mark.parametrize("command", ["annual", "ledger"])
def test_a_malformed_year_exits_2_with_one_line(
    command: str, year: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [command, "--year", year, "--out", str(tmp_path)],
        transport=httpx.MockTransport(untouchable),
    )
    lines = stderr_lines(capsys)
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith("reporter: --year:")
    assert year in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_a_malformed_as_of_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ledger", "--year", "2018-19", "--as-of", "31/03/2019", "--out", str(tmp_path)]
    assert main(argv, transport=httpx.MockTransport(untouchable)) == 2
    assert stderr_lines(capsys) == [
        "reporter: --as-of: '31/03/2019' is not a date: write it like 2019-03-31"
    ]


def test_argparse_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["annual"])
    assert caught.value.code == 2
    assert "--year" in capsys.readouterr().err


def test_a_bad_setting_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REPORTER_RETRIES", "many")
    assert main(["annual", "--year", "2018-19"], transport=httpx.MockTransport(untouchable)) == 2
    lines = stderr_lines(capsys)
    assert len(lines) == 1
    assert lines[0].startswith("reporter: REPORTER_RETRIES:")


def test_an_unreachable_api_exits_1_with_one_line_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    attempts: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ConnectError("[Errno 111] Connection refused")

    code = main(
        ["annual", "--year", "2018-19", "--out", str(tmp_path)],
        transport=httpx.MockTransport(refuse),
    )
    err = capsys.readouterr().err
    assert code == 1
    assert len(attempts) == 3
    assert err.count("\n") == 1
    assert err.startswith("reporter: cannot reach the API at http://api.test: ConnectError")
    assert "Traceback" not in err


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_real_closed_port_exits_1_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{unused_port()}"
    monkeypatch.setenv("REPORTER_API_URL", url)
    monkeypatch.setenv("REPORTER_RETRIES", "1")
    code = main(["ledger", "--year", "2018-19", "--out", str(tmp_path)])
    lines = stderr_lines(capsys)
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"reporter: cannot reach the API at {url}: ")


def test_an_api_refusal_exits_1_with_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = FakeApi(broken_paths={"/v1/stats/timeliness"})
    code = main(["annual", "--year", "2018-19", "--out", str(tmp_path)], transport=api.transport())
    lines = stderr_lines(capsys)
    assert code == 1
    assert len(lines) == 1
    assert "422 The request is not valid" in lines[0]
    assert "GET /v1/stats/timeliness" in lines[0]


def test_annual_writes_its_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["annual", "--year", "2018-19", "--out", str(out)], transport=FakeApi().transport())
    captured = capsys.readouterr()
    assert code == 0
    assert captured.err == ""
    assert sorted(p.name for p in out.iterdir()) == ["annual-2018-19.csv", "annual-2018-19.json"]
    assert captured.out.splitlines() == [
        str(out / "annual-2018-19.json"),
        str(out / "annual-2018-19.csv"),
    ]
    report = json.loads((out / "annual-2018-19.json").read_text(encoding="utf-8"))
    assert report["report"] == "annual"
    assert report["services"][0]["timeliness"][0]["text"].startswith("78% (63 of 81)")
    csv_head = (out / "annual-2018-19.csv").read_bytes().split(b"\r\n")[0]
    assert (
        csv_head == b"year,service,section,team,category,measure,value,percent,previous_year_value"
    )


def test_ledger_writes_its_json_and_csv_as_of_a_day(tmp_path: Path) -> None:
    api = FakeApi()
    argv = ["ledger", "--year", "2018-19", "--as-of", "2019-03-31", "--out", str(tmp_path)]
    assert main(argv, transport=api.transport()) == 0
    report = json.loads((tmp_path / "ombudsman-ledger-2018-19.json").read_text(encoding="utf-8"))
    assert report["as_of"] == "2019-03-31"
    assert (tmp_path / "ombudsman-ledger-2018-19.csv").exists()
    assert api.requests[-1].url.params["as_of"] == "2019-03-31"


def test_progress_shows_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["annual", "--year", "2018-19", "--out", str(tmp_path)]
    assert main(argv, transport=FakeApi().transport()) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(argv, transport=FakeApi().transport()) == 0
    lines = stderr_lines(capsys)
    assert len(lines) == 9
    assert lines[2] == "annual 2018-19: [3/9] timeliness"


def test_the_worker_command_drains_the_queue_once(tmp_path: Path) -> None:
    api = FakeApi(queue=[("ledger", "2018-19")])
    assert main(["worker", "--once"], transport=api.transport()) == 0
    assert api.completed == [1]
    assert sorted(name for _, name in api.uploads) == [
        "ombudsman-ledger-2018-19.csv",
        "ombudsman-ledger-2018-19.json",
    ]


def test_the_worker_command_refuses_zero_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--max-runs", "0"], transport=httpx.MockTransport(untouchable)) == 2
    assert stderr_lines(capsys) == ["reporter: --max-runs: must be at least 1"]
