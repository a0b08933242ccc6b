"""Running an import, as a dry run or for real, through the bulk path's own checks and writes.

Every run writes the file's rows with `import_items` inside a savepoint: the same rules, the
same recognition of cases already held, and the report's figures computed in SQL over what
the database would then hold. A dry run, or a run that makes nothing new, rolls the savepoint
back; a committed run keeps it, with a record of the import and the items it created.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction
from sqlmodel import col

from services.api.domain.audit import Actor
from services.api.domain.bulk import BulkOutcome, Rows, import_items
from services.api.domain.imports.mappings import load_reference_names
from services.api.domain.imports.reading import (
    FileProblem,
    ReadLimits,
    SheetSource,
    Workbook,
    checksum,
    open_workbook,
)
from services.api.domain.stats import YearRange, feedback_counts, feedback_counts_statement
from services.api.errors import FieldProblem, Invalid
from services.api.models import FeedbackItem
from services.api.models.base import council_today
from services.api.models.imports import (
    CheckName,
    Figure,
    ImportMappingCreate,
    ImportMappingPublic,
    ImportPublic,
    ImportRecord,
    ImportReport,
    ImportStatus,
    RowNote,
    RowStatus,
    SheetSummary,
)
from services.api.models.stats import FeedbackDimension
from services.api.rules.clock import WorkingCalendar
from services.api.rules.financial_year import FinancialYear
from services.api.rules.import_fields import ReferenceNames
from services.api.rules.import_mapping import (
    CaseFingerprints,
    Check,
    SheetPlan,
    cell_problem,
    check_mapping,
    is_empty_row,
    map_row,
    plan_sheet,
    sheet_matches,
)
from services.api.rules.sheet_layout import (
    HEADER_SEARCH_ROWS,
    MAX_HEADER_ROWS,
    cell_ref,
    find_header,
    is_blank,
    is_totals_row,
    row_ref,
)
from services.api.settings import ClockTargets

# The annual report's sections, by kind of case.
SECTION_OF_KIND = {
    "complaint": "stage1_complaints",
    "compliment": "compliments",
    "member_enquiry": "members_casework",
}
MAX_NOTES = 10_000
MAX_WARNINGS = 1_000
# Rows are handed to the bulk path in batches; between two, other requests get a turn.
_BATCH = 100
_BULK_FIELD = re.compile(r"\[(\d+)\](?:\.(.+))?")
# Imports of the same file wait for each other: the second then finds the first's cases held.
_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtextextended('import:' || :checksum, 0))")
_LINK = sa.text(
    "INSERT INTO import_item (import_id, item_id)"
    " SELECT :import_id, unnest(CAST(:items AS bigint[]))"
)
_EARLIER = sa.text(
    "SELECT id FROM import_record WHERE checksum = :checksum AND status = 'committed' ORDER BY id"
)


class Progress(Protocol):
    """Hears how an import goes: rows read from the file, checked, and written."""

    def start(self, label: str, rows: int | None) -> None: ...

    def read(self, rows: int) -> None: ...

    def checked(self, rows: int) -> None: ...

    def written(self, rows: int) -> None: ...


class NoProgress:
    """Progress nobody watches."""

    def start(self, label: str, rows: int | None) -> None:
        """Nothing to show."""

    def read(self, rows: int) -> None:
        """Nothing to show."""

    def checked(self, rows: int) -> None:
        """Nothing to show."""

    def written(self, rows: int) -> None:
        """Nothing to show."""


@dataclass(frozen=True)
class ImportRun:
    """What a run is asked to do."""

    file: IO[bytes]
    file_name: str
    mapping: ImportMappingPublic
    dry_run: bool
    actor: Actor
    limits: ReadLimits


@dataclass
class _Sheet:
    plan: SheetPlan
    source: SheetSource
    rows: int = 0
    blank: int = 0
    totals: int = 0


@dataclass
class _Ledger:
    """Where each data row of the file came from, and what was learnt reading it. Data rows
    are numbered 1, 2, ... through the file, as the bulk path numbers its rows."""

    sheets: list[_Sheet]
    sheet_of: array[int] = field(default_factory=lambda: array("H"))
    row_of: array[int] = field(default_factory=lambda: array("I"))
    mapping_problems: dict[int, list[tuple[int | None, str | None, str]]] = field(
        default_factory=dict
    )
    skips: list[tuple[int, int, str]] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    checks: dict[CheckName, list[tuple[int, Check]]] = field(default_factory=dict)

    def add(self, sheet: int, row: int) -> int:
        """Number the next data row, found on this sheet and row."""
        self.sheet_of.append(sheet)
        self.row_of.append(row)
        return len(self.row_of)

    def where(self, n: int) -> tuple[SheetPlan, int]:
        """The sheet plan and row number of data row `n`."""
        return self.sheets[self.sheet_of[n - 1]].plan, self.row_of[n - 1]

    def skip(self, sheet: int, row: int, why: str) -> None:
        """Note a row passed over (the first MAX_NOTES of them)."""
        if len(self.skips) < MAX_NOTES:
            self.skips.append((sheet, row, why))

    @property
    def rows(self) -> int:
        """Data rows numbered so far."""
        return len(self.row_of)


@dataclass
class _Pass:
    ledger: _Ledger
    warnings: list[str]
    outcome: BulkOutcome | None
    bulk_problems: list[FieldProblem]
    savepoint: AsyncSessionTransaction | None


def _plans(
    book: Workbook,
    mapping: ImportMappingCreate,
    reference: ReferenceNames,
    this_year: int,
) -> tuple[list[_Sheet], list[str]]:
    """Each sheet the mapping reads, its header found and columns placed; a sheet that does not
    fit its rule is a problem naming the sheet, and nothing is read."""
    sheets: list[_Sheet] = []
    warnings: list[str] = []
    problems: list[FieldProblem] = []
    used: set[int] = set()
    for source in book.sheets:
        rules = [i for i, r in enumerate(mapping.sheets) if sheet_matches(r, source.name)]
        if not rules:
            warnings.append(f"sheet {source.name!r} was not read: no rule of the mapping names it")
            continue
        if len(rules) > 1:
            names = " and ".join(repr(mapping.sheets[i].sheet) for i in rules)
            problems.append(
                cell_problem(source.name, row_ref(source.name, 1), f"matches the rules {names}")
            )
            continue
        used.add(rules[0])
        rule = mapping.sheets[rules[0]]
        upto = (rule.header_row or HEADER_SEARCH_ROWS) + MAX_HEADER_ROWS
        head = []
        for number, cells in source.rows():
            if number > upto:
                break
            head.append((number, cells))
        if all(all(is_blank(c) for c in cells) for _, cells in head):
            warnings.append(f"sheet {source.name!r} is empty")
            continue
        wanted = [c.column for c in rule.columns]
        header = find_header(head, source.merges(), wanted, header_row=rule.header_row)
        if header is None:
            where = f"row {rule.header_row}" if rule.header_row else f"its first {upto} rows"
            problems.append(
                cell_problem(
                    source.name,
                    row_ref(source.name, rule.header_row or 1),
                    f"no header in {where} names the mapping's columns ({', '.join(wanted)})",
                )
            )
            continue
        plan, missing = plan_sheet(
            rule,
            source.name,
            header,
            source_system=mapping.source_system,
            reference=reference,
            this_year=this_year,
        )
        problems += missing
        if plan is not None:
            sheets.append(_Sheet(plan, source))
    for index, rule in enumerate(mapping.sheets):
        if index not in used:
            warnings.append(f"no sheet of the file matches the rule {rule.sheet!r}")
    if not problems and not sheets:
        names = ", ".join(repr(s.name) for s in book.sheets) or "none"
        problems.append(
            FieldProblem(
                field="file", pointer="/file", detail=f"no sheet fits the mapping (sheets: {names})"
            )
        )
    if problems:
        raise FileProblem(f"the file does not fit the mapping `{mapping.name}`", errors=problems)
    return sheets, warnings


async def _rows(
    ledger: _Ledger,
    reference: ReferenceNames,
    this_year: int,
    skip: frozenset[int],
    progress: Progress,
    limits: ReadLimits,
) -> Rows:
    """The file's data rows as bulk rows, in batches; blank and totals rows are passed over and
    rows a cell of which cannot be read are set aside, both noted in the ledger."""
    fingerprints = CaseFingerprints()
    batch: list[tuple[int, Any]] = []
    read = set_aside = 0
    for index, sheet in enumerate(ledger.sheets):
        plan = sheet.plan
        for number, cells in sheet.source.rows():
            read += 1
            if number <= plan.header.last_row:
                continue
            if is_totals_row(cells):
                sheet.totals += 1
                ledger.skip(index, number, "a totals row")
                continue
            if is_empty_row(plan, cells):
                sheet.blank += 1
                ledger.skip(index, number, "blank")
                continue
            if ledger.rows >= limits.max_rows:
                raise FileProblem(
                    f"{plan.sheet}: more than {limits.max_rows:,} rows to import in the file "
                    f"(row {number}); split it",
                    field="file",
                )
            sheet.rows += 1
            n = ledger.add(index, number)
            mapped = map_row(plan, cells, reference=reference, this_year=this_year)
            if mapped.received_on is not None:
                ledger.years.add(FinancialYear.containing(mapped.received_on).start_year)
            if mapped.problems:
                ledger.mapping_problems[n] = mapped.problems
                set_aside += 1
                continue
            payload = mapped.payload
            if "external_ref" not in payload:
                payload["external_ref"] = fingerprints.reference(payload)
            for check in mapped.checks:
                ledger.checks.setdefault(check.check, []).append((n, check))
            if n in skip:
                set_aside += 1
                continue
            batch.append((n, payload))
            if len(batch) >= _BATCH:
                progress.read(read)
                read = 0
                yield batch
                progress.checked(len(batch) + set_aside)
                batch, set_aside = [], 0
                await asyncio.sleep(0)
    progress.read(read)
    if batch:
        yield batch
    progress.checked(len(batch) + set_aside)


async def _discard(savepoint: AsyncSessionTransaction | None) -> None:
    if savepoint is not None and savepoint.is_active:
        # A lost connection fails the rollback too; the first error is the one to report.
        with contextlib.suppress(Exception):
            await savepoint.rollback()


async def _pass(
    session: AsyncSession,
    run: ImportRun,
    mapping: ImportMappingCreate,
    reference: ReferenceNames,
    calendar: WorkingCalendar,
    targets: ClockTargets,
    skip: frozenset[int],
    progress: Progress,
) -> _Pass:
    this_year = council_today().year
    book = open_workbook(run.file, run.file_name, run.limits)
    try:
        sheets, warnings = _plans(book, mapping, reference, this_year)
        ledger = _Ledger(sheets)
        declared: list[int | None] = [getattr(s.source, "declared_rows", None) for s in sheets]
        known = [d for d in declared if d is not None]
        progress.start("checking again" if skip else "reading", sum(known) if known else None)
        rows = _rows(ledger, reference, this_year, skip, progress, run.limits)
        savepoint = await session.begin_nested()
        try:
            outcome = await import_items(
                session,
                rows,
                calendar,
                targets,
                run.actor,
                max_items=run.limits.max_rows,
                written=progress.written,
            )
        except FileProblem:
            await _discard(savepoint)
            raise
        except Invalid as invalid:
            await _discard(savepoint)
            if not invalid.errors or not all(
                _BULK_FIELD.fullmatch(e.field) for e in invalid.errors
            ):
                raise  # not about rows: about the request as a whole
            return _Pass(ledger, warnings, None, invalid.errors, None)
        except BaseException:
            await _discard(savepoint)
            raise
        return _Pass(ledger, warnings, outcome, [], savepoint)
    finally:
        book.close()


def _rejections(done: _Pass) -> dict[int, list[RowNote]]:
    """Every rejected data row and its reasons, cell by cell."""
    ledger = done.ledger
    rejected: dict[int, list[RowNote]] = {}
    for n, problems in ledger.mapping_problems.items():
        plan, row = ledger.where(n)
        for column, field_name, detail in problems:
            cell = cell_ref(plan.sheet, row, column) if column else row_ref(plan.sheet, row)
            header = plan.header.names[column - 1] if column else None
            rejected.setdefault(n, []).append(
                RowNote(
                    sheet=plan.sheet,
                    row=row,
                    cell=cell,
                    status=RowStatus.rejected,
                    column=header,
                    field=field_name,
                    reason=detail,
                )
            )
    for problem in done.bulk_problems:
        match = _BULK_FIELD.fullmatch(problem.field)
        if not match:
            continue
        n = int(match.group(1))
        plan, row = ledger.where(n)
        field_name = match.group(2)
        rejected.setdefault(n, []).append(
            RowNote(
                sheet=plan.sheet,
                row=row,
                cell=plan.cell(row, field_name),
                status=RowStatus.rejected,
                column=plan.column_header(field_name),
                field=field_name,
                reason=problem.detail,
            )
        )
    return rejected


def _as_problems(rejected: dict[int, list[RowNote]]) -> list[FieldProblem]:
    return [
        cell_problem(note.sheet, note.cell, note.reason or "rejected")
        for n in sorted(rejected)
        for note in rejected[n]
    ][:MAX_NOTES]


async def _check_warnings(session: AsyncSession, done: _Pass) -> list[str]:
    """Where a column checked against the service's own figures disagrees with them."""
    assert done.outcome is not None
    ids = done.outcome.ids
    db = await session.connection()
    warnings: list[str] = []
    for check, entries in done.ledger.checks.items():
        present = [(n, c) for n, c in entries if n in ids]
        if not present:
            continue
        numbers = [n for n, _ in present]
        item_ids = [ids[n] for n in numbers]
        expected = [c.expected for _, c in present]
        if check is CheckName.working_days_taken:
            query = (
                "SELECT e.n, i.working_days_taken AS actual, count(*) OVER () AS total"
                " FROM unnest(CAST(:n AS int[]), CAST(:id AS bigint[]),"
                " CAST(:expected AS int[]))"
                " AS e (n, id, expected)"
                " JOIN feedback_item AS i ON i.id = e.id"
                " WHERE i.working_days_taken IS DISTINCT FROM e.expected ORDER BY e.n LIMIT :limit"
            )
            args: dict[str, Any] = {"n": numbers, "id": item_ids, "expected": expected}
        elif check is CheckName.on_time:
            query = (
                "SELECT e.n, i.on_time AS actual, count(*) OVER () AS total"
                " FROM unnest(CAST(:n AS int[]), CAST(:id AS bigint[]),"
                " CAST(:expected AS boolean[]))"
                " AS e (n, id, expected)"
                " JOIN feedback_item AS i ON i.id = e.id"
                " WHERE coalesce(i.on_time, false) <> e.expected ORDER BY e.n LIMIT :limit"
            )
            args = {"n": numbers, "id": item_ids, "expected": expected}
        else:
            query = (
                "SELECT e.n, i.working_days_taken AS actual, count(*) OVER () AS total"
                " FROM unnest(CAST(:n AS int[]), CAST(:id AS bigint[]),"
                " CAST(:expected AS boolean[]), CAST(:days AS int[]))"
                " AS e (n, id, expected, days)"
                " JOIN feedback_item AS i ON i.id = e.id"
                " WHERE coalesce(i.working_days_taken <= e.days, false) <> e.expected"
                " ORDER BY e.n LIMIT :limit"
            )
            args = {
                "n": numbers,
                "id": item_ids,
                "expected": expected,
                "days": [c.days for _, c in present],
            }
        found = (await db.execute(sa.text(query), {**args, "limit": MAX_WARNINGS})).mappings().all()
        by_row = dict(present)
        for record in found:
            stated = by_row[record["n"]]
            plan, row = done.ledger.where(record["n"])
            where = cell_ref(plan.sheet, row, stated.column)
            warnings.append(f"{where}: {_disagreement(stated, record['actual'])}")
        if found and found[0]["total"] > len(found):
            warnings.append(f"... and {found[0]['total'] - len(found):,} more like these")
    return warnings


def _disagreement(stated: Check, actual: Any) -> str:
    if stated.check is CheckName.working_days_taken:
        counted = "no response" if actual is None else f"{actual} working days"
        return f"the sheet says {stated.expected} working days; the service counts {counted}"
    said = "yes" if stated.expected else "no"
    if stated.check is CheckName.on_time:
        found = "answered on time" if actual else "not answered on time"
        return f"the sheet says {said} (on time); by the service's clock it was {found}"
    counted = "not answered" if actual is None else f"answered in {actual} working days"
    return f"the sheet says {said} (within {stated.days} working days); it was {counted}"


_DIMENSIONS = [FeedbackDimension.service, FeedbackDimension.kind, FeedbackDimension.team]


async def _figures(
    session: AsyncSession, years: set[int], created: Sequence[int], reference: ReferenceNames
) -> list[Figure]:
    """The counts by service, section and team of every year the file touches, as the
    database now holds them and without the items just created: aggregated in SQL."""
    if not years:
        return []
    span = YearRange(FinancialYear(min(years)), FinancialYear(max(years)))
    after = await feedback_counts(session, span, _DIMENSIONS)
    statement = feedback_counts_statement(span, _DIMENSIONS).where(
        col(FeedbackItem.id)
        == sa.any_(sa.bindparam("ids", list(created), type_=ARRAY(sa.BigInteger)))
    )
    made: dict[tuple[str, str, str, str], int] = {}
    for row in (await session.execute(statement)).mappings():
        key = (FinancialYear(row["fy"]).slug, row["service"], row["kind"], row["team"])
        made[key] = row["count"]
    service_order = {code: i for i, code in enumerate(reference.services)}
    team_order = {code: i for i, code in enumerate(reference.teams)}
    section_order = {section: i for i, section in enumerate(SECTION_OF_KIND.values())}
    touched = {FinancialYear(y).slug for y in years}
    figures = []
    for count in after:
        if count.financial_year not in touched:
            continue
        assert count.service and count.kind and count.team
        new = made.get((count.financial_year, count.service, count.kind, count.team), 0)
        team = reference.teams.get(count.team)
        figures.append(
            Figure(
                financial_year=count.financial_year,
                service=count.service,
                section=SECTION_OF_KIND.get(count.kind, count.kind),
                team=count.team,
                team_name=team[1] if team else None,
                before=count.count - new,
                after=count.count,
            )
        )
    figures.sort(
        key=lambda f: (
            f.financial_year,
            service_order.get(f.service, len(service_order)),
            section_order.get(f.section, len(section_order)),
            team_order.get(f.team, len(team_order)),
        )
    )
    return figures


def _summaries(ledger: _Ledger) -> list[SheetSummary]:
    return [
        SheetSummary(
            sheet=s.plan.sheet,
            header_rows=list(s.plan.header.rows),
            columns_read=[c.header for c in s.plan.columns],
            columns_not_mapped=list(s.plan.unmapped),
            rows=s.rows,
            skipped_blank=s.blank,
            skipped_totals=s.totals,
        )
        for s in ledger.sheets
    ]


@dataclass
class _Classified:
    created: list[int]
    held: int
    duplicates: int
    notes: list[RowNote]


def _classify(done: _Pass) -> _Classified:
    assert done.outcome is not None
    outcome, ledger = done.outcome, done.ledger
    created = sorted(outcome.created)
    first_row = {outcome.ids[n]: n for n in created}
    held = duplicates = 0
    notes: list[RowNote] = []
    for n in sorted(outcome.ids):
        if n in outcome.created:
            continue
        item_id = outcome.ids[n]
        plan, row = ledger.where(n)
        earlier = first_row.get(item_id)
        if earlier is not None:
            duplicates += 1
            first_plan, first = ledger.where(earlier)
            status, reason = (
                RowStatus.duplicate,
                f"the same case as {row_ref(first_plan.sheet, first)}",
            )
        else:
            held += 1
            status, reason = RowStatus.already_held, f"already held as item {item_id}"
        if len(notes) < MAX_NOTES:
            notes.append(
                RowNote(
                    sheet=plan.sheet,
                    row=row,
                    cell=row_ref(plan.sheet, row),
                    status=status,
                    item_id=item_id,
                    reason=reason,
                )
            )
    return _Classified([outcome.ids[n] for n in created], held, duplicates, notes)


async def run_import(
    session: AsyncSession,
    run: ImportRun,
    calendar: WorkingCalendar,
    targets: ClockTargets,
    progress: Progress | None = None,
) -> ImportReport:
    """Read, check and (unless a dry run) write one file; the report says what happened to
    every row. A commit with any row rejected is a 422 naming each cell, and writes nothing."""
    progress = progress or NoProgress()
    digest = checksum(run.file)
    mapping = ImportMappingCreate.model_validate(
        run.mapping.model_dump(include={"name", "description", "source_system", "sheets"})
    )
    # The rows are recorded under the caller's source system, as every bulk row is: a mapping
    # naming another is refused unless the caller may name any (an admin).
    source = run.actor.source_for(mapping.source_system)
    if source != mapping.source_system:
        mapping = mapping.model_copy(update={"source_system": source})
    reference = await load_reference_names(session)
    problems = check_mapping(mapping, reference, this_year=council_today().year)
    if problems:
        raise Invalid(
            f"the mapping `{mapping.name}` does not fit the reference data held now",
            errors=problems,
        )
    db = await session.connection()
    if not run.dry_run:
        await db.execute(_LOCK, {"checksum": digest})
    done = await _pass(session, run, mapping, reference, calendar, targets, frozenset(), progress)
    rejected = _rejections(done)
    if rejected and not run.dry_run:
        await _discard(done.savepoint)
        rows = done.ledger.rows
        raise Invalid(
            f"{len(rejected):,} of {rows:,} rows cannot be imported; nothing was written",
            errors=_as_problems(rejected),
        )
    if done.outcome is None:
        # The bulk path refuses a batch with any bad row; the rest are run again, so the dry
        # run can say what they would make.
        done = await _pass(
            session, run, mapping, reference, calendar, targets, frozenset(rejected), progress
        )
        for n, notes in _rejections(done).items():
            rejected.setdefault(n, notes)
    try:
        return await _report(session, run, mapping, digest, done, rejected, reference)
    except BaseException:
        await _discard(done.savepoint)
        raise


async def _report(
    session: AsyncSession,
    run: ImportRun,
    mapping: ImportMappingCreate,
    digest: str,
    done: _Pass,
    rejected: dict[int, list[RowNote]],
    reference: ReferenceNames,
) -> ImportReport:
    ledger = done.ledger
    notes = [note for n in sorted(rejected) for note in rejected[n]][:MAX_NOTES]
    warnings = list(done.warnings)
    created: list[int] = []
    held = duplicates = 0
    figures: list[Figure] = []
    if done.outcome is not None:
        classified = _classify(done)
        created, held, duplicates = classified.created, classified.held, classified.duplicates
        notes += classified.notes[: MAX_NOTES - len(notes)]
        warnings += await _check_warnings(session, done)
        figures = await _figures(session, ledger.years, created, reference)
    else:
        warnings.append("rows the bulk checks refused twice: no figures could be worked out")
    for sheet, row, why in ledger.skips[: max(0, MAX_NOTES - len(notes))]:
        name = ledger.sheets[sheet].plan.sheet
        notes.append(
            RowNote(
                sheet=name, row=row, cell=row_ref(name, row), status=RowStatus.skipped, reason=why
            )
        )
    skipped = sum(s.blank + s.totals for s in ledger.sheets)
    db = await session.connection()
    earlier = list((await db.execute(_EARLIER, {"checksum": digest})).scalars())
    record = None
    if run.dry_run or not created:
        await _discard(done.savepoint)
    else:
        record = await _keep(session, run, mapping, digest, done, created, held + duplicates)
        assert done.savepoint is not None
        await done.savepoint.commit()
    return ImportReport(
        dry_run=run.dry_run,
        file_name=run.file_name,
        checksum=digest,
        mapping=mapping.name,
        source_system=mapping.source_system,
        rows=ledger.rows,
        created=len(created),
        already_held=held,
        duplicates=duplicates,
        rejected=len(rejected),
        skipped=skipped,
        sheets=_summaries(ledger),
        notes=notes,
        notes_truncated=len(notes) >= MAX_NOTES,
        warnings=warnings,
        figures=figures,
        record=record,
        earlier_imports=earlier,
    )


async def _keep(
    session: AsyncSession,
    run: ImportRun,
    mapping: ImportMappingCreate,
    digest: str,
    done: _Pass,
    created: list[int],
    held: int,
) -> ImportPublic:
    """The record of a committed import, the items it created, and its audit row."""
    ledger = done.ledger
    record = ImportRecord(
        file_name=run.file_name[:255],
        checksum=digest,
        mapping_name=mapping.name,
        mapping=mapping.model_dump(mode="json"),
        source_system=mapping.source_system,
        status=ImportStatus.committed,
        imported_by=run.actor.name,
        rows=ledger.rows,
        created=len(created),
        already_held=held,
        skipped=sum(s.blank + s.totals for s in ledger.sheets),
        financial_years=[FinancialYear(y).slug for y in sorted(ledger.years)],
    )
    session.add(record)
    await session.flush()
    await session.refresh(record)
    assert record.id is not None
    db = await session.connection()
    await db.execute(_LINK, {"import_id": record.id, "items": created})
    public = ImportPublic.model_validate(record.model_dump() | {"touched": 0})
    await run.actor.record(
        session,
        "import",
        "import",
        record.id,
        after=public.model_dump(mode="json", exclude={"mapping"}),
    )
    return public
