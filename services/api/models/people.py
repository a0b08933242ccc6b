"""People a case concerns, kept apart from the case rows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from services.api.models.base import WHITESPACE_CLASS as WS
from services.api.models.base import Name, StrictModel, Trimmed, timestamp_field

Email = Annotated[
    str,
    StringConstraints(max_length=254),
    Trimmed(f"^[{WS}]*[^@\\u0000{WS}]+@[^@\\u0000{WS}]+[{WS}]*$", "must be an email address"),
]
Phone = Annotated[
    str,
    StringConstraints(max_length=40),
    Trimmed(
        f"^[{WS}]*[^\\u0000{WS}][^\\u0000]+[^\\u0000{WS}][{WS}]*$",
        "must have at least 3 characters besides white space",
    ),
]
Address = Annotated[str, StringConstraints(max_length=500), Trimmed()]


class PersonBase(SQLModel):
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None


class Person(PersonBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp_field()
    pseudonymised_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class PersonCreate(PersonBase, StrictModel):
    pass


class PersonPublic(PersonBase):
    id: int
    pseudonymised_at: datetime | None = None
