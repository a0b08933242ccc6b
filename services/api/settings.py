"""Configuration of the API, read from the environment (prefix API_, plus DATABASE_URL)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ClockTargets(BaseSettings):
    """Working-day targets per procedure; the defaults are those of the product brief."""

    model_config = SettingsConfigDict(env_prefix="API_TARGET_", extra="ignore")

    children_stage1: int = 10
    children_stage1_max: int = 20
    adults_acknowledge: int = 3
    adults_respond: int = 20
    # The 2009 regulations allow up to six months for the response.
    adults_respond_max: int = 130
    corporate_acknowledge: int = 5
    corporate_respond: int = 20
    corporate_respond_max: int = 30
    member_enquiry: int = 10
    stage2: int = 25
    stage2_max: int = 65
    stage3_panel: int = 30


class Settings(BaseSettings):
    """Settings of the API service."""

    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore")

    # DATABASE_URL is the conventional name and always wins over the embedded server.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "API_DATABASE_URL")
    )
    data_dir: Path = PROJECT_ROOT / ".data"
    host: str = "127.0.0.1"
    port: int = 8000
    pool_size: int = 10
    max_page_size: int = 200
    default_page_size: int = 50
    max_body_bytes: int = 1024 * 1024
    # 10,000 items of a few kilobytes each.
    max_bulk_bytes: int = 64 * 1024 * 1024
    # Past each limit the caller gets a problem+json 503 with Retry-After.
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    pool_timeout_seconds: float = Field(default=5.0, gt=0)
    # Idle keep-alive connections are held longer than clients keep theirs (httpx: 5 s), so
    # a client never reuses a connection at the moment the server closes it.
    keep_alive_seconds: int = Field(default=75, gt=0)
    # How long shutdown waits for requests in flight before closing their connections.
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    log_level: str = "INFO"
    council_timezone: str = "Europe/London"
    calendar_refresh_seconds: float = 30.0
    title: str = "Council feedback API"
    # FastAPI's own OpenTelemetry traces, metrics and logs, for an operator who configures an
    # exporter; off by default (the API has its own metrics and JSON logs), which also spares
    # every request the lookup of a provider.
    opentelemetry: bool = False
    idempotency_hours: float = 24.0
    idempotency_purge_seconds: float = 3600.0
    # The dates the service accepts, in every field, query and bulk row: a case of 1966 or of
    # 9999 is a typing mistake, and the database would store 0001-01-01 and 9999-12-31 as
    # -infinity and infinity. The document states the window, so a fixed default keeps it
    # the same from one day to the next; raise it as the years pass (a warning is logged in
    # the window's last year).
    earliest_date: date = date(1990, 1, 1)
    latest_date: date = date(2035, 12, 31)

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        if not date(1000, 1, 1) <= self.earliest_date < self.latest_date <= date(9000, 12, 31):
            raise ValueError(
                "API_EARLIEST_DATE must come before API_LATEST_DATE, both between 1000 and 9000"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


@lru_cache
def get_targets() -> ClockTargets:
    """The process-wide clock targets, read once."""
    return ClockTargets()
