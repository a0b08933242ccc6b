"""Stored first responses of POSTs made with an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.api.models.base import timestamp_field


class IdempotencyRecord(SQLModel, table=True):
    """One client's key, the request it was first used with, and the response it got."""

    __tablename__ = "idempotency_record"
    __table_args__ = (sa.Index("ix_idempotency_record_expires_at", "expires_at"),)

    client: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    status_code: int
    headers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    body: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
