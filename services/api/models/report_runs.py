"""Queued report runs, claimed by reporter workers, and the files they upload."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from annotated_types import Ge, Le
from pydantic import Field as PydanticField
from pydantic import Strict
from sqlmodel import Field, SQLModel

from services.api.models.base import (
    FinancialYearText,
    Name,
    StrictModel,
    Text,
    WholeNumber,
    enum_type,
    timestamp_field,
)


class ReportKind(StrEnum):
    annual = "annual"
    ledger = "ledger"


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"


class ReportRun(SQLModel, table=True):
    __tablename__ = "report_run"
    __table_args__ = (
        sa.Index("ix_report_run_claimable", "status", "lease_expires_at"),
        sa.Index("ix_report_run_newest", "kind", "financial_year", "status", "completed_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger)
    kind: ReportKind = Field(sa_type=enum_type(ReportKind))
    financial_year: str = Field(max_length=7)
    status: RunStatus = Field(sa_type=enum_type(RunStatus))
    worker: str | None = Field(default=None, max_length=200)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    error: str | None = None
    requested_at: datetime = timestamp_field()
    claimed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    lease_expires_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    completed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ReportFile(SQLModel, table=True):
    __tablename__ = "report_file"

    run_id: int = Field(foreign_key="report_run.id", primary_key=True, sa_type=sa.BigInteger)
    name: str = Field(primary_key=True, max_length=200)
    content_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    size: int
    content: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = timestamp_field()


class ReportRunCreate(StrictModel):
    kind: ReportKind
    year: FinancialYearText = PydanticField(
        description="Financial year such as 2018-19.", examples=["2018-19"]
    )


class ReportRunClaim(StrictModel):
    worker: Name
    lease_seconds: Annotated[int, Strict(), Ge(10), Le(3600), WholeNumber] = 300


class ReportRunFinish(StrictModel):
    worker: Name


class ReportRunFail(ReportRunFinish):
    reason: Text


class ReportFilePublic(SQLModel):
    name: str
    content_type: str
    size: int
    sha256: str
    url: str


class ReportRunPublic(SQLModel):
    id: int
    kind: ReportKind
    financial_year: str
    status: RunStatus
    worker: str | None
    attempts: int
    error: str | None
    requested_at: datetime
    claimed_at: datetime | None
    lease_expires_at: datetime | None
    completed_at: datetime | None
    files: list[ReportFilePublic]


class ReportRunPage(SQLModel):
    items: list[ReportRunPublic]
    next: str | None
