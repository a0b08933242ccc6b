"""Small builders of valid request bodies; each test overrides what it is about."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import httpx

_refs = itertools.count(1)

# A Monday in 2019, inside the demo teams' active periods.
RECEIVED = date(2019, 3, 4)


def next_ref(prefix: str = "T") -> str:
    """A fresh external reference."""
    return f"{prefix}-{next(_refs):06d}"


def make_complaint(**overrides: Any) -> dict[str, Any]:
    """A children's statutory complaint to the Head of Assessment team."""
    body: dict[str, Any] = {
        "kind": "complaint",
        "service": "children",
        "team": "children-assessment",
        "source_system": "test-crm",
        "external_ref": next_ref("C"),
        "channel": "email",
        "received_on": RECEIVED.isoformat(),
        "nature": "poor-communication",
        "person": {"name": "Testy McTestface", "email": "testy@example.org"},
    }
    body.update(overrides)
    return body


def make_compliment(**overrides: Any) -> dict[str, Any]:
    """A compliment to the adults' Head of Disability team."""
    body: dict[str, Any] = {
        "kind": "compliment",
        "service": "adults",
        "team": "adults-disability",
        "source_system": "test-crm",
        "external_ref": next_ref("K"),
        "channel": "letter",
        "received_on": RECEIVED.isoformat(),
        "compliment_text": "Thank you for your kindness.",
        "publication_consent": True,
    }
    body.update(overrides)
    return body


def make_member_enquiry(**overrides: Any) -> dict[str, Any]:
    """A councillor's enquiry to Admissions and School Investments."""
    body: dict[str, Any] = {
        "kind": "member_enquiry",
        "service": "education",
        "team": "education-admissions",
        "source_system": "test-portal",
        "external_ref": next_ref("M"),
        "channel": "portal",
        "received_on": RECEIVED.isoformat(),
        "enquirer_role": "councillor",
        "enquirer": {"name": "Cllr Example"},
        "ward_or_constituency": "Abbey",
        "person": {"name": "A Resident"},
    }
    body.update(overrides)
    return body


def make_event(type_: str, on: date | str, **overrides: Any) -> dict[str, Any]:
    """A lifecycle event recorded by a named officer."""
    body: dict[str, Any] = {"type": type_, "occurred_on": str(on), "actor": "officer.one"}
    body.update(overrides)
    return body


async def patch_current(
    client: httpx.AsyncClient, url: str, json: Any = None, **kwargs: Any
) -> httpx.Response:
    """PATCH with If-Match set to the ETag just read, as a careful client does."""
    current = await client.get(url)
    etag = current.headers.get("etag")
    headers = {**({"If-Match": etag} if etag else {}), **kwargs.pop("headers", {})}
    return await client.patch(url, json=json, headers=headers, **kwargs)
