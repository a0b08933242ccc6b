"""The API client: explicit timeouts, bounded retries with backoff, Retry-After, clear errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import httpx
import pytest

from services.reporter.client import (
    ApiClient,
    ApiError,
    ApiUnavailable,
    UnexpectedResponse,
    backoff_delay,
    retry_after_seconds,
)
from services.reporter.financial_year import FinancialYear
from services.reporter.settings import ReporterSettings

YEAR = FinancialYear(2018)
SERVICES = [{"code": "children", "name": "Children's Social Care", "complaint_procedure": "x"}]
NOW = datetime(2019, 4, 1, 12, 0, 0, tzinfo=UTC)


def make_settings(**changes: object) -> ReporterSettings:
    values: dict[str, object] = {
        "api_url": "http://api.test",
        "retries": 3,
        "backoff_seconds": 0.5,
        "backoff_max_seconds": 10.0,
    }
    return ReporterSettings.model_validate(values | changes)


class Recorder:
    """A transport answering from a list of replies, and a sleep that only records."""

    def __init__(self, *replies: httpx.Response | Exception) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    def client(self, **changes: object) -> ApiClient:
        return ApiClient(
            make_settings(**changes),
            transport=httpx.MockTransport(self.handle),
            sleep=self.sleeps.append,
            clock=lambda: NOW,
        )


def problem(status: int, title: str, detail: str) -> httpx.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["errors"] = [{"field": "from_year", "pointer": "/from_year", "detail": detail}]
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


def test_a_503_with_retry_after_zero_is_retried_then_succeeds() -> None:
    api = Recorder(
        httpx.Response(503, headers={"Retry-After": "0"}),
        httpx.Response(200, json=SERVICES),
    )
    services = api.client().services()
    assert [s.code for s in services] == ["children"]
    assert len(api.requests) == 2
    assert api.sleeps == [0.0]


def test_repeated_connect_errors_give_up_after_the_retries() -> None:
    api = Recorder(httpx.ConnectError("connection refused"))
    with pytest.raises(ApiUnavailable) as caught:
        api.client(retries=3, backoff_seconds=0.5, backoff_max_seconds=1.0).services()
    assert len(api.requests) == 4
    assert api.sleeps == [0.5, 1.0, 1.0]
    message = str(caught.value)
    assert message.startswith("cannot reach the API at http://api.test: ConnectError")
    assert "after 4 attempts" in message


def test_timeouts_are_retried_like_connection_errors() -> None:
    api = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json=SERVICES))
    assert api.client().services()[0].name == "Children's Social Care"
    assert api.sleeps == [0.5]


def test_no_retries_means_one_attempt() -> None:
    api = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(ApiUnavailable):
        api.client(retries=0).services()
    assert len(api.requests) == 1
    assert api.sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_a_4xx_is_never_retried_and_carries_the_problem(status: int) -> None:
    api = Recorder(problem(status, "The request is not valid", "bad year"))
    with pytest.raises(ApiError) as caught:
        api.client().services()
    assert len(api.requests) == 1
    assert api.sleeps == []
    assert caught.value.status == status
    assert caught.value.problem.detail == "bad year"
    assert caught.value.problem.errors[0].field == "from_year"
    assert "GET /v1/reference/services" in str(caught.value)


def test_a_4xx_without_a_problem_document_still_raises_api_error() -> None:
    api = Recorder(httpx.Response(404, text="<html>nope</html>"))
    with pytest.raises(ApiError) as caught:
        api.client().services()
    assert caught.value.problem.title == "Not Found"


def test_retry_after_seconds_are_honoured() -> None:
    api = Recorder(
        httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json=SERVICES)
    )
    api.client().services()
    assert api.sleeps == [3.0]


def test_a_long_retry_after_is_capped() -> None:
    api = Recorder(
        httpx.Response(503, headers={"Retry-After": "3600"}), httpx.Response(200, json=SERVICES)
    )
    api.client(backoff_max_seconds=10).services()
    assert api.sleeps == [10.0]


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    api = Recorder(
        httpx.Response(503, headers={"Retry-After": "Mon, 01 Apr 2019 12:00:04 GMT"}),
        httpx.Response(200, json=SERVICES),
    )
    api.client().services()
    assert api.sleeps == [4.0]


def test_a_5xx_without_retry_after_backs_off_exponentially() -> None:
    api = Recorder(httpx.Response(500), httpx.Response(502), httpx.Response(200, json=SERVICES))
    api.client(backoff_seconds=0.25).services()
    assert api.sleeps == [0.25, 0.5]


def test_a_5xx_that_persists_is_reported_as_unavailable() -> None:
    api = Recorder(httpx.Response(503))
    with pytest.raises(ApiUnavailable, match="503 Service Unavailable"):
        api.client(retries=1, backoff_seconds=0).services()
    assert len(api.requests) == 2


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("7", 7.0),
        ("Mon, 01 Apr 2019 12:01:00 GMT", 60.0),
        ("Mon, 01 Apr 2019 11:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_or_a_date(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_delay(n, 0.5, 3) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_timeouts_are_explicit() -> None:
    client = ApiClient(make_settings(connect_timeout=2, read_timeout=30))
    timeout = client._http.timeout
    assert (timeout.connect, timeout.read) == (2, 30)
    client.close()


def test_the_api_key_is_sent_as_a_bearer_token_only_when_set() -> None:
    api = Recorder(httpx.Response(200, json=SERVICES))
    api.client(api_key="s3cret").services()
    api.client().services()
    assert api.requests[0].headers["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in api.requests[1].headers


def test_stats_parameters_are_sent_as_the_api_reads_them() -> None:
    body = {"group_by": ["service", "team"], "rows": []}
    api = Recorder(httpx.Response(200, json=body))
    api.client().feedback_counts(
        YEAR.previous, YEAR, group_by=["service", "team"], kind="complaint"
    )
    params = api.requests[0].url.params
    assert params.get_list("group_by") == ["service", "team"]
    assert (params["from_year"], params["to_year"], params["kind"]) == (
        "2017-18",
        "2018-19",
        "complaint",
    )
    assert "service" not in params


def test_the_ledger_asks_for_a_day_when_given_one() -> None:
    body = {"financial_year": "2018-19", "as_of": "2019-03-31", "rows": []}
    api = Recorder(httpx.Response(200, json=body))
    ledger = api.client().ombudsman_ledger(YEAR, date(2019, 3, 31))
    assert api.requests[0].url.params["as_of"] == "2019-03-31"
    assert ledger.as_of == date(2019, 3, 31)


def test_a_body_off_contract_is_an_unexpected_response() -> None:
    api = Recorder(httpx.Response(200, json={"rows": [{"count": "many"}]}))
    with pytest.raises(UnexpectedResponse, match="FeedbackCounts"):
        api.client().feedback_counts(YEAR)


def test_claiming_with_nothing_queued_gives_none() -> None:
    api = Recorder(httpx.Response(204))
    assert api.client().claim_run("w1", 300) is None
    assert api.requests[0].method == "POST"


@pytest.mark.parametrize("status", [200, 201])
def test_uploading_a_file_accepts_created_and_already_there(status: int) -> None:
    body = {"name": "annual-2018-19.csv", "content_type": "text/csv; charset=utf-8", "size": 3}
    body |= {"sha256": "0" * 64, "url": "http://api.test/v1/report-runs/4/files/x"}
    api = Recorder(httpx.Response(status, json=body))
    stored = api.client().upload_file(
        4, "annual-2018-19.csv", b"a,b", "text/csv; charset=utf-8", "w1"
    )
    request = api.requests[0]
    assert (request.method, request.url.path) == (
        "PUT",
        "/v1/report-runs/4/files/annual-2018-19.csv",
    )
    assert request.url.params["worker"] == "w1"
    assert request.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert request.content == b"a,b"
    assert stored.size == 3


def test_uploads_are_retried_because_they_are_idempotent() -> None:
    body = {"name": "a.json", "content_type": "application/json", "size": 2, "sha256": "0" * 64}
    api = Recorder(httpx.ReadError("reset"), httpx.Response(200, json=body | {"url": "u"}))
    api.client().upload_file(4, "a.json", b"{}", "application/json", "w1")
    assert len(api.requests) == 2


def run_reply(status: str) -> Callable[[], httpx.Response]:
    def reply() -> httpx.Response:
        body = {"id": 4, "kind": "annual", "financial_year": "2018-19", "status": status}
        return httpx.Response(200, json=body | {"worker": "w1", "attempts": 1, "files": []})

    return reply


def test_completing_and_failing_send_the_worker_and_reason() -> None:
    api = Recorder(run_reply("completed")(), run_reply("failed")())
    client = api.client()
    assert client.complete_run(4, "w1").status == "completed"
    assert client.fail_run(4, "w1", "ValueError: boom").status == "failed"
    assert api.requests[0].url.path == "/v1/report-runs/4/complete"
    assert api.requests[1].url.path == "/v1/report-runs/4/fail"
    assert api.requests[1].content == b'{"worker":"w1","reason":"ValueError: boom"}'
