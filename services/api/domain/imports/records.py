"""Imports already made: their status, and undoing one whose items nobody has touched since."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.domain.audit import Actor
from services.api.errors import Conflict, NotFound
from services.api.models.imports import ImportPublic, ImportRecord, ImportStatus

# The items of an import, locked; how many changed since (any change raises the version) and
# whose people have been erased, are held by a key, or are the people of other items.
_TOUCHED = text(
    """
WITH mine AS (
    SELECT i.id, i.version, i.person_id, i.enquirer_id
    FROM feedback_item AS i JOIN import_item AS l ON l.item_id = i.id
    WHERE l.import_id = :import_id
    FOR UPDATE OF i
), people AS (
    SELECT person_id AS id FROM mine WHERE person_id IS NOT NULL
    UNION SELECT enquirer_id FROM mine WHERE enquirer_id IS NOT NULL
), shared AS (
    SELECT p.id FROM people AS p
    WHERE EXISTS (
        SELECT FROM feedback_item AS o
        WHERE (o.person_id = p.id OR o.enquirer_id = p.id)
          AND NOT EXISTS (
              SELECT FROM import_item AS l WHERE l.import_id = :import_id AND l.item_id = o.id
          )
    )
    OR EXISTS (SELECT FROM api_key AS k WHERE k.member_person_id = p.id)
    OR EXISTS (SELECT FROM person AS e WHERE e.id = p.id AND e.pseudonymised_at IS NOT NULL)
)
SELECT
    (SELECT count(*) FROM mine) AS items,
    (SELECT array_agg(id ORDER BY id) FROM (
        SELECT id FROM mine WHERE version <> 1 ORDER BY id LIMIT 10) AS t) AS changed,
    (SELECT count(*) FROM mine WHERE version <> 1) AS changed_count,
    (SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM shared ORDER BY id LIMIT 10) AS s)
        AS people
"""
)
_COUNT_TOUCHED = text(
    """
SELECT count(*) FROM feedback_item AS i JOIN import_item AS l ON l.item_id = i.id
WHERE l.import_id = :import_id AND i.version <> 1
"""
)
# The events go first: the log lets through only the deletion of events of items linked to an
# import being undone (migration 0011). The items then go, taking their links with them.
_DELETE_EVENTS = text(
    """
DELETE FROM feedback_event AS e USING import_item AS l
WHERE l.item_id = e.item_id AND l.import_id = :import_id
"""
)
_DELETE_ITEMS = text(
    """
DELETE FROM feedback_item AS i USING import_item AS l
WHERE l.item_id = i.id AND l.import_id = :import_id
RETURNING i.id, i.person_id, i.enquirer_id
"""
)
_DELETE_PEOPLE = text("DELETE FROM person WHERE id = ANY(CAST(:ids AS integer[]))")


async def _public(session: AsyncSession, record: ImportRecord) -> ImportPublic:
    touched = None
    if record.status is ImportStatus.committed:
        db = await session.connection()
        touched = (await db.execute(_COUNT_TOUCHED, {"import_id": record.id})).scalar_one()
    return ImportPublic.model_validate(record.model_dump() | {"touched": touched})


async def get_import(session: AsyncSession, import_id: int) -> ImportPublic:
    """One import and whether it can still be undone; NotFound otherwise."""
    record = await session.get(ImportRecord, import_id)
    if record is None:
        raise NotFound(f"no import {import_id}")
    return await _public(session, record)


async def list_imports(
    session: AsyncSession, *, after_id: int | None, limit: int
) -> list[ImportPublic]:
    """Imports in id order, one page (and one row more, to tell whether another follows)."""
    query = select(ImportRecord).order_by(col(ImportRecord.id)).limit(limit + 1)
    if after_id is not None:
        query = query.where(col(ImportRecord.id) > after_id)
    rows = (await session.scalars(query)).all()
    return [ImportPublic.model_validate(r.model_dump()) for r in rows]


async def undo_import(session: AsyncSession, import_id: int, actor: Actor) -> ImportPublic:
    """Remove exactly the items an import created, their events and people, while none of
    them has been touched since; the record stays, marked undone."""
    record = await session.get(ImportRecord, import_id, with_for_update=True)
    if record is None:
        raise NotFound(f"no import {import_id}")
    if record.status is ImportStatus.undone:
        raise Conflict(
            f"import {import_id} was undone on {record.undone_at:%Y-%m-%d} by {record.undone_by}",
            field="import_id",
        )
    db = await session.connection()
    state = (await db.execute(_TOUCHED, {"import_id": import_id})).mappings().one()
    if state["changed_count"]:
        shown = ", ".join(str(i) for i in state["changed"])
        raise Conflict(
            f"{state['changed_count']:,} of the {state['items']:,} items it created changed "
            f"since (items {shown}); only an import whose items are untouched can be undone",
            field="import_id",
        )
    if state["people"]:
        shown = ", ".join(str(i) for i in state["people"])
        raise Conflict(
            f"people of its items are now used elsewhere or erased (people {shown}); "
            "the import cannot be undone",
            field="import_id",
        )
    record.status = ImportStatus.undone
    record.undone_at = datetime.now(UTC)
    record.undone_by = actor.name
    await session.flush()
    await db.execute(_DELETE_EVENTS, {"import_id": import_id})
    removed = (await db.execute(_DELETE_ITEMS, {"import_id": import_id})).mappings().all()
    people = {p for r in removed for p in (r["person_id"], r["enquirer_id"]) if p is not None}
    await db.execute(_DELETE_PEOPLE, {"ids": sorted(people)})
    await session.refresh(record)
    await actor.record(
        session,
        "undo",
        "import",
        import_id,
        before={"status": ImportStatus.committed.value},
        after={
            "status": record.status.value,
            "removed_items": sorted(r["id"] for r in removed),
            "removed_people": len(people),
        },
    )
    return ImportPublic.model_validate(record.model_dump())
