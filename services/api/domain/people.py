"""People: subject access, erasure and retention. Statistics never read people, so replacing a
person's identifying fields with a pseudonym leaves every figure as it was.

Erasure also leaves nothing that could confirm who the person was: their items' request
fingerprints are cleared (a retried create is refused whatever identity it carries) and the
stored responses of the requests that created those items are forgotten (a retry with the
same Idempotency-Key cannot tell the right body from a guessed one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    any_,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.domain.fingerprints import ERASED
from services.api.errors import NotFound
from services.api.models import (
    ComplaintPoint,
    Escalation,
    FeedbackEvent,
    FeedbackItem,
    Person,
    Recommendation,
    Remedy,
)
from services.api.models.people import PersonPublic


def pseudonym(person_id: int) -> str:
    """The name a person is left with once erased."""
    return f"Person {person_id}"


async def get_person(session: AsyncSession, person_id: int) -> Person:
    """One person, or NotFound."""
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    return person


def _dump(row: Any) -> dict[str, Any]:
    return dict(row.model_dump(mode="json"))


async def export_person(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """Everything held about one person: their details and every case they appear in."""
    person = await get_person(session, person_id)
    items = list(
        (
            await session.scalars(
                select(FeedbackItem)
                .where(
                    or_(
                        col(FeedbackItem.person_id) == person_id,
                        col(FeedbackItem.enquirer_id) == person_id,
                    )
                )
                .order_by(col(FeedbackItem.id))
            )
        ).all()
    )
    item_ids = [i.id for i in items]
    events = (
        await session.scalars(
            select(FeedbackEvent)
            .where(col(FeedbackEvent.item_id).in_(item_ids))
            .order_by(col(FeedbackEvent.id))
        )
    ).all()
    escalations = (
        await session.scalars(
            select(Escalation)
            .where(col(Escalation.item_id).in_(item_ids))
            .order_by(col(Escalation.id))
        )
    ).all()
    escalation_ids = [e.id for e in escalations]
    children: dict[str, list[dict[str, Any]]] = {}
    for name, model in (
        ("complaint_points", ComplaintPoint),
        ("recommendations", Recommendation),
        ("remedies", Remedy),
    ):
        rows = await session.scalars(
            select(model).where(col(model.escalation_id).in_(escalation_ids))
        )
        children[name] = [_dump(r) for r in rows]
    return {
        "person": PersonPublic.model_validate(person).model_dump(mode="json"),
        "feedback_items": [
            {k: v for k, v in _dump(i).items() if k != "request_fingerprint"} for i in items
        ],
        "events": [_dump(e) for e in events],
        "escalations": [_dump(e) for e in escalations],
        **children,
    }


def _ids(person_ids: Sequence[int]) -> ColumnElement[Any]:
    # One array parameter, however many people: a bind parameter each would stop at 32,767.
    return any_(literal(list(person_ids), ARRAY(Integer)))


def _concerns(person_ids: Sequence[int]) -> ColumnElement[bool]:
    """Items of these people, as the person a case is about or as the enquirer."""
    ids = _ids(person_ids)
    return or_(col(FeedbackItem.person_id) == ids, col(FeedbackItem.enquirer_id) == ids)


# The stored first responses of the POSTs that created a person's items: an item's (its
# person_id or enquirer_id is the person's) or a bulk import's (one of its items is theirs).
# Such a response was stored in the transaction that wrote the item, so at its created_at:
# only those are read, and only a JSON response as JSON (CASE decides before parsing).
_FORGET_CREATES = text(
    """
    DELETE FROM idempotency_record AS r
     USING (
           SELECT client, key,
                  CASE WHEN headers ->> 'content-type' LIKE 'application/json%'
                       THEN convert_from(body, 'UTF8')::jsonb END AS body
             FROM idempotency_record
            WHERE created_at = ANY(CAST(:times AS timestamptz[]))
           ) AS stored
     WHERE r.client = stored.client AND r.key = stored.key
       AND (
             stored.body @> jsonb_build_object('person_id', CAST(:person AS integer))
          OR stored.body @> jsonb_build_object('enquirer_id', CAST(:person AS integer))
          OR EXISTS (
               SELECT FROM unnest(CAST(:items AS bigint[])) AS i (id)
                WHERE stored.body @> jsonb_build_object(
                          'items', jsonb_build_array(jsonb_build_object('id', i.id)))
             )
           )
    """
)


async def erase_person(session: AsyncSession, person_id: int) -> tuple[Person, dict[str, Any]]:
    """Replace the person's identifying fields with a pseudonym and clear what could confirm
    who they were; returns them and the before."""
    person = await session.get(Person, person_id, with_for_update=True)
    if person is None:
        raise NotFound(f"no person {person_id}")
    before = PersonPublic.model_validate(person).model_dump(mode="json")
    person.name = pseudonym(person_id)
    person.email = person.phone = person.address = None
    person.pseudonymised_at = person.pseudonymised_at or datetime.now(UTC)
    items = (
        await session.execute(
            update(FeedbackItem)
            .where(_concerns([person_id]))
            .values(request_fingerprint=ERASED)
            .returning(col(FeedbackItem.id), col(FeedbackItem.created_at))
        )
    ).all()
    if items:
        await session.execute(
            _FORGET_CREATES,
            {
                "person": person_id,
                "items": [i for i, _ in items],
                "times": sorted({at for _, at in items}),
            },
        )
    await session.flush()
    return person, before


@dataclass(frozen=True)
class RetentionResult:
    cutoff: date
    pseudonymised: list[int]
    held: int


async def apply_retention(
    session: AsyncSession, cutoff: date, *, dry_run: bool = False
) -> RetentionResult:
    """Pseudonymise people whose every case closed before `cutoff`, none under legal hold."""
    concerns = or_(
        col(FeedbackItem.person_id) == col(Person.id),
        col(FeedbackItem.enquirer_id) == col(Person.id),
    )
    still_needed = exists().where(
        concerns,
        or_(
            col(FeedbackItem.closed_on).is_(None),
            col(FeedbackItem.closed_on) >= cutoff,
            col(FeedbackItem.legal_hold),
        ),
    )
    any_case = exists().where(concerns)
    due = select(col(Person.id)).where(
        col(Person.pseudonymised_at).is_(None), any_case, ~still_needed
    )
    held_query = select(func.count()).where(
        col(Person.pseudonymised_at).is_(None),
        exists().where(concerns, col(FeedbackItem.legal_hold)),
        ~exists().where(
            concerns,
            or_(col(FeedbackItem.closed_on).is_(None), col(FeedbackItem.closed_on) >= cutoff),
        ),
    )
    held = int(await session.scalar(held_query) or 0)
    ids = [i for i in (await session.scalars(due.order_by(col(Person.id)))).all() if i]
    if ids and not dry_run:
        await session.execute(
            update(Person)
            .where(col(Person.id) == _ids(ids))
            .values(
                name=func.concat("Person ", col(Person.id)),
                email=None,
                phone=None,
                address=None,
                pseudonymised_at=func.now(),
            )
        )
        # Their cases closed years ago: no stored response of a create is kept that long.
        await session.execute(
            update(FeedbackItem).where(_concerns(ids)).values(request_fingerprint=ERASED)
        )
    return RetentionResult(cutoff=cutoff, pseudonymised=ids, held=held)
