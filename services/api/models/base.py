"""Shared column types and the metadata naming convention, set before any table exists."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import AfterValidator, BeforeValidator, Strict, StringConstraints
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

COUNCIL_TZ = ZoneInfo("Europe/London")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?", re.ASCII)


_JSON_WORDS = frozenset({"true", "false", "null"})


def _not_a_json_word(value: str | None) -> str | None:
    # A code that reads as a JSON literal would be mistaken for one in CSV files and queries.
    if value in _JSON_WORDS:
        raise ValueError(f"{value!r} cannot be a code")
    return value


NotAJsonWord = AfterValidator(_not_a_json_word)


def _iso_only(value: Any) -> Any:
    # Lax validation would read a number as a Unix time: 0 would be 1 January 1970.
    if isinstance(value, date) or (isinstance(value, str) and _ISO.fullmatch(value)):
        return value
    raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)")


# Strict scalars: "7" is not 7 and "yes" is not true; a caller sending those has made a
# mistake worth hearing about. Text may not hold NUL characters, which PostgreSQL refuses.
NoNul = AfterValidator(_no_nul)
Day = Annotated[date, BeforeValidator(_iso_only)]
Moment = Annotated[datetime, BeforeValidator(_iso_only)]
Flag = Annotated[bool, Strict()]
Count = Annotated[int, Strict()]

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$"
    ),
    NotAJsonWord,
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_nul),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(_no_nul),
]


def council_today() -> date:
    """Today in the council's time zone (England)."""
    return datetime.now(COUNCIL_TZ).date()


def _not_in_future(value: date | None) -> date | None:
    if value is not None and value > council_today():
        raise ValueError("must not be in the future")
    return value


PastDate = Annotated[date, BeforeValidator(_iso_only), AfterValidator(_not_in_future)]


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


def timestamp_field(**kwargs: Any) -> Any:
    """A timezone-aware timestamp set by the database."""
    return Field(
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"server_default": sa.func.now(), **kwargs},
    )


class StrictModel(SQLModel):
    """Inputs refuse fields they do not know (and use the strict types above)."""

    model_config = {"extra": "forbid"}
