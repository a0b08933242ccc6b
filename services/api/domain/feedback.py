"""Feedback items: creation (idempotent on source and external reference), changes and events."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from typing import Any

import asyncpg
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.domain.audit import Actor, changed_fields
from services.api.domain.reference import check_placement
from services.api.domain.versions import check_version
from services.api.errors import Conflict, Invalid, NotFound
from services.api.models import FeedbackEvent, FeedbackItem
from services.api.models.base import council_today
from services.api.models.enums import (
    ComplaintProcedure,
    EventType,
    FeedbackKind,
    ItemStatus,
    Outcome,
)
from services.api.models.feedback import (
    ComplaintCreate,
    ComplimentCreate,
    FeedbackEventCreate,
    FeedbackPublic,
    FeedbackUpdate,
    MemberEnquiryCreate,
)
from services.api.models.people import PersonCreate
from services.api.rules.clock import WorkingCalendar
from services.api.rules.financial_year import FinancialYear
from services.api.rules.lifecycle import EventFact, Lifecycle, RuleViolation, clock_rule, replay
from services.api.rules.placement import Placement, judge_placement
from services.api.settings import ClockTargets

AnyFeedbackCreate = ComplaintCreate | ComplimentCreate | MemberEnquiryCreate

# Back-filled dates become events; a rule broken by one is reported on the field it came from.
_BACKFILL_FIELDS = {
    EventType.acknowledged: "acknowledged_on",
    EventType.responded: "responded_on",
    EventType.closed: "closed_on",
}
_COMMON_FIELDS = {"team", "channel", "legal_hold"}
_FIELDS_BY_KIND = {
    FeedbackKind.complaint: _COMMON_FIELDS | {"procedure", "nature", "outcome", "lessons_learned"},
    FeedbackKind.compliment: _COMMON_FIELDS | {"compliment_text", "publication_consent"},
    FeedbackKind.member_enquiry: _COMMON_FIELDS | {"enquirer_role", "ward_or_constituency"},
}
_CLEARABLE = {"nature", "outcome", "lessons_learned"}
_ANSWERED = {ItemStatus.responded, ItemStatus.closed, ItemStatus.withdrawn}


@dataclass(frozen=True)
class FeedbackFilters:
    """Filters of the feedback list."""

    service: str | None = None
    team: str | None = None
    kind: FeedbackKind | None = None
    procedure: ComplaintProcedure | None = None
    financial_year: FinancialYear | None = None
    status: ItemStatus | None = None
    overdue: bool | None = None
    due_before: date | None = None
    updated_since: datetime | None = None
    enquirer_id: int | None = None


def fingerprint(payload: BaseModel) -> str:
    """A digest of the request as validated, so a retried POST is recognised as the same.

    Absent and null fields count alike, so a field added to the API later does not make
    yesterday's retry look different.
    """
    # The serializer itself: through SQLModel's model_dump wrapper it took 2.5 times as long.
    fields = payload.__pydantic_serializer__.to_python(payload, mode="json", exclude_none=True)
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def lifecycle_values(state: Lifecycle) -> dict[str, Any]:
    """The columns of an item row that are derived from its events."""
    return {
        "status": state.status,
        "acknowledged_on": state.acknowledged_on,
        "acknowledge_due_on": state.acknowledge_due_on,
        "due_on": state.due_on,
        "extended_due_on": state.extended_due_on,
        "responded_on": state.responded_on,
        "closed_on": state.closed_on,
        "working_days_taken": state.working_days_taken,
        "on_time": state.on_time,
    }


def _initial_events(payload: AnyFeedbackCreate) -> list[EventFact]:
    events = [EventFact(EventType.received, payload.received_on)]
    for event_type, field in _BACKFILL_FIELDS.items():
        day = getattr(payload, field)
        if day is not None:
            events.append(EventFact(event_type, day))
    return events


def _check_backfill(payload: AnyFeedbackCreate) -> None:
    received = payload.received_on
    for field in ("acknowledged_on", "responded_on", "closed_on"):
        day = getattr(payload, field)
        if day is not None and day < received:
            raise Invalid(f"must not be before received_on ({received})", field=field)
    acknowledged, responded = payload.acknowledged_on, payload.responded_on
    if acknowledged and responded and responded < acknowledged:
        raise Invalid("must not be before acknowledged_on", field="responded_on")
    needs_response = payload.kind != FeedbackKind.compliment
    if payload.closed_on is not None:
        if needs_response and payload.responded_on is None:
            raise Invalid("a case is closed after it is responded to", field="closed_on")
        if payload.responded_on is not None and payload.closed_on < payload.responded_on:
            raise Invalid("must not be before responded_on", field="closed_on")
    outcome = payload.outcome if isinstance(payload, ComplaintCreate) else None
    if outcome not in (None, Outcome.withdrawn) and payload.responded_on is None:
        raise Invalid("an outcome is recorded with the response (responded_on)", field="outcome")


@dataclass(frozen=True)
class PreparedItem:
    """An item checked and replayed, ready to insert once its people have ids."""

    values: dict[str, Any]
    events: list[EventFact]
    fingerprint: str


def prepare_item(
    payload: AnyFeedbackCreate,
    placement: Placement,
    calendar: WorkingCalendar,
    targets: ClockTargets,
) -> PreparedItem:
    """Check the back-filled dates, replay them through the clock and build the row."""
    _check_backfill(payload)
    kind = FeedbackKind(payload.kind)
    procedure = None
    if isinstance(payload, ComplaintCreate):
        procedure = payload.procedure or placement.complaint_procedure
    events = _initial_events(payload)
    try:
        state = replay(
            kind, payload.received_on, events, calendar, clock_rule(kind, procedure, targets)
        )
    except RuleViolation as violation:
        raise Invalid(violation.message, field="responded_on") from None
    digest = fingerprint(payload)
    values = payload.__pydantic_serializer__.to_python(
        payload, exclude={"person", "enquirer", "acknowledged_on", "responded_on", "closed_on"}
    )
    values |= lifecycle_values(state) | {"procedure": procedure, "request_fingerprint": digest}
    return PreparedItem(values, events, digest)


# One round trip gathers what creating an item needs to know: the transaction's time (the
# database's now(), so created_at is what a default would have given), ids drawn ahead so the
# whole row is known before it is written, placement facts, a held item and the enquirer.
_CREATE_CONTEXT = """
SELECT now() AS now,
       nextval('feedback_item_id_seq') AS item_id,
       CASE WHEN $6 THEN nextval('person_id_seq') END AS person_id,
       CASE WHEN $7 THEN nextval('person_id_seq') END AS enquirer_new_id,
       s.complaint_procedure,
       t.service AS team_service, t.active_from, t.active_to,
       n.code IS NOT NULL AS nature_known,
       held.id AS held_id,
       $8::integer IS NULL OR EXISTS (SELECT FROM person WHERE id = $8) AS enquirer_known
FROM (VALUES (1)) AS one (x)
LEFT JOIN service_area AS s ON s.code = $1
LEFT JOIN team AS t ON t.code = $2
LEFT JOIN nature AS n ON n.service = s.code AND n.code = $3
LEFT JOIN feedback_item AS held ON held.source_system = $4 AND held.external_ref = $5
"""

_PERSON_COLUMNS = ("name", "email", "phone", "address")


@cache
def _item_columns() -> tuple[str, ...]:
    return tuple(column.name for column in FeedbackItem.__table__.columns)  # type: ignore[attr-defined]


def _person_insert(alias: str, first: int, id_name: str, condition: str) -> str:
    names = ", ".join(_PERSON_COLUMNS)
    values = ", ".join(f"${first + i}::text" for i in range(len(_PERSON_COLUMNS)))
    return (
        f"{alias} AS (INSERT INTO person (id, {names}) "
        f"SELECT item.{id_name}, {values} FROM item WHERE {condition})"
    )


@cache
def _create_statement(audited: bool) -> str:
    """Item, people, events and audit row in one statement, all or nothing.

    A concurrent create of the same source and reference makes the item insert do nothing,
    and with it every insert that reads from it.
    """
    columns = _item_columns()
    n = len(columns)
    placeholders = ", ".join(f"${i}" for i in range(1, n + 1))
    parts = [
        f"item AS (INSERT INTO feedback_item ({', '.join(columns)}) VALUES ({placeholders}) "
        "ON CONFLICT (source_system, external_ref) DO NOTHING "
        "RETURNING id, person_id, enquirer_id)",
        _person_insert("person_row", n + 1, "person_id", "item.person_id IS NOT NULL"),
        # The enquirer may be a person already held, named by enquirer_id.
        _person_insert("enquirer_row", n + 5, "enquirer_id", f"${n + 12}::boolean"),
        "events AS (INSERT INTO feedback_event (item_id, type, occurred_on, actor) "
        f"SELECT item.id, e.type, e.day, ${n + 9}::text FROM item, "
        f"unnest(${n + 10}::text[], ${n + 11}::date[]) AS e (type, day))",
    ]
    if audited:
        parts.append(
            "audit AS (INSERT INTO audit_event "
            "(key_name, role, request_id, action, resource_type, resource_id, changes) "
            f"SELECT a.key_name, a.role, a.request_id, 'create', 'feedback_item', "
            "item.id::text, a.changes FROM item, "
            f"jsonb_to_record(${n + 13}::jsonb) AS a "
            "(key_name text, role text, request_id text, changes jsonb))"
        )
    return "WITH " + ",\n".join(parts) + "\nSELECT count(*) FROM item"


def _person_values(person: PersonCreate | None) -> list[str | None]:
    if person is None:
        return [None] * len(_PERSON_COLUMNS)
    return [getattr(person, name) for name in _PERSON_COLUMNS]


@cache
def _held_statement() -> str:
    columns = ", ".join(_item_columns())
    return f"SELECT {columns} FROM feedback_item WHERE source_system = $1 AND external_ref = $2"


async def _held_item(
    db: asyncpg.Connection[Any], source: str, ref: str, digest: str
) -> FeedbackPublic:
    held = await db.fetchrow(_held_statement(), source, ref)
    assert held is not None
    if held["request_fingerprint"] != digest:
        raise Conflict(
            f"{source} reference {ref!r} is already item {held['id']} with different details",
            field="external_ref",
        )
    return FeedbackPublic.model_validate(dict(held))


async def create_item(
    db: asyncpg.Connection[Any],
    payload: AnyFeedbackCreate,
    calendar: WorkingCalendar,
    targets: ClockTargets,
    recorded_by: Actor | None = None,
) -> tuple[FeedbackPublic, bool]:
    """Create an item, or return the one already held for its source and reference.

    Returns the item and whether it was created; `recorded_by` gets the audit row, written
    with the item. The same reference with different details is a Conflict; a concurrent
    duplicate never makes a second row. Two round trips: what the rules need, then the write.
    """
    nature = payload.nature if isinstance(payload, ComplaintCreate) else None
    enquiry = payload if isinstance(payload, MemberEnquiryCreate) else None
    enquirer = enquiry.enquirer if enquiry is not None else None
    context = await db.fetchrow(
        _CREATE_CONTEXT,
        payload.service,
        payload.team,
        nature,
        payload.source_system,
        payload.external_ref,
        payload.person is not None,
        enquirer is not None,
        enquiry.enquirer_id if enquiry is not None else None,
    )
    assert context is not None
    if context["complaint_procedure"] is None:
        raise Invalid(f"unknown service area `{payload.service}`", field="service")
    team_service = context["team_service"]
    placement = judge_placement(
        payload.service,
        payload.team,
        payload.received_on,
        nature,
        procedure=ComplaintProcedure(context["complaint_procedure"]),
        team_row=None
        if team_service is None
        else (team_service, context["active_from"], context["active_to"]),
        nature_known=context["nature_known"],
    )
    if enquiry is not None:
        if (enquiry.enquirer is None) == (enquiry.enquirer_id is None):
            raise Invalid("give the enquirer or an enquirer_id, not both", field="enquirer")
        if not context["enquirer_known"]:
            raise Invalid(f"no person {enquiry.enquirer_id}", field="enquirer_id")
    prepared = prepare_item(payload, placement, calendar, targets)
    if context["held_id"] is not None:
        held = await _held_item(
            db, payload.source_system, payload.external_ref, prepared.fingerprint
        )
        return held, False

    now = context["now"]
    row = dict.fromkeys(_item_columns()) | prepared.values
    row |= {
        "id": context["item_id"],
        "person_id": context["person_id"],
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    if row["legal_hold"] is None:
        row["legal_hold"] = False
    if context["enquirer_new_id"] is not None:
        row["enquirer_id"] = context["enquirer_new_id"]
    item = FeedbackPublic.model_validate(row)
    audit = None
    if recorded_by is not None:
        audit = json.dumps(
            {
                "key_name": recorded_by.name,
                "role": recorded_by.role.value,
                "request_id": recorded_by.request_id,
                "changes": changed_fields(None, item.model_dump(mode="json")),
            }
        )
    events = prepared.events
    written = await db.fetchval(
        _create_statement(recorded_by is not None),
        *[row[name] for name in _item_columns()],
        *_person_values(payload.person),
        *_person_values(enquirer),
        payload.source_system,
        [e.type.value for e in events],
        [e.occurred_on for e in events],
        enquirer is not None,
        *([audit] if audit is not None else []),
    )
    if not written:
        # Another request created the same source and reference since the first query.
        held = await _held_item(
            db, payload.source_system, payload.external_ref, prepared.fingerprint
        )
        return held, False
    return item, True


async def get_item(
    session: AsyncSession, item_id: int, *, for_update: bool = False
) -> FeedbackItem:
    """One item by id, or NotFound."""
    item = await session.get(FeedbackItem, item_id, with_for_update=for_update)
    if item is None:
        raise NotFound(f"no feedback item {item_id}")
    return item


_LIST_EQUALITIES = ("service", "team", "kind", "procedure", "status", "enquirer_id")
# What a listed item shows, in the order FeedbackPublic has its fields.
_PUBLIC_COLUMNS = tuple(FeedbackPublic.model_fields)
_JSON = TypeAdapter(dict[str, Any])


def list_statement(
    filters: FeedbackFilters, *, after_id: int | None, limit: int, today: date
) -> tuple[str, list[Any]]:
    """The list query for the filters given, and its arguments.

    The text depends only on which filters are set, so each combination is prepared once
    per connection and its values are always parameters.
    """
    conditions: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value.value if isinstance(value, Enum) else value)
        return f"${len(args)}"

    if after_id is not None:
        conditions.append(f"id > {arg(after_id)}")
    for name in _LIST_EQUALITIES:
        value = getattr(filters, name)
        if value is not None:
            conditions.append(f"{name} = {arg(value)}")
    if filters.financial_year is not None:
        fy = filters.financial_year
        conditions.append(f"received_on BETWEEN {arg(fy.first_day)} AND {arg(fy.last_day)}")
    if filters.due_before is not None:
        conditions.append(f"due_on < {arg(filters.due_before)}")
    if filters.updated_since is not None:
        conditions.append(f"updated_at >= {arg(filters.updated_since)}")
    if filters.overdue is not None:
        overdue = f"(status = {arg(ItemStatus.open)} AND due_on < {arg(today)})"
        # As written, NOT keeps out open items without a due date, as the filter always has.
        conditions.append(overdue if filters.overdue else f"NOT {overdue}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    text = (
        f"SELECT {', '.join(_PUBLIC_COLUMNS)} FROM feedback_item{where} "
        f"ORDER BY id LIMIT {arg(limit + 1)}"
    )
    return text, args


async def list_items(
    db: asyncpg.Connection[Any], filters: FeedbackFilters, *, after_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """One page of items in id order, as FeedbackPublic's fields; fetches one extra row to
    tell whether another page exists."""
    text, args = list_statement(filters, after_id=after_id, limit=limit, today=council_today())
    return [dict(row) for row in await db.fetch(text, *args)]


_READ = f"SELECT {', '.join(_PUBLIC_COLUMNS)} FROM feedback_item WHERE id = $1"


async def read_item(db: asyncpg.Connection[Any], item_id: int) -> dict[str, Any]:
    """One item as FeedbackPublic's fields, or NotFound: one prepared statement."""
    row = await db.fetchrow(_READ, item_id)
    if row is None:
        raise NotFound(f"no feedback item {item_id}")
    return dict(row)


def item_json(item: dict[str, Any]) -> bytes:
    """A FeedbackPublic as JSON, serialised straight from its row (see `page_json`)."""
    return _JSON.dump_json(item)


def page_json(items: list[dict[str, Any]], next_url: str | None) -> bytes:
    """A FeedbackPage as JSON, serialised by pydantic-core straight from the rows.

    The rows were validated on their way in; validating a page of 50 again into
    FeedbackPublic took about half the request's CPU time. A test pins that the bytes are the
    ones FeedbackPage itself would give.
    """
    return _JSON.dump_json({"items": items, "next": next_url})


async def _events_of(session: AsyncSession, item_ids: Sequence[int]) -> dict[int, list[EventFact]]:
    query = (
        select(FeedbackEvent)
        .where(col(FeedbackEvent.item_id).in_(item_ids))
        .order_by(col(FeedbackEvent.item_id), col(FeedbackEvent.id))
    )
    by_item: dict[int, list[EventFact]] = defaultdict(list)
    for event in (await session.scalars(query)).all():
        by_item[event.item_id].append(
            EventFact(event.type, event.occurred_on, event.new_due_on, event.reason)
        )
    return by_item


def _replay_item(
    item: FeedbackItem,
    events: Sequence[EventFact],
    calendar: WorkingCalendar,
    targets: ClockTargets,
) -> Lifecycle:
    rule = clock_rule(item.kind, item.procedure, targets)
    return replay(item.kind, item.received_on, events, calendar, rule)


def _touch(item: FeedbackItem) -> None:
    item.version += 1
    item.updated_at = datetime.now(UTC)


async def update_item(
    session: AsyncSession,
    item_id: int,
    data: FeedbackUpdate,
    calendar: WorkingCalendar,
    targets: ClockTargets,
    expected_version: Collection[int] | None = None,
) -> FeedbackItem:
    """Change the fields a caller may change; the clock follows a change of procedure."""
    item = await get_item(session, item_id, for_update=True)
    check_version(item.version, expected_version)
    changes = data.model_dump(exclude_unset=True)
    allowed = _FIELDS_BY_KIND[item.kind]
    for name, value in changes.items():
        if name not in allowed:
            raise Invalid(f"does not apply to a {item.kind.replace('_', ' ')}", field=name)
        if value is None and name not in _CLEARABLE:
            raise Invalid("must not be null", field=name)
    if "team" in changes or changes.get("nature") is not None:
        await check_placement(
            session,
            service=item.service,
            team=changes.get("team", item.team),
            on=item.received_on,
            nature=changes.get("nature"),
        )
    outcome = changes.get("outcome")
    if outcome is not None and item.status not in _ANSWERED:
        raise Conflict(
            f"an outcome is recorded once the complaint is responded to (it is {item.status})",
            field="outcome",
        )
    item.sqlmodel_update(changes)
    if "procedure" in changes:
        events = (await _events_of(session, [item_id]))[item_id]
        try:
            state = _replay_item(item, events, calendar, targets)
        except RuleViolation as violation:
            raise Conflict(violation.message, field="procedure") from None
        item.sqlmodel_update(lifecycle_values(state))
    _touch(item)
    await session.flush()
    await session.refresh(item)
    return item


async def add_event(
    session: AsyncSession,
    item_id: int,
    data: FeedbackEventCreate,
    calendar: WorkingCalendar,
    targets: ClockTargets,
    *,
    internal: bool = False,
) -> FeedbackEvent:
    """Append an event and store the state it leads to; the item row is locked meanwhile."""
    if data.type is EventType.escalated and not internal:
        raise Conflict("escalate through POST /v1/feedback/{id}/escalations", field="type")
    item = await get_item(session, item_id, for_update=True)
    on = data.occurred_on or council_today()
    fact = EventFact(data.type, on, data.new_due_on, data.reason)
    events = (await _events_of(session, [item_id]))[item_id]
    try:
        state = _replay_item(item, [*events, fact], calendar, targets)
    except RuleViolation as violation:
        error = Conflict if violation.conflict else Invalid
        raise error(violation.message, field=violation.field) from None

    item.sqlmodel_update(lifecycle_values(state))
    if item.kind is FeedbackKind.complaint:
        if data.type is EventType.withdrawn and item.outcome is None:
            item.outcome = Outcome.withdrawn
        if data.type is EventType.reopened and item.outcome is Outcome.withdrawn:
            item.outcome = None
    _touch(item)
    event = FeedbackEvent(
        item_id=item_id,
        type=data.type,
        occurred_on=on,
        actor=data.actor,
        reason=data.reason,
        new_due_on=data.new_due_on,
    )
    session.add(event)
    await session.flush()
    await session.refresh(event)
    return event


async def list_events(session: AsyncSession, item_id: int) -> list[FeedbackEvent]:
    """An item's events in the order they were recorded."""
    await get_item(session, item_id)
    query = (
        select(FeedbackEvent)
        .where(col(FeedbackEvent.item_id) == item_id)
        .order_by(col(FeedbackEvent.id))
    )
    return list((await session.scalars(query)).all())


async def recompute_open_items(
    session: AsyncSession,
    calendar: WorkingCalendar,
    targets: ClockTargets,
    *,
    changed_day: date | None = None,
    batch: int = 1000,
) -> int:
    """Replay open items against the calendar; returns how many had their dates moved.

    With `changed_day`, only items whose clock runs over that day are replayed: one received
    later, or due earlier, cannot be affected by it.
    """
    moved, after = 0, 0
    conditions: list[ColumnElement[bool]] = [
        col(FeedbackItem.status).in_([ItemStatus.open, ItemStatus.paused])
    ]
    if changed_day is not None:
        conditions += [
            col(FeedbackItem.received_on) < changed_day,
            col(FeedbackItem.due_on).is_(None) | (col(FeedbackItem.due_on) >= changed_day),
        ]
    while True:
        query = (
            select(FeedbackItem)
            .where(*conditions, col(FeedbackItem.id) > after)
            .order_by(col(FeedbackItem.id))
            .limit(batch)
            .with_for_update()
        )
        items = list((await session.scalars(query)).all())
        if not items:
            return moved
        events = await _events_of(session, [i.id for i in items if i.id is not None])
        for item in items:
            assert item.id is not None
            state = _replay_item(item, events[item.id], calendar, targets)
            values = lifecycle_values(state)
            if any(getattr(item, k) != v for k, v in values.items()):
                moved += 1
                await session.execute(
                    update(FeedbackItem)
                    .where(col(FeedbackItem.id) == item.id)
                    .values(**values, version=col(FeedbackItem.version) + 1, updated_at=func.now())
                )
        after = items[-1].id or after
