"""API keys and reading the audit trail.

Keys are 32 random bytes, shown once; only their SHA-256 is stored (a slow password hash adds
nothing for secrets of that strength).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.errors import Conflict, Invalid, NotFound
from services.api.models import ApiKey, AuditEvent, FeedbackItem, Person
from services.api.models.access import ApiKeyCreate, ApiKeyCreated, Role
from services.api.models.enums import FeedbackKind

KEY_PREFIX = "cfk_"


def generate_key() -> str:
    """A new key: a recognisable prefix and 32 random bytes."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """What is stored of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}", re.ASCII)
_NOT_CODE = re.compile(r"[^a-z0-9_-]+", re.ASCII)


def default_source_system(name: str) -> str:
    """A key's source system when none is given: its name, or where the name is not a code
    (lower-case letters, digits, - and _), one made from it that no other name gives."""
    if _CODE.fullmatch(name) and name not in ("true", "false", "null"):
        return name
    slug = _NOT_CODE.sub("-", name.lower()).strip("-_")[:70]
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else f"key-{digest}"


async def _check_source_system(session: AsyncSession, data: ApiKeyCreate, source: str) -> None:
    """Keys sharing a source system see each other's references (a retry of one is answered
    from the other's item). That is what keys of one system do; a portal key's references
    must stay its member's, so it shares with no key of another member or role, and takes
    no source system holding items other than its member's enquiries."""
    # Two keys created at once for one source system are checked one after the other.
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("api_key:" + source))))
    sharing = (
        await session.execute(
            select(col(ApiKey.role), col(ApiKey.member_person_id)).where(
                col(ApiKey.source_system) == source, col(ApiKey.name) != data.name
            )
        )
    ).all()
    mine = (data.role, data.member_person_id)
    for role, member in sharing:
        if Role.portal in (role, data.role) and (role, member) != mine:
            raise Conflict(
                f"source system {source!r} is another key's, and a portal key's is its"
                " member's alone",
                field="source_system",
            )
    if data.role is Role.portal:
        foreign = await session.scalar(
            select(
                exists().where(
                    col(FeedbackItem.source_system) == source,
                    (col(FeedbackItem.kind) != FeedbackKind.member_enquiry)
                    | col(FeedbackItem.enquirer_id).is_distinct_from(data.member_person_id),
                )
            )
        )
        if foreign:
            raise Conflict(
                f"source system {source!r} holds items other than this member's enquiries",
                field="source_system",
            )


async def create_key(
    session: AsyncSession, data: ApiKeyCreate, *, replace: bool = False
) -> ApiKeyCreated:
    """Make a key; the caller shows it once. `replace` re-keys a key of the same name."""
    if data.role is Role.portal and data.member_person_id is None:
        raise Invalid("a portal key is bound to a member", field="member_person_id")
    if data.role is not Role.portal and data.member_person_id is not None:
        raise Invalid("only a portal key is bound to a member", field="member_person_id")
    if (
        data.member_person_id is not None
        and await session.get(Person, data.member_person_id) is None
    ):
        raise Invalid(f"no person {data.member_person_id}", field="member_person_id")
    if data.expires_at is not None and data.expires_at <= datetime.now(UTC):
        raise Invalid("must be in the future", field="expires_at")
    source = data.source_system or default_source_system(data.name)
    await _check_source_system(session, data, source)
    key = generate_key()
    values = {
        **data.model_dump(),
        "source_system": source,
        "key_hash": hash_key(key),
        "key_prefix": key[:12],
        "revoked_at": None,
    }
    statement = insert(ApiKey).values(**values)
    if replace:
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={k: statement.excluded[k] for k in values}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["name"])
    row = (await session.scalars(statement.returning(ApiKey))).first()
    if row is None:
        raise Conflict(f"a key named {data.name!r} already exists", field="name")
    return ApiKeyCreated.model_validate({**row.model_dump(), "key": key})


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    """Every key, without secrets."""
    return list((await session.scalars(select(ApiKey).order_by(col(ApiKey.id)))).all())


async def revoke_key(session: AsyncSession, key_id: int) -> ApiKey:
    """Revoke a key at once; revoking twice keeps the first time."""
    key = await session.get(ApiKey, key_id, with_for_update=True)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await session.flush()
    return key


async def list_audit(
    session: AsyncSession,
    *,
    resource_type: str | None,
    resource_id: str | None,
    key_name: str | None,
    since: datetime | None,
    until: datetime | None,
    after_id: int | None,
    limit: int,
) -> list[AuditEvent]:
    """Audit rows in order, filtered, one page plus one row."""
    query = select(AuditEvent).order_by(col(AuditEvent.id)).limit(limit + 1)
    if resource_type is not None:
        query = query.where(col(AuditEvent.resource_type) == resource_type)
    if resource_id is not None:
        query = query.where(col(AuditEvent.resource_id) == resource_id)
    if key_name is not None:
        query = query.where(col(AuditEvent.key_name) == key_name)
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) < until)
    if after_id is not None:
        query = query.where(col(AuditEvent.id) > after_id)
    return list((await session.scalars(query)).all())
