"""API keys, roles and the actor behind each request.

Keys are 32 random bytes, shown once; only their SHA-256 is stored (a slow password hash adds
nothing for secrets of that strength). Each route names the roles it admits with `allow(...)`;
admin is admitted everywhere.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .database import get_work
from .models import AuditEvent
from .models.access import Role
from .problems import ProblemError

KEY_PREFIX = "cfk_"
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


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "An API key is required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "This key's role may not do that"


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer cfk_...`.",
)


def generate_key() -> str:
    """A new key: a recognisable prefix and 32 random bytes."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """What is stored of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


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


# Every request runs this: a prepared statement on the driver, not an ORM query.
_KEY_LOOKUP = (
    "SELECT id, name, role, member_person_id, revoked_at, expires_at "
    "FROM api_key WHERE key_hash = $1"
)


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Actor:
    """The actor behind the request's key; 401 for no key, an unknown, expired or revoked one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(
            "send an API key as `Authorization: Bearer ...`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    db = await get_work(request).driver()
    key = await db.fetchrow(_KEY_LOOKUP, hash_key(credentials.credentials))
    now = datetime.now(UTC)
    if (
        key is None
        or key["revoked_at"] is not None
        or (key["expires_at"] is not None and key["expires_at"] <= now)
    ):
        raise Unauthorized(
            "the API key is unknown, expired or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return Actor(
        key_id=key["id"],
        name=key["name"],
        role=Role(key["role"]),
        member_person_id=key["member_person_id"],
        request_id=getattr(request.state, "request_id", None),
    )


class RoleGuard:
    """A dependency admitting the named roles (and admin); 403 for any other."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles) | {Role.admin}

    # The key is looked up here rather than in a dependency of its own: every request solves
    # this, and each level of dependencies costs FastAPI a round of its resolution.
    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor:
        actor = await authenticate(request, credentials)
        if actor.role not in self.roles:
            names = ", ".join(sorted(self.roles))
            raise Forbidden(f"the {actor.role} role may not do this (allowed: {names})")
        return actor


# The actor of a route, by the roles it admits (admin always).
AnyRoleActor = Annotated[Actor, Depends(RoleGuard(*Role))]
AdminActor = Annotated[Actor, Depends(RoleGuard())]
CrmActor = Annotated[Actor, Depends(RoleGuard(Role.crm))]
CrmOrPortalActor = Annotated[Actor, Depends(RoleGuard(Role.crm, Role.portal))]
BiActor = Annotated[Actor, Depends(RoleGuard(Role.bi))]
ReporterActor = Annotated[Actor, Depends(RoleGuard(Role.reporter))]
StatsActor = Annotated[Actor, Depends(RoleGuard(Role.bi, Role.reporter))]
