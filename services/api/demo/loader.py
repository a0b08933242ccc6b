"""Loading the demo council: its profile and the cases behind its 2017/18 and 2018/19 report."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.api.demo.cases import DEMO_SOURCE, demo_cases
from services.api.demo.ombudsman_year import DECISION_LIST, ombudsman_year_cases
from services.api.domain.access import create_key
from services.api.domain.calendar import CalendarCache
from services.api.domain.escalations import create_escalation, create_remedy, update_remedy
from services.api.domain.feedback import create_item
from services.api.domain.ombudsman import import_decisions
from services.api.domain.profile import DEMO_PROFILE, load_profile
from services.api.domain.public_interest import keep_public_interest_duty
from services.api.errors import Conflict
from services.api.models import FeedbackItem
from services.api.models.access import ApiKeyCreate, Role
from services.api.models.base import council_today
from services.api.models.enums import Ombudsman
from services.api.models.escalations import EscalationCreate, RemedyCreate, RemedyUpdate
from services.api.models.feedback import FeedbackCreate
from services.api.settings import get_targets

_ITEM = TypeAdapter(FeedbackCreate)
_ESCALATION = TypeAdapter(EscalationCreate)


@dataclass(frozen=True)
class DemoLoaded:
    items_created: int
    items_already_held: int
    escalations: int
    remedies: int
    # Held with other details: changed since (an erased person's case is never compared
    # again) or loaded by an older version of the demo.
    items_held_otherwise: int = 0


async def demo_keys(session: AsyncSession) -> dict[str, str]:
    """A fresh key per role, named demo-<role>; the portal's serves the demo's first member.

    The crm key records under the demo's own source system, as the CRM the cases came from.
    """
    member_id = await session.scalar(
        select(col(FeedbackItem.enquirer_id))
        .where(col(FeedbackItem.source_system) == DEMO_SOURCE)
        .where(col(FeedbackItem.enquirer_id).is_not(None))
        .order_by(col(FeedbackItem.id))
        .limit(1)
    )
    keys: dict[str, str] = {}
    for role in Role:
        data = ApiKeyCreate(
            name=f"demo-{role}",
            role=role,
            member_person_id=member_id if role is Role.portal else None,
            source_system=DEMO_SOURCE if role is Role.crm else None,
        )
        keys[role.value] = (await create_key(session, data, replace=True)).key
    return keys


async def load_demo(session: AsyncSession) -> DemoLoaded:
    """Load the demo profile and cases through the same rules as the API; safe to run twice."""
    await load_profile(session, DEMO_PROFILE)
    db = await session.connection()
    calendar = await CalendarCache().get(db)
    targets = get_targets()
    created = held = otherwise = escalations = remedies = 0
    for case in [*demo_cases(), *ombudsman_year_cases()]:
        try:
            item, is_new = await create_item(
                db, _ITEM.validate_python(case.item), calendar, targets
            )
        except Conflict:
            otherwise += 1
            continue
        if not is_new:
            held += 1
            continue
        created += 1
        assert item.id is not None
        for escalation in case.escalations:
            escalation_id = await create_escalation(
                session, item.id, _ESCALATION.validate_python(escalation.payload), calendar, targets
            )
            escalations += 1
            for remedy in escalation.remedies:
                await create_remedy(session, escalation_id, RemedyCreate.model_validate(remedy))
                remedies += 1
            duty = await keep_public_interest_duty(session, escalation_id)
            if duty is not None and escalation.public_interest_response_on:
                answered = RemedyUpdate.model_validate(
                    {"completed_on": escalation.public_interest_response_on}
                )
                await update_remedy(session, duty.remedy_id, answered)
    # The Ombudsman's own list of the year, imported as the council would: a second load
    # finds every row already held.
    await import_decisions(
        session, DECISION_LIST.read_bytes(), Ombudsman.lgsco, calendar, targets, council_today()
    )
    return DemoLoaded(created, held, escalations, remedies, otherwise)
