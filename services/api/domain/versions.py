"""Versions of items, escalations and remedies: ETags out, If-Match in, no lost updates."""

from __future__ import annotations

from services.api.errors import PreconditionFailed


def etag(version: int) -> str:
    """The ETag of a versioned resource."""
    return f'"{version}"'


def check_version(current: int, expected: int | None) -> None:
    """412 when the resource changed since the caller read it."""
    if expected is not None and current != expected:
        raise PreconditionFailed(
            f"it changed since you read it: send If-Match {etag(current)} after reading it again",
            field="If-Match",
        )
