"""People a case concerns, kept apart from the case rows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from services.api.models.base import Name, NoNul, StrictModel, timestamp_field

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"),
    NoNul,
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40), NoNul]
Address = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul
]


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
