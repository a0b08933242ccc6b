"""Reference data: services, teams, natures and non-working days."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.domain.versions import check_version
from services.api.errors import Conflict, Invalid, NotFound
from services.api.models import Nature, NonWorkingDay, ServiceArea, Team
from services.api.models.enums import ComplaintProcedure
from services.api.models.reference import (
    NatureCreate,
    NonWorkingDayCreate,
    ServiceAreaCreate,
    ServiceAreaUpdate,
    TeamCreate,
    TeamUpdate,
)
from services.api.rules.placement import Placement, TeamRow, judge_placement


async def check_placement(
    session: AsyncSession,
    *,
    service: str,
    team: str,
    on: date,
    nature: str | None = None,
) -> Placement:
    """Check in one query that the team belongs to the service and was active on the date,
    and that the nature is on the service's own list."""
    query: Select[Any, Any, Any, Any, Any] = (
        select(
            col(ServiceArea.complaint_procedure),
            col(Team.service).label("team_service"),
            col(Team.active_from),
            col(Team.active_to),
            col(Nature.code).label("nature_code"),
        )
        .select_from(ServiceArea)
        .outerjoin(Team, col(Team.code) == team)
        .outerjoin(
            Nature,
            and_(col(Nature.service) == col(ServiceArea.code), col(Nature.code) == nature),
        )
        .where(col(ServiceArea.code) == service)
    )
    row = (await session.execute(query)).first()
    if row is None:
        raise Invalid(f"unknown service area `{service}`", field="service")
    team_row = (
        None if row.team_service is None else (row.team_service, row.active_from, row.active_to)
    )
    return judge_placement(
        service,
        team,
        on,
        nature,
        procedure=ComplaintProcedure(row.complaint_procedure),
        team_row=team_row,
        nature_known=row.nature_code is not None,
    )


@dataclass(frozen=True)
class ReferenceIndex:
    """The council's reference data in memory, for checking many items at once."""

    procedures: dict[str, ComplaintProcedure]
    teams: dict[str, TeamRow]
    natures: frozenset[tuple[str, str]]

    def place(self, service: str, team: str, on: date, nature: str | None) -> Placement:
        """The same checks as check_placement, without a query."""
        procedure = self.procedures.get(service)
        if procedure is None:
            raise Invalid(f"unknown service area `{service}`", field="service")
        return judge_placement(
            service,
            team,
            on,
            nature,
            procedure=procedure,
            team_row=self.teams.get(team),
            nature_known=(service, nature or "") in self.natures,
        )


async def load_reference_index(session: AsyncSession) -> ReferenceIndex:
    """Every service, team and nature, in three small queries."""
    services = (await session.scalars(select(ServiceArea))).all()
    teams = (await session.scalars(select(Team))).all()
    natures = (await session.scalars(select(Nature))).all()
    return ReferenceIndex(
        procedures={s.code: s.complaint_procedure for s in services},
        teams={t.code: (t.service, t.active_from, t.active_to) for t in teams},
        natures=frozenset((n.service, n.code) for n in natures),
    )


async def list_services(session: AsyncSession) -> list[ServiceArea]:
    """All service areas by code."""
    return list(
        (
            await session.scalars(
                select(ServiceArea).order_by(col(ServiceArea.position), col(ServiceArea.code))
            )
        ).all()
    )


async def create_service(session: AsyncSession, data: ServiceAreaCreate) -> ServiceArea:
    """Add a service area; its code must be new."""
    if await session.get(ServiceArea, data.code) is not None:
        raise Conflict(f"service area `{data.code}` already exists", field="code")
    row = ServiceArea.model_validate(data)
    session.add(row)
    await session.flush()
    return row


async def get_service(session: AsyncSession, code: str) -> ServiceArea:
    """One service area, or NotFound."""
    row = await session.get(ServiceArea, code)
    if row is None:
        raise NotFound(f"no service area `{code}`")
    return row


async def update_service(
    session: AsyncSession,
    code: str,
    data: ServiceAreaUpdate,
    expected_version: Collection[int] | None = None,
) -> ServiceArea:
    """Rename a service area or change its default complaint procedure."""
    row = await session.get(ServiceArea, code, with_for_update=True)
    if row is None:
        raise NotFound(f"no service area `{code}`")
    check_version(row.version, expected_version)
    _reject_nulls(data.model_dump(exclude_unset=True))
    row.sqlmodel_update(data.model_dump(exclude_unset=True))
    row.version += 1
    await session.flush()
    return row


async def list_teams(
    session: AsyncSession, service: str | None = None, active_on: date | None = None
) -> list[Team]:
    """Teams, optionally of one service and active on one day."""
    query = select(Team).order_by(col(Team.service), col(Team.position), col(Team.name))
    if service is not None:
        query = query.where(col(Team.service) == service)
    if active_on is not None:
        query = query.where(col(Team.active_from) <= active_on).where(
            (col(Team.active_to).is_(None)) | (col(Team.active_to) >= active_on)
        )
    return list((await session.scalars(query)).all())


async def create_team(session: AsyncSession, data: TeamCreate) -> Team:
    """Add a team to a service."""
    if await session.get(ServiceArea, data.service) is None:
        raise Invalid(f"unknown service area `{data.service}`", field="service")
    if await session.get(Team, data.code) is not None:
        raise Conflict(f"team `{data.code}` already exists", field="code")
    await _check_team_name_free(session, data.service, data.name)
    _check_active_range(data.active_from, data.active_to)
    row = Team.model_validate(data)
    session.add(row)
    await session.flush()
    return row


async def get_team(session: AsyncSession, code: str) -> Team:
    """One team, or NotFound."""
    row = await session.get(Team, code)
    if row is None:
        raise NotFound(f"no team `{code}`")
    return row


async def update_team(
    session: AsyncSession,
    code: str,
    data: TeamUpdate,
    expected_version: Collection[int] | None = None,
) -> Team:
    """Rename a team or change the dates it is active."""
    row = await session.get(Team, code, with_for_update=True)
    if row is None:
        raise NotFound(f"no team `{code}`")
    check_version(row.version, expected_version)
    changes = data.model_dump(exclude_unset=True)
    _reject_nulls({k: v for k, v in changes.items() if k != "active_to"})
    if changes.get("name") not in (None, row.name):
        await _check_team_name_free(session, row.service, changes["name"])
    row.sqlmodel_update(changes)
    _check_active_range(row.active_from, row.active_to)
    row.version += 1
    await session.flush()
    return row


async def list_natures(session: AsyncSession, service: str | None = None) -> list[Nature]:
    """Natures of complaint, optionally of one service."""
    query = select(Nature).order_by(col(Nature.service), col(Nature.position), col(Nature.name))
    if service is not None:
        query = query.where(col(Nature.service) == service)
    return list((await session.scalars(query)).all())


async def create_nature(session: AsyncSession, data: NatureCreate) -> Nature:
    """Add a nature to a service's list."""
    if await session.get(ServiceArea, data.service) is None:
        raise Invalid(f"unknown service area `{data.service}`", field="service")
    if await session.get(Nature, (data.service, data.code)) is not None:
        raise Conflict(f"nature `{data.code}` is already on the {data.service} list", field="code")
    taken = await session.scalar(
        select(col(Nature.code)).where(
            col(Nature.service) == data.service, col(Nature.name) == data.name
        )
    )
    if taken is not None:
        raise Conflict(f"nature `{taken}` of {data.service} is already so named", field="name")
    row = Nature.model_validate(data)
    session.add(row)
    await session.flush()
    return row


async def list_non_working_days(session: AsyncSession) -> list[NonWorkingDay]:
    """Council closure days and added bank holidays, by date."""
    query = select(NonWorkingDay).order_by(col(NonWorkingDay.day))
    return list((await session.scalars(query)).all())


async def add_non_working_day(session: AsyncSession, data: NonWorkingDayCreate) -> NonWorkingDay:
    """Record a day off; the caller then recomputes open items' due dates."""
    row = NonWorkingDay.model_validate(data)
    result = await session.execute(
        insert(NonWorkingDay)
        .values(**data.model_dump())
        .on_conflict_do_nothing()
        .returning(col(NonWorkingDay.day))
    )
    if result.first() is None:
        raise Conflict(f"{data.day} is already a non-working day", field="day")
    return row


async def remove_non_working_day(session: AsyncSession, day: date) -> None:
    """Make a day a working day again."""
    result = await session.execute(
        delete(NonWorkingDay).where(col(NonWorkingDay.day) == day).returning(col(NonWorkingDay.day))
    )
    if result.first() is None:
        raise NotFound(f"{day} is not a recorded non-working day")


async def _check_team_name_free(session: AsyncSession, service: str, name: str) -> None:
    taken = await session.scalar(
        select(col(Team.code)).where(col(Team.service) == service, col(Team.name) == name)
    )
    if taken is not None:
        raise Conflict(f"team `{taken}` of {service} is already named {name!r}", field="name")


def _check_active_range(active_from: date, active_to: date | None) -> None:
    if active_to is not None and active_to < active_from:
        raise Invalid("must not be before active_from", field="active_to")


def _reject_nulls(changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if value is None:
            raise Invalid("must not be null", field=name)
