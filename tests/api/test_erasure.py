"""After erasure nothing lets anyone confirm who the person was: a retried create, a bulk row
or an Idempotency-Key retry with the true identity is answered exactly as one with a guess;
retention does the same; nothing held is an unkeyed digest of what a request said."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

import httpx
from factories import make_complaint, make_member_enquiry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain.people import apply_retention

TRUE = {"name": "Alice Original", "email": "alice.original@example.org"}
GUESS = {"name": "Alice Guessed", "email": "alice.guessed@example.org"}


def _same_answer(one: httpx.Response, other: httpx.Response) -> None:
    """Two answers a caller cannot tell apart (but for the request id)."""
    assert one.status_code == other.status_code, (one.text, other.text)
    assert one.json() == other.json()
    hidden = {"x-request-id", "content-length", "date"}
    assert {k: v for k, v in one.headers.items() if k not in hidden} == {
        k: v for k, v in other.headers.items() if k not in hidden
    }


async def _erase(client: httpx.AsyncClient, person_id: int) -> None:
    erased = await client.post(f"/v1/people/{person_id}/erase")
    assert erased.status_code == 200, erased.text


async def test_a_retried_create_with_the_true_identity_answers_as_a_guess_does(
    client: httpx.AsyncClient,
) -> None:
    body = make_complaint(person=TRUE)
    created = await client.post("/v1/feedback", json=body)
    assert created.status_code == 201, created.text
    # Before erasure a retry is recognised, as the guarantee says.
    assert (await client.post("/v1/feedback", json=body)).status_code == 200
    assert (await client.post("/v1/feedback", json={**body, "person": GUESS})).status_code == 409

    await _erase(client, created.json()["person_id"])
    true = await client.post("/v1/feedback", json=body)
    guess = await client.post("/v1/feedback", json={**body, "person": GUESS})
    assert true.status_code == 409
    _same_answer(true, guess)
    assert str(created.json()["id"]) not in true.json()["detail"]


async def test_a_bulk_row_with_the_true_identity_answers_as_a_guess_does(
    client: httpx.AsyncClient,
) -> None:
    body = make_complaint(person=TRUE)
    created = (await client.post("/v1/feedback", json=body)).json()
    await _erase(client, created["person_id"])
    true = await client.post("/v1/feedback/bulk", json=[body])
    guess = await client.post("/v1/feedback/bulk", json=[{**body, "person": GUESS}])
    assert true.status_code == 422
    assert true.json()["errors"][0]["field"] == "[1].external_ref"
    _same_answer(true, guess)


async def test_an_enquirers_erasure_clears_every_enquiry_of_theirs(
    client: httpx.AsyncClient,
) -> None:
    first = make_member_enquiry(enquirer={"name": "Cllr True"})
    made = (await client.post("/v1/feedback", json=first)).json()
    second = make_member_enquiry(enquirer=None, enquirer_id=made["enquirer_id"])
    assert (await client.post("/v1/feedback", json=second)).status_code == 201
    await _erase(client, made["enquirer_id"])
    for body in (first, second):
        assert (await client.post("/v1/feedback", json=body)).status_code == 409


async def test_an_idempotency_key_retry_with_the_true_body_answers_as_a_guess_does(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = make_complaint(person=TRUE)
    created = await client.post("/v1/feedback", json=body, headers=key)
    assert created.status_code == 201, created.text
    bulk_key = {"Idempotency-Key": uuid.uuid4().hex}
    rows = [make_complaint(person=TRUE), make_complaint()]
    imported = await client.post("/v1/feedback/bulk", json=rows, headers=bulk_key)
    assert imported.status_code == 200, imported.text
    other_key = {"Idempotency-Key": uuid.uuid4().hex}
    other = make_complaint()
    assert (await client.post("/v1/feedback", json=other, headers=other_key)).status_code == 201
    bulk_person = await session.scalar(
        text("SELECT person_id FROM feedback_item WHERE id = :id"),
        {"id": imported.json()["items"][0]["id"]},
    )

    await _erase(client, created.json()["person_id"])
    await _erase(client, int(bulk_person))
    true = await client.post("/v1/feedback", json=body, headers=key)
    guess = await client.post("/v1/feedback", json={**body, "person": GUESS}, headers=key)
    assert "idempotent-replayed" not in true.headers
    assert true.status_code == 409
    _same_answer(true, guess)
    true_rows = await client.post("/v1/feedback/bulk", json=rows, headers=bulk_key)
    guessed_rows = [{**rows[0], "person": GUESS}, rows[1]]
    guess_rows = await client.post("/v1/feedback/bulk", json=guessed_rows, headers=bulk_key)
    assert true_rows.status_code == 422
    _same_answer(true_rows, guess_rows)
    # Another person's stored response is left alone.
    again = await client.post("/v1/feedback", json=other, headers=other_key)
    assert again.headers["idempotent-replayed"] == "true"


async def test_retention_clears_the_fingerprints_of_the_people_it_pseudonymises(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = make_complaint(person=TRUE, responded_on="2019-03-08", closed_on="2019-03-11")
    assert (await client.post("/v1/feedback", json=body)).status_code == 201
    await apply_retention(session, date(2025, 1, 1))
    true = await client.post("/v1/feedback", json=body)
    guess = await client.post("/v1/feedback", json={**body, "person": GUESS})
    assert true.status_code == 409
    _same_answer(true, guess)


async def test_no_fingerprint_held_is_a_plain_digest_of_the_request(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    key = uuid.uuid4().hex
    body: dict[str, Any] = make_complaint(person=TRUE)
    created = await client.post("/v1/feedback", json=body, headers={"Idempotency-Key": key})
    sent = created.request.content
    stored = await session.scalar(
        text("SELECT fingerprint FROM idempotency_record WHERE key = :key"), {"key": key}
    )
    assert stored and stored != hashlib.sha256(b"POST\n/v1/feedback\n" + sent).hexdigest()
    item = await session.scalar(
        text("SELECT request_fingerprint FROM feedback_item WHERE id = :id"),
        {"id": created.json()["id"]},
    )
    assert item and len(item) == 64
    # A digest of the body as sent, or of any canonical form of it, is not what is held.
    assert item != hashlib.sha256(sent).hexdigest()


def test_erasure_forgets_the_stored_creates_on_a_served_app(
    live_api_url: str, api_keys: dict[str, str]
) -> None:
    # Each request its own committed transaction, as in service (the pooled create included).
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = make_complaint(person=TRUE, received_on="2021-05-04")
    crm = {"Authorization": f"Bearer {api_keys['crm']}"}
    admin = {"Authorization": f"Bearer {api_keys['admin']}"}
    with httpx.Client(base_url=live_api_url, timeout=20) as http:
        created = http.post("/v1/feedback", json=body, headers={**crm, **key})
        assert created.status_code == 201, created.text
        replayed = http.post("/v1/feedback", json=body, headers={**crm, **key})
        assert replayed.headers["idempotent-replayed"] == "true"
        erased = http.post(f"/v1/people/{created.json()['person_id']}/erase", headers=admin)
        assert erased.status_code == 200, erased.text
        true = http.post("/v1/feedback", json=body, headers={**crm, **key})
        guess = http.post("/v1/feedback", json={**body, "person": GUESS}, headers={**crm, **key})
    assert true.status_code == 409, true.text
    _same_answer(true, guess)
