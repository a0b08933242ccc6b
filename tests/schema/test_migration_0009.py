"""Migration 0009 on a database that already holds data: keys get the source system they
used, held lessons are not published, stored digests are keyed so retries still match, and
personal values the audit kept nested are masked."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from services.api.domain.access import default_source_system, hash_key
from services.api.domain.feedback import fingerprint
from services.api.domain.fingerprints import keyed
from services.api.domain.profile import DEMO_PROFILE, apply_profile, read_profile
from services.api.models.feedback import ComplaintCreate
from services.api.storage.database import make_engine, make_sessionmaker
from services.api.storage.migrate import downgrade, upgrade

BEFORE = "3b9d41c27a10"  # 0008
COMPLAINT = {
    "kind": "complaint",
    "service": "children",
    "team": "children-assessment",
    "source_system": "legacy-crm",
    "external_ref": "L-1",
    "channel": "email",
    "received_on": "2019-03-04",
    "nature": "poor-communication",
    "lessons_learned": "Call back within a day.",
    "person": {"name": "Olive Old", "email": "olive@example.org"},
}


def _unkeyed(body: dict[str, Any]) -> str:
    """What the API stored before 0009: the plain SHA-256 of the canonical request."""
    payload = ComplaintCreate.model_validate(body)
    fields = payload.__pydantic_serializer__.to_python(payload, mode="json", exclude_none=True)
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _load_profile(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            # The reference data 0008 knew: population estimates came with a later revision.
            profile = read_profile(DEMO_PROFILE).model_copy(update={"populations": []})
            await apply_profile(session, profile)
    finally:
        await engine.dispose()


async def _hold_data_of_0008(url: str, digest: str) -> None:
    db = await asyncpg.connect(_dsn(url))
    try:
        person = await db.fetchval("INSERT INTO person (name) VALUES ('Olive Old') RETURNING id")
        item = await db.fetchval(
            "INSERT INTO feedback_item (service, team, source_system, external_ref, channel,"
            " received_on, kind, procedure, nature, lessons_learned, status, person_id,"
            " request_fingerprint) VALUES ('children', 'children-assessment', 'legacy-crm',"
            " 'L-1', 'email', '2019-03-04', 'complaint', 'children_statutory',"
            " 'poor-communication', 'Call back within a day.', 'open', $1, $2) RETURNING id",
            person,
            digest,
        )
        await db.execute(
            "INSERT INTO feedback_item (service, team, source_system, external_ref, channel,"
            " received_on, kind, compliment_text, publication_consent, status,"
            " request_fingerprint) VALUES ('children', 'children-assessment', 'legacy-crm',"
            " 'L-2', 'email', '2019-03-04', 'compliment', 'Thanks', false, 'closed', $1)",
            "0" * 64,
        )
        for name, role in (("old-crm", "crm"), ("Old BI", "bi")):
            await db.execute(
                "INSERT INTO api_key (name, role, key_hash, key_prefix)"
                " VALUES ($1, $2, $3, 'cfk_')",
                name,
                role,
                hash_key(name),
            )
        audit = (
            "INSERT INTO audit_event (key_name, role, action, resource_type, resource_id,"
            " changes) VALUES ('old-crm', 'crm', $1, 'feedback_item', $2, $3::jsonb)"
        )
        await db.execute(
            audit, "create", str(item), json.dumps({"team": {"before": None, "after": "x"}})
        )
        nested = {
            "event": {
                "before": None,
                "after": {"actor": "Ann Officer", "reason": "Mrs Old rang", "type": "extended"},
            },
            "status": {"before": "open", "after": "open"},
        }
        await db.execute(audit, "event", str(item), json.dumps(nested))
        await db.execute(
            "INSERT INTO idempotency_record (client, key, fingerprint, status_code, headers,"
            " body, expires_at) VALUES ('c', 'k', $1, 201, '{}', '{}', now() + interval '1 day')",
            hashlib.sha256(b"POST\n/v1/feedback\n{}").hexdigest(),
        )
    finally:
        await db.close()


async def _read(url: str, query: str) -> list[asyncpg.Record]:
    db = await asyncpg.connect(_dsn(url))
    try:
        return list(await db.fetch(query))
    finally:
        await db.close()


def test_0009_keeps_retries_matching_and_masks_what_the_audit_kept(
    scratch_database_url: str,
) -> None:
    url = scratch_database_url
    upgrade(url, BEFORE)
    asyncio.run(_load_profile(url))
    digest = _unkeyed(COMPLAINT)
    asyncio.run(_hold_data_of_0008(url, digest))

    upgrade(url)

    items = asyncio.run(
        _read(
            url, "SELECT external_ref, request_fingerprint, lessons_publishable FROM feedback_item"
        )
    )
    by_ref = {r["external_ref"]: r for r in items}
    # A retry of the complaint made before the upgrade is still recognised as the same.
    retried = ComplaintCreate.model_validate(COMPLAINT)
    assert (
        by_ref["L-1"]["request_fingerprint"] == fingerprint(retried) == keyed(bytes.fromhex(digest))
    )
    assert (by_ref["L-1"]["lessons_publishable"], by_ref["L-2"]["lessons_publishable"]) == (
        False,
        None,
    )
    keys = dict(asyncio.run(_read(url, "SELECT name, source_system FROM api_key")))
    assert keys == {"old-crm": "legacy-crm", "Old BI": default_source_system("Old BI")}
    stored = asyncio.run(_read(url, "SELECT fingerprint FROM idempotency_record"))
    assert stored[0]["fingerprint"] == keyed(hashlib.sha256(b"POST\n/v1/feedback\n{}").digest())
    audit = asyncio.run(_read(url, "SELECT action, changes FROM audit_event ORDER BY id"))
    changes = {r["action"]: json.loads(r["changes"]) for r in audit}
    assert changes["event"]["event"]["after"] == {
        "actor": "***",
        "reason": "***",
        "type": "extended",
    }
    assert changes["create"] == {"team": {"before": None, "after": "x"}}
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        asyncio.run(_read(url, "UPDATE audit_event SET action = 'forged' RETURNING id"))

    downgrade(url, BEFORE)
    columns = asyncio.run(
        _read(
            url,
            "SELECT column_name FROM information_schema.columns"
            " WHERE column_name IN ('source_system', 'lessons_publishable')"
            " AND table_name IN ('api_key', 'feedback_item')",
        )
    )
    assert [c["column_name"] for c in columns] == ["source_system"]  # the item's own
