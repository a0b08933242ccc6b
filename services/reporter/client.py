"""The one way the reporter talks to the API: HTTP with timeouts, bounded retries and backoff."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from .api_models import (
    EscalationCounts,
    FeedbackCounts,
    Nature,
    OmbudsmanLedger,
    OmbudsmanLetterStats,
    OmbudsmanReconciliationStats,
    Problem,
    PublishedTexts,
    RemedyTotals,
    ReportFile,
    Run,
    ServiceArea,
    Stage2Findings,
    Team,
    Timeliness,
)
from .financial_year import FinancialYear
from .settings import ReporterSettings

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Failures worth another attempt: the request may never have arrived, or the answer was lost.
RETRY_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
USER_AGENT = "council-feedback-reporter/0.1"

_SERVICES = TypeAdapter(list[ServiceArea])
_TEAMS = TypeAdapter(list[Team])
_NATURES = TypeAdapter(list[Nature])

Params = Mapping[str, str | int | list[str] | None]


class ReporterError(Exception):
    """Anything that stops a report: the CLI prints it as one line."""


class ApiUnavailable(ReporterError):
    """The API could not be reached, or kept failing, after the allowed retries."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach the API at {url}: {reason}")
        self.url = url
        self.reason = reason


class ApiError(ReporterError):
    """The API refused a request with a 4xx answer, which no retry would change."""

    def __init__(self, status: int, problem: Problem, request: str) -> None:
        detail = f": {problem.detail}" if problem.detail else ""
        fields = "".join(f"; {e.field}: {e.detail}" for e in problem.errors)
        super().__init__(f"the API refused {request}: {status} {problem.title}{detail}{fields}")
        self.status = status
        self.problem = problem


class UnexpectedResponse(ReporterError):
    """The API answered something its contract does not allow."""


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header as seconds from now (delta-seconds or an HTTP date), if readable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff for the given 0-based retry: base, 2*base, 4*base ... at most cap."""
    return float(min(cap, base * 2**attempt))


def _year(year: FinancialYear | None) -> str | None:
    return None if year is None else year.slug


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _clean(params: Params) -> dict[str, str | int | list[str]]:
    return {k: v for k, v in params.items() if v is not None}


class ApiClient:
    """The API's statistics, reference data and report runs, as the reporter's own models."""

    def __init__(
        self,
        settings: ReporterSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        base_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = (base_url or settings.api_url).rstrip("/")
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if settings.api_key is not None:
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        ok: Iterable[int] = (200,),
    ) -> httpx.Response:
        """Send with retries; return a response whose status is in `ok`, or raise."""
        settings = self._settings
        label = f"{method} {path}"
        attempts = settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(
                    method,
                    path,
                    params=_clean(params or {}),
                    json=json,
                    content=content,
                    headers=headers,
                )
            except RETRY_ERRORS as error:
                if last:
                    reason = f"{type(error).__name__}: {str(error) or 'no answer'}"
                    raise ApiUnavailable(
                        self.base_url, f"{reason} (after {attempts} attempts)"
                    ) from None
                self._sleep(self._backoff(attempt))
                continue
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
                raise ApiUnavailable(self.base_url, str(error)) from None
            if response.status_code in ok:
                return response
            if response.status_code in RETRY_STATUSES:
                if last:
                    raise ApiUnavailable(
                        self.base_url,
                        f"{label} answered {response.status_code} "
                        f"{response.reason_phrase} (after {attempts} attempts)",
                    )
                self._sleep(self._retry_delay(response, attempt))
                continue
            raise ApiError(response.status_code, self._problem(response), label)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        settings = self._settings
        return backoff_delay(attempt, settings.backoff_seconds, settings.backoff_max_seconds)

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float:
        asked = retry_after_seconds(response.headers.get("Retry-After"), self._clock())
        if asked is None:
            return self._backoff(attempt)
        # Honour the server, but never let one header park the reporter indefinitely.
        return min(asked, self._settings.backoff_max_seconds)

    @staticmethod
    def _problem(response: httpx.Response) -> Problem:
        try:
            return Problem.model_validate_json(response.content)
        except ValidationError:
            return Problem(title=response.reason_phrase or "error", status=response.status_code)

    @staticmethod
    def _parse(response: httpx.Response, model: type[M]) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            name = getattr(model, "__schema__", model.__name__)
            raise UnexpectedResponse(
                f"{response.request.method} {response.request.url.path} answered a body that "
                f"is not a {name}: {error.error_count()} problems, first: "
                f"{error.errors()[0]['msg']}"
            ) from None

    @staticmethod
    def _parse_list(response: httpx.Response, adapter: TypeAdapter[T]) -> T:
        try:
            return adapter.validate_json(response.content)
        except ValidationError as error:
            raise UnexpectedResponse(
                f"{response.request.method} {response.request.url.path} answered an unexpected "
                f"list: {error.errors()[0]['msg']}"
            ) from None

    def _get(self, path: str, model: type[M], params: Params) -> M:
        return self._parse(self._request("GET", path, params=params), model)

    # -- reference data ----------------------------------------------------------------------

    def services(self) -> list[ServiceArea]:
        """Service areas and their complaint procedures."""
        return self._parse_list(self._request("GET", "/v1/reference/services"), _SERVICES)

    def teams(self, service: str | None = None, active_on: date | None = None) -> list[Team]:
        """Teams, of one service or all, with the days they were active."""
        params: Params = {"service": service, "active_on": _day(active_on)}
        return self._parse_list(self._request("GET", "/v1/reference/teams", params=params), _TEAMS)

    def natures(self, service: str | None = None) -> list[Nature]:
        """Each service's list of natures of complaint, in the API's order."""
        params: Params = {"service": service}
        response = self._request("GET", "/v1/reference/natures", params=params)
        return self._parse_list(response, _NATURES)

    # -- statistics --------------------------------------------------------------------------

    def feedback_counts(
        self,
        from_year: FinancialYear,
        to_year: FinancialYear | None = None,
        group_by: Iterable[str] = (),
        service: str | None = None,
        kind: str | None = None,
        team: str | None = None,
    ) -> FeedbackCounts:
        """Items received per financial year, grouped by the dimensions asked for."""
        params: Params = {
            "from_year": from_year.slug,
            "to_year": _year(to_year),
            "group_by": list(group_by),
            "service": service,
            "kind": kind,
            "team": team,
        }
        return self._get("/v1/stats/feedback", FeedbackCounts, params)

    def timeliness(
        self,
        kind: str,
        within: int,
        from_year: FinancialYear,
        to_year: FinancialYear | None = None,
        group_by: Iterable[str] = (),
        service: str | None = None,
    ) -> Timeliness:
        """Of each year's items of a kind, how many were answered within N working days."""
        params: Params = {
            "kind": kind,
            "within": within,
            "from_year": from_year.slug,
            "to_year": _year(to_year),
            "group_by": list(group_by),
            "service": service,
        }
        return self._get("/v1/stats/timeliness", Timeliness, params)

    def escalation_counts(
        self,
        from_year: FinancialYear,
        to_year: FinancialYear | None = None,
        group_by: Iterable[str] = (),
        service: str | None = None,
        stage: str | None = None,
    ) -> EscalationCounts:
        """Escalations per financial year of opening, grouped by the dimensions asked for."""
        params: Params = {
            "from_year": from_year.slug,
            "to_year": _year(to_year),
            "group_by": list(group_by),
            "service": service,
            "stage": stage,
        }
        return self._get("/v1/stats/escalations", EscalationCounts, params)

    def stage2_findings(
        self,
        from_year: FinancialYear,
        to_year: FinancialYear | None = None,
        service: str | None = None,
    ) -> Stage2Findings:
        """Stage 2 complaint points by finding, and recommendations by whether agreed."""
        params: Params = {
            "from_year": from_year.slug,
            "to_year": _year(to_year),
            "service": service,
        }
        return self._get("/v1/stats/stage2-findings", Stage2Findings, params)

    def remedy_totals(
        self,
        from_year: FinancialYear,
        to_year: FinancialYear | None = None,
        group_by: Iterable[str] = (),
        service: str | None = None,
        as_of: date | None = None,
    ) -> RemedyTotals:
        """Ombudsman remedies by year of decision: counts, money and where they stand."""
        params: Params = {
            "from_year": from_year.slug,
            "to_year": _year(to_year),
            "group_by": list(group_by),
            "service": service,
            "as_of": _day(as_of),
        }
        return self._get("/v1/stats/remedies", RemedyTotals, params)

    def ombudsman_ledger(self, year: FinancialYear, as_of: date | None = None) -> OmbudsmanLedger:
        """One row per remedy of the Ombudsman investigations decided in the year."""
        params: Params = {"financial_year": year.slug, "as_of": _day(as_of)}
        return self._get("/v1/stats/ombudsman-ledger", OmbudsmanLedger, params)

    def ombudsman_letter(
        self, year: FinancialYear, as_of: date | None = None
    ) -> OmbudsmanLetterStats:
        """The Ombudsman's decisions of its year by decision date, remedies due, population."""
        params: Params = {"financial_year": year.slug, "as_of": _day(as_of)}
        return self._get("/v1/stats/ombudsman-letter", OmbudsmanLetterStats, params)

    def ombudsman_reconciliation(
        self, year: FinancialYear, as_of: date | None = None
    ) -> OmbudsmanReconciliationStats:
        """Every case decided in the Ombudsman's year or logged as going to it in the year."""
        params: Params = {"financial_year": year.slug, "as_of": _day(as_of)}
        return self._get("/v1/stats/ombudsman-reconciliation", OmbudsmanReconciliationStats, params)

    def published_text(self, year: FinancialYear, service: str | None = None) -> PublishedTexts:
        """Lessons, agreed recommendations and compliments cleared for publication."""
        params: Params = {"financial_year": year.slug, "service": service}
        return self._get("/v1/stats/published-text", PublishedTexts, params)

    # -- report runs -------------------------------------------------------------------------

    def claim_run(self, worker: str, lease_seconds: int) -> Run | None:
        """Claim the next queued run for this worker; None when there is nothing to do."""
        response = self._request(
            "POST",
            "/v1/report-runs/claim",
            json={"worker": worker, "lease_seconds": lease_seconds},
            ok=(200, 204),
        )
        if response.status_code == 204:
            return None
        return self._parse(response, Run)

    def upload_file(
        self, run_id: int, name: str, content: bytes, content_type: str, worker: str
    ) -> ReportFile:
        """Upload one file of a run; uploading the same bytes again is harmless."""
        response = self._request(
            "PUT",
            f"/v1/report-runs/{run_id}/files/{quote(name, safe='')}",
            params={"worker": worker},
            content=content,
            headers={"Content-Type": content_type},
            ok=(200, 201),
        )
        return self._parse(response, ReportFile)

    def complete_run(self, run_id: int, worker: str) -> Run:
        """Mark a run completed once its files are uploaded."""
        response = self._request(
            "POST", f"/v1/report-runs/{run_id}/complete", json={"worker": worker}
        )
        return self._parse(response, Run)

    def fail_run(self, run_id: int, worker: str, reason: str) -> Run:
        """Mark a run failed, with a one-line reason."""
        response = self._request(
            "POST", f"/v1/report-runs/{run_id}/fail", json={"worker": worker, "reason": reason}
        )
        return self._parse(response, Run)
