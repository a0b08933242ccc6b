"""Nothing lost, nothing doubled: idempotency keys and If-Match."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import httpx
from conftest import bearer
from factories import make_complaint, make_compliment, make_event, next_ref
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.api.http.transactions import purge_expired
from services.api.models import IdempotencyRecord, ReportRun

OUTSIDE_DEMO_YEARS = "2021-05-04"


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def test_a_retried_post_gets_the_first_response_and_writes_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await session.scalar(select(func.count()).select_from(ReportRun))
    headers = _key()
    body = {"kind": "ledger", "year": "2015-16"}
    first = await client.post("/v1/report-runs", json=body, headers=headers)
    again = await client.post("/v1/report-runs", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert await session.scalar(select(func.count()).select_from(ReportRun)) == (before or 0) + 1


async def test_a_retried_event_is_not_appended_twice(client: httpx.AsyncClient) -> None:
    item = (await client.post("/v1/feedback", json=make_complaint())).json()
    path = f"/v1/feedback/{item['id']}/events"
    headers = _key()
    event = make_event("clock_paused", "2019-03-05", reason="waiting for consent")
    first = await client.post(path, json=event, headers=headers)
    again = await client.post(path, json=event, headers=headers)
    assert again.json() == first.json()
    types = [e["type"] for e in (await client.get(path)).json()]
    assert types == ["received", "clock_paused"]


async def test_the_same_key_with_another_body_is_a_422(client: httpx.AsyncClient) -> None:
    headers = _key()
    await client.post(
        "/v1/report-runs", json={"kind": "ledger", "year": "2015-16"}, headers=headers
    )
    other = await client.post(
        "/v1/report-runs", json={"kind": "annual", "year": "2015-16"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_a_failed_request_keeps_no_response_so_its_key_can_be_used_again(
    client: httpx.AsyncClient,
) -> None:
    headers = _key()
    bad = await client.post(
        "/v1/report-runs", json={"kind": "annual", "year": "2015/16"}, headers=headers
    )
    assert bad.status_code == 422
    good = await client.post(
        "/v1/report-runs", json={"kind": "annual", "year": "2015-16"}, headers=headers
    )
    assert good.status_code == 201


async def test_keys_are_per_client(client: httpx.AsyncClient, api_keys: dict[str, str]) -> None:
    key = _key()
    body = {"kind": "ledger", "year": "2015-16"}
    mine = await client.post("/v1/report-runs", json=body, headers=key)
    theirs = await client.post(
        "/v1/report-runs", json=body, headers={**key, **bearer(api_keys["bi"])}
    )
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


async def test_a_malformed_key_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/report-runs",
        json={"kind": "ledger", "year": "2015-16"},
        headers={"Idempotency-Key": "x" * 300},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_a_retry_while_the_first_is_running_is_a_409(
    committing_client: httpx.AsyncClient, engine: AsyncEngine, api_keys: dict[str, str]
) -> None:
    key = uuid.uuid4().hex
    client_id = hashlib.sha256(f"Bearer {api_keys['admin']}".encode()).hexdigest()
    async with engine.connect() as first_request:
        await first_request.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": client_id + key}
        )
        response = await committing_client.post(
            "/v1/report-runs",
            json={"kind": "ledger", "year": "2014-15"},
            headers={"Idempotency-Key": key},
        )
        await first_request.rollback()
    assert response.status_code == 409
    assert response.headers["retry-after"] == "1"


async def test_expired_keys_are_forgotten_and_purged(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = _key()
    await client.post(
        "/v1/report-runs", json={"kind": "ledger", "year": "2015-16"}, headers=headers
    )
    await session.execute(text("UPDATE idempotency_record SET expires_at = now() - interval '1 s'"))
    reused = await client.post(
        "/v1/report-runs", json={"kind": "annual", "year": "2015-16"}, headers=headers
    )
    assert reused.status_code == 201
    await session.execute(text("UPDATE idempotency_record SET expires_at = now() - interval '1 s'"))
    assert await purge_expired(session) >= 1
    assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


async def test_a_patch_needs_if_match_and_refuses_a_stale_one(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/feedback", json=make_complaint())
    url = created.headers["location"]
    etag = (await client.get(url)).headers["etag"]
    assert etag == created.headers["etag"] == '"1"'
    missing = await client.patch(url, json={"channel": "phone"})
    assert missing.status_code == 428
    assert missing.json()["errors"][0]["field"] == "If-Match"
    ok = await client.patch(url, json={"channel": "phone"}, headers={"If-Match": etag})
    assert ok.status_code == 200
    assert ok.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"channel": "web"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert (await client.get(url)).json()["channel"] == "phone"
    bogus = await client.patch(url, json={"channel": "web"}, headers={"If-Match": '"abc"'})
    assert bogus.status_code == 412


async def test_fifty_concurrent_patches_with_one_etag_make_one_change(
    committing_client: httpx.AsyncClient,
) -> None:
    body = make_compliment(
        source_system="race-crm", external_ref=next_ref("PATCH"), received_on=OUTSIDE_DEMO_YEARS
    )
    created = await committing_client.post("/v1/feedback", json=body)
    url = created.headers["location"]
    etag = created.headers["etag"]
    responses = await asyncio.gather(
        *(
            committing_client.patch(
                url, json={"compliment_text": f"Thanks {i}"}, headers={"If-Match": etag}
            )
            for i in range(50)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 49
    final = (await committing_client.get(url)).json()
    assert final["version"] == 2


async def test_the_app_purges_expired_keys_by_itself(engine: AsyncEngine) -> None:
    from services.api.main import purge_idempotency_records
    from services.api.storage.database import make_sessionmaker

    maker = make_sessionmaker(engine)
    async with maker() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO idempotency_record (client, key, fingerprint, status_code, headers, "
                "body, expires_at) VALUES ('c', :k, 'f', 201, '{}', '', now() - interval '1 s')"
            ),
            {"k": uuid.uuid4().hex},
        )
    purger = asyncio.create_task(purge_idempotency_records(maker, 0.05))
    await asyncio.sleep(0.5)
    purger.cancel()
    async with maker() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM idempotency_record WHERE expires_at < now()")
        )
    assert left == 0
