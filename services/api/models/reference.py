"""Reference data that differs from council to council: services, teams, natures, closures."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from services.api.models.base import (
    Changes,
    Code,
    Count,
    Day,
    Name,
    Omittable,
    Position,
    StrictModel,
    enum_type,
    finite,
)
from services.api.models.enums import ComplaintProcedure, NonWorkingDayKind


class ServiceAreaBase(SQLModel):
    code: Code = Field(primary_key=True, max_length=80)
    name: Name
    complaint_procedure: ComplaintProcedure = Field(sa_type=enum_type(ComplaintProcedure))
    position: Position = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="Order in the report.",
    )


class ServiceArea(ServiceAreaBase, table=True):
    __tablename__ = "service_area"

    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class ServiceAreaCreate(ServiceAreaBase, StrictModel):
    pass


class ServiceAreaUpdate(Changes):
    name: Omittable[Name] = None
    complaint_procedure: Omittable[ComplaintProcedure] = None
    position: Omittable[Position] = None


class ServiceAreaPublic(ServiceAreaBase):
    version: int = PydanticField(
        default=1, description="Its ETag, which a PATCH sends as If-Match."
    )


class TeamBase(SQLModel):
    code: Code = Field(primary_key=True, max_length=80)
    service: Code = Field(foreign_key="service_area.code", index=True, max_length=80)
    name: Name
    active_from: date
    active_to: date | None = None
    position: Position = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="Order in the report's tables.",
    )


class Team(TeamBase, table=True):
    __table_args__ = (
        *finite("active_from", "active_to"),
        sa.UniqueConstraint("service", "code"),
        sa.UniqueConstraint("service", "name"),
        sa.CheckConstraint("active_to IS NULL OR active_to >= active_from", name="active_range"),
    )

    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class TeamCreate(TeamBase, StrictModel):
    active_from: Day
    active_to: Day | None = None


class TeamUpdate(Changes):
    name: Omittable[Name] = None
    active_from: Omittable[Day] = None
    active_to: Day | None = PydanticField(default=None, description="null: active again.")
    position: Omittable[Position] = None


class TeamPublic(TeamBase):
    version: int = PydanticField(
        default=1, description="Its ETag, which a PATCH sends as If-Match."
    )


class NatureBase(SQLModel):
    service: Code = Field(foreign_key="service_area.code", primary_key=True, max_length=80)
    code: Code = Field(primary_key=True, max_length=80)
    name: Name
    position: Position = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="Order in the report's tables.",
    )


class Nature(NatureBase, table=True):
    __table_args__ = (sa.UniqueConstraint("service", "name"),)


class NatureCreate(NatureBase, StrictModel):
    pass


class NaturePublic(NatureBase):
    pass


class NonWorkingDayBase(SQLModel):
    day: date = Field(primary_key=True)
    kind: NonWorkingDayKind = Field(sa_type=enum_type(NonWorkingDayKind))
    description: Name


class NonWorkingDay(NonWorkingDayBase, table=True):
    """A day off beyond the published bank holidays: a council closure or a new bank holiday."""

    __tablename__ = "non_working_day"
    __table_args__ = finite("day")


class NonWorkingDayCreate(NonWorkingDayBase, StrictModel):
    day: Day


class NonWorkingDayPublic(NonWorkingDayBase):
    pass


class PopulationEstimateBase(SQLModel):
    year: Count = Field(
        primary_key=True,
        ge=1900,
        le=2200,
        description="The year the estimate is of: ONS mid-year estimates are as at 30 June, the "
        "Census 2021 as at 21 March 2021.",
    )
    residents: Count = Field(gt=0, le=100_000_000)


class PopulationEstimate(PopulationEstimateBase, table=True):
    """The council's population, for the Ombudsman's upheld decisions per 100,000 residents."""

    __tablename__ = "population_estimate"
    __table_args__ = (sa.CheckConstraint("residents > 0", name="residents_positive"),)


class PopulationEstimateCreate(PopulationEstimateBase, StrictModel):
    pass


class PopulationEstimatePublic(PopulationEstimateBase):
    pass
