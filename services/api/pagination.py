"""Keyset pagination: an opaque cursor naming the last id of the previous page."""

from __future__ import annotations

import base64
import binascii

from starlette.datastructures import URL

from .problems import Invalid


def encode_cursor(last_id: int) -> str:
    """The cursor that continues after `last_id`."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor continues after; a cursor that is not ours is a 422 on `cursor`."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id" or not value.isdigit():
            raise ValueError(text)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("not a cursor this API issued", field="cursor") from None


def next_link(url: URL, rows: int, limit: int, last_id: int | None) -> str | None:
    """The URL of the next page, keeping every filter; None on the last page."""
    if rows <= limit or last_id is None:
        return None
    return str(url.include_query_params(cursor=encode_cursor(last_id)))
