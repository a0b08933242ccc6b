"""A saved mapping applied to a sheet: its rules checked, its columns found under the header,
and each row turned into a bulk row, or into the reasons it cannot be one, cell by cell."""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.api.errors import FieldProblem, field_problem
from services.api.models.imports import CheckName, ColumnRule, ImportMappingCreate, SheetRule
from services.api.rules.import_fields import (
    ABSENT,
    REFERENCE_FIELD,
    CellProblem,
    FieldType,
    ReferenceNames,
    TargetField,
    choice_value,
    convert,
    required_fields,
    target_fields,
)
from services.api.rules.sheet_layout import (
    Cell,
    Header,
    cell_ref,
    column_letter,
    is_blank,
    normalise,
    row_ref,
)

# Filled first: a team or a nature is named within the row's service.
_FIRST = ("kind", "service")
_CHECKED: dict[CheckName, FieldType] = {
    CheckName.on_time: FieldType.flag,
    CheckName.working_days_taken: FieldType.integer,
    CheckName.within_working_days: FieldType.flag,
}
# What makes a case the same case when its sheet has no reference column.
_IDENTITY = (
    "kind",
    "service",
    "team",
    "received_on",
    "person.name",
    "enquirer.name",
    "ward_or_constituency",
)


def sheet_matches(rule: SheetRule, sheet: str) -> bool:
    """Whether a sheet's name matches the rule's name or pattern (case ignored)."""
    return fnmatch.fnmatchcase(normalise(sheet), normalise(rule.sheet))


def _check_target(kind: FieldType) -> TargetField:
    return TargetField("check", kind, frozenset())


def _normalised_values(
    rule: ColumnRule, where: str, problems: list[FieldProblem]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for raw, target in rule.values.items():
        key = normalise(raw)
        if key in values and values[key] != target:
            problems.append(
                field_problem(f"{where}.values", f"{raw!r} is mapped twice, to different values")
            )
        values[key] = target
    return values


def check_mapping(
    mapping: ImportMappingCreate, reference: ReferenceNames, *, this_year: int
) -> list[FieldProblem]:
    """Every fault of a mapping, named by its place in the mapping (`sheets.0.columns.2.field`):
    fields that do not exist, values no field accepts, a field filled twice or never."""
    problems: list[FieldProblem] = []
    fields = target_fields()
    for s, rule in enumerate(mapping.sheets):
        filled: dict[str, str] = {}
        for name, value in rule.fixed.items():
            where = f"sheets.{s}.fixed.{name}"
            target = fields.get(name)
            if target is None:
                problems.append(field_problem(where, _unknown_field(name)))
                continue
            if name == REFERENCE_FIELD:
                problems.append(field_problem(where, "every row needs its own reference"))
                continue
            _check_value(target, value, where, reference, this_year, problems)
            filled[name] = "a fixed value"
        for c, column in enumerate(rule.columns):
            where = f"sheets.{s}.columns.{c}"
            values = _normalised_values(column, where, problems)
            if column.check is not None:
                checked = _check_target(_CHECKED[column.check])
                for raw, target_value in values.items():
                    if target_value is not None:
                        _check_value(
                            checked,
                            target_value,
                            f"{where}.values.{raw}",
                            reference,
                            this_year,
                            problems,
                        )
                continue
            if column.field is None:
                continue
            target = fields.get(column.field)
            if target is None:
                problems.append(field_problem(f"{where}.field", _unknown_field(column.field)))
                continue
            if column.field in filled:
                problems.append(
                    field_problem(
                        f"{where}.field",
                        f"`{column.field}` is already filled by {filled[column.field]}",
                    )
                )
            filled[column.field] = f"column {column.column!r}"
            for raw, target_value in values.items():
                if target_value is not None:
                    _check_value(
                        target,
                        target_value,
                        f"{where}.values.{raw}",
                        reference,
                        this_year,
                        problems,
                    )
        for name in required_fields():
            if name not in filled:
                problems.append(
                    field_problem(
                        f"sheets.{s}",
                        f"no column or fixed value gives `{name}`, which every case needs",
                    )
                )
    return problems


def _unknown_field(name: str) -> str:
    close = difflib.get_close_matches(name, list(target_fields()), n=1)
    return f"no field `{name}`" + (f" (did you mean `{close[0]}`?)" if close else "")


def _check_value(
    target: TargetField,
    value: Any,
    where: str,
    reference: ReferenceNames,
    this_year: int,
    problems: list[FieldProblem],
) -> None:
    try:
        if target.type is FieldType.reference:
            text = str(value)
            if not (reference.known(target.name, text) or _named(reference, target.name, text)):
                problems.append(
                    field_problem(where, f"{text!r} is no {target.name} in the reference data")
                )
            return
        if target.type is FieldType.flag and not isinstance(value, bool):
            raise CellProblem("must be true or false")
        if target.type is FieldType.choice and choice_value(target, str(value)) is None:
            raise CellProblem(f"{value!r} is not one of {', '.join(target.choices)}")
        convert(target, value, reference=reference, this_year=this_year)
    except CellProblem as problem:
        problems.append(field_problem(where, str(problem)))


def _named(reference: ReferenceNames, name: str, text: str) -> bool:
    """Whether the text names a code of the field in some service."""
    if name == "service":
        return reference.code(name, text, None) is not None
    services = list(reference.services)
    for service in services:
        try:
            if reference.code(name, text, service) is not None:
                return True
        except CellProblem:
            return True
    return False


@dataclass(frozen=True)
class MappedColumn:
    """A column of the sheet and what the mapping makes of it."""

    column: int
    header: str
    target: TargetField
    values: Mapping[str, Any]
    check: CheckName | None = None
    days: int | None = None

    @property
    def letter(self) -> str:
        """The column's letters."""
        return column_letter(self.column)


@dataclass(frozen=True)
class SheetPlan:
    """How one sheet is read: its header, the columns mapped and the fixed values."""

    sheet: str
    header: Header
    columns: tuple[MappedColumn, ...]
    fixed: Mapping[str, Any]
    source_system: str
    unmapped: tuple[str, ...]
    letters: Mapping[str, int] = field(default_factory=dict)  # field -> column

    def cell(self, row: int, field_name: str | None) -> str:
        """The reference of the cell a field came from in a row, or the row's own."""
        column = self.letters.get(field_name or "")
        return cell_ref(self.sheet, row, column) if column else row_ref(self.sheet, row)

    def column_header(self, field_name: str | None) -> str | None:
        """The header of the column a field came from."""
        column = self.letters.get(field_name or "")
        return None if column is None else self.header.names[column - 1]


def plan_sheet(
    rule: SheetRule,
    sheet: str,
    header: Header,
    *,
    source_system: str,
    reference: ReferenceNames,
    this_year: int,
) -> tuple[SheetPlan | None, list[FieldProblem]]:
    """The plan of a sheet under its rule; problems name the header row for a column that is
    not there."""
    fields = target_fields()
    problems: list[FieldProblem] = []
    columns: list[MappedColumn] = []
    used: set[int] = set()
    for column in rule.columns:
        found = header.column_of(column.column)
        if found is None:
            present = ", ".join(n for n in header.names if n) or "nothing"
            where = row_ref(sheet, header.rows[0])
            problems.append(
                FieldProblem(
                    field=where,
                    pointer=_pointer(sheet, f"{header.rows[0]}"),
                    detail=f"no column {column.column!r} in the header (it has: {present})",
                )
            )
            continue
        used.add(found)
        name = header.names[found - 1] or column.column
        values = {normalise(k): v for k, v in column.values.items()}
        if column.check is not None:
            target = _check_target(_CHECKED[column.check])
            columns.append(MappedColumn(found, name, target, values, column.check, column.days))
        elif column.field is not None:
            columns.append(MappedColumn(found, name, fields[column.field], values))
    if problems:
        return None, problems
    fixed: dict[str, Any] = {}
    for name, value in rule.fixed.items():
        target = fields[name]
        service = fixed.get("service")
        fixed[name] = convert(
            target, value, service=service, reference=reference, this_year=this_year
        )
    columns.sort(key=lambda c: (c.check is not None, c.target.name not in _FIRST))
    unmapped = tuple(n for i, n in enumerate(header.names, 1) if n and i not in used)
    letters = {c.target.name: c.column for c in columns if c.check is None}
    return (
        SheetPlan(sheet, header, tuple(columns), fixed, source_system, unmapped, letters),
        [],
    )


def _pointer(sheet: str, cell: str) -> str:
    escaped = sheet.replace("~", "~0").replace("/", "~1")
    return f"/file/{escaped}/{cell}"


def cell_problem(sheet: str, cell: str, detail: str) -> FieldProblem:
    """A problem naming a cell (`2018-19!E17`) or row of the file."""
    local = cell.rsplit("!", 1)[-1]
    return FieldProblem(field=cell, pointer=_pointer(sheet, local), detail=detail)


@dataclass(frozen=True)
class Check:
    """A figure the sheet states, to compare with what the service computes."""

    check: CheckName
    days: int | None
    expected: Any
    column: int


@dataclass
class MappedRow:
    """A row made into a bulk row, with its checks, or the cells that stop it."""

    payload: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    problems: list[tuple[int | None, str | None, str]] = field(default_factory=list)

    @property
    def received_on(self) -> date | None:
        """The day received, when the row gave a valid one."""
        day = self.payload.get("received_on")
        return day if isinstance(day, date) else None


def is_empty_row(plan: SheetPlan, cells: Sequence[Cell]) -> bool:
    """Whether none of the mapped columns holds anything (a note elsewhere does not count)."""
    return all(c.column > len(cells) or is_blank(cells[c.column - 1]) for c in plan.columns)


def _put(payload: dict[str, Any], name: str, value: Any) -> None:
    head, _, tail = name.partition(".")
    if tail:
        payload.setdefault(head, {})[tail] = value
    else:
        payload[head] = value


def _get(payload: Mapping[str, Any], name: str) -> Any:
    head, _, tail = name.partition(".")
    value = payload.get(head)
    return value.get(tail) if tail and isinstance(value, dict) else value


def map_row(
    plan: SheetPlan, cells: Sequence[Cell], *, reference: ReferenceNames, this_year: int
) -> MappedRow:
    """The bulk row of a sheet row (without a made reference); problems name each column."""
    payload: dict[str, Any] = {"source_system": plan.source_system}
    for name, value in plan.fixed.items():
        _put(payload, name, value)
    mapped = MappedRow(payload)
    for column in plan.columns:
        cell = cells[column.column - 1] if column.column <= len(cells) else None
        try:
            value = convert(
                column.target,
                cell,
                values=column.values,
                service=payload.get("service"),
                reference=reference,
                this_year=this_year,
            )
        except CellProblem as problem:
            target = None if column.check is not None else column.target.name
            mapped.problems.append((column.column, target, str(problem)))
            continue
        if value is ABSENT:
            continue
        if column.check is not None:
            mapped.checks.append(Check(column.check, column.days, value, column.column))
        else:
            _put(payload, column.target.name, value)
    return mapped


class CaseFingerprints:
    """References for the cases of a sheet without one: a digest of what makes a case that
    case, numbered when cases are alike, so the same file gives the same references again."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def reference(self, payload: Mapping[str, Any]) -> str:
        """The next reference for a case with these identifying fields."""
        identity = {}
        for name in _IDENTITY:
            value = _get(payload, name)
            if isinstance(value, str):
                value = normalise(value)
            elif isinstance(value, date):
                value = value.isoformat()
            identity[name] = value
        text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(text.encode()).hexdigest()[:24]
        number = self._seen[digest] = self._seen.get(digest, 0) + 1
        return f"fp-{digest}-{number}"
