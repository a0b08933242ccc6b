"""Shared column types and the metadata naming convention, set before any table exists."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue, SkipJsonSchema
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from sqlmodel import Field, SQLModel

from services.api.models.window import date_window

T = TypeVar("T")

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

COUNCIL_TZ = ZoneInfo("Europe/London")
WINDOW = date_window()

# The error type of a refusal by one of the service's own rules (a day in the future, a team
# that does not exist), as the errors the API raises itself carry: what a document cannot
# state. Every other type names a constraint the document states.
RULE = "invalid"


@dataclass(frozen=True)
class SchemaPattern:
    """Declares in the request schema a pattern that a validator of the type enforces."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if handler.mode == "validation":
            target = handler.resolve_ref_schema(schema)
            if "pattern" in target:
                # One pattern a schema: a second must hold as well.
                target.setdefault("allOf", []).append({"pattern": self.pattern})
            else:
                target["pattern"] = self.pattern
        return schema


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain NUL characters")
    return value


NO_NUL_PATTERN = "^[^\\u0000]*$"


@dataclass(frozen=True)
class _NoNulCharacters(SchemaPattern):
    """Text without NUL characters, which PostgreSQL refuses: refused, and said so."""

    pattern: str = NO_NUL_PATTERN

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(_no_nul, handler(source))


NoNul = _NoNulCharacters()

# Unicode's White_Space: what is trimmed from the ends of text, and what the patterns below
# name, so the document and the service agree on every character.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
WHITESPACE_CLASS = (
    "\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
# Something besides white space, and no NUL: what every text field holds.
TEXT_PATTERN = f"^[^\\u0000]*[^\\u0000{WHITESPACE_CLASS}][^\\u0000]*$"


@dataclass(frozen=True)
class Trimmed(SchemaPattern):
    """Text matching `pattern` as sent, stored without the white space at its ends.

    The length a document states is the length sent (`max_length` on the raw text), and the
    pattern is checked on it too, so what the document allows is what is accepted.
    """

    pattern: str = TEXT_PATTERN
    message: str = "must not be blank"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        shape = re.compile(self.pattern)

        def trimmed(value: str) -> str:
            _no_nul(value)
            if not shape.fullmatch(value):
                raise PydanticCustomError("string_pattern_mismatch", self.message)
            return value.strip(WHITESPACE)

        return core_schema.no_info_after_validator_function(trimmed, handler(source))


_JSON_WORDS = frozenset({"true", "false", "null"})


def _not_a_json_word(value: str | None) -> str | None:
    # A code that reads as a JSON literal would be mistaken for one in CSV files and queries.
    if value in _JSON_WORDS:
        raise PydanticCustomError("json_word", "{value} cannot be a code", {"value": value})
    return value


NotAJsonWord = AfterValidator(_not_a_json_word)

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)


def _in_window(day: date) -> None:
    if day not in WINDOW:
        raise PydanticCustomError("date_window", "must be a day {window}", {"window": WINDOW.text})


def _day(value: Any) -> date:
    # Lax validation would read a number as a Unix time (0 would be 1 January 1970) and a
    # timestamp as its day; only `YYYY-MM-DD` is a date here.
    day: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and _DAY.fullmatch(value):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(value)
    if day is None:
        raise PydanticCustomError("date_type", "must be an ISO 8601 date (YYYY-MM-DD)")
    _in_window(day)
    return day


def _moment(value: Any) -> datetime:
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and _MOMENT.fullmatch(value):
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(value)
    if moment is None or moment.tzinfo is None:
        raise PydanticCustomError(
            "datetime_type",
            "must be an RFC 3339 timestamp with its offset, such as 2019-03-04T09:30:00Z",
        )
    _in_window(moment.date())
    return moment


def _financial_year(value: Any) -> str:
    if not isinstance(value, str) or value not in _FINANCIAL_YEARS:
        raise PydanticCustomError(
            "financial_year",
            "must be a financial year such as 2018-19, from {first} to {last}",
            {"first": WINDOW.financial_years[0], "last": WINDOW.financial_years[-1]},
        )
    return value


_FINANCIAL_YEARS = frozenset(WINDOW.financial_years)


def _whole_number(value: Any) -> Any:
    # JSON does not tell 3 from 3.0, and neither does the document's `integer`.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _true_or_false(value: Any) -> Any:
    # A query string's `yes`, `1` or `on` is a guess at a boolean; only the JSON words are one.
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise PydanticCustomError("bool_parsing", "must be true or false")


def _present(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("not_null", "leave it out to keep it; it cannot be null")
    return value


# Dates and times a caller sends are bounded by the window (API_EARLIEST_DATE to
# API_LATEST_DATE), in one place for every field, query parameter and bulk row; what the API
# answers is a plain date. Scalars are strict: "7" is not 7 and "yes" is not true, a mistake
# worth hearing about; but 7.0 is 7, as JSON has it.
Day = Annotated[date, BeforeValidator(_day), SchemaPattern(WINDOW.day_pattern)]
Moment = Annotated[datetime, BeforeValidator(_moment), SchemaPattern(WINDOW.moment_pattern)]
FinancialYearText = Annotated[
    str, BeforeValidator(_financial_year), SchemaPattern(WINDOW.financial_year_pattern)
]
Flag = Annotated[bool, Strict()]
QueryFlag = Annotated[bool, BeforeValidator(_true_or_false)]
# Bounds go inside the type, before the validator: given on a field they would land outside
# it, where the document can no longer show them.
WholeNumber = BeforeValidator(_whole_number)
Count = Annotated[int, Strict(), WholeNumber]
Position = Annotated[int, Strict(), Ge(0), Le(10_000), WholeNumber]
PersonRef = Annotated[int, Strict(), Ge(1), Le(2**31 - 1), WholeNumber]
# A field of an update that may be left out but not sent as null: the document does not
# offer null for it.
Omittable = Annotated[T | SkipJsonSchema[None], BeforeValidator(_present)]

Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$"),
    NotAJsonWord,
]
Name = Annotated[str, StringConstraints(max_length=200), Trimmed()]
Text = Annotated[str, StringConstraints(max_length=10_000), Trimmed()]


def council_today() -> date:
    """Today in the council's time zone (England)."""
    return datetime.now(COUNCIL_TZ).date()


def _not_in_future(value: date) -> date:
    if value > council_today():
        raise PydanticCustomError(RULE, "must not be in the future")
    return value


PastDate = Annotated[Day, AfterValidator(_not_in_future)]


def enum_type(enum: type[StrEnum]) -> sa.Enum:
    """Store an enum as text with a CHECK constraint, so adding a value is a plain migration."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=40,
        name=enum.__name__.lower(),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def finite(*columns: str) -> tuple[sa.CheckConstraint, ...]:
    """CHECKs that date columns hold dates: the driver writes 0001-01-01 and 9999-12-31 as
    -infinity and infinity, which no statistic can place in a year."""
    return tuple(sa.CheckConstraint(f"isfinite({c})", name=f"{c}_finite") for c in columns)


def timestamp_field(**kwargs: Any) -> Any:
    """A timezone-aware timestamp set by the database."""
    return Field(
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"server_default": sa.func.now(), **kwargs},
    )


class StrictModel(SQLModel):
    """Inputs refuse fields they do not know (and use the strict types above)."""

    model_config = {"extra": "forbid"}


def _no_defaults(schema: dict[str, Any]) -> None:
    # A field left out of a change is kept as it is, not set to a default.
    for field in schema.get("properties", {}).values():
        field.pop("default", None)


class Changes(StrictModel):
    """The body of a PATCH: the fields given change, the others stay as they are."""

    model_config = {"extra": "forbid", "json_schema_extra": _no_defaults}


# A filter of free text: compared as a value, never refused but for NUL characters.
QueryText = Annotated[str, StringConstraints(max_length=200), NoNul]
