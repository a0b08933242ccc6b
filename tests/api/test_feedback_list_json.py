"""The feedback list is serialised straight from its rows: byte for byte what the model gives."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.database import driver_connection
from services.api.domain.feedback import FeedbackFilters, list_items, page_json
from services.api.models.enums import FeedbackKind
from services.api.models.feedback import FeedbackPage, FeedbackPublic


@pytest.mark.parametrize("kind", list(FeedbackKind))
async def test_a_page_from_rows_is_the_json_feedback_page_gives(
    session: AsyncSession, kind: FeedbackKind
) -> None:
    db = await driver_connection(session)
    rows = await list_items(db, FeedbackFilters(kind=kind), after_id=None, limit=100)
    assert rows, f"the demo council holds no {kind.value}"
    next_url = "http://testserver/v1/feedback?cursor=abc"
    as_model = FeedbackPage(
        items=[FeedbackPublic.model_validate(row) for row in rows], next=next_url
    )
    assert page_json(rows, next_url) == as_model.model_dump_json().encode()
    assert page_json([], None) == FeedbackPage(items=[], next=None).model_dump_json().encode()
