"""The s.31 duty a public interest report starts, kept in the ledger as a remedy.

After the Ombudsman reports in the public interest, the council must tell it within three
months what it has done or will do (Local Government Act 1974 s.31). The duty is a remedy of
type `public_interest_report_response` on the case, due by that rule from the decision date:
it is listed, filtered as overdue and completed like any remedy, but the service alone makes
it, moves its due date and removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.errors import Conflict
from services.api.models import Escalation, Remedy
from services.api.models.enums import EscalationStage, RemedyType
from services.api.rules.ombudsman import public_interest_response_due

DUTY = RemedyType.public_interest_report_response
PUBLIC_INTEREST_DUTY = (
    "Tell the Ombudsman what the council has done, or will do, in response to the public "
    "interest report (Local Government Act 1974 s.31)"
)


@dataclass(frozen=True)
class DutyChange:
    """What keeping the duty did, for the audit trail."""

    action: str
    remedy_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _owed_on(escalation: Escalation) -> date | None:
    """The due date of the duty the case owes, or None when it owes none."""
    decided = escalation.decision_on
    owes = escalation.stage is EscalationStage.ombudsman_investigation
    if not owes or not escalation.public_interest_report or decided is None:
        return None
    return public_interest_response_due(decided)


async def keep_public_interest_duty(session: AsyncSession, escalation_id: int) -> DutyChange | None:
    """Make, move or remove the case's s.31 duty to match its report and decision date."""
    escalation = await session.get(Escalation, escalation_id)
    if escalation is None:
        return None
    due_on = _owed_on(escalation)
    held = await session.scalar(
        select(Remedy)
        .where(col(Remedy.escalation_id) == escalation_id, col(Remedy.type) == DUTY)
        .with_for_update()
    )
    if held is None:
        if due_on is None:
            return None
        remedy = Remedy(
            escalation_id=escalation_id,
            type=DUTY,
            description=PUBLIC_INTEREST_DUTY,
            due_on=due_on,
        )
        session.add(remedy)
        await session.flush()
        assert remedy.id is not None
        return DutyChange("remedy", remedy.id, None, {"type": DUTY.value, "due_on": str(due_on)})
    assert held.id is not None
    if due_on is None:
        if held.completed_on is not None:
            raise Conflict(
                f"the council answered the public interest report on {held.completed_on} "
                f"(remedy {held.id}): a case with a recorded s.31 response keeps its report "
                "and decision",
                field="public_interest_report",
            )
        before = {"type": DUTY.value, "due_on": str(held.due_on)}
        await session.execute(delete(Remedy).where(col(Remedy.id) == held.id))
        return DutyChange("delete", held.id, before, None)
    if held.due_on == due_on:
        return None
    before = {"due_on": str(held.due_on)}
    held.due_on = due_on
    held.version += 1
    held.updated_at = datetime.now(UTC)
    await session.flush()
    return DutyChange("update", held.id, before, {"due_on": str(due_on)})
