"""Bulk import for CRM back-fill: every row checked, then all written in one transaction or none.

Rows are read as they stream in and written in chunks inside the request's transaction, so
memory holds one chunk, the list of errors and the references seen, not the whole batch. Any
error anywhere means the route raises and the transaction rolls back: nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import ijson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..clock import WorkingCalendar
from ..models import FeedbackEvent, FeedbackItem, Person
from ..models.feedback import FeedbackCreate, MemberEnquiryCreate
from ..problems import BadRequest, FieldProblem, Invalid, ProblemError
from ..settings import ClockTargets
from .feedback import AnyFeedbackCreate, PreparedItem, prepare_item
from .reference import ReferenceIndex, load_reference_index

MAX_ITEMS = 10_000
CHUNK = 500
MAX_ERRORS_SHOWN = 10_000
_ADAPTER: TypeAdapter[AnyFeedbackCreate] = TypeAdapter(FeedbackCreate)


@dataclass(frozen=True)
class _Row:
    row: int
    payload: AnyFeedbackCreate
    prepared: PreparedItem


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


class _Stream:
    """The request body as a file-like object with an async read, for the JSON parser."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def read(self, size: int = -1) -> bytes:
        if size == 0:  # the parser's probe for bytes or text must not consume a chunk
            return b""
        async for chunk in self._chunks:
            if chunk:
                return chunk
        return b""


async def json_array_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, Any]]:
    """Rows of a JSON array, parsed incrementally."""
    row = 0
    try:
        async for item in ijson.items(_Stream(chunks), "item", use_float=True):
            row += 1
            yield row, item
    except ijson.JSONError as error:
        raise BadRequest(f"the body is not a JSON array of items ({error})", field="body") from None
    if row == 0:
        raise Invalid("send at least one item", field="body")


async def ndjson_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, Any]]:
    """Rows of newline-delimited JSON, one object a line; blank lines are skipped."""
    buffer, row, line_number = b"", 0, 0
    async for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            line_number += 1
            if line.strip():
                row += 1
                yield row, _parse_line(line, line_number)
    if buffer.strip():
        row += 1
        yield row, _parse_line(buffer, line_number + 1)
    if row == 0:
        raise Invalid("send at least one item", field="body")


def _parse_line(line: bytes, line_number: int) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest(f"line {line_number} is not valid JSON", field="body") from None


class _Importer:
    def __init__(
        self,
        session: AsyncSession,
        index: ReferenceIndex,
        calendar: WorkingCalendar,
        targets: ClockTargets,
    ) -> None:
        self.session = session
        self.index = index
        self.calendar = calendar
        self.targets = targets
        self.errors: list[FieldProblem] = []
        self.error_rows = 0
        self.seen: dict[tuple[str, str], tuple[int, str]] = {}
        self.duplicates: dict[int, int] = {}
        self.outcome = BulkOutcome()

    def fail(self, row: int, name: str, detail: str) -> None:
        self.error_rows += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append(_row_problem(row, name, detail))

    def check(self, row: int, raw: Any) -> _Row | None:
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
        try:
            nature = getattr(payload, "nature", None)
            placement = self.index.place(payload.service, payload.team, payload.received_on, nature)
            if isinstance(payload, MemberEnquiryCreate) and (
                (payload.enquirer is None) == (payload.enquirer_id is None)
            ):
                raise Invalid("give the enquirer or an enquirer_id, not both", field="enquirer")
            prepared = prepare_item(payload, placement, self.calendar, self.targets)
        except ProblemError as problem:
            name = problem.errors[0].field if problem.errors else ""
            self.fail(row, name, problem.detail)
            return None
        key = (payload.source_system, payload.external_ref)
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
        return _Row(row, payload, prepared)

    async def write(self, chunk: Sequence[_Row]) -> None:
        if not chunk:
            return
        keys = [(r.payload.source_system, r.payload.external_ref) for r in chunk]
        held = {
            (s, ref): (item_id, digest)
            for s, ref, item_id, digest in (
                await self.session.execute(
                    select(
                        col(FeedbackItem.source_system),
                        col(FeedbackItem.external_ref),
                        col(FeedbackItem.id),
                        col(FeedbackItem.request_fingerprint),
                    ).where(
                        tuple_(col(FeedbackItem.source_system), col(FeedbackItem.external_ref)).in_(
                            keys
                        )
                    )
                )
            ).all()
        }
        enquirers = {
            r.payload.enquirer_id
            for r in chunk
            if isinstance(r.payload, MemberEnquiryCreate) and r.payload.enquirer_id is not None
        }
        known = (
            set(
                (
                    await self.session.scalars(
                        select(col(Person.id)).where(col(Person.id).in_(enquirers))
                    )
                ).all()
            )
            if enquirers
            else set()
        )
        fresh: list[_Row] = []
        for r in chunk:
            existing = held.get((r.payload.source_system, r.payload.external_ref))
            if existing is not None:
                item_id, digest = existing
                if digest != r.prepared.fingerprint:
                    self.fail(
                        r.row, "external_ref", f"is already item {item_id} with other details"
                    )
                elif item_id is not None:
                    self.outcome.ids[r.row] = item_id
                continue
            enquirer_id = getattr(r.payload, "enquirer_id", None)
            if enquirer_id is not None and enquirer_id not in known:
                self.fail(r.row, "enquirer_id", f"no person {enquirer_id}")
                continue
            fresh.append(r)
        if self.errors or not fresh:
            return  # the import will be refused: writing more is wasted work
        await self._insert(fresh)

    async def _insert(self, rows: Sequence[_Row]) -> None:
        people: list[dict[str, Any]] = []
        owners: list[tuple[int, str]] = []
        for index, r in enumerate(rows):
            for role in ("person", "enquirer"):
                person = getattr(r.payload, role, None)
                if person is not None:
                    people.append(person.model_dump())
                    owners.append((index, role))
        values = [dict(r.prepared.values) for r in rows]
        if people:
            person_ids = (
                await self.session.scalars(
                    insert(Person).returning(col(Person.id), sort_by_parameter_order=True),
                    people,
                )
            ).all()
            for (index, role), person_id in zip(owners, person_ids, strict=True):
                values[index]["person_id" if role == "person" else "enquirer_id"] = person_id
        for row_values in values:
            row_values.setdefault("person_id", None)
        item_ids = (
            await self.session.scalars(
                insert(FeedbackItem).returning(col(FeedbackItem.id), sort_by_parameter_order=True),
                values,
            )
        ).all()
        events = [
            {
                "item_id": item_id,
                "type": event.type,
                "occurred_on": event.occurred_on,
                "actor": r.payload.source_system,
            }
            for r, item_id in zip(rows, item_ids, strict=True)
            for event in r.prepared.events
        ]
        await self.session.execute(insert(FeedbackEvent), events)
        for r, item_id in zip(rows, item_ids, strict=True):
            assert item_id is not None
            self.outcome.ids[r.row] = item_id
            self.outcome.created.add(r.row)


async def import_items(
    session: AsyncSession,
    rows: AsyncIterator[tuple[int, Any]],
    calendar: WorkingCalendar,
    targets: ClockTargets,
) -> BulkOutcome:
    """Check and write every row; raise Invalid listing every failing row if any fails."""
    importer = _Importer(session, await load_reference_index(session), calendar, targets)
    chunk: list[_Row] = []
    async for row, raw in rows:
        importer.outcome.received = row
        if row > MAX_ITEMS:
            raise Invalid(f"a batch holds at most {MAX_ITEMS} items", field="body")
        checked = importer.check(row, raw)
        if checked is not None:
            chunk.append(checked)
        if len(chunk) >= CHUNK:
            await importer.write(chunk)
            chunk = []
    await importer.write(chunk)
    if importer.errors:
        raise Invalid(
            f"{importer.error_rows} of {importer.outcome.received} rows are not valid; "
            "nothing was written",
            errors=importer.errors,
        )
    for row, earlier in importer.duplicates.items():
        importer.outcome.ids[row] = importer.outcome.ids[earlier]
    return importer.outcome
