"""Items and pages are serialised straight from their rows: byte for byte what the models give."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain.feedback import (
    FeedbackFilters,
    item_json,
    list_items,
    page_json,
    read_item,
)
from services.api.models.enums import FeedbackKind
from services.api.models.feedback import FeedbackPage, FeedbackPublic


@pytest.mark.parametrize("kind", list(FeedbackKind))
async def test_a_page_from_rows_is_the_json_feedback_page_gives(
    session: AsyncSession, kind: FeedbackKind
) -> None:
    db = await session.connection()
    rows = await list_items(db, FeedbackFilters(kind=kind), after_id=None, limit=100)
    assert rows, f"the demo council holds no {kind.value}"
    next_url = "http://testserver/v1/feedback?cursor=abc"
    as_model = FeedbackPage(
        items=[FeedbackPublic.model_validate(row) for row in rows], next=next_url
    )
    assert page_json(rows, next_url) == as_model.model_dump_json().encode()
    assert page_json([], None) == FeedbackPage(items=[], next=None).model_dump_json().encode()


@pytest.mark.parametrize("kind", list(FeedbackKind))
async def test_an_item_from_its_row_is_the_json_feedback_public_gives(
    session: AsyncSession, kind: FeedbackKind
) -> None:
    db = await session.connection()
    for listed in await list_items(db, FeedbackFilters(kind=kind), after_id=None, limit=20):
        row = await read_item(db, listed["id"])
        assert row == listed
        assert item_json(row) == FeedbackPublic.model_validate(row).model_dump_json().encode()
