"""The fields a spreadsheet column can fill, and how a cell becomes a field's value.

The fields are those of a bulk row (`POST /v1/feedback/bulk`), read from the create models
themselves: a field the bulk path gains is one a mapping can name, with no list kept here.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, StrEnum
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from services.api.models.feedback import FeedbackCreate
from services.api.rules.day_first import DateProblem, parse_day_first
from services.api.rules.sheet_layout import Cell, Formula, is_blank, normalise


class FieldType(StrEnum):
    """How a cell becomes a field's value."""

    text = "text"
    date = "date"
    flag = "flag"
    integer = "integer"
    choice = "choice"
    reference = "reference"


@dataclass(frozen=True)
class TargetField:
    """A field of a bulk row: its dotted name, its type and the kinds of case that have it."""

    name: str
    type: FieldType
    kinds: frozenset[str]
    choices: tuple[str, ...] = ()
    required: bool = False


# The kinds of case a bulk row may be: the members of the create union, whatever they become.
KIND_MODELS: tuple[type[BaseModel], ...] = get_args(get_args(FeedbackCreate)[0])
# Set by the mapping, not by a column: the source system of every row.
FROM_MAPPING = frozenset({"source_system"})
# Codes of the council's reference data, matched by code or by name.
REFERENCE_FIELDS = ("service", "team", "nature")
# Made by the import (a fingerprint of the case) when the sheet has no reference column.
REFERENCE_FIELD = "external_ref"


class CellProblem(ValueError):
    """A cell that cannot become the value of its field; the message says why."""


class _Absent:
    """The cell leaves its field out of the row."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


def _plain(annotation: Any) -> Any:
    """The annotation without `None` (an optional field's) and without its constraints."""
    if get_origin(annotation) is Annotated:
        return _plain(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _plain(args[0]) if len(args) == 1 else annotation
    return annotation


def _classify(name: str, annotation: Any) -> tuple[FieldType, tuple[str, ...]] | None:
    annotation = _plain(annotation)
    if name in REFERENCE_FIELDS:
        return FieldType.reference, ()
    if get_origin(annotation) is Literal:
        return FieldType.choice, tuple(str(a) for a in get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return FieldType.choice, tuple(str(m.value) for m in annotation)
        if issubclass(annotation, datetime):
            return None
        if issubclass(annotation, date):
            return FieldType.date, ()
        if issubclass(annotation, bool):
            return FieldType.flag, ()
        if issubclass(annotation, int):
            return FieldType.integer, ()
        if issubclass(annotation, str):
            return FieldType.text, ()
    return None  # lists and the like: not a column's to fill


def _kind(model: type[BaseModel]) -> str:
    return str(get_args(model.model_fields["kind"].annotation)[0])


@cache
def target_fields() -> dict[str, TargetField]:
    """Every field a column may fill, by dotted name (`person.name`)."""
    return fields_of(KIND_MODELS)


def fields_of(models: Sequence[type[BaseModel]]) -> dict[str, TargetField]:
    """The fields of these create models (one per kind of case) a column may fill."""
    found: dict[str, TargetField] = {}

    def add(name: str, annotation: Any, kind: str, required: bool) -> None:
        classified = _classify(name, annotation)
        if classified is None:
            return
        kind_of_field, choices = classified
        held = found.get(name)
        if held is not None:
            choices = tuple(dict.fromkeys((*held.choices, *choices)))
            found[name] = TargetField(
                name, kind_of_field, held.kinds | {kind}, choices, held.required and required
            )
        else:
            found[name] = TargetField(name, kind_of_field, frozenset({kind}), choices, required)

    for model in models:
        kind = _kind(model)
        for name, info in model.model_fields.items():
            if name in FROM_MAPPING:
                continue
            annotation = _plain(info.annotation)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                for part, part_info in annotation.model_fields.items():
                    add(f"{name}.{part}", part_info.annotation, kind, False)
            else:
                add(name, info.annotation, kind, info.is_required())
    # A field some kind lacks is required of none.
    every_kind = frozenset(_kind(m) for m in models)
    return {
        name: TargetField(f.name, f.type, f.kinds, f.choices, f.required and f.kinds == every_kind)
        for name, f in found.items()
    }


def required_fields() -> list[str]:
    """Fields every row needs, whatever its kind (the reference aside: it can be made)."""
    return [n for n, f in target_fields().items() if f.required and n != REFERENCE_FIELD]


@dataclass(frozen=True)
class ReferenceNames:
    """The council's reference data by code and by name, for reading codes from cells."""

    services: Mapping[str, str]
    teams: Mapping[str, tuple[str, str]]  # code -> (service, name)
    natures: Mapping[tuple[str, str], str]  # (service, code) -> name
    _service_names: dict[str, str] = field(init=False, repr=False)
    _team_names: dict[str, list[tuple[str, str]]] = field(init=False, repr=False)
    _nature_names: dict[tuple[str, str], str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_service_names", {normalise(n): c for c, n in self.services.items()}
        )
        teams: dict[str, list[tuple[str, str]]] = {}
        for code, (service, name) in self.teams.items():
            teams.setdefault(normalise(name), []).append((service, code))
        object.__setattr__(self, "_team_names", teams)
        object.__setattr__(
            self,
            "_nature_names",
            {(service, normalise(name)): code for (service, code), name in self.natures.items()},
        )

    def code(self, name: str, text: str, service: str | None) -> str | None:
        """The code a cell's text names for a reference field, within the row's service."""
        if name == "service":
            return text if text in self.services else self._service_names.get(normalise(text))
        if name == "team":
            if text in self.teams:
                return text
            matches = self._team_names.get(normalise(text), [])
            if service is not None:
                matches = [m for m in matches if m[0] == service]
            if len(matches) > 1:
                services = " and ".join(sorted(s for s, _ in matches))
                raise CellProblem(f"{text!r} is a team of {services}: give the row's service")
            return matches[0][1] if matches else None
        if service is None:
            return None
        if (service, text) in self.natures:
            return text
        return self._nature_names.get((service, normalise(text)))

    def known(self, name: str, code: str) -> bool:
        """Whether a code exists for the field at all (of any service)."""
        if name == "service":
            return code in self.services
        if name == "team":
            return code in self.teams
        return any(c == code for _, c in self.natures)


YES = frozenset({"yes", "y", "true", "t", "1", "x", "\u2713", "\u2714", "agreed"})
NO = frozenset({"no", "n", "false", "f", "0"})


def cell_text(cell: Cell) -> str:
    """A cell's value as text: whole numbers without `.0`, dates as ISO."""
    if isinstance(cell, bool):
        return "Yes" if cell else "No"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if not cell.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return " ".join(str(cell).split())


def yes_no(value: Cell) -> bool:
    """Yes, Y, True, 1, x or a tick; No, N, False, 0."""
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if normalise(text) in YES:
        return True
    if normalise(text) in NO:
        return False
    raise CellProblem(f"{text!r} is not yes or no")


def choice_value(target: TargetField, text: str) -> str | None:
    """The choice a text names, as its code or its words (`Partly upheld`): None if none."""
    key = "_".join(normalise(text).replace("-", " ").replace("'", "").split())
    return key if key in target.choices else None


def convert(
    target: TargetField,
    cell: Cell,
    *,
    values: Mapping[str, Any] | None = None,
    service: str | None = None,
    reference: ReferenceNames,
    this_year: int,
) -> Any:
    """The value a cell gives its field, or ABSENT for a blank; CellProblem when it cannot."""
    if isinstance(cell, Formula):
        raise CellProblem(f"holds a formula ({cell.text}): paste the values instead")
    if is_blank(cell):
        return ABSENT
    mapped = False
    if values:
        key = normalise(cell_text(cell))
        if key in values:
            if values[key] is None:
                return ABSENT
            cell, mapped = values[key], True
    kind = target.type
    if kind is FieldType.text:
        return cell_text(cell)
    if kind is FieldType.date:
        try:
            return parse_day_first(cell, this_year=this_year)
        except DateProblem as problem:
            raise CellProblem(str(problem)) from None
    if kind is FieldType.flag:
        return yes_no(cell)
    if kind is FieldType.integer:
        text = cell_text(cell)
        if not text.isdigit():
            raise CellProblem(f"{text!r} is not a whole number")
        return int(text)
    text = cell_text(cell)
    if kind is FieldType.choice:
        found = choice_value(target, text)
        if found is None:
            hint = "" if mapped else "add it to the column's values, or choose one of "
            raise CellProblem(f"{text!r} has no mapping: {hint}{', '.join(target.choices)}")
        return found
    code = reference.code(target.name, text, service)
    if code is None:
        where = f" of {service}" if service and target.name != "service" else ""
        raise CellProblem(
            f"{text!r} is no {target.name}{where} in the reference data: add it to the "
            "column's values"
        )
    return code
