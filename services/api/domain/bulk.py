"""Bulk import for CRM back-fill: every row checked, then all written in one transaction or none.

Rows are read as they stream in and written in chunks inside the request's transaction, so
memory holds one chunk, the list of errors and the references seen, not the whole batch. Any
error anywhere means the route raises and the transaction rolls back: nothing is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from operator import attrgetter
from typing import Any, NamedTuple

import ijson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import ARRAY, Enum, Integer, String, bindparam, cast, func, select, true
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.api.domain.audit import Actor
from services.api.domain.feedback import AnyFeedbackCreate, prepare_item
from services.api.domain.reference import ReferenceIndex, load_reference_index
from services.api.errors import BadRequest, FieldProblem, Invalid, ProblemError
from services.api.models import FeedbackEvent, FeedbackItem, Person
from services.api.models.feedback import ComplaintCreate, FeedbackCreate, MemberEnquiryCreate
from services.api.models.people import PersonCreate
from services.api.rules.clock import WorkingCalendar
from services.api.rules.indexed_calendar import IndexedCalendar
from services.api.settings import ClockTargets

MAX_ITEMS = 10_000
CHUNK = 1_000
# While a chunk is inserted, checking the next gives the event loop a turn this often (rows).
_YIELD_EVERY = 25
MAX_ERRORS_SHOWN = 10_000
_ADAPTER: TypeAdapter[AnyFeedbackCreate] = TypeAdapter(FeedbackCreate)


def _columns(table: Any) -> Any:
    return table.__table__.columns


def _supplied_columns(table: Any) -> tuple[str, ...]:
    """The columns a new row supplies: not the id, nor those with a default (timestamps,
    version, legal hold), which COPY leaves to the table's own defaults, as an INSERT that
    omits them would."""
    columns = _columns(table)
    for c in columns:
        if c.default is not None and c.server_default is None:
            # COPY would write NULL where the ORM wrote the model's default.
            raise RuntimeError(f"{table.__tablename__}.{c.name} has no default in the database")
    return tuple(
        c.name for c in columns if c.name != "id" and c.server_default is None and c.default is None
    )


# The ids come first: they are known only when the chunk is written.
_ITEM_IDS = ("id", "person_id", "enquirer_id")
_ITEM_VALUES = tuple(c for c in _supplied_columns(FeedbackItem) if c not in _ITEM_IDS)
_ITEM_COLUMNS = (*_ITEM_IDS, *_ITEM_VALUES)
_ITEM_COLUMN_SET = frozenset(_ITEM_COLUMNS)
_ENUM_COLUMNS = tuple(c.name for c in _columns(FeedbackItem) if isinstance(c.type, Enum))
_PERSON_FIELDS = tuple(PersonCreate.model_fields)
_PERSON_COLUMNS = ("id", *_PERSON_FIELDS)
_person_values = attrgetter(*_PERSON_FIELDS)
_EVENT_COLUMNS = ("item_id", "type", "occurred_on", "actor")
_missing = ({*_PERSON_FIELDS} - {*_supplied_columns(Person)}) | (
    {*_EVENT_COLUMNS} - {*_supplied_columns(FeedbackEvent)}
)
if _missing:
    raise RuntimeError(f"the bulk import writes no column {sorted(_missing)}")


def _item_values(values: dict[str, Any]) -> tuple[Any, ...]:
    """The item's columns but its ids, in `_ITEM_VALUES` order, as plain values (an enum
    member's value, not the member): what the row does not give is NULL."""
    if not values.keys() <= _ITEM_COLUMN_SET:
        raise RuntimeError(f"no column for {sorted(values.keys() - _ITEM_COLUMN_SET)}")
    for name in _ENUM_COLUMNS:
        value = values.get(name)
        if isinstance(value, StrEnum):
            values[name] = value._value_
    return tuple(map(values.get, _ITEM_VALUES))


_ITEM = FeedbackItem.__table__  # type: ignore[attr-defined]
_PERSON = Person.__table__  # type: ignore[attr-defined]
_pairs = (
    func.unnest(bindparam("sources", type_=ARRAY(String)), bindparam("refs", type_=ARRAY(String)))
    .table_valued("source_system", "external_ref")
    .render_derived(name="k")
)
# One probe of the unique index per pair (LATERAL: never a scan of the table, whatever the
# planner's statistics say).
_found = (
    select(_ITEM.c.id, _ITEM.c.request_fingerprint)
    .where(
        _ITEM.c.source_system == _pairs.c.source_system,
        _ITEM.c.external_ref == _pairs.c.external_ref,
    )
    .limit(1)
    .lateral("i")
)
_HELD = select(
    _pairs.c.source_system, _pairs.c.external_ref, _found.c.id, _found.c.request_fingerprint
).select_from(_pairs.join(_found, true()))
_PEOPLE_HELD = select(_PERSON.c.id).where(
    _PERSON.c.id == func.any(bindparam("ids", type_=ARRAY(Integer)))
)


def _draw(table: Any, count: str) -> Any:
    sequence = cast(func.pg_get_serial_sequence(table.name, "id"), REGCLASS)
    return (
        select(func.array_agg(func.nextval(sequence)))
        .select_from(func.generate_series(1, bindparam(count, type_=Integer)))
        .scalar_subquery()
    )


# Ids for new people and items, taken from their sequences in one round trip.
_NEW_IDS = select(_draw(_PERSON, "people"), _draw(_ITEM, "items"))


class _Database:
    """The request's own connection, inside its transaction: Core statements for what is
    already held and for new ids, and the driver's COPY for the rows.

    COPY has no SQLAlchemy form; it goes to the driver's connection under the pooled one
    (`driver_connection`, public), inside the transaction SQLAlchemy began. A driver error
    there is answered as the driver's errors always are (409 for a lost race, 503 for a
    lost connection); a connection lost under it is invalidated, so the pool drops it.
    """

    def __init__(self, connection: AsyncConnection, driver: Any) -> None:
        self._connection = connection
        self._driver = driver

    @classmethod
    async def of(cls, connection: AsyncConnection) -> _Database:
        """The request's connection; the same transaction, not a second one."""
        # A statement through SQLAlchemy first: its driver begins the transaction lazily,
        # with the first statement, and COPY must not run before it.
        await connection.execute(select(1))
        driver = (await connection.get_raw_connection()).driver_connection
        if driver is None or not driver.is_in_transaction():
            raise RuntimeError("bulk import needs its connection inside a transaction")
        return cls(connection, driver)

    async def held(
        self, sources: list[str], refs: list[str]
    ) -> dict[tuple[str, str], tuple[int, str]]:
        """Items already held for these (source, reference) pairs: id and fingerprint."""
        rows = await self._connection.execute(_HELD, {"sources": sources, "refs": refs})
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    async def people_held(self, ids: Iterable[int]) -> set[int]:
        rows = await self._connection.execute(_PEOPLE_HELD, {"ids": list(ids)})
        return set(rows.scalars())

    async def new_ids(self, people: int, items: int) -> tuple[list[int], list[int]]:
        """Ids for new people and items, taken from their sequences in one round trip."""
        row = (await self._connection.execute(_NEW_IDS, {"people": people, "items": items})).one()
        return sorted(row[0] or ()), sorted(row[1] or ())

    async def copy(
        self, table: str, columns: Sequence[str], records: list[tuple[Any, ...]]
    ) -> None:
        if not records:
            return
        try:
            await self._driver.copy_records_to_table(table, records=records, columns=columns)
        except BaseException:
            if self._driver.is_closed():
                await self._connection.invalidate()
            raise


class _Row(NamedTuple):
    """A row checked and ready to write, once its people and itself have ids.

    Plain values only (strings, numbers, dates and tuples of them), not the validated
    models: a chunk lives long enough to outlast a few young collections, and a tuple of
    plain values is one the garbage collector stops tracking, where models and dicts would
    be promoted and walked again at every full collection.
    """

    row: int
    source_system: str
    external_ref: str
    fingerprint: str
    values: tuple[Any, ...]  # _ITEM_VALUES
    person: tuple[Any, ...] | None  # _PERSON_FIELDS of the person, and of the enquirer
    enquirer: tuple[Any, ...] | None
    enquirer_id: int | None  # a person already held
    events: tuple[tuple[str, date], ...]


@dataclass
class BulkOutcome:
    """What an import did, row by row (1-based rows)."""

    received: int = 0
    ids: dict[int, int] = field(default_factory=dict)
    created: set[int] = field(default_factory=set)


def _row_problem(row: int, name: str, detail: str) -> FieldProblem:
    path = f"{row - 1}/{name.replace('.', '/')}" if name else str(row - 1)
    return FieldProblem(
        field=f"[{row}].{name}" if name else f"[{row}]", pointer=f"/{path}", detail=detail
    )


# Rows are handed over in batches of at most this many: one step of an async generator per
# row would cost more than parsing the row.
_BATCH = 100

Rows = AsyncIterator[list[tuple[int, Any]]]


async def json_array_rows(chunks: AsyncIterator[bytes]) -> Rows:
    """Rows of a JSON array, parsed incrementally as the body arrives (1-based rows). A part
    of the body that is not valid JSON fails the request before any row it holds is read."""
    items = ijson.sendable_list()
    parser = ijson.items_coro(items, "item", use_float=True)
    row = 0
    try:
        async for chunk in chunks:
            if chunk:  # an empty chunk would read as the end of the body
                parser.send(chunk)
                for start in range(0, len(items), _BATCH):
                    batch = items[start : start + _BATCH]
                    yield [(row + n, item) for n, item in enumerate(batch, 1)]
                    row += len(batch)
                del items[:]
        parser.close()
    except ijson.JSONError as error:
        raise BadRequest(f"the body is not a JSON array of items ({error})", field="body") from None
    for start in range(0, len(items), _BATCH):  # what the end of the body completed
        batch = items[start : start + _BATCH]
        yield [(row + n, item) for n, item in enumerate(batch, 1)]
        row += len(batch)
    if row == 0:
        raise Invalid("send at least one item", field="body")


async def ndjson_rows(chunks: AsyncIterator[bytes]) -> Rows:
    """Rows of newline-delimited JSON, one object a line; blank lines are skipped."""
    buffer, row, line_number = b"", 0, 0
    batch: list[tuple[int, Any]] = []
    async for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            line_number += 1
            if line.strip():
                row += 1
                try:
                    batch.append((row, _parse_line(line, line_number)))
                except BadRequest:
                    if batch:  # the rows before the fault, checked first
                        yield batch
                    raise
                if len(batch) >= _BATCH:
                    yield batch
                    batch = []
    if buffer.strip():
        row += 1
        batch.append((row, _parse_line(buffer, line_number + 1)))
    if batch:
        yield batch
    if row == 0:
        raise Invalid("send at least one item", field="body")


def _parse_line(line: bytes, line_number: int) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest(f"line {line_number} is not valid JSON", field="body") from None
    except RecursionError:
        # Nested deeper than the parser goes: no item is, and it must not be a 500.
        raise BadRequest(f"line {line_number} is nested too deeply", field="body") from None


class _Importer:
    def __init__(
        self,
        db: _Database,
        index: ReferenceIndex,
        calendar: WorkingCalendar,
        targets: ClockTargets,
        actor: Actor,
        written: Callable[[int], None] | None = None,
    ) -> None:
        self.written = written
        self.db = db
        self.index = index
        self.calendar = calendar
        self.targets = targets
        self.actor = actor
        self.errors: list[FieldProblem] = []
        self.error_rows = 0
        self.seen: dict[tuple[str, str], tuple[int, str]] = {}
        self.duplicates: dict[int, int] = {}
        self.outcome = BulkOutcome()
        self._writing: asyncio.Future[None] | None = None

    def fail(self, row: int, name: str, detail: str) -> None:
        self.error_rows += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(_row_problem(row, name, detail))

    def check(self, row: int, raw: Any) -> _Row | None:
        if isinstance(raw, dict) and raw.get("source_system") is None:
            # Before validation, so the fingerprint is the same whether it was sent or not.
            raw["source_system"] = self.actor.source_system
        try:
            payload = _ADAPTER.validate_python(raw)
        except ValidationError as error:
            first = True
            for problem in error.errors():
                loc = [str(p) for p in problem["loc"][1:]]
                name = ".".join(loc) if problem["type"] != "union_tag_invalid" else "kind"
                detail = "unknown field" if problem["type"] == "extra_forbidden" else problem["msg"]
                if first:
                    self.fail(row, name, detail)
                    first = False
                elif len(self.errors) < MAX_ERRORS_SHOWN:
                    self.errors.append(_row_problem(row, name, detail))
            return None
        source = payload.source_system
        if source is None or not self.actor.may_record_as(source):
            self.fail(row, "source_system", self.actor.source_refusal)
            return None
        # isinstance, not getattr with a default: a missing attribute costs microseconds.
        enquiry = payload if isinstance(payload, MemberEnquiryCreate) else None
        try:
            nature = payload.nature if isinstance(payload, ComplaintCreate) else None
            placement = self.index.place(payload.service, payload.team, payload.received_on, nature)
            if enquiry is not None and (enquiry.enquirer is None) == (enquiry.enquirer_id is None):
                raise Invalid("give the enquirer or an enquirer_id, not both", field="enquirer")
            prepared = prepare_item(payload, placement, self.calendar, self.targets)
        except ProblemError as problem:
            name = problem.errors[0].field if problem.errors else ""
            self.fail(row, name, problem.detail)
            return None
        key = (source, payload.external_ref)
        earlier = self.seen.get(key)
        if earlier is not None:
            earlier_row, digest = earlier
            if digest != prepared.fingerprint:
                self.fail(
                    row, "external_ref", f"row {earlier_row} has this reference with other details"
                )
            else:
                self.duplicates[row] = earlier_row
            return None
        self.seen[key] = (row, prepared.fingerprint)
        enquirer = None if enquiry is None else enquiry.enquirer
        return _Row(
            row,
            source,
            payload.external_ref,
            prepared.fingerprint,
            _item_values(prepared.values),
            None if payload.person is None else _person_values(payload.person),
            None if enquirer is None else _person_values(enquirer),
            None if enquiry is None else enquiry.enquirer_id,
            tuple((e.type._value_, e.occurred_on) for e in prepared.events),
        )

    async def write(self, chunk: Sequence[_Row]) -> None:
        """Screen the chunk against the database now (rows held already are reported, not
        written again), then insert its new rows while the next chunk is being checked:
        PostgreSQL works on one chunk as Python checks the next. One write at a time on
        the request's connection: the one before is awaited first."""
        await self.settle()
        fresh = await self._screen(chunk)
        if fresh:
            self._writing = asyncio.ensure_future(self._insert(fresh))

    @property
    def writing(self) -> bool:
        """Whether an insert is in flight."""
        return self._writing is not None

    async def settle(self) -> None:
        """Wait for the insert in flight; its failure is the import's."""
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    async def abandon(self) -> None:
        """Wait for the insert in flight when the import fails for another reason: the
        connection must be free before the transaction is rolled back, and the first
        failure is the one reported."""
        writing, self._writing = self._writing, None
        if writing is not None:
            with contextlib.suppress(BaseException):
                await writing

    async def _screen(self, chunk: Sequence[_Row]) -> list[_Row]:
        """The rows to insert: neither held already nor naming an unknown enquirer."""
        if not chunk:
            return []
        held = await self.db.held([r.source_system for r in chunk], [r.external_ref for r in chunk])
        enquirers = {r.enquirer_id for r in chunk if r.enquirer_id is not None}
        known = await self.db.people_held(enquirers) if enquirers else set()
        fresh: list[_Row] = []
        for r in chunk:
            existing = held.get((r.source_system, r.external_ref))
            if existing is not None:
                item_id, digest = existing
                if digest != r.fingerprint:
                    self.fail(r.row, "external_ref", "is already held with other details")
                else:
                    self.outcome.ids[r.row] = item_id
                continue
            if r.enquirer_id is not None and r.enquirer_id not in known:
                self.fail(r.row, "enquirer_id", f"no person {r.enquirer_id}")
                continue
            fresh.append(r)
        if self.errors:
            return []  # the import will be refused: writing more is wasted work
        return fresh

    async def _insert(self, rows: Sequence[_Row]) -> None:
        people = sum((r.person is not None) + (r.enquirer is not None) for r in rows)
        person_ids, item_ids = await self.db.new_ids(people, len(rows))
        next_person = iter(person_ids).__next__
        people_records: list[tuple[Any, ...]] = []
        item_records: list[tuple[Any, ...]] = []
        event_records: list[tuple[Any, ...]] = []
        ids, created = self.outcome.ids, self.outcome.created
        for r, item_id in zip(rows, item_ids, strict=True):
            person_id = enquirer_id = None
            if r.person is not None:
                person_id = next_person()
                people_records.append((person_id, *r.person))
            if r.enquirer is not None:
                enquirer_id = next_person()
                people_records.append((enquirer_id, *r.enquirer))
            else:
                enquirer_id = r.enquirer_id
            item_records.append((item_id, person_id, enquirer_id, *r.values))
            event_records.extend((item_id, kind, day, r.source_system) for kind, day in r.events)
            ids[r.row] = item_id
            created.add(r.row)
        await self.db.copy("person", _PERSON_COLUMNS, people_records)
        await self.db.copy("feedback_item", _ITEM_COLUMNS, item_records)
        await self.db.copy("feedback_event", _EVENT_COLUMNS, event_records)
        if self.written is not None:
            self.written(len(rows))


async def import_items(
    session: AsyncSession,
    rows: Rows,
    calendar: WorkingCalendar,
    targets: ClockTargets,
    actor: Actor,
    *,
    max_items: int | None = None,
    written: Callable[[int], None] | None = None,
) -> BulkOutcome:
    """Check and write every row, under the actor's source system; raise Invalid listing
    every failing row if any fails.

    `written` hears how many rows each chunk wrote (a progress bar's)."""
    limit = MAX_ITEMS if max_items is None else max_items
    index = await load_reference_index(session)
    database = await _Database.of(await session.connection())
    importer = _Importer(database, index, IndexedCalendar(calendar), targets, actor, written)
    chunk: list[_Row] = []
    try:
        async for batch in rows:
            for row, raw in batch:
                importer.outcome.received = row
                if row > limit:
                    raise Invalid(f"a batch holds at most {limit} items", field="body")
                checked = importer.check(row, raw)
                if checked is not None:
                    chunk.append(checked)
                if len(chunk) >= CHUNK:
                    await importer.write(chunk)
                    chunk = []
                elif importer.writing and row % _YIELD_EVERY == 0:
                    # Checking never waits, so the insert in flight would not move on
                    # without a turn of the event loop: COPY's next message, the next
                    # statement.
                    await asyncio.sleep(0)
        await importer.write(chunk)
        await importer.settle()
    except BaseException:
        await importer.abandon()
        raise
    if importer.errors:
        raise Invalid(
            f"{importer.error_rows} of {importer.outcome.received} rows are not valid; "
            "nothing was written",
            errors=importer.errors,
        )
    for row, earlier in importer.duplicates.items():
        importer.outcome.ids[row] = importer.outcome.ids[earlier]
    return importer.outcome
