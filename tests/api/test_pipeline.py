"""The request pipeline: authenticate, then read and bound the body, then take a connection.

What a hostile or careless caller sends must cost no database connection before its key is
known, no body read before then either, and no stored response to a key refused since.
"""

from __future__ import annotations

import asyncio
import contextlib
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import bearer, in_test_transaction
from factories import make_complaint
from live_server import serving
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.api.main import create_app
from services.api.settings import Settings

PROBLEM = "application/problem+json"
SLOW_BODIES = 20
BODY_SECONDS = 2.0
DEEP = 100_000  # about 200 KB of brackets


def _served_ref() -> str:
    return f"PIPE-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def small_pool_url(database_url: str, api_keys: dict[str, str]) -> Iterator[str]:
    """The app served with a pool of two connections that gives up waiting after 1 s."""
    settings = Settings(
        database_url=database_url,
        pool_size=1,
        pool_timeout_seconds=1.0,
        body_read_seconds=BODY_SECONDS,
    )
    with serving(create_app(settings)) as url:
        yield url


async def _start_slow_bodies(url: str, headers: dict[str, str]) -> list[Any]:
    """Connections that send a POST's headers and the first byte of its body, then wait."""
    parts = urlsplit(url)
    lines = [
        "POST /v1/feedback HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        "Content-Length: 1000",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n{").encode()
    streams = []
    for _ in range(SLOW_BODIES):
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        writer.write(head)
        await writer.drain()
        streams.append((reader, writer))
    return streams


async def _status_line(reader: asyncio.StreamReader, seconds: float) -> str:
    return (await asyncio.wait_for(reader.readline(), seconds)).decode().strip()


async def _close(streams: list[Any]) -> None:
    for _, writer in streams:
        writer.close()
    for _, writer in streams:
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _pooled_routes_answer(url: str, key: str) -> list[int]:
    """Create, read and list, as everyone else does meanwhile."""
    async with httpx.AsyncClient(base_url=url, headers=bearer(key), timeout=10) as http:
        body = make_complaint(
            source_system="test-crm", external_ref=_served_ref(), received_on="2021-05-04"
        )
        created = await http.post("/v1/feedback", json=body)
        statuses = [created.status_code]
        item = created.json().get("id", 1)
        for _ in range(3):
            statuses.append((await http.get(f"/v1/feedback/{item}")).status_code)
            statuses.append((await http.get("/v1/feedback", params={"limit": 5})).status_code)
    return statuses


async def test_twenty_slow_unauthenticated_bodies_leave_the_pool_to_everyone(
    small_pool_url: str, api_keys: dict[str, str]
) -> None:
    slow = await _start_slow_bodies(small_pool_url, {"Authorization": "Bearer cfk_made-up"})
    try:
        # Refused on their headers alone, without waiting for the body.
        assert (await _status_line(slow[0][0], 5)).startswith("HTTP/1.1 401")
        statuses = await _pooled_routes_answer(small_pool_url, api_keys["crm"])
    finally:
        await _close(slow)
    assert statuses == [201] + [200] * 6


async def test_twenty_slow_authenticated_bodies_hold_no_connection_and_time_out(
    small_pool_url: str, api_keys: dict[str, str]
) -> None:
    slow = await _start_slow_bodies(small_pool_url, bearer(api_keys["crm"]))
    try:
        statuses = await _pooled_routes_answer(small_pool_url, api_keys["crm"])
        timed_out = await asyncio.gather(
            *(_status_line(reader, BODY_SECONDS + 8) for reader, _ in slow)
        )
    finally:
        await _close(slow)
    assert statuses == [201] + [200] * 6
    assert all(line.startswith("HTTP/1.1 408") for line in timed_out), timed_out


def _scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }


@pytest.mark.parametrize(
    ("who", "status"), [("made-up", 401), ("bi", 403)], ids=["unknown key", "role refused"]
)
async def test_a_refused_key_with_an_idempotency_key_gets_its_answer_with_the_body_unread(
    engine: AsyncEngine,
    session: AsyncSession,
    database_url: str,
    api_keys: dict[str, str],
    who: str,
    status: int,
) -> None:
    app = in_test_transaction(create_app(Settings(database_url=database_url)), engine, session)
    key = "cfk_made-up-key" if who == "made-up" else api_keys[who]
    headers = {
        "Host": "test",
        "Authorization": f"Bearer {key}",
        "Idempotency-Key": uuid.uuid4().hex,
        "Content-Type": "application/json",
        "Content-Length": "900000",
    }
    asked_for_body = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked_for_body
        asked_for_body = True
        await asyncio.Event().wait()  # the body never comes
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(_scope("/v1/feedback", headers), receive, send), 10)
    assert not asked_for_body
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == status


async def _new_crm_key(client: httpx.AsyncClient) -> tuple[int, str]:
    made = await client.post(
        "/v1/api-keys",
        json={
            "name": f"pipeline-{uuid.uuid4().hex[:8]}",
            "role": "crm",
            "source_system": "test-crm",
        },
    )
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["key"]


@pytest.mark.parametrize("how", ["revoked", "expired"])
async def test_a_stored_response_is_not_replayed_to_a_key_refused_since(
    client: httpx.AsyncClient, session: AsyncSession, how: str
) -> None:
    key_id, key = await _new_crm_key(client)
    body = make_complaint()
    retry = {**bearer(key), "Idempotency-Key": uuid.uuid4().hex}
    first = await client.post("/v1/feedback", json=body, headers=retry)
    assert first.status_code == 201, first.text
    if how == "revoked":
        assert (await client.post(f"/v1/api-keys/{key_id}/revoke")).status_code == 200
    else:
        await session.execute(
            text("UPDATE api_key SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": key_id},
        )
    again = await client.post("/v1/feedback", json=body, headers=retry)
    assert again.status_code == 401, again.text
    assert again.headers["content-type"] == PROBLEM
    assert "idempotent-replayed" not in again.headers


def _deep_array() -> bytes:
    return b"[" * DEEP + b"]" * DEEP


def _deep_line() -> bytes:
    return b'{"a":' * (DEEP // 2) + b"1" + b"}" * (DEEP // 2)


def _ndjson_with_a_deep_line() -> bytes:
    normal = httpx.Request("POST", "/", json=make_complaint()).read()
    return normal + b"\n" + _deep_line() + b"\n"


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/v1/feedback", "application/json", _deep_array),
        ("/v1/feedback", "application/json", _deep_line),
        ("/v1/feedback/bulk", "application/json", _deep_array),
        ("/v1/feedback/bulk", "application/x-ndjson", _ndjson_with_a_deep_line),
    ],
    ids=["item array", "item object", "bulk array", "bulk ndjson line"],
)
async def test_a_body_nested_100000_deep_is_a_problem_in_bounded_memory(
    client: httpx.AsyncClient,
    session: AsyncSession,
    api_keys: dict[str, str],
    path: str,
    content_type: str,
    body: Any,
) -> None:
    content = body()
    items_before = await session.scalar(text("SELECT count(*) FROM feedback_item"))
    tracemalloc.start()
    try:
        response = await client.post(
            path,
            content=content,
            headers={**bearer(api_keys["crm"]), "Content-Type": content_type},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["errors"][0]["field"] == "body"
    assert "nested more than 32 levels" in problem["detail"]
    # The body itself, a copy or two of it and the app's own bookkeeping: nothing that grows
    # with the depth (the streaming parser's memory grew with its square).
    assert peak < 20 * 1024 * 1024, f"{peak / 1e6:.0f} MB"
    assert await session.scalar(text("SELECT count(*) FROM feedback_item")) == items_before


async def test_a_replayed_key_creation_shows_no_secret_and_none_is_kept(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    retry = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"name": f"pipeline-secret-{uuid.uuid4().hex[:8]}", "role": "bi"}
    first = await client.post("/v1/api-keys", json=body, headers=retry)
    assert first.status_code == 201, first.text
    secret = first.json()["key"]
    assert secret.startswith("cfk_")

    again = await client.post("/v1/api-keys", json=body, headers=retry)
    assert again.status_code == 422, again.text
    assert again.headers["content-type"] == PROBLEM
    assert again.headers["idempotent-replayed"] == "true"
    assert secret not in again.text and "cfk_" not in again.text
    assert "shown only once" in again.json()["detail"]

    rows = (
        await session.execute(
            text(
                "SELECT status_code, headers::text AS headers, body FROM idempotency_record "
                "WHERE key = :key"
            ),
            {"key": retry["Idempotency-Key"]},
        )
    ).all()
    assert len(rows) == 1
    stored = rows[0]
    assert stored.status_code == 422
    assert secret.encode() not in stored.body and b"cfk_" not in stored.body
    assert secret not in stored.headers
    # Nor was a second key made by the retry.
    named = await session.scalar(
        text("SELECT count(*) FROM api_key WHERE name = :name"), {"name": body["name"]}
    )
    assert named == 1
