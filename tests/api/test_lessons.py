"""Lessons learned are written about a case: only those cleared for publication reach the bi
and reporter roles, and through them the published report; new words wait to be cleared."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import bearer
from factories import make_complaint, make_compliment, patch_current
from test_access import assert_problem

from services.reporter.cli import main as reporter

# A year of no demo case, so the lessons listed are this file's.
RECEIVED = "2022-05-03"
YEAR = "2022-23"


def _lesson(what: str) -> str:
    return f"Lesson {what} {uuid.uuid4().hex[:8]}: call Mrs Example back the same day."


async def _lessons(client: httpx.AsyncClient, key: str) -> list[str]:
    response = await client.get(
        "/v1/stats/published-text", params={"financial_year": YEAR}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    return [t["text"] for t in response.json()["lessons"]]


async def test_a_lesson_is_published_only_once_cleared(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    text = _lesson("kept")
    body = make_complaint(received_on=RECEIVED, lessons_learned=text)
    created = await client.post("/v1/feedback", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["lessons_publishable"] is False
    for role in ("bi", "reporter"):
        assert text not in await _lessons(client, api_keys[role])

    url = f"/v1/feedback/{created.json()['id']}"
    cleared = await patch_current(client, url, json={"lessons_publishable": True})
    assert cleared.status_code == 200, cleared.text
    for role in ("bi", "reporter"):
        assert text in await _lessons(client, api_keys[role])

    reworded = _lesson("reworded")
    changed = await patch_current(client, url, json={"lessons_learned": reworded})
    assert changed.json()["lessons_publishable"] is False
    listed = await _lessons(client, api_keys["bi"])
    assert text not in listed and reworded not in listed
    both = await patch_current(
        client, url, json={"lessons_learned": text, "lessons_publishable": True}
    )
    assert both.json()["lessons_publishable"] is True


async def test_a_lesson_may_be_cleared_as_it_is_recorded(
    client: httpx.AsyncClient, api_keys: dict[str, str]
) -> None:
    text = _lesson("cleared")
    body = make_complaint(received_on=RECEIVED, lessons_learned=text, lessons_publishable=True)
    created = await client.post("/v1/feedback", json=body)
    assert created.json()["lessons_publishable"] is True
    assert text in await _lessons(client, api_keys["bi"])
    # Sent as false or left out, a complaint is the same request.
    plain = make_complaint(received_on=RECEIVED)
    first = await client.post("/v1/feedback", json=plain)
    again = await client.post("/v1/feedback", json={**plain, "lessons_publishable": False})
    assert (first.status_code, again.status_code) == (201, 200)


async def test_only_a_complaint_has_lessons_to_publish(client: httpx.AsyncClient) -> None:
    refused = await client.post("/v1/feedback", json=make_compliment(lessons_publishable=True))
    assert_problem(refused, 422, "lessons_publishable")
    compliment = (await client.post("/v1/feedback", json=make_compliment())).json()
    assert compliment["lessons_publishable"] is None
    url = f"/v1/feedback/{compliment['id']}"
    assert_problem(
        await patch_current(client, url, json={"lessons_publishable": True}),
        422,
        "lessons_publishable",
    )
    complaint = (await client.post("/v1/feedback", json=make_complaint())).json()
    assert_problem(
        await patch_current(
            client, f"/v1/feedback/{complaint['id']}", json={"lessons_publishable": None}
        ),
        422,
        "lessons_publishable",
    )


def test_the_published_report_prints_cleared_lessons_only(
    live_api_url: str,
    api_keys: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cleared, kept = _lesson("for the report"), _lesson("kept back")
    with httpx.Client(base_url=live_api_url, headers=bearer(api_keys["crm"])) as crm:
        for text, publish in ((cleared, True), (kept, False)):
            body: dict[str, Any] = make_complaint(
                received_on=RECEIVED,
                responded_on=RECEIVED,
                outcome="upheld",
                lessons_learned=text,
                lessons_publishable=publish,
            )
            assert crm.post("/v1/feedback", json=body).status_code == 201
    monkeypatch.setenv("REPORTER_API_URL", live_api_url)
    monkeypatch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    out = tmp_path / "reports"
    assert reporter(["annual", "--year", YEAR, "--out", str(out), "--format", "html"]) == 0
    written = {p.suffix: p.read_text("utf-8") for p in out.iterdir()}
    assert set(written) == {".json", ".csv", ".html"}
    assert cleared in written[".json"] and cleared in written[".html"]
    for suffix, content in written.items():
        assert kept not in content, suffix
