"""Saved import mappings, and the reference data they are read against."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.domain.reference import list_natures, list_services, list_teams
from services.api.domain.versions import check_version
from services.api.errors import Conflict, Invalid, NotFound
from services.api.models.base import council_today
from services.api.models.imports import (
    ImportMapping,
    ImportMappingCreate,
    ImportMappingPublic,
    ImportMappingUpdate,
)
from services.api.rules.import_fields import ReferenceNames
from services.api.rules.import_mapping import check_mapping
from services.api.rules.import_template import TEMPLATE_MAPPING, template_mapping


async def load_reference_names(session: AsyncSession) -> ReferenceNames:
    """The council's services, teams and natures with their names."""
    services = await list_services(session)
    teams = await list_teams(session)
    natures = await list_natures(session)
    return ReferenceNames(
        services={s.code: s.name for s in services},
        teams={t.code: (t.service, t.name) for t in teams},
        natures={(n.service, n.code): n.name for n in natures},
    )


def built_in(name: str) -> ImportMappingPublic | None:
    """A mapping shipped with the service, by name."""
    if name != TEMPLATE_MAPPING:
        return None
    data = template_mapping()
    return ImportMappingPublic(**data.model_dump(), version=1, built_in=True)


def public(row: ImportMapping) -> ImportMappingPublic:
    """A stored mapping as the API shows it."""
    return ImportMappingPublic.model_validate(row.model_dump())


async def list_mappings(session: AsyncSession) -> list[ImportMappingPublic]:
    """The built-in mappings, then the saved ones by name."""
    rows = (await session.scalars(select(ImportMapping).order_by(col(ImportMapping.name)))).all()
    template = built_in(TEMPLATE_MAPPING)
    assert template is not None
    return [template, *(public(r) for r in rows)]


async def get_mapping(session: AsyncSession, name: str) -> ImportMappingPublic:
    """A mapping by name, saved or built in; NotFound otherwise."""
    found = built_in(name)
    if found is not None:
        return found
    row = await session.get(ImportMapping, name)
    if row is None:
        raise NotFound(f"no import mapping `{name}`")
    return public(row)


async def mapping_for_import(session: AsyncSession, name: str) -> ImportMappingPublic:
    """The mapping an import names; a name that is none is the request's fault (422)."""
    try:
        return await get_mapping(session, name)
    except NotFound:
        raise Invalid(f"no import mapping `{name}`: save it first", field="mapping") from None


async def _checked(session: AsyncSession, data: ImportMappingCreate) -> None:
    reference = await load_reference_names(session)
    problems = check_mapping(data, reference, this_year=council_today().year)
    if problems:
        raise Invalid(f"the mapping has {len(problems)} problem(s)", errors=problems)


def _stored(data: ImportMappingCreate | ImportMappingPublic) -> dict[str, Any]:
    return data.model_dump(mode="json", include={"description", "source_system", "sheets"})


async def create_mapping(session: AsyncSession, data: ImportMappingCreate) -> ImportMapping:
    """Save a new mapping; its name must be new and not a built-in's."""
    held = await session.get(ImportMapping, data.name)
    if built_in(data.name) is not None or held is not None:
        raise Conflict(f"an import mapping `{data.name}` already exists", field="name")
    await _checked(session, data)
    row = ImportMapping(name=data.name, **_stored(data))
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def update_mapping(
    session: AsyncSession,
    name: str,
    data: ImportMappingUpdate,
    expected_version: Collection[int] | None,
) -> ImportMapping:
    """Change a saved mapping's description, source system or sheets (replaced whole)."""
    if built_in(name) is not None:
        raise Conflict(f"`{name}` is built in and cannot be changed", field="name")
    row = await session.get(ImportMapping, name, with_for_update=True)
    if row is None:
        raise NotFound(f"no import mapping `{name}`")
    check_version(row.version, expected_version)
    changes = data.model_dump(exclude_unset=True)
    current = public(row).model_dump(include={"name", "description", "source_system", "sheets"})
    merged = ImportMappingCreate.model_validate(current | changes)
    await _checked(session, merged)
    row.sqlmodel_update(_stored(merged))
    row.version += 1
    row.updated_at = datetime.now(UTC)
    await session.flush()
    await session.refresh(row)
    return row
