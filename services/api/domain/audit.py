"""Who is calling, and the audit row every write (and every read of a person) adds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.models import AuditEvent
from services.api.models.access import Role

MASKED = "***"
# Values of these fields are personal or may identify a person: the audit keeps that they
# changed, not what to.
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "email",
        "phone",
        "address",
        "person",
        "enquirer",
        "compliment_text",
        "lessons_learned",
        "description",
        "evidence",
        "reason",
        "summary",
        "text",
        "payee_label",
        "points",
        "recommendations",
    }
)


@dataclass(frozen=True)
class Actor:
    """Who is calling: the key's name and role, and the request's id for the audit trail."""

    key_id: int
    name: str
    role: Role
    member_person_id: int | None
    request_id: str | None

    @property
    def is_portal(self) -> bool:
        """Portal keys reach only their own member's enquiries."""
        return self.role is Role.portal

    async def record(
        self,
        session: AsyncSession,
        action: str,
        resource_type: str,
        resource_id: object,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Add an audit row in the request's own transaction."""
        await record(
            session,
            key_name=self.name,
            role=self.role,
            request_id=self.request_id,
            action=action,
            resource_type=resource_type,
            resource_id=str(resource_id),
            changes=changed_fields(before, after),
        )


def _masked(name: str, value: Any) -> Any:
    return MASKED if name in PERSONAL_FIELDS and value is not None else value


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """The fields that differ, as {field: {"before": ..., "after": ...}}, personal values masked."""
    before, after = before or {}, after or {}
    changes: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        if name in ("version", "updated_at", "created_at"):
            continue
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = {"before": _masked(name, old), "after": _masked(name, new)}
    return changes


async def record(
    session: AsyncSession,
    *,
    key_name: str,
    role: Role,
    request_id: str | None,
    action: str,
    resource_type: str,
    resource_id: str,
    changes: dict[str, Any],
) -> None:
    """Insert one audit row."""
    await session.execute(
        insert(AuditEvent).values(
            key_name=key_name,
            role=role,
            request_id=request_id,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            changes=changes,
        )
    )
