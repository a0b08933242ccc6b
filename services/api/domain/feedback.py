"""Feedback items: creation (idempotent on source and external reference), changes and events."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Date,
    Enum,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from services.api.domain.audit import Actor, changed_fields
from services.api.domain.fingerprints import request_fingerprint
from services.api.domain.reference import check_placement
from services.api.domain.versions import check_version
from services.api.errors import Conflict, Invalid, NotFound
from services.api.models import (
    AuditEvent,
    FeedbackEvent,
    FeedbackItem,
    Nature,
    Person,
    ServiceArea,
    Team,
)
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
    FeedbackKind.complaint: _COMMON_FIELDS
    | {"procedure", "nature", "outcome", "lessons_learned", "lessons_publishable"},
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
    """A keyed digest of the request as validated, so a retried POST is recognised as the same.

    Absent and null fields count alike, so a field added to the API later does not make
    yesterday's retry look different.
    """
    # The serializer itself: through SQLModel's model_dump wrapper it took 2.5 times as long.
    fields = payload.__pydantic_serializer__.to_python(payload, mode="json", exclude_none=True)
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return request_fingerprint(canonical.encode())


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
    if kind is FeedbackKind.complaint:
        values["lessons_publishable"] = bool(values.get("lessons_publishable"))
    return PreparedItem(values, events, digest)


_ITEM = FeedbackItem.__table__  # type: ignore[attr-defined]
_PERSON = Person.__table__  # type: ignore[attr-defined]
_EVENT = FeedbackEvent.__table__  # type: ignore[attr-defined]
_AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]
_SERVICE = ServiceArea.__table__  # type: ignore[attr-defined]
_TEAM = Team.__table__  # type: ignore[attr-defined]
_NATURE = Nature.__table__  # type: ignore[attr-defined]
_PERSON_COLUMNS = tuple(PersonCreate.model_fields)
# Every column is written by the create statement, so what the payload leaves out takes the
# model's own default (version 1, no legal hold), as an ORM insert would.
_ITEM_DEFAULTS = {
    c.name: c.default.arg for c in _ITEM.columns if c.default is not None and c.default.is_scalar
}


def _next_id(table: Any) -> Any:
    return func.nextval(cast(func.pg_get_serial_sequence(table.name, "id"), REGCLASS))


def _flag(name: str) -> Any:
    return bindparam(name, type_=Boolean)


# One round trip gathers what creating an item needs to know: the transaction's time (the
# database's now(), so created_at is what a default would have given), ids drawn ahead so the
# whole row is known before it is written, placement facts, a held item and the enquirer.
_held = _ITEM.alias("held")
_CREATE_CONTEXT = select(
    func.now().label("now"),
    _next_id(_ITEM).label("item_id"),
    case((_flag("new_person"), _next_id(_PERSON))).label("person_id"),
    case((_flag("new_enquirer"), _next_id(_PERSON))).label("enquirer_new_id"),
    _SERVICE.c.complaint_procedure,
    _TEAM.c.service.label("team_service"),
    _TEAM.c.active_from,
    _TEAM.c.active_to,
    _NATURE.c.code.is_not(None).label("nature_known"),
    _held.c.id.label("held_id"),
    or_(
        bindparam("enquirer_id", type_=Integer).is_(None),
        exists().where(_PERSON.c.id == bindparam("enquirer_id", type_=Integer)),
    ).label("enquirer_known"),
).select_from(
    select(literal(1).label("x"))
    .subquery("one")
    .outerjoin(_SERVICE, _SERVICE.c.code == bindparam("service", type_=String))
    .outerjoin(_TEAM, _TEAM.c.code == bindparam("team", type_=String))
    .outerjoin(
        _NATURE,
        and_(
            _NATURE.c.service == _SERVICE.c.code,
            _NATURE.c.code == bindparam("nature", type_=String),
        ),
    )
    .outerjoin(
        _held,
        and_(
            _held.c.source_system == bindparam("source_system", type_=String),
            _held.c.external_ref == bindparam("external_ref", type_=String),
        ),
    )
)


def _person_insert(name: str, id_column: Any, condition: Any) -> Any:
    """A person row named by bind parameters `<name>_<field>`, with the id the item took."""
    values = [bindparam(f"{name}_{c}", type_=_PERSON.c[c].type) for c in _PERSON_COLUMNS]
    return (
        insert(_PERSON)
        .from_select(["id", *_PERSON_COLUMNS], select(id_column, *values).where(condition))
        .cte(f"{name}_row")
    )


@cache
def _create_statement(audited: bool) -> Any:
    """Item, people, events and audit row in one statement, all or nothing; every column of
    the item a bind parameter of its own name.

    A concurrent create of the same source and reference makes the item insert do nothing,
    and with it every insert that reads from it.
    """
    item = (
        upsert(_ITEM)
        .values({c.name: bindparam(c.name, type_=c.type) for c in _ITEM.columns})
        .on_conflict_do_nothing(index_elements=[_ITEM.c.source_system, _ITEM.c.external_ref])
        .returning(_ITEM.c.id, _ITEM.c.person_id, _ITEM.c.enquirer_id)
        .cte("item")
    )
    people = _person_insert("person", item.c.person_id, item.c.person_id.is_not(None))
    # The enquirer may be a person already held, named by enquirer_id.
    enquirer = _person_insert("enquirer", item.c.enquirer_id, _flag("new_enquirer"))
    events = (
        func.unnest(
            bindparam("event_types", type_=ARRAY(String)),
            bindparam("event_days", type_=ARRAY(Date)),
        )
        .table_valued("type", "day")
        .render_derived(name="e")
    )
    written_events = (
        insert(_EVENT)
        .from_select(
            ["item_id", "type", "occurred_on", "actor"],
            select(
                item.c.id, events.c.type, events.c.day, bindparam("actor", type_=String)
            ).select_from(item.join(events, true())),
        )
        .cte("events")
    )
    ctes = [people, enquirer, written_events]
    if audited:
        ctes.append(
            insert(_AUDIT)
            .from_select(
                [
                    "key_name",
                    "role",
                    "request_id",
                    "action",
                    "resource_type",
                    "resource_id",
                    "changes",
                ],
                select(
                    bindparam("audit_key_name", type_=String),
                    bindparam("audit_role", type_=String),
                    bindparam("audit_request_id", type_=String),
                    literal("create"),
                    literal("feedback_item"),
                    cast(item.c.id, String),
                    bindparam("audit_changes", type_=_AUDIT.c.changes.type),
                ).select_from(item),
            )
            .cte("audit")
        )
    return select(func.count()).select_from(item).add_cte(*ctes)


def _person_values(name: str, person: PersonCreate | None) -> dict[str, str | None]:
    return {f"{name}_{c}": None if person is None else getattr(person, c) for c in _PERSON_COLUMNS}


_HELD = select(*_ITEM.columns).where(
    _ITEM.c.source_system == bindparam("source_system"),
    _ITEM.c.external_ref == bindparam("external_ref"),
)


async def _held_item(db: AsyncConnection, source: str, ref: str, digest: str) -> FeedbackPublic:
    held = (
        (await db.execute(_HELD, {"source_system": source, "external_ref": ref})).mappings().one()
    )
    if held["request_fingerprint"] != digest:
        # Neither the item's id nor anything else of it: only that the reference is taken.
        raise Conflict(
            f"reference {ref!r} is already held with other details", field="external_ref"
        )
    return FeedbackPublic.model_validate(dict(held))


async def create_item(
    db: AsyncConnection,
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
    source = payload.source_system
    if source is None:
        # The route gives every payload its key's source system (`Actor.source_for`).
        raise Invalid("no source system", field="source_system")
    nature = payload.nature if isinstance(payload, ComplaintCreate) else None
    enquiry = payload if isinstance(payload, MemberEnquiryCreate) else None
    enquirer = enquiry.enquirer if enquiry is not None else None
    context = (
        await db.execute(
            _CREATE_CONTEXT,
            {
                "service": payload.service,
                "team": payload.team,
                "nature": nature,
                "source_system": source,
                "external_ref": payload.external_ref,
                "new_person": payload.person is not None,
                "new_enquirer": enquirer is not None,
                "enquirer_id": enquiry.enquirer_id if enquiry is not None else None,
            },
        )
    ).one()
    if context.complaint_procedure is None:
        raise Invalid(f"unknown service area `{payload.service}`", field="service")
    team_service = context.team_service
    placement = judge_placement(
        payload.service,
        payload.team,
        payload.received_on,
        nature,
        procedure=ComplaintProcedure(context.complaint_procedure),
        team_row=None
        if team_service is None
        else (team_service, context.active_from, context.active_to),
        nature_known=context.nature_known,
    )
    if enquiry is not None:
        if (enquiry.enquirer is None) == (enquiry.enquirer_id is None):
            raise Invalid("give the enquirer or an enquirer_id, not both", field="enquirer")
        if not context.enquirer_known:
            raise Invalid(f"no person {enquiry.enquirer_id}", field="enquirer_id")
    prepared = prepare_item(payload, placement, calendar, targets)
    if context.held_id is not None:
        held = await _held_item(db, source, payload.external_ref, prepared.fingerprint)
        return held, False

    now = context.now
    row = dict.fromkeys(_ITEM.columns.keys()) | prepared.values
    for name, default in _ITEM_DEFAULTS.items():
        if row[name] is None:
            row[name] = default
    row |= {
        "id": context.item_id,
        "person_id": context.person_id,
        "created_at": now,
        "updated_at": now,
    }
    if context.enquirer_new_id is not None:
        row["enquirer_id"] = context.enquirer_new_id
    item = FeedbackPublic.model_validate(row)
    events = prepared.events
    params = {
        **row,
        **_person_values("person", payload.person),
        **_person_values("enquirer", enquirer),
        "actor": source,
        "event_types": [e.type.value for e in events],
        "event_days": [e.occurred_on for e in events],
        "new_enquirer": enquirer is not None,
    }
    if recorded_by is not None:
        params |= {
            "audit_key_name": recorded_by.name,
            "audit_role": recorded_by.role.value,
            "audit_request_id": recorded_by.request_id,
            "audit_changes": changed_fields(None, item.model_dump(mode="json")),
        }
    written = (await db.execute(_create_statement(recorded_by is not None), params)).scalar_one()
    if not written:
        # Another request created the same source and reference since the first query.
        held = await _held_item(db, source, payload.external_ref, prepared.fingerprint)
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


def _as_text(column: Any) -> Any:
    # An enum column read as its text: the JSON is the same, without turning every value
    # into its member and back (with dicts built from plain rows, it halves a page's cost).
    if isinstance(column.type, Enum):
        return type_coerce(column, String).label(column.name)
    return column


# What a listed item shows, in the order FeedbackPublic has its fields.
_PUBLIC = tuple(_as_text(_ITEM.c[name]) for name in FeedbackPublic.model_fields)
_JSON = TypeAdapter(dict[str, Any])


def _list_shape(filters: FeedbackFilters, after_id: int | None) -> tuple[str, ...]:
    """Which conditions a list needs: the statement is built once for each such set."""
    shape = [name for name in _LIST_EQUALITIES if getattr(filters, name) is not None]
    if after_id is not None:
        shape.append("after_id")
    for name in ("financial_year", "due_before", "updated_since"):
        if getattr(filters, name) is not None:
            shape.append(name)
    if filters.overdue is not None:
        shape.append("overdue" if filters.overdue else "not_overdue")
    return tuple(shape)


@cache
def _list_select(shape: tuple[str, ...]) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = []
    for name in shape:
        if name in _LIST_EQUALITIES:
            conditions.append(_ITEM.c[name] == bindparam(name, type_=_ITEM.c[name].type))
        elif name == "after_id":
            conditions.append(_ITEM.c.id > bindparam("after_id", type_=_ITEM.c.id.type))
        elif name == "financial_year":
            conditions.append(
                _ITEM.c.received_on.between(
                    bindparam("first_day", type_=Date), bindparam("last_day", type_=Date)
                )
            )
        elif name == "due_before":
            conditions.append(_ITEM.c.due_on < bindparam("due_before", type_=Date))
        elif name == "updated_since":
            conditions.append(_ITEM.c.updated_at >= bindparam("updated_since"))
        else:
            overdue = and_(
                _ITEM.c.status == ItemStatus.open.value,
                _ITEM.c.due_on < bindparam("today", type_=Date),
            )
            # As written, NOT keeps out open items without a due date, as the filter always has.
            conditions.append(overdue if name == "overdue" else not_(overdue))
    return (
        select(*_PUBLIC)
        .where(*conditions)
        .order_by(_ITEM.c.id)
        .limit(bindparam("limit", type_=Integer))
    )


def list_statement(
    filters: FeedbackFilters, *, after_id: int | None, limit: int, today: date
) -> tuple[Select[Any], dict[str, Any]]:
    """The list query for the filters given, and its parameters.

    The statement depends only on which filters are set: it is built and compiled once for
    each combination (and prepared once per connection), its values always parameters.
    """
    shape = _list_shape(filters, after_id)
    params: dict[str, Any] = {"limit": limit + 1}
    for name in _LIST_EQUALITIES:
        value = getattr(filters, name)
        if value is not None:
            params[name] = value
    if after_id is not None:
        params["after_id"] = after_id
    if filters.financial_year is not None:
        params["first_day"] = filters.financial_year.first_day
        params["last_day"] = filters.financial_year.last_day
    if filters.due_before is not None:
        params["due_before"] = filters.due_before
    if filters.updated_since is not None:
        params["updated_since"] = filters.updated_since
    if filters.overdue is not None:
        params["today"] = today
    return _list_select(shape), params


async def list_items(
    db: AsyncConnection, filters: FeedbackFilters, *, after_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """One page of items in id order, as FeedbackPublic's fields; fetches one extra row to
    tell whether another page exists."""
    statement, params = list_statement(
        filters, after_id=after_id, limit=limit, today=council_today()
    )
    result = await db.execute(statement, params)
    names = tuple(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result]


_READ = select(*_PUBLIC).where(_ITEM.c.id == bindparam("id", type_=_ITEM.c.id.type))


async def read_item(db: AsyncConnection, item_id: int) -> dict[str, Any]:
    """One item as FeedbackPublic's fields, or NotFound: one statement."""
    result = await db.execute(_READ, {"id": item_id})
    row = result.first()
    if row is None:
        raise NotFound(f"no feedback item {item_id}")
    return dict(zip(result.keys(), row, strict=True))


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
    if (
        "lessons_learned" in changes
        and changes["lessons_learned"] != item.lessons_learned
        and "lessons_publishable" not in changes
    ):
        # Clearing a lesson for publication cleared those words; new ones wait for their own.
        changes["lessons_publishable"] = False
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
