"""API keys, roles and what each role may reach: route by route, and object by object."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import bearer
from factories import make_complaint, make_member_enquiry
from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.main import create_app, route_roles
from services.api.settings import Settings

PROBLEM = "application/problem+json"
ROLES = ("crm", "bi", "reporter", "portal", "admin")
WITH_BODY = {"POST", "PATCH", "PUT"}
MISSING_ITEM = 999_999_999
# Path parameters by name; ids are 1 except a key's, so that the admin's pass over
# `POST /v1/api-keys/{key_id}/revoke` cannot revoke one of the run's own keys.
PATH_VALUES = {
    "name": "x.csv",
    "kind": "annual",
    "file": "2018-19.csv",
    "code": "children",
    "day": "2019-01-01",
    "key_id": str(2**31 - 1),
}
PLACEHOLDER = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every path operation of the app, with its full path.

    FastAPI 0.137 and later keep included routers in `app.routes` as wrappers rather than
    copying their routes in; `iter_route_contexts` flattens them.
    """
    iterate = getattr(routing, "iter_route_contexts", None)
    if iterate is None:  # FastAPI before lazy inclusion: app.routes is already flat
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield documented(route.path), route
        return
    for context in iterate(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield documented(context.path), context.original_route


def documented(path: str) -> str:
    """The path as the document writes it, without the router's convertors (`{id:int}`)."""
    return PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", path)


def fill_path(path: str) -> str:
    """The path with each parameter replaced by a plausible value."""
    return PLACEHOLDER.sub(lambda m: PATH_VALUES.get(m.group(1), "1"), path)


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    """An RFC 9457 problem with this status, naming `field` first when given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert body["errors"], body
        assert body["errors"][0]["field"] == field, body["errors"]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings())


@pytest.fixture(scope="module")
def operations(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """(method, path, route) of every route but the health checks."""
    found = [
        (method, path, route)
        for path, route in api_routes(app)
        if not path.startswith("/health")
        for method in sorted(route.methods)
    ]
    assert len(found) >= 40, "the walk over the app's routes found too few of them"
    return found


async def member_of(session: AsyncSession, role_key: str) -> int:
    """The member a run's portal key serves."""
    member = await session.scalar(
        text("SELECT member_person_id FROM api_key WHERE name = :n"), {"n": f"test-{role_key}"}
    )
    assert isinstance(member, int)
    return member


# 1. Every route declares its roles.


def test_every_route_but_health_declares_its_roles(app: FastAPI) -> None:
    routes = list(api_routes(app))
    openapi_operations = {
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    }
    walked = {(method, path) for path, route in routes for method in route.methods}
    assert walked == openapi_operations, "the walk must see every documented operation"
    undeclared = [
        path
        for path, route in routes
        if not path.startswith("/health") and route_roles(route) is None
    ]
    assert undeclared == []
    health = [path for path, route in routes if path.startswith("/health")]
    assert health, "the health routes are walked too"
    assert [p for p, r in routes if p.startswith("/health") and route_roles(r) is not None] == []


def test_the_openapi_document_states_the_bearer_scheme_and_roles(app: FastAPI) -> None:
    document = app.openapi()
    schemes = document["components"]["securitySchemes"]
    bearer_schemes = [
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
    ]
    assert bearer_schemes, schemes
    expected = {
        (method.lower(), path): sorted(str(role) for role in route_roles(route) or ())
        for path, route in api_routes(app)
        for method in route.methods
    }
    missing: list[str] = []
    for path, item in document["paths"].items():
        if path.startswith("/health"):
            continue
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            schemes_used = {name for entry in operation.get("security", []) for name in entry}
            if not schemes_used & set(bearer_schemes):
                missing.append(f"{where}: no bearer `security`")
            if operation.get("x-roles") != expected[(method, path)]:
                missing.append(
                    f"{where}: x-roles {operation.get('x-roles')!r}, "
                    f"expected {expected[(method, path)]!r}"
                )
    assert missing == [], "\n".join(missing)


# 2. The role matrix.


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reaches_exactly_the_routes_that_admit_it(
    role: str,
    client: httpx.AsyncClient,
    api_keys: dict[str, str],
    operations: list[tuple[str, str, APIRoute]],
) -> None:
    violations: list[str] = []
    for method, path, route in operations:
        roles = route_roles(route)
        assert roles is not None, path
        response = await client.request(
            method,
            fill_path(path),
            json={} if method in WITH_BODY else None,
            headers=bearer(api_keys[role]),
        )
        where = f"{method} {path} as {role}: {response.status_code}"
        if role not in roles:
            if response.status_code != 403:
                violations.append(f"{where}, expected 403 ({response.text[:200]})")
            elif response.headers.get("content-type") != PROBLEM:
                violations.append(f"{where} is not problem+json")
        elif response.status_code in (401, 403) or response.status_code >= 500:
            violations.append(f"{where}, expected admission ({response.text[:200]})")
    assert violations == [], "\n".join(violations)


async def test_every_route_but_health_refuses_a_request_without_a_key(
    client: httpx.AsyncClient, operations: list[tuple[str, str, APIRoute]]
) -> None:
    client.headers.pop("Authorization")
    violations: list[str] = []
    for method, path, _ in operations:
        response = await client.request(
            method, fill_path(path), json={} if method in WITH_BODY else None
        )
        where = f"{method} {path}: {response.status_code}"
        if response.status_code != 401:
            violations.append(f"{where}, expected 401")
        elif response.headers.get("content-type") != PROBLEM:
            violations.append(f"{where} is not problem+json")
        elif "bearer" not in response.headers.get("www-authenticate", "").lower():
            violations.append(f"{where} has no WWW-Authenticate: Bearer")
    assert violations == [], "\n".join(violations)


# 3. Keys.


def key_name(what: str) -> str:
    return f"{what}-{uuid.uuid4().hex[:8]}"


async def create_key(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/api-keys", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_an_unknown_key_is_refused_with_401(client: httpx.AsyncClient) -> None:
    unknown = "cfk_" + "A" * 43
    response = await client.get("/v1/reference/services", headers=bearer(unknown))
    assert_problem(response, 401)
    assert "bearer" in response.headers["www-authenticate"].lower()


async def test_a_key_past_its_expiry_is_refused_with_401(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    name = key_name("expiring")
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = await create_key(client, name=name, role="crm", expires_at=expires)
    assert (await client.get("/v1/escalations", headers=bearer(created["key"]))).status_code == 200
    await session.execute(
        text("UPDATE api_key SET expires_at = now() - interval '1 minute' WHERE name = :n"),
        {"n": name},
    )
    # The app shares this test's session: forget the key row it has already loaded.
    session.expire_all()
    response = await client.get("/v1/escalations", headers=bearer(created["key"]))
    assert_problem(response, 401)
    assert "www-authenticate" in response.headers


async def test_a_revoked_key_is_refused_with_401(client: httpx.AsyncClient) -> None:
    created = await create_key(client, name=key_name("revoked"), role="bi")
    url = "/v1/stats/feedback?from_year=2018-19"
    assert (await client.get(url, headers=bearer(created["key"]))).status_code == 200
    revoked = await client.post(f"/v1/api-keys/{created['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert_problem(await client.get(url, headers=bearer(created["key"])), 401)


async def test_a_key_is_shown_once_and_only_its_sha256_is_stored(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    name = key_name("shown-once")
    created = await create_key(client, name=name, role="reporter")
    key = created["key"]
    assert key.startswith("cfk_")
    assert len(key) - len("cfk_") >= 43
    listed = await client.get("/v1/api-keys")
    assert listed.status_code == 200
    assert key not in listed.text
    mine = [k for k in listed.json() if k["name"] == name]
    assert len(mine) == 1 and "key" not in mine[0]
    stored = await session.scalar(text("SELECT key_hash FROM api_key WHERE name = :n"), {"n": name})
    assert stored == hashlib.sha256(key.encode()).hexdigest()
    assert stored != key


async def test_a_portal_key_needs_a_member(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/api-keys", json={"name": key_name("memberless"), "role": "portal"}
    )
    assert_problem(response, 422, "member_person_id")


async def test_a_key_name_is_unique(client: httpx.AsyncClient) -> None:
    name = key_name("twice")
    await create_key(client, name=name, role="crm")
    response = await client.post("/v1/api-keys", json={"name": name, "role": "bi"})
    assert_problem(response, 409, "name")


async def test_a_crm_key_cannot_create_keys(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/api-keys",
        json={"name": key_name("by-crm"), "role": "admin"},
        headers=bearer(api_keys["crm"]),
    )
    assert_problem(response, 403)


# 4. Portal keys reach their own member's enquiries only.


async def test_the_portal_records_member_enquiries_only(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/feedback", json=make_complaint(), headers=bearer(api_keys["portal"])
    )
    assert_problem(response, 403, "kind")


async def test_the_portal_records_enquiries_of_its_own_member_only(
    client: httpx.AsyncClient, api_keys: dict[str, str], session: AsyncSession
) -> None:
    other_member = await member_of(session, "portal-other")
    body = make_member_enquiry(enquirer=None, enquirer_id=other_member)
    response = await client.post("/v1/feedback", json=body, headers=bearer(api_keys["portal"]))
    assert_problem(response, 403)


async def test_another_members_enquiry_answers_as_a_missing_one(
    client: httpx.AsyncClient, api_keys: dict[str, str], session: AsyncSession
) -> None:
    portal, other = bearer(api_keys["portal"]), bearer(api_keys["portal-other"])
    own_member = await member_of(session, "portal")
    created = await client.post(
        "/v1/feedback", json=make_member_enquiry(enquirer=None), headers=portal
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["enquirer_id"] == own_member
    item_id = item["id"]

    mine = await client.get(f"/v1/feedback/{item_id}", headers=portal)
    assert mine.status_code == 200
    assert mine.json()["id"] == item_id

    hidden = await client.get(f"/v1/feedback/{item_id}", headers=other)
    missing = await client.get(f"/v1/feedback/{MISSING_ITEM}", headers=other)
    assert_problem(hidden, 404)
    assert_problem(missing, 404)
    hidden_body, missing_body = hidden.json(), missing.json()
    assert set(hidden_body) == set(missing_body)
    for field in ("status", "title", "type", "errors"):
        assert hidden_body[field] == missing_body[field], field
    assert hidden_body["detail"] == f"no feedback item {item_id}"
    assert missing_body["detail"] == f"no feedback item {MISSING_ITEM}"

    assert (await client.get(f"/v1/feedback/{item_id}/events", headers=portal)).status_code == 200
    assert_problem(await client.get(f"/v1/feedback/{item_id}/events", headers=other), 404)


async def list_all(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str]
) -> list[dict[str, Any]]:
    """Every page of `GET /v1/feedback` with these filters."""
    items: list[dict[str, Any]] = []
    response = await client.get("/v1/feedback", params={**params, "limit": "200"}, headers=headers)
    for _ in range(100):
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if not page["next"]:
            return items
        response = await client.get(page["next"], headers=headers)
    raise AssertionError("too many pages")


async def test_the_portal_list_holds_its_own_members_enquiries_only(
    client: httpx.AsyncClient, api_keys: dict[str, str], session: AsyncSession
) -> None:
    portal, other = bearer(api_keys["portal"]), bearer(api_keys["portal-other"])
    other_member = await member_of(session, "portal-other")
    created = await client.post(
        "/v1/feedback", json=make_member_enquiry(enquirer=None), headers=portal
    )
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    assert item_id in [i["id"] for i in await list_all(client, portal, {})]

    filters: list[dict[str, str]] = [
        {},
        {"kind": "complaint"},
        {"kind": "member_enquiry"},
        {"team": "education-admissions"},
        {"service": "education"},
        {"financial_year": "2018-19"},
    ]
    assert await list_all(client, other, {}), "the other member has enquiries of their own"
    for params in filters:
        for listed in await list_all(client, other, params):
            assert listed["id"] != item_id, params
            assert listed["kind"] == "member_enquiry", (params, listed)
            assert listed["enquirer_id"] == other_member, (params, listed)


async def test_a_complaint_is_not_found_by_a_portal_key(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    created = await client.post("/v1/feedback", json=make_complaint())
    assert created.status_code == 201, created.text
    complaint_id = created.json()["id"]
    for role in ("portal", "portal-other"):
        headers = bearer(api_keys[role])
        assert_problem(await client.get(f"/v1/feedback/{complaint_id}", headers=headers), 404)
        events = await client.get(f"/v1/feedback/{complaint_id}/events", headers=headers)
        assert_problem(events, 404)


async def test_portal_keys_reach_no_escalation_remedy_or_change(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    complaint = await client.post("/v1/feedback", json=make_complaint())
    assert complaint.status_code == 201, complaint.text
    complaint_id = complaint.json()["id"]
    enquiry = await client.post(
        "/v1/feedback",
        json=make_member_enquiry(enquirer=None),
        headers=bearer(api_keys["portal"]),
    )
    assert enquiry.status_code == 201, enquiry.text
    enquiry_id = enquiry.json()["id"]
    for role in ("portal", "portal-other"):
        headers = bearer(api_keys[role])
        for method, url, body in [
            ("GET", "/v1/escalations", None),
            ("GET", "/v1/escalations/1", None),
            ("GET", "/v1/remedies", None),
            ("GET", "/v1/remedies/1", None),
            (
                "POST",
                f"/v1/feedback/{complaint_id}/escalations",
                {"stage": "stage2_investigation", "opened_on": "2019-03-11"},
            ),
            ("PATCH", f"/v1/feedback/{enquiry_id}", {"ward_or_constituency": "Elsewhere"}),
        ]:
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == 403, (role, method, url, response.text)
            assert response.headers["content-type"] == PROBLEM


# 5. BI reaches statistics, not personal data.


async def test_bi_sees_no_personal_data_routes(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    bi = bearer(api_keys["bi"])
    for url in ("/v1/feedback", "/v1/people/1", "/v1/feedback/1/events", "/v1/feedback/1"):
        assert_problem(await client.get(url, headers=bi), 403)
    stats = await client.get("/v1/stats/feedback", params={"from_year": "2018-19"}, headers=bi)
    assert stats.status_code == 200, stats.text


# 6. The first admin key, from the command line, on an empty database.


def test_the_first_admin_key_comes_from_the_cli(
    scratch_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from conftest import on_pool

    from services.api import cli
    from services.api.settings import get_settings
    from services.api.storage.database import make_engine
    from services.api.storage.migrate import upgrade

    url = scratch_database_url
    upgrade(url)
    capsys.readouterr()
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        code = cli.main(["create-key", "--name", "first-admin", "--role", "admin"])
    finally:
        get_settings.cache_clear()
    assert code == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("cfk_")

    async def ask() -> tuple[int, int, list[str]]:
        engine = make_engine(url, pool_size=1)
        app = on_pool(create_app(Settings(database_url=url)), engine)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                with_key = await http.get("/v1/api-keys", headers=bearer(key))
                without = await http.get("/v1/api-keys")
        finally:
            await engine.dispose()
        names = [k["name"] for k in with_key.json()] if with_key.status_code == 200 else []
        return with_key.status_code, without.status_code, names

    with_key, without, names = asyncio.run(ask())
    assert with_key == 200
    assert names == ["first-admin"]
    assert without == 401
