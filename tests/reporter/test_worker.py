"""The worker: claim, compile, upload under the CLI's file names, complete; fail and go on."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from fake_api import FakeApi

from services.reporter.api_models import Run
from services.reporter.client import ApiClient, ApiUnavailable
from services.reporter.output import annual_file_names, annual_html_name, ledger_file_names
from services.reporter.settings import ReporterSettings
from services.reporter.worker import one_line, run_worker

SETTINGS = ReporterSettings(
    api_url="http://api.test",
    worker_name="worker-1",
    retries=0,
    backoff_seconds=0,
    poll_seconds=0,
    lease_seconds=120,
)


def client_for(api: FakeApi) -> ApiClient:
    return ApiClient(SETTINGS, transport=api.transport())


def test_each_queued_run_is_compiled_uploaded_and_completed() -> None:
    api = FakeApi(queue=[("annual", "2018-19"), ("ledger", "2018-19")])
    assert run_worker(client_for(api), SETTINGS, once=True) == 2
    assert api.completed == [1, 2]
    assert api.failed == {}
    annual_json, annual_csv = annual_file_names("2018-19")
    ledger_json, ledger_csv = ledger_file_names("2018-19")
    assert {key: kind for key, (kind, _) in api.uploads.items()} == {
        (1, annual_json): "application/json",
        (1, annual_csv): "text/csv; charset=utf-8",
        (1, annual_html_name("2018-19")): "text/html; charset=utf-8",
        (2, ledger_json): "application/json",
        (2, ledger_csv): "text/csv; charset=utf-8",
    }
    report = json.loads(api.uploads[(1, annual_json)][1])
    assert (report["report"], report["financial_year"]) == ("annual", "2018-19")
    claim = json.loads(api.requests[0].content)
    assert claim == {"worker": "worker-1", "lease_seconds": 120}
    assert all(r.url.params["worker"] == "worker-1" for r in api.requests if r.method == "PUT")


def test_a_run_that_fails_is_marked_failed_with_one_line_and_the_next_goes_on() -> None:
    api = FakeApi(
        queue=[("annual", "2018-19"), ("ledger", "2018-19")],
        broken_paths={"/v1/stats/escalations"},
    )
    assert run_worker(client_for(api), SETTINGS, once=True) == 2
    assert list(api.failed) == [1]
    reason = api.failed[1]
    assert "\n" not in reason
    assert reason.startswith("ApiError: the API refused GET /v1/stats/escalations: 422")
    assert api.completed == [2]
    assert not any(run_id == 1 for run_id, _ in api.uploads)


def test_a_run_of_an_unknown_kind_or_year_is_failed() -> None:
    api = FakeApi(queue=[("html", "2018-19"), ("annual", "2018/19")])
    assert run_worker(client_for(api), SETTINGS, once=True) == 2
    assert api.failed[1].startswith("UnknownRunKind: report run 1 is of kind 'html'")
    assert api.failed[2].startswith("ValueError: '2018/19' is not a financial year")
    assert api.completed == []


def test_once_with_nothing_queued_returns_at_once() -> None:
    api = FakeApi()
    assert run_worker(client_for(api), SETTINGS, once=True) == 0
    assert [r.url.path for r in api.requests] == ["/v1/report-runs/claim"]


def test_max_runs_stops_the_worker() -> None:
    api = FakeApi(queue=[("ledger", "2018-19")] * 3)
    assert run_worker(client_for(api), SETTINGS, max_runs=2) == 2
    assert api.completed == [1, 2]
    assert len(api.queue) == 1


def test_an_idle_worker_polls_until_stopped() -> None:
    api = FakeApi()
    stop = threading.Event()
    polls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        polls.append(request)
        if len(polls) == 3:
            stop.set()
        return httpx.Response(204)

    client = ApiClient(SETTINGS, transport=httpx.MockTransport(handle))
    assert run_worker(client, SETTINGS, stop=stop) == 0
    assert len(polls) == 3
    assert api.requests == []


def test_a_long_lived_worker_outlasts_an_api_outage() -> None:
    stop = threading.Event()
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        stop.set()
        return httpx.Response(204)

    client = ApiClient(SETTINGS, transport=httpx.MockTransport(handle))
    assert run_worker(client, SETTINGS, stop=stop) == 0
    assert len(calls) == 2


def test_once_reports_an_api_outage() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    client = ApiClient(SETTINGS, transport=httpx.MockTransport(refuse))
    with pytest.raises(ApiUnavailable):
        run_worker(client, SETTINGS, once=True)


def test_a_failure_reason_is_one_bounded_line() -> None:
    reason = one_line(ValueError("first\nsecond\tthird " + "x" * 3000))
    assert reason.startswith("ValueError: first second third x")
    assert len(reason) == 2000
    assert one_line(RuntimeError()) == "RuntimeError: no detail"


def test_runs_are_read_with_the_fields_the_worker_needs() -> None:
    run = Run.model_validate(
        {"id": 3, "kind": "ledger", "financial_year": "2018-19", "status": "running",
         "worker": "w", "attempts": 2, "files": [], "error": None}
    )  # fmt: skip
    assert (run.id, run.kind, run.financial_year) == (3, "ledger", "2018-19")
