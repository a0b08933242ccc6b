"""API keys and the append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import Field as PydanticField
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.api.models.base import (
    Code,
    Count,
    Moment,
    Name,
    PersonRef,
    StrictModel,
    enum_type,
    finite,
    timestamp_field,
)


class Role(StrEnum):
    crm = "crm"
    portal = "portal"
    bi = "bi"
    reporter = "reporter"
    admin = "admin"


class ApiKey(SQLModel, table=True):
    """A caller's key: only its SHA-256 is stored; the key itself is shown once."""

    __tablename__ = "api_key"
    __table_args__ = finite("expires_at")

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    role: Role = Field(sa_type=enum_type(Role))
    key_hash: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=16)
    # What the key's items are recorded under (feedback_item.source_system).
    source_system: str = Field(max_length=80)
    member_person_id: Count | None = Field(default=None, foreign_key="person.id")
    expires_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = timestamp_field()


class ApiKeyCreate(StrictModel):
    name: Name
    role: Role
    source_system: Code | None = PydanticField(
        default=None,
        description=(
            "What the items this key creates are recorded under; defaults to the key's name."
            " Keys of one system share it (a new key of the CRM takes the CRM's); a portal"
            " key's is shared with no key of another member or role."
        ),
    )
    expires_at: Moment | None = None
    member_person_id: PersonRef | None = PydanticField(
        default=None, description="For the portal role: the member whose enquiries it reaches."
    )


class ApiKeyPublic(SQLModel):
    id: int
    name: str
    role: Role
    key_prefix: str
    source_system: str
    member_person_id: Count | None
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class ApiKeyCreated(ApiKeyPublic):
    key: str = PydanticField(description="Shown once; only its hash is kept.")


class AuditEvent(SQLModel, table=True):
    """Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_resource", "resource_type", "resource_id"),
        sa.Index("ix_audit_event_at", "at"),
        sa.Index("ix_audit_event_key_name", "key_name"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger)
    at: datetime = timestamp_field()
    key_name: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role))
    action: str = Field(max_length=40)
    resource_type: str = Field(max_length=40)
    resource_id: str = Field(max_length=80)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    request_id: str | None = Field(default=None, max_length=100)


class AuditEventPublic(SQLModel):
    id: int
    at: datetime
    key_name: str
    role: Role
    action: str
    resource_type: str
    resource_id: str
    changes: dict[str, Any]
    request_id: str | None


class AuditPage(SQLModel):
    items: list[AuditEventPublic]
    next: str | None
