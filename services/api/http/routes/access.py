"""/v1/api-keys and /v1/audit: admin only."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, status

from services.api.domain import access as domain
from services.api.http.dependencies import LimitDep
from services.api.http.pagination import Cursor, decode_cursor, paginate
from services.api.http.problems import problem_responses
from services.api.http.routing import api_router
from services.api.http.security import AdminActor
from services.api.http.transactions import answers_a_secret
from services.api.models.access import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    AuditEventPublic,
    AuditPage,
)
from services.api.models.base import Moment, QueryText
from services.api.storage.database import SessionDep

router = api_router(tags=["access"])
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "/v1/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
@answers_a_secret(
    "this Idempotency-Key already created a key, whose secret is shown only once and is not "
    "kept: revoke that key (GET /v1/api-keys lists it by name) and create another"
)
async def create_api_key(
    data: ApiKeyCreate, session: SessionDep, actor: AdminActor
) -> ApiKeyCreated:
    """Create a key; the response is the only time the key itself is shown."""
    created = await domain.create_key(session, data)
    after = ApiKeyPublic.model_validate(created).model_dump(mode="json")
    await actor.record(session, "key_create", "api_key", created.id, after=after)
    return created


@router.get(
    "/v1/api-keys", response_model=list[ApiKeyPublic], responses=problem_responses(401, 403)
)
async def list_api_keys(session: SessionDep, actor: AdminActor) -> list[ApiKeyPublic]:
    """Every key's name, role, prefix and state; never the key."""
    return [ApiKeyPublic.model_validate(k) for k in await domain.list_keys(session)]


@router.post(
    "/v1/api-keys/{key_id:int}/revoke",
    response_model=ApiKeyPublic,
    responses=problem_responses(401, 403, 404),
)
async def revoke_api_key(key_id: KeyId, session: SessionDep, actor: AdminActor) -> ApiKeyPublic:
    """Revoke a key; requests with it are refused from now on."""
    key = ApiKeyPublic.model_validate(await domain.revoke_key(session, key_id))
    await actor.record(
        session, "key_revoke", "api_key", key_id, after={"revoked_at": str(key.revoked_at)}
    )
    return key


@router.get("/v1/audit", response_model=AuditPage, responses=problem_responses(401, 403, 422))
async def list_audit(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    limit: LimitDep,
    resource_type: QueryText | None = None,
    resource_id: QueryText | None = None,
    key_name: QueryText | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    cursor: Cursor = None,
) -> AuditPage:
    """The audit trail, oldest first, filtered by resource, key and time."""
    rows = await domain.list_audit(
        session,
        resource_type=resource_type,
        resource_id=resource_id,
        key_name=key_name,
        since=since,
        until=until,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    page, next_url = paginate(rows, limit, request.url)
    return AuditPage(items=[AuditEventPublic.model_validate(r) for r in page], next=next_url)
