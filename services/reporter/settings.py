"""The reporter's settings, read from REPORTER_* environment variables when asked for."""

from __future__ import annotations

import os
import socket

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_worker_name() -> str:
    """host-pid: unique enough among workers, and says where a stuck run's worker lives."""
    return f"{socket.gethostname()}-{os.getpid()}"[:200]


class ReporterSettings(BaseSettings):
    """Where the API is, how patiently to call it, and how the worker polls."""

    # An empty variable (as compose passes an unset one) means no key, not an empty key.
    model_config = SettingsConfigDict(env_prefix="REPORTER_", extra="ignore", env_ignore_empty=True)

    api_url: str = "http://127.0.0.1:8000"
    api_key: SecretStr | None = None
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    retries: int = Field(default=4, ge=0, le=20)
    backoff_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=10.0, ge=0)
    worker_name: str = Field(default_factory=default_worker_name, min_length=1, max_length=200)
    poll_seconds: float = Field(default=5.0, ge=0)
    lease_seconds: int = Field(default=300, ge=10, le=3600)
