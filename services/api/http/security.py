"""Authentication and roles: the actor behind each request's API key.

Each route names the roles it admits with a `RoleGuard`; admin is admitted everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.api.domain.access import hash_key
from services.api.domain.audit import Actor
from services.api.errors import ProblemError
from services.api.models.access import Role
from services.api.storage.database import get_work


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "An API key is required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "This key's role may not do that"


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer cfk_...`.",
)


# Every request runs this: a prepared statement on the driver, not an ORM query.
_KEY_LOOKUP = (
    "SELECT id, name, role, member_person_id, source_system, revoked_at, expires_at "
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
        source_system=key["source_system"],
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
