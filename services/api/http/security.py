"""Authentication and roles: the actor behind each request's API key.

Each route names the roles it admits with a `RoleGuard`; admin is admitted everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from services.api.domain.access import hash_key
from services.api.domain.audit import Actor
from services.api.errors import ProblemError
from services.api.models.access import ApiKey, Role


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "An API key is required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "This key's role may not do that"


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer cfk_...`.",
)


# Every request runs this, once: a Core statement built at import, so SQLAlchemy compiles it
# once and asyncpg prepares it once per connection.
_KEY_LOOKUP = select(
    col(ApiKey.id),
    col(ApiKey.name),
    col(ApiKey.role),
    col(ApiKey.member_person_id),
    col(ApiKey.source_system),
    col(ApiKey.revoked_at),
    col(ApiKey.expires_at),
).where(col(ApiKey.key_hash) == bindparam("key_hash"))


def _unauthorized(detail: str, challenge: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": challenge})


async def authenticate(request: Request, connection: AsyncConnection) -> Actor:
    """The actor behind the request's key; 401 for no key, an unknown, expired or revoked one.

    Only the Authorization header is read: nothing of the body.
    """
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if not token or scheme.lower() != "bearer":
        raise _unauthorized("send an API key as `Authorization: Bearer ...`", "Bearer")
    key = (await connection.execute(_KEY_LOOKUP, {"key_hash": hash_key(token)})).first()
    now = datetime.now(UTC)
    if (
        key is None
        or key.revoked_at is not None
        or (key.expires_at is not None and key.expires_at <= now)
    ):
        raise _unauthorized(
            "the API key is unknown, expired or revoked", 'Bearer error="invalid_token"'
        )
    return Actor(
        key_id=key.id,
        name=key.name,
        role=Role(key.role),
        member_person_id=key.member_person_id,
        request_id=getattr(request.state, "request_id", None),
        source_system=key.source_system,
    )


class RoleGuard:
    """The roles a route admits (and admin); 403 for any other.

    The route class authenticates and admits the caller before it reads the body or replays
    a stored response (`admit`); as a dependency the guard hands the route that actor, and
    declares the key in the OpenAPI document.
    """

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles) | {Role.admin}

    async def admit(self, request: Request, connection: AsyncConnection) -> Actor:
        """The request's actor, refused with 401 or 403 unless its role is admitted."""
        actor = await authenticate(request, connection)
        if actor.role not in self.roles:
            names = ", ".join(sorted(self.roles))
            raise Forbidden(f"the {actor.role} role may not do this (allowed: {names})")
        request.state.actor = actor
        return actor

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor:
        actor: Actor | None = getattr(request.state, "actor", None)
        if actor is None:
            # Fail closed: only the route class may admit, before the body is read.
            raise RuntimeError("a route guarded by a RoleGuard must use TransactionalRoute")
        return actor


def guard_of(dependant: Dependant) -> RoleGuard | None:
    """The RoleGuard among a route's dependencies, if it has one."""
    pending = list(dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if isinstance(dependency.call, RoleGuard):
            return dependency.call
        pending.extend(dependency.dependencies)
    return None


# The actor of a route, by the roles it admits (admin always).
AnyRoleActor = Annotated[Actor, Depends(RoleGuard(*Role))]
AdminActor = Annotated[Actor, Depends(RoleGuard())]
CrmActor = Annotated[Actor, Depends(RoleGuard(Role.crm))]
CrmOrPortalActor = Annotated[Actor, Depends(RoleGuard(Role.crm, Role.portal))]
BiActor = Annotated[Actor, Depends(RoleGuard(Role.bi))]
ReporterActor = Annotated[Actor, Depends(RoleGuard(Role.reporter))]
StatsActor = Annotated[Actor, Depends(RoleGuard(Role.bi, Role.reporter))]
