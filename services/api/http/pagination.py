"""Keyset pagination: an opaque cursor naming the last id of the previous page."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Protocol, TypeVar

from fastapi import Query
from starlette.datastructures import URL

from services.api.errors import Invalid

_BIGINT_MAX = 2**63 - 1
# What `encode_cursor` writes: URL-safe base64 without padding.
Cursor = Annotated[
    str | None,
    Query(
        description="From the previous page's `next`.",
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9_-]+$",
    ),
]


def encode_cursor(last_id: int) -> str:
    """The cursor that continues after `last_id`."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor continues after; a cursor that is not ours is a 422 on `cursor`."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        prefix, _, value = text.partition(":")
        # The database's ids are bigints: a larger one is no id of ours.
        if prefix != "id" or not value.isdigit() or len(value) > 19 or int(value) > _BIGINT_MAX:
            raise ValueError(text)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("not a cursor this API issued", field="cursor") from None


class HasId(Protocol):
    @property
    def id(self) -> int | None: ...


RowT = TypeVar("RowT", bound=HasId)


def paginate(rows: Sequence[RowT], limit: int, url: URL) -> tuple[list[RowT], str | None]:
    """Split `limit + 1` fetched rows into the page and the URL of the next page (or None).

    The next URL keeps every filter of this one and names the page's last id as its cursor.
    """
    page = list(rows[:limit])
    if len(rows) <= limit or not page or page[-1].id is None:
        return page, None
    return page, next_page_url(url, page[-1].id)


def next_page_url(url: URL, last_id: int) -> str:
    """This page's URL, every filter kept, with the cursor continuing after `last_id`."""
    return str(url.include_query_params(cursor=encode_cursor(last_id)))
