"""/v1/people: personal details, subject access and erasure. Every read is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from services.api.domain import people as domain
from services.api.http.problems import problem_responses
from services.api.http.routing import api_router
from services.api.http.security import AdminActor, CrmActor
from services.api.models.people import PersonPublic
from services.api.storage.database import SessionDep

router = api_router(prefix="/v1/people", tags=["people"])
PersonId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "/{person_id:int}", response_model=PersonPublic, responses=problem_responses(401, 403, 404)
)
async def get_person(person_id: PersonId, session: SessionDep, actor: CrmActor) -> PersonPublic:
    """A person's details; the read is recorded in the audit trail."""
    person = PersonPublic.model_validate(await domain.get_person(session, person_id))
    await actor.record(session, "read", "person", person_id)
    return person


@router.get(
    "/{person_id:int}/export",
    response_model=dict[str, Any],
    responses=problem_responses(401, 403, 404),
)
async def export_person(
    person_id: PersonId, session: SessionDep, actor: AdminActor
) -> dict[str, Any]:
    """Subject access: everything held about one person, as JSON."""
    export = await domain.export_person(session, person_id)
    await actor.record(session, "export", "person", person_id)
    return export


@router.post(
    "/{person_id:int}/erase",
    response_model=PersonPublic,
    responses=problem_responses(401, 403, 404),
)
async def erase_person(person_id: PersonId, session: SessionDep, actor: AdminActor) -> PersonPublic:
    """Replace the person's identifying fields with a pseudonym; statistics stay the same."""
    person, before = await domain.erase_person(session, person_id)
    after = PersonPublic.model_validate(person).model_dump(mode="json")
    await actor.record(session, "erase", "person", person_id, before=before, after=after)
    return PersonPublic.model_validate(person)
