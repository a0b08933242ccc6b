"""The API does what its document says: preconditions, booleans, methods and declared headers.

If-Match compares strong ETags only (RFC 9110) and `*` is refused; a query boolean is `true`
or `false`; a method a path does not have is a 405 listing every method it has; every POST
declares Idempotency-Key and every PATCH If-Match, so a generated client sends them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from factories import make_complaint, make_compliment

from services.api.main import create_app
from services.api.settings import Settings

PROBLEM = "application/problem+json"
DOCUMENT = create_app(Settings()).openapi()
METHODS = ("get", "put", "post", "delete", "patch")


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    if field is not None:
        assert field in [e["field"] for e in response.json()["errors"]], response.json()


# -- If-Match on every PATCH ---------------------------------------------------------------

Patchable = Callable[[httpx.AsyncClient], Awaitable[tuple[str, dict[str, Any]]]]


async def _item(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    created = await client.post("/v1/feedback", json=make_compliment())
    return created.headers["location"], {"compliment_text": "Thank you again."}


async def _escalation(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    item = (
        await client.post("/v1/feedback", json=make_complaint(responded_on="2019-03-08"))
    ).json()
    created = await client.post(
        f"/v1/feedback/{item['id']}/escalations",
        json={"stage": "stage2_investigation", "opened_on": "2019-03-11"},
    )
    return created.headers["location"], {"completed_on": "2019-04-01"}


async def _remedy(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    url, _ = await _escalation(client)
    escalation_id = url.rsplit("/", 1)[1]
    created = await client.post(
        f"/v1/escalations/{escalation_id}/remedies",
        json={"type": "apology", "description": "An apology."},
    )
    return f"/v1/remedies/{created.json()['id']}", {"evidence": "Letter sent."}


async def _service(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    return "/v1/reference/services/children", {"name": "Children's Care"}


async def _team(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    return "/v1/reference/teams/children-assessment", {"name": "Assessment"}


PATCHABLE: list[tuple[str, Patchable]] = [
    ("item", _item),
    ("escalation", _escalation),
    ("remedy", _remedy),
    ("service", _service),
    ("team", _team),
]
PATCHABLE_IDS = [name for name, _ in PATCHABLE]


@pytest.mark.parametrize("make", [m for _, m in PATCHABLE], ids=PATCHABLE_IDS)
async def test_if_match_star_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, make: Patchable
) -> None:
    url, change = await make(client)
    before = (await client.get(url)).json()
    response = await client.patch(url, json=change, headers={"If-Match": "*"})
    assert_problem(response, 428, "If-Match")
    assert (await client.get(url)).json() == before


@pytest.mark.parametrize("make", [m for _, m in PATCHABLE], ids=PATCHABLE_IDS)
async def test_a_weak_etag_never_matches(client: httpx.AsyncClient, make: Patchable) -> None:
    url, change = await make(client)
    current = await client.get(url)
    weak = "W/" + current.headers["etag"]
    assert_problem(
        await client.patch(url, json=change, headers={"If-Match": weak}), 412, "If-Match"
    )
    assert (await client.get(url)).json() == current.json()


@pytest.mark.parametrize("make", [m for _, m in PATCHABLE], ids=PATCHABLE_IDS)
async def test_the_current_strong_etag_in_a_list_matches(
    client: httpx.AsyncClient, make: Patchable
) -> None:
    url, change = await make(client)
    etag = (await client.get(url)).headers["etag"]
    response = await client.patch(url, json=change, headers={"If-Match": f'"999999", {etag}'})
    assert response.status_code == 200, response.text
    assert response.headers["etag"] != etag


@pytest.mark.parametrize("make", [m for _, m in PATCHABLE], ids=PATCHABLE_IDS)
@pytest.mark.parametrize("header", [None, ""], ids=["missing", "empty"])
async def test_a_patch_without_an_etag_is_a_428(
    client: httpx.AsyncClient, make: Patchable, header: str | None
) -> None:
    url, change = await make(client)
    headers = {} if header is None else {"If-Match": header}
    status = 428 if header is None else 400
    assert_problem(await client.patch(url, json=change, headers=headers), status, "If-Match")


@pytest.mark.parametrize("header", ["3", "abc", '"3', "W/3"])
async def test_an_if_match_that_is_no_entity_tag_is_a_400(
    client: httpx.AsyncClient, header: str
) -> None:
    url, change = await _item(client)
    assert_problem(
        await client.patch(url, json=change, headers={"If-Match": header}), 400, "If-Match"
    )


# -- booleans in query strings ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["yes", "no", "1", "0", "on", "True", "FALSE", "t"])
async def test_a_query_boolean_is_true_or_false_only(client: httpx.AsyncClient, value: str) -> None:
    assert_problem(await client.get("/v1/feedback", params={"overdue": value}), 422, "overdue")
    upload = await client.post(
        "/v1/imports",
        params={"dry_run": value},
        files={"file": ("cases.csv", b"a,b\n1,2\n", "text/csv")},
        data={"mapping": "template"},
    )
    assert_problem(upload, 422, "dry_run")


@pytest.mark.parametrize("value", ["true", "false"])
async def test_true_and_false_are_read(client: httpx.AsyncClient, value: str) -> None:
    response = await client.get("/v1/feedback", params={"overdue": value, "limit": 1})
    assert response.status_code == 200, response.text


def test_every_boolean_query_parameter_is_read_strictly() -> None:
    booleans = [
        (path, parameter["name"])
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and "boolean" in json.dumps(parameter["schema"])
    ]
    # Each one is a QueryFlag; this names them so a new one is seen and tested.
    assert booleans == [("/v1/feedback", "overdue"), ("/v1/imports", "dry_run")]


# -- methods -----------------------------------------------------------------------------


def _documented_methods(path: str) -> set[str]:
    return {m.upper() for m in DOCUMENT["paths"][path] if m in METHODS}


def _concrete(path: str) -> str:
    return (
        path.replace("{item_id}", "1")
        .replace("{escalation_id}", "1")
        .replace("{remedy_id}", "1")
        .replace("{person_id}", "1")
        .replace("{run_id}", "1")
        .replace("{key_id}", "1")
        .replace("{code}", "children")
        .replace("{day}", "2019-12-27")
        .replace("{name}", "annual-2018-19.csv")
        .replace("{kind}", "annual")
        .replace("{file}", "2018-19.csv")
    )


@pytest.mark.parametrize("path", sorted(DOCUMENT["paths"]))
async def test_a_method_a_path_does_not_have_is_a_405_listing_every_method_it_has(
    client: httpx.AsyncClient, path: str
) -> None:
    documented = _documented_methods(path)
    for method in ("GET", "PUT", "POST", "DELETE", "PATCH"):
        if method in documented:
            continue
        response = await client.request(method, _concrete(path))
        assert_problem(response, 405)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed == documented, (method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/report-runs/claim"),
        ("PATCH", "/v1/feedback/bulk"),
        ("GET", "/v1/feedback/bulk"),
    ],
)
async def test_a_fixed_path_is_not_read_as_an_id(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert_problem(await client.request(method, path), 405)


# -- what the document declares ----------------------------------------------------------


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _header(operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"] == name:
            found: dict[str, Any] = parameter
            return found
    return None


def test_every_post_declares_idempotency_key() -> None:
    posts = [(path, op) for method, path, op in _operations() if method == "post"]
    assert len(posts) >= 15
    missing = [path for path, op in posts if _header(op, "Idempotency-Key") is None]
    assert missing == []
    for _, op in posts:
        declared = _header(op, "Idempotency-Key")
        assert declared is not None and declared["schema"]["pattern"] == "^[!-~]{1,255}$"


def test_every_patch_requires_if_match_and_its_get_gives_an_etag() -> None:
    patches = [(path, op) for method, path, op in _operations() if method == "patch"]
    assert {path for path, _ in patches} >= {
        "/v1/reference/services/{code}",
        "/v1/reference/teams/{code}",
        "/v1/feedback/{item_id}",
        "/v1/escalations/{escalation_id}",
        "/v1/remedies/{remedy_id}",
    }
    for path, op in patches:
        declared = _header(op, "If-Match")
        assert declared is not None and declared["required"], path
        for read in (DOCUMENT["paths"][path]["get"], op):
            answer = read["responses"]["200"]
            assert "ETag" in answer.get("headers", {}), path
            # The link a client (or a fuzzer) follows sends the ETag back as If-Match.
            (link,) = answer["links"].values()
            assert link["operationId"] == op["operationId"], path
            assert link["parameters"]["header.If-Match"] == "$response.header.ETag", path


async def test_a_team_renamed_to_a_name_its_service_has_is_a_409_naming_it(
    client: httpx.AsyncClient,
) -> None:
    url = "/v1/reference/teams/children-assessment"
    etag = (await client.get(url)).headers["etag"]
    taken = {"name": "Head of Disability"}  # children-disability's
    response = await client.patch(url, json=taken, headers={"If-Match": etag})
    assert_problem(response, 409, "name")
    team = {"code": "children-other", "service": "children", "active_from": "2019-04-01", **taken}
    assert_problem(await client.post("/v1/reference/teams", json=team), 409, "name")
