"""Who is calling, and the audit row every write (and every read of a person) adds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.errors import Invalid
from services.api.models import AuditEvent
from services.api.models.access import Role

MASKED = "***"
# Values of these fields are personal or may identify a person, wherever they nest (an event
# within an item, a point within an escalation): the audit keeps that they changed, not what
# to. Free text is among them, since nobody can promise what it says: an event's reason, a
# report run's failure.
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "actor",
        "error",
        "email",
        "phone",
        "address",
        "person",
        "enquirer",
        "compliment_text",
        "lessons_learned",
        "description",
        "evidence",
        # A file is often named after the case it holds ("Mrs X complaint.xlsx").
        "file_name",
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
    source_system: str

    @property
    def is_portal(self) -> bool:
        """Portal keys reach only their own member's enquiries."""
        return self.role is Role.portal

    def may_record_as(self, source_system: str) -> bool:
        """Whether items may be recorded under this source system: the key's own; an admin,
        who could make a key for any, may name any."""
        return source_system == self.source_system or self.role is Role.admin

    def source_for(self, given: str | None) -> str:
        """The source system an item of this caller is recorded under: the key's unless given
        (and then allowed); Invalid otherwise."""
        if given is None:
            return self.source_system
        if not self.may_record_as(given):
            raise Invalid(self.source_refusal, field="source_system")
        return given

    @property
    def source_refusal(self) -> str:
        """Why another source system is refused."""
        return f"is this key's: send {self.source_system!r} or leave it out"

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


def masked(name: str, value: Any) -> Any:
    """A field's value as the audit keeps it: personal fields masked, at every depth."""
    if value is None:
        return None
    if name in PERSONAL_FIELDS:
        return MASKED
    if isinstance(value, dict):
        return {key: masked(key, inner) for key, inner in value.items()}
    if isinstance(value, list):
        # A list's items are values of the field that holds it.
        return [masked(name, inner) for inner in value]
    return value


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """The fields that differ, as {field: {"before": ..., "after": ...}}, personal values masked."""
    before, after = before or {}, after or {}
    changes: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        if name in ("version", "updated_at", "created_at"):
            continue
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = {"before": masked(name, old), "after": masked(name, new)}
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


# Who the audit trail names for what an operator does with the `feedback` command, which
# acts with an admin's powers and no key.
COMMAND_LINE = "command line"


async def record_command(
    session: AsyncSession,
    action: str,
    resource_type: str,
    resource_ids: list[str],
    *,
    after: dict[str, Any],
) -> None:
    """Audit a change made from the command line, one row per resource, in one statement."""
    if not resource_ids:
        return
    changes = changed_fields(None, after)
    await session.execute(
        insert(AuditEvent),
        [
            {
                "key_name": COMMAND_LINE,
                "role": Role.admin,
                "request_id": None,
                "action": action,
                "resource_type": resource_type,
                "resource_id": resource_id,
                "changes": changes,
            }
            for resource_id in resource_ids
        ],
    )
