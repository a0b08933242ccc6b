"""The claim of an Idempotency-Key (one database call): the lock, then a fresh look."""

from __future__ import annotations

import uuid

import asyncpg

CLAIM = "SELECT claimed, fingerprint FROM idempotency_claim($1, $2)"
KEEP = (
    "INSERT INTO idempotency_record (client, key, fingerprint, status_code, headers, body, "
    "expires_at) VALUES ($1, $2, 'f1', 201, '{}', '', now() + interval '1 hour')"
)


async def test_a_claim_waits_for_nothing_and_then_sees_what_the_holder_committed(
    database_url: str,
) -> None:
    client, key = "claim-test", uuid.uuid4().hex
    first = await asyncpg.connect(database_url)
    second = await asyncpg.connect(database_url)
    try:
        holder = first.transaction()
        await holder.start()
        assert tuple(await first.fetchrow(CLAIM, client, key)) == (True, None)
        await first.execute(KEEP, client, key)

        retry = second.transaction()
        await retry.start()
        # The first request still runs: the retry is told so at once.
        assert tuple(await second.fetchrow(CLAIM, client, key)) == (False, None)
        await holder.commit()
        # Once the first has committed, the claim takes the lock and finds its stored response.
        assert tuple(await second.fetchrow(CLAIM, client, key)) == (True, "f1")
        await retry.rollback()
    finally:
        await first.execute("DELETE FROM idempotency_record WHERE client = $1", client)
        await first.close()
        await second.close()


async def test_an_expired_record_is_forgotten_by_the_claim(database_url: str) -> None:
    client, key = "claim-test-expired", uuid.uuid4().hex
    db = await asyncpg.connect(database_url)
    try:
        await db.execute(KEEP.replace("+ interval", "- interval"), client, key)
        async with db.transaction():
            assert tuple(await db.fetchrow(CLAIM, client, key)) == (True, None)
        held = await db.fetchval(
            "SELECT count(*) FROM idempotency_record WHERE client = $1", client
        )
        assert held == 0
    finally:
        await db.execute("DELETE FROM idempotency_record WHERE client = $1", client)
        await db.close()
