"""Feedback items: creation (idempotent on source and external reference), changes and events."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..clock import WorkingCalendar
from ..financial_year import FinancialYear
from ..lifecycle import EventFact, Lifecycle, RuleViolation, clock_rule, replay
from ..models import FeedbackEvent, FeedbackItem, Person
from ..models.base import council_today
from ..models.enums import (
    ComplaintProcedure,
    EventType,
    FeedbackKind,
    ItemStatus,
    Outcome,
)
from ..models.feedback import (
    ComplaintCreate,
    ComplimentCreate,
    FeedbackEventCreate,
    FeedbackUpdate,
    MemberEnquiryCreate,
)
from ..models.people import PersonCreate
from ..problems import Conflict, Invalid, NotFound
from ..settings import ClockTargets
from ..versions import check_version
from .reference import Placement, check_placement

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
    canonical = json.dumps(
        payload.model_dump(mode="json", exclude_none=True), sort_keys=True, separators=(",", ":")
    )
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


async def _insert_person(session: AsyncSession, person: PersonCreate | None) -> int | None:
    if person is None:
        return None
    person_id = await session.scalar(
        insert(Person).values(**person.model_dump()).returning(col(Person.id))
    )
    assert isinstance(person_id, int)
    return person_id


async def _check_enquirer(session: AsyncSession, payload: MemberEnquiryCreate) -> None:
    if (payload.enquirer is None) == (payload.enquirer_id is None):
        raise Invalid("give the enquirer or an enquirer_id, not both", field="enquirer")
    if payload.enquirer_id is not None and await session.get(Person, payload.enquirer_id) is None:
        raise Invalid(f"no person {payload.enquirer_id}", field="enquirer_id")


async def _find_by_source(session: AsyncSession, source: str, ref: str) -> FeedbackItem | None:
    query = select(FeedbackItem).where(
        col(FeedbackItem.source_system) == source,
        col(FeedbackItem.external_ref) == ref,
    )
    return (await session.scalars(query)).first()


def _same_or_conflict(existing: FeedbackItem, digest: str) -> FeedbackItem:
    if existing.request_fingerprint != digest:
        raise Conflict(
            f"{existing.source_system} reference {existing.external_ref!r} is already item "
            f"{existing.id} with different details",
            field="external_ref",
        )
    return existing


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
    values = payload.model_dump(
        exclude={"person", "enquirer", "acknowledged_on", "responded_on", "closed_on"}
    )
    values |= lifecycle_values(state) | {"procedure": procedure, "request_fingerprint": digest}
    return PreparedItem(values, events, digest)


class _LostRace(Exception):
    """Another request inserted the same source and reference first."""


async def create_item(
    session: AsyncSession,
    payload: AnyFeedbackCreate,
    calendar: WorkingCalendar,
    targets: ClockTargets,
) -> tuple[FeedbackItem, bool]:
    """Create an item, or return the one already held for its source and reference.

    Returns the item and whether it was created. The same reference with different
    details is a Conflict; a concurrent duplicate never makes a second row.
    """
    nature = payload.nature if isinstance(payload, ComplaintCreate) else None
    placement = await check_placement(
        session, service=payload.service, team=payload.team, on=payload.received_on, nature=nature
    )
    if isinstance(payload, MemberEnquiryCreate):
        await _check_enquirer(session, payload)
    prepared = prepare_item(payload, placement, calendar, targets)
    digest = prepared.fingerprint
    existing = await _find_by_source(session, payload.source_system, payload.external_ref)
    if existing is not None:
        return _same_or_conflict(existing, digest), False
    values, events = dict(prepared.values), prepared.events
    try:
        async with session.begin_nested():
            values["person_id"] = await _insert_person(session, payload.person)
            if isinstance(payload, MemberEnquiryCreate) and payload.enquirer is not None:
                values["enquirer_id"] = await _insert_person(session, payload.enquirer)
            statement = (
                insert(FeedbackItem)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["source_system", "external_ref"])
                .returning(FeedbackItem)
            )
            item = (await session.scalars(statement)).first()
            if item is None:
                raise _LostRace
    except _LostRace:
        winner = await _find_by_source(session, payload.source_system, payload.external_ref)
        assert winner is not None
        return _same_or_conflict(winner, digest), False

    actor = payload.source_system
    await session.execute(
        insert(FeedbackEvent).values(
            [
                {"item_id": item.id, "type": e.type, "occurred_on": e.occurred_on, "actor": actor}
                for e in events
            ]
        )
    )
    return item, True


async def get_item(
    session: AsyncSession, item_id: int, *, for_update: bool = False
) -> FeedbackItem:
    """One item by id, or NotFound."""
    item = await session.get(FeedbackItem, item_id, with_for_update=for_update)
    if item is None:
        raise NotFound(f"no feedback item {item_id}")
    return item


async def list_items(
    session: AsyncSession, filters: FeedbackFilters, *, after_id: int | None, limit: int
) -> list[FeedbackItem]:
    """One page of items in id order; fetches one extra row to tell whether another page exists."""
    query = select(FeedbackItem).order_by(col(FeedbackItem.id)).limit(limit + 1)
    conditions: list[Any] = []
    if after_id is not None:
        conditions.append(col(FeedbackItem.id) > after_id)
    for name in ("service", "team", "kind", "procedure", "status", "enquirer_id"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(col(getattr(FeedbackItem, name)) == value)
    if filters.financial_year is not None:
        fy = filters.financial_year
        conditions.append(col(FeedbackItem.received_on).between(fy.first_day, fy.last_day))
    if filters.due_before is not None:
        conditions.append(col(FeedbackItem.due_on) < filters.due_before)
    if filters.updated_since is not None:
        conditions.append(col(FeedbackItem.updated_at) >= filters.updated_since)
    if filters.overdue is not None:
        overdue = (col(FeedbackItem.status) == ItemStatus.open) & (
            col(FeedbackItem.due_on) < council_today()
        )
        conditions.append(overdue if filters.overdue else ~overdue)
    if conditions:
        query = query.where(*conditions)
    return list((await session.scalars(query)).all())


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
    expected_version: int | None = None,
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
