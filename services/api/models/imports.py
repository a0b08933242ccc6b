"""Spreadsheet imports: saved mappings, the record of each import and the report of a run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from annotated_types import Ge, Le, Len
from pydantic import Field as PydanticField
from pydantic import GetJsonSchemaHandler, Strict, StringConstraints, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.api.models.base import (
    Changes,
    Code,
    Count,
    Flag,
    NoNul,
    Omittable,
    StrictModel,
    Text,
    Trimmed,
    WholeNumber,
    enum_type,
    timestamp_field,
)

# Names as a file shows them: something besides white space, which is trimmed from the ends.
SheetPattern = Annotated[str, StringConstraints(max_length=100), Trimmed()]
Header = Annotated[str, StringConstraints(max_length=300), Trimmed()]
FieldPath = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z_]*(\.[a-z][a-z_]*)?$", max_length=80)
]
# What a value map turns a cell's text into: a code or text, a yes/no, or nothing (blank).
# Strict members, so that 1.0 is the number 1 and not a yes.
MappedValue = Annotated[str, StringConstraints(max_length=10_000), NoNul] | Flag | None
FixedValue = Annotated[str, StringConstraints(max_length=10_000), NoNul] | Flag | Count
Days = Annotated[int, Strict(), Ge(1), Le(365), WholeNumber]
HeaderRow = Annotated[int, Strict(), Ge(1), Le(1_000), WholeNumber]


@dataclass(frozen=True)
class _EveryKeyStated:
    """A map whose document states every key it takes, its pattern included.

    Pydantic gives a key's pattern as `patternProperties`, under which a key that does not
    match is still allowed, with any value: the pattern goes to `propertyNames` instead.
    """

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        patterns = target.pop("patternProperties", {})
        if patterns:
            ((pattern, values),) = patterns.items()
            target.setdefault("propertyNames", {})["pattern"] = pattern
            target["additionalProperties"] = values
        return schema


EveryKeyStated = _EveryKeyStated()


class CheckName(StrEnum):
    """What a column may be checked against, once the service has computed it."""

    on_time = "on_time"
    working_days_taken = "working_days_taken"
    within_working_days = "within_working_days"


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of an optional property without its `null`."""
    for member in schema.get("anyOf", []):
        if member != {"type": "null"}:
            return dict(member)
    return schema


def _column_shapes(schema: dict[str, Any]) -> None:
    # The rules of `_one_use`, stated, so that what the document admits the API takes: a
    # column fills a field, or is checked (with `days` for within_working_days, and only
    # for it), or is only named (and then has no value map). Null is the same as leaving
    # a property out.
    properties = schema["properties"]
    blank = {"type": "null"}
    checks = [c.value for c in CheckName if c is not CheckName.within_working_days]
    schema["oneOf"] = [
        {
            "title": "A column that fills a field",
            "required": ["field"],
            "properties": {"field": _not_null(properties["field"]), "check": blank, "days": blank},
        },
        {
            "title": "A column checked against what the service computes",
            "required": ["check"],
            "properties": {"field": blank, "check": {"enum": checks}, "days": blank},
        },
        {
            "title": "A column checked against a number of working days",
            "required": ["check", "days"],
            "properties": {
                "field": blank,
                "check": {"const": CheckName.within_working_days.value},
                "days": _not_null(properties["days"]),
            },
        },
        {
            "title": "A column only named, which must be there",
            "properties": {
                "field": blank,
                "check": blank,
                "days": blank,
                "values": {"maxProperties": 0},
            },
        },
    ]


class ColumnRule(StrictModel):
    """One column of a sheet: the field it fills, or the figure it is checked against."""

    model_config = {"extra": "forbid", "json_schema_extra": _column_shapes}

    column: Header = PydanticField(
        description="The column's header as the file shows it; two header rows (merged cells "
        "above) are joined by ` / `, e.g. `Dates / Received`."
    )
    field: FieldPath | None = PydanticField(
        default=None,
        description="The field it fills, as in a bulk row: `received_on`, `team`, `person.name`...",
    )
    check: CheckName | None = PydanticField(
        default=None,
        description="Instead of a field: compare the column with what the service computes "
        "(a difference is a warning, not a rejection).",
    )
    days: Days | None = PydanticField(default=None, description="For `within_working_days`.")
    values: Annotated[dict[Header, MappedValue], EveryKeyStated] = PydanticField(
        default_factory=dict,
        max_length=2_000,
        description="Value map: the cell's text (case and spacing ignored) to the value stored; "
        "null leaves the field blank.",
    )

    @model_validator(mode="after")
    def _one_use(self) -> ColumnRule:
        if self.field is not None and self.check is not None:
            raise PydanticCustomError(
                "column_use", "a column fills a field or is checked, not both"
            )
        if (self.check is CheckName.within_working_days) != (self.days is not None):
            raise PydanticCustomError(
                "column_use", "`days` goes with the check `within_working_days`, and only with it"
            )
        if self.values and self.field is None and self.check is None:
            raise PydanticCustomError("column_use", "a value map needs a field or a check")
        return self


class SheetRule(StrictModel):
    """How to read the sheets whose name matches: where the header is, what each column is."""

    sheet: SheetPattern = PydanticField(
        description="A sheet's name or a pattern with `*` and `?` (`20??-??`); a CSV file is "
        "one sheet named after the file."
    )
    header_row: HeaderRow | None = PydanticField(
        default=None,
        description="The (first) header row; found below any title rows when absent.",
    )
    fixed: Annotated[dict[FieldPath, FixedValue], EveryKeyStated] = PydanticField(
        default_factory=dict,
        max_length=50,
        description="Values for every row of the sheet: `kind`, `service`, `channel`...",
    )
    columns: list[ColumnRule] = PydanticField(min_length=1, max_length=200)


class ImportMappingBase(SQLModel):
    name: Code = Field(primary_key=True, max_length=80)
    description: Text | None = None
    source_system: Code = Field(
        default="spreadsheet",
        max_length=80,
        description="The items' source system: with the sheet's references (or a fingerprint "
        "of each case when it has none), what recognises a case already held.",
    )


class ImportMapping(ImportMappingBase, table=True):
    """A saved mapping, reused year after year."""

    __tablename__ = "import_mapping"

    sheets: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class ImportMappingCreate(ImportMappingBase, StrictModel):
    sheets: list[SheetRule] = PydanticField(min_length=1, max_length=50)


class ImportMappingUpdate(Changes):
    description: Text | None = None
    source_system: Omittable[Code] = None
    sheets: Omittable[Annotated[list[SheetRule], Len(1, 50)]] = None


class ImportMappingPublic(ImportMappingBase):
    sheets: list[SheetRule]
    version: int
    built_in: bool = PydanticField(default=False, description="Shipped with the service.")
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ImportStatus(StrEnum):
    committed = "committed"
    undone = "undone"


class ImportRecordBase(SQLModel):
    file_name: str = Field(max_length=255)
    checksum: str = Field(max_length=64, description="SHA-256 of the file, hex.")
    mapping_name: str = Field(max_length=80)
    source_system: str = Field(max_length=80)
    status: ImportStatus = Field(sa_type=enum_type(ImportStatus))
    imported_by: str = Field(max_length=200)
    rows: int = Field(description="Data rows read (blank and totals rows not counted).")
    created: int
    already_held: int
    skipped: int = Field(description="Blank and totals rows.")
    financial_years: list[str] = Field(default_factory=list, sa_type=JSONB)
    undone_by: str | None = Field(default=None, max_length=200)


class ImportRecord(ImportRecordBase, table=True):
    """One committed import: what was read, with which mapping, by whom, and what it made."""

    __tablename__ = "import_record"
    __table_args__ = (sa.Index("ix_import_record_checksum", "checksum"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger)
    mapping: dict[str, Any] = Field(sa_type=JSONB)
    imported_at: datetime = timestamp_field()
    undone_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ImportItem(SQLModel, table=True):
    """An item an import created: what its undo removes."""

    __tablename__ = "import_item"

    import_id: int = Field(foreign_key="import_record.id", primary_key=True, sa_type=sa.BigInteger)
    item_id: int = Field(
        foreign_key="feedback_item.id",
        ondelete="CASCADE",
        primary_key=True,
        index=True,
        sa_type=sa.BigInteger,
    )


class ImportPublic(ImportRecordBase):
    id: int
    imported_at: datetime
    undone_at: datetime | None
    mapping: ImportMappingCreate = PydanticField(description="The mapping as it was used.")
    touched: int | None = PydanticField(
        default=None,
        description="Items of a committed import changed since (undo needs none); given by "
        "GET /v1/imports/{id}, not in lists.",
    )


class ImportPage(SQLModel):
    items: list[ImportPublic]
    next: str | None = PydanticField(description="URL of the next page; null on the last page.")


class RowStatus(StrEnum):
    created = "created"
    already_held = "already_held"
    duplicate = "duplicate"
    rejected = "rejected"
    skipped = "skipped"


class RowNote(SQLModel):
    """What happened to one row (or one cell) of the file."""

    sheet: str
    row: int
    cell: str = PydanticField(description="`2018-19!E17`, or `2018-19!17:17` for a whole row.")
    status: RowStatus
    item_id: int | None = None
    column: str | None = None
    field: str | None = None
    reason: str | None = None


class SheetSummary(SQLModel):
    sheet: str
    header_rows: list[int] = PydanticField(description="The header row(s) found.")
    columns_read: list[str]
    columns_not_mapped: list[str]
    rows: int = PydanticField(description="Data rows.")
    skipped_blank: int
    skipped_totals: int


class Figure(SQLModel):
    """A count of the report, before and after the import (would be, for a dry run)."""

    financial_year: str
    service: str
    section: str = PydanticField(description="As in the annual report: `stage1_complaints`...")
    team: str
    team_name: str | None
    before: int
    after: int


class ImportReport(SQLModel):
    dry_run: bool
    file_name: str
    checksum: str
    mapping: str
    source_system: str
    rows: int = PydanticField(description="Data rows read.")
    created: int
    already_held: int
    duplicates: int = PydanticField(description="Rows repeating an earlier row of the file.")
    rejected: int
    skipped: int
    sheets: list[SheetSummary]
    notes: list[RowNote] = PydanticField(
        description="Every row not created, or a cell's reason for rejecting it (at most 10,000)."
    )
    notes_truncated: bool = False
    warnings: list[str]
    figures: list[Figure] = PydanticField(
        description="Counts by service, section and team of the financial years the file "
        "touches: `after` is what they would become (dry run) or have become."
    )
    record: ImportPublic | None = PydanticField(
        default=None, description="The import made; none for a dry run or when nothing is new."
    )
    earlier_imports: list[int] = PydanticField(
        default_factory=list, description="Committed imports of the same file."
    )


class ColumnSuggestion(SQLModel):
    column: str
    letter: str
    field: str | None
    check: CheckName | None
    unmatched_values: list[str] = PydanticField(
        description="Values found that no value map entry or reference data matches."
    )


class SheetSuggestion(SQLModel):
    sheet: str
    header_rows: list[int]
    columns: list[ColumnSuggestion]


class MappingSuggestion(SQLModel):
    mapping: ImportMappingCreate = PydanticField(
        description="A draft to edit and save: it is not checked against the reference data."
    )
    sheets: list[SheetSuggestion]
    notes: list[str] = PydanticField(description="What the draft could not settle.")
