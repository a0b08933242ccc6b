"""Council profiles: a TOML file of service areas, teams and natures, loaded idempotently."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.models import Nature, ServiceArea, Team
from services.api.models.reference import NatureCreate, ServiceAreaCreate, TeamCreate

PROFILES = Path(__file__).resolve().parents[1] / "profiles"
DEMO_PROFILE = PROFILES / "barking-and-dagenham.toml"


class CouncilProfile(BaseModel):
    """The contents of a profile file, validated like API input."""

    model_config = ConfigDict(extra="forbid")

    council: dict[str, str]
    services: list[ServiceAreaCreate]
    teams: list[TeamCreate]
    natures: list[NatureCreate]


@dataclass(frozen=True)
class ProfileLoaded:
    council: str
    services: int
    teams: int
    natures: int


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


async def load_profile(session: AsyncSession, path: Path) -> ProfileLoaded:
    """Insert or update every service, team and nature of the profile."""
    profile = read_profile(path)
    await _upsert(session, ServiceArea, _in_file_order(profile.services), ["code"])
    await _upsert(session, Team, _in_file_order(profile.teams), ["code"])
    await _upsert(session, Nature, _in_file_order(profile.natures), ["service", "code"])
    return ProfileLoaded(
        profile.council.get("name", path.stem),
        len(profile.services),
        len(profile.teams),
        len(profile.natures),
    )
