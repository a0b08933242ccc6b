"""Council profiles: a TOML file of service areas, teams and natures, loaded idempotently."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.models import Nature, PopulationEstimate, ServiceArea, Team
from services.api.models.reference import (
    NatureCreate,
    PopulationEstimateCreate,
    ServiceAreaCreate,
    TeamCreate,
)

PROFILES = Path(__file__).resolve().parents[1] / "profiles"
DEMO_PROFILE = PROFILES / "barking-and-dagenham.toml"


class CouncilProfile(BaseModel):
    """The contents of a profile file, validated like API input."""

    model_config = ConfigDict(extra="forbid")

    council: dict[str, str]
    services: list[ServiceAreaCreate]
    teams: list[TeamCreate]
    natures: list[NatureCreate]
    # Residents by mid-year, for the Ombudsman's upheld decisions per 100,000 residents.
    populations: list[PopulationEstimateCreate] = []


@dataclass(frozen=True)
class ProfileLoaded:
    council: str
    services: int
    teams: int
    natures: int
    populations: int = 0


def read_profile(path: Path) -> CouncilProfile:
    """Parse and validate a profile file."""
    with path.open("rb") as handle:
        return CouncilProfile.model_validate(tomllib.load(handle))


async def _upsert(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    if not rows:
        return
    statement = insert(table).values(rows)
    updates = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    await session.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates))


def _in_file_order(
    rows: list[ServiceAreaCreate] | list[TeamCreate] | list[NatureCreate],
) -> list[dict[str, Any]]:
    # Reports list services, teams and natures as the profile does, unless it says otherwise.
    return [
        row.model_dump() | ({} if "position" in row.model_fields_set else {"position": index})
        for index, row in enumerate(rows)
    ]


async def apply_profile(session: AsyncSession, profile: CouncilProfile) -> ProfileLoaded:
    """Insert or update every service, team, nature and population estimate of a profile."""
    await _upsert(session, ServiceArea, _in_file_order(profile.services), ["code"])
    await _upsert(session, Team, _in_file_order(profile.teams), ["code"])
    await _upsert(session, Nature, _in_file_order(profile.natures), ["service", "code"])
    populations = [p.model_dump() for p in profile.populations]
    await _upsert(session, PopulationEstimate, populations, ["year"])
    return ProfileLoaded(
        profile.council.get("name", "the council"),
        len(profile.services),
        len(profile.teams),
        len(profile.natures),
        len(profile.populations),
    )


async def load_profile(session: AsyncSession, path: Path) -> ProfileLoaded:
    """Load a profile file: its services, teams, natures and population estimates."""
    profile = read_profile(path)
    if "name" not in profile.council:
        profile = profile.model_copy(update={"council": {**profile.council, "name": path.stem}})
    return await apply_profile(session, profile)
