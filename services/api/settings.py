"""Configuration of the API, read from the environment (prefix API_, plus DATABASE_URL)."""

from __future__ import annotations

import os
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
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
    # Worker processes of `feedback serve`; unset, one per core the process may run on.
    workers: int | None = Field(default=None, ge=1)
    max_page_size: int = 200
    default_page_size: int = 50
    max_body_bytes: int = 1024 * 1024
    # 10,000 items of a few kilobytes each.
    max_bulk_bytes: int = 64 * 1024 * 1024
    # A body must arrive within this (408 otherwise); a streamed one (bulk import), each
    # piece within this of the one before.
    body_read_seconds: float = Field(default=10.0, gt=0)
    # Every JSON body, and every NDJSON line, is measured against these before it is parsed:
    # nesting (422), members of one array or object and bytes of one string (413).
    max_json_depth: int = Field(default=32, ge=1)
    max_json_members: int = Field(default=10_000, ge=1)
    max_json_string_bytes: int = Field(default=100_000, ge=1)
    # A spreadsheet to import: its size, and the data rows it may hold (a council's history of
    # several years; a larger one is split).
    import_max_bytes: int = 32 * 1024 * 1024
    import_max_rows: int = Field(default=50_000, gt=0)
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
    # The key of the request fingerprints kept with items and idempotency records, so that a
    # copy of the database cannot be used to confirm a guessed name or email. Unset, one is
    # made once and kept in the data folder (FINGERPRINT_SECRET_FILE).
    fingerprint_secret: SecretStr | None = Field(default=None, min_length=32)

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


FINGERPRINT_SECRET_FILE = "fingerprint-secret"


def fingerprint_secret(settings: Settings) -> bytes:
    """The fingerprint key: API_FINGERPRINT_SECRET, else the one kept in the data folder (made
    there, readable by its owner only, the first time it is needed)."""
    if settings.fingerprint_secret is not None:
        return settings.fingerprint_secret.get_secret_value().encode()
    path = settings.data_dir / FINGERPRINT_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written aside and linked into place: of several processes starting at once, one
        # puts its secret there whole and every one reads that.
        draft = path.with_name(f".{path.name}-{os.getpid()}-{secrets.token_hex(4)}")
        handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise RuntimeError(f"{path} holds no fingerprint secret (32 characters or more)")
    return secret.encode()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


@lru_cache
def get_fingerprint_secret() -> bytes:
    """The process-wide fingerprint key, read once."""
    return fingerprint_secret(get_settings())


@lru_cache
def get_targets() -> ClockTargets:
    """The process-wide clock targets, read once."""
    return ClockTargets()
