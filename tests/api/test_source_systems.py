"""A source system belongs to the key: items are recorded under the key's, a body naming
another is refused, so no key can take another system's references or learn of them; keys of
one system share it, and a portal key's is its member's alone."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from conftest import bearer
from factories import make_complaint, make_member_enquiry, next_ref
from sqlalchemy.ext.asyncio import AsyncSession
from test_access import assert_problem, member_of

from services.api.domain.access import default_source_system


async def _new_key(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/api-keys", json={"name": f"key-{uuid.uuid4().hex[:8]}", **body}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_item_is_recorded_under_its_keys_source_system(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    crm = bearer(api_keys["crm"])
    body = make_complaint()
    del body["source_system"]
    created = await client.post("/v1/feedback", json=body, headers=crm)
    assert created.status_code == 201, created.text
    assert created.json()["source_system"] == "test-crm"
    # Sent or left out, it is the same request.
    again = await client.post(
        "/v1/feedback", json={**body, "source_system": "test-crm"}, headers=crm
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == created.json()["id"]


async def test_a_portal_key_cannot_name_the_crms_source_system(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    crm, portal = bearer(api_keys["crm"]), bearer(api_keys["portal"])
    held = await client.post("/v1/feedback", json=make_complaint(), headers=crm)
    assert held.status_code == 201, held.text
    probe = make_member_enquiry(
        enquirer=None, source_system="test-crm", external_ref=held.json()["external_ref"]
    )
    refused = await client.post("/v1/feedback", json=probe, headers=portal)
    assert_problem(refused, 422, "source_system")
    fresh = make_member_enquiry(enquirer=None, source_system="test-crm")
    # A reference the CRM does not hold gets the same answer: nothing is learnt.
    other = await client.post("/v1/feedback", json=fresh, headers=portal)
    assert (refused.json()["detail"], refused.json()["errors"]) == (
        other.json()["detail"],
        other.json()["errors"],
    )
    assert str(held.json()["id"]) not in refused.text


async def test_a_portal_key_cannot_take_the_crms_references_first(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    crm, portal = bearer(api_keys["crm"]), bearer(api_keys["portal"])
    refs = [next_ref("TAKEN") for _ in range(2)]
    for ref in refs:
        taken = await client.post(
            "/v1/feedback",
            json=make_member_enquiry(enquirer=None, external_ref=ref),
            headers=portal,
        )
        assert taken.status_code == 201, taken.text
        assert taken.json()["source_system"] == "test-portal"
    mine = await client.post("/v1/feedback", json=make_complaint(external_ref=refs[0]), headers=crm)
    assert mine.status_code == 201, mine.text
    batch = [make_complaint(external_ref=refs[1]), make_complaint()]
    imported = await client.post("/v1/feedback/bulk", json=batch, headers=crm)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 2
    foreign = [make_complaint(), make_complaint(source_system="test-portal")]
    refused = await client.post("/v1/feedback/bulk", json=foreign, headers=crm)
    assert_problem(refused, 422, "[2].source_system")


async def test_a_conflict_names_no_item(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    crm = bearer(api_keys["crm"])
    body = make_complaint()
    created = (await client.post("/v1/feedback", json=body, headers=crm)).json()
    differs = await client.post("/v1/feedback", json={**body, "channel": "phone"}, headers=crm)
    assert_problem(differs, 409, "external_ref")
    assert str(created["id"]) not in differs.text
    bulk = await client.post("/v1/feedback/bulk", json=[{**body, "channel": "phone"}], headers=crm)
    assert_problem(bulk, 422, "[1].external_ref")
    assert str(created["id"]) not in bulk.text


async def test_a_new_key_of_the_crm_finds_the_crms_items(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    body = make_complaint()
    held = await client.post("/v1/feedback", json=body, headers=bearer(api_keys["crm"]))
    rotated = await _new_key(client, role="crm", source_system="test-crm")
    assert rotated["source_system"] == "test-crm"
    retry = await client.post("/v1/feedback", json=body, headers=bearer(rotated["key"]))
    assert retry.status_code == 200, retry.text
    assert retry.json()["id"] == held.json()["id"]


async def test_an_admin_may_record_under_any_source_system(client: httpx.AsyncClient) -> None:
    body = make_complaint(source_system="another-crm")
    created = await client.post("/v1/feedback", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["source_system"] == "another-crm"


async def test_a_key_records_under_its_name_unless_told_otherwise(
    client: httpx.AsyncClient,
) -> None:
    named = await _new_key(client, role="crm")
    assert named["source_system"] == named["name"]
    response = await client.post("/v1/api-keys", json={"name": "Power BI (finance)", "role": "bi"})
    assert response.status_code == 201, response.text
    assert response.json()["source_system"] == default_source_system("Power BI (finance)")
    assert default_source_system("Power BI (finance)").startswith("power-bi-finance-")
    assert default_source_system("Power BI (finance)") != default_source_system("power bi finance")
    listed = {k["name"]: k for k in (await client.get("/v1/api-keys")).json()}
    assert listed[named["name"]]["source_system"] == named["name"]


async def test_a_portal_keys_source_system_is_its_members_alone(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    member = await member_of(session, "portal")
    other = await member_of(session, "portal-other")
    mine = await _new_key(client, role="portal", member_person_id=member)
    # Another key of the same member may share it: the member's portal, re-keyed.
    await _new_key(
        client, role="portal", member_person_id=member, source_system=mine["source_system"]
    )
    for body in (
        {"role": "portal", "member_person_id": other, "source_system": mine["source_system"]},
        {"role": "crm", "source_system": mine["source_system"]},
        {"role": "portal", "member_person_id": other, "source_system": "test-crm"},
        # The demo's items were recorded without a key, under the demo's source system.
        {"role": "portal", "member_person_id": member, "source_system": "demo"},
    ):
        name = f"key-{uuid.uuid4().hex[:8]}"
        refused = await client.post("/v1/api-keys", json={"name": name, **body})
        assert_problem(refused, 409, "source_system")
