"""Versions of items, escalations and remedies: ETags out, If-Match in, no lost updates."""

from __future__ import annotations

from collections.abc import Collection

from services.api.errors import PreconditionFailed


def etag(version: int) -> str:
    """The strong ETag of a versioned resource."""
    return f'"{version}"'


def check_version(current: int, expected: Collection[int] | None) -> None:
    """412 unless the resource is at one of the versions the caller read (None: no check)."""
    if expected is not None and current not in expected:
        raise PreconditionFailed(
            f"it changed since you read it: send If-Match {etag(current)} after reading it again",
            field="If-Match",
        )
