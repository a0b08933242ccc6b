"""Placement: a case's team is of its service and active on the day; its nature is listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.api.errors import Invalid
from services.api.models.enums import ComplaintProcedure


@dataclass(frozen=True)
class Placement:
    """Where a case sits: its service's default procedure, once team and nature are checked."""

    complaint_procedure: ComplaintProcedure


TeamRow = tuple[str, date, date | None]


def judge_placement(
    service: str,
    team: str,
    on: date,
    nature: str | None,
    *,
    procedure: ComplaintProcedure,
    team_row: TeamRow | None,
    nature_known: bool,
) -> Placement:
    """The rules of placement, given what is known of the team and nature."""
    if team_row is None:
        raise Invalid(f"unknown team `{team}`", field="team")
    team_service, active_from, active_to = team_row
    if team_service != service:
        raise Invalid(f"team `{team}` belongs to `{team_service}`, not `{service}`", field="team")
    if on < active_from or (active_to is not None and on > active_to):
        until = f" to {active_to}" if active_to else ""
        raise Invalid(
            f"team `{team}` was not active on {on} (active from {active_from}{until})",
            field="team",
        )
    if nature is not None and not nature_known:
        raise Invalid(f"`{nature}` is not on the {service} list of natures", field="nature")
    return Placement(procedure)
