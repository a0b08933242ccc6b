"""Shared column types and the metadata naming convention, set before any table exists."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import AfterValidator, StringConstraints
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

COUNCIL_TZ = ZoneInfo("Europe/London")

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


def council_today() -> date:
    """Today in the council's time zone (England)."""
    return datetime.now(COUNCIL_TZ).date()


def _not_in_future(value: date | None) -> date | None:
    if value is not None and value > council_today():
        raise ValueError("must not be in the future")
    return value


PastDate = Annotated[date, AfterValidator(_not_in_future)]


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
    """Inputs refuse fields they do not know."""

    model_config = {"extra": "forbid"}
