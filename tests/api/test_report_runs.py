"""Report runs: queued, claimed once, uploaded idempotently, served at static URLs."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def _queue(client: httpx.AsyncClient, kind: str = "annual", year: str = "2018-19") -> Any:
    response = await client.post("/v1/report-runs", json={"kind": kind, "year": year})
    assert response.status_code == 201, response.text
    return response.json()


async def _claim(client: httpx.AsyncClient, worker: str, lease: int = 300) -> Any:
    response = await client.post(
        "/v1/report-runs/claim", json={"worker": worker, "lease_seconds": lease}
    )
    assert response.status_code in (200, 204), response.text
    return response.json() if response.status_code == 200 else None


async def _put(
    client: httpx.AsyncClient, run_id: int, name: str, body: bytes, worker: str
) -> httpx.Response:
    return await client.put(
        f"/v1/report-runs/{run_id}/files/{name}",
        params={"worker": worker},
        content=body,
        headers={"content-type": "text/csv; charset=utf-8"},
    )


async def test_a_run_goes_from_queued_to_completed_with_its_files(
    client: httpx.AsyncClient,
) -> None:
    run = await _queue(client)
    assert run["status"] == "queued"
    claimed = await _claim(client, "worker-a")
    assert (claimed["id"], claimed["status"], claimed["worker"]) == (
        run["id"],
        "running",
        "worker-a",
    )
    assert await _claim(client, "worker-b") is None
    first = await _put(client, run["id"], "annual-2018-19.csv", b"year,service\r\n", "worker-a")
    again = await _put(client, run["id"], "annual-2018-19.csv", b"year,service\r\n", "worker-a")
    assert (first.status_code, again.status_code) == (201, 200)
    done = await client.post(f"/v1/report-runs/{run['id']}/complete", json={"worker": "worker-a"})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "completed"
    assert [f["name"] for f in body["files"]] == ["annual-2018-19.csv"]
    content = await client.get(body["files"][0]["url"])
    assert content.content == b"year,service\r\n"


async def test_the_static_url_serves_the_newest_completed_run(client: httpx.AsyncClient) -> None:
    for body in (b"old\r\n", b"new\r\n"):
        run = await _queue(client, "ledger", "2018-19")
        await _claim(client, "w")
        await _put(client, run["id"], "ombudsman-ledger-2018-19.csv", body, "w")
        await client.post(f"/v1/report-runs/{run['id']}/complete", json={"worker": "w"})
    response = await client.get("/v1/reports/ledger/2018-19.csv")
    assert response.status_code == 200
    assert response.content == b"new\r\n"
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["last-modified"].endswith("GMT")
    etag = response.headers["etag"]
    cached = await client.get("/v1/reports/ledger/2018-19.csv", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert (await client.get("/v1/reports/ledger/2018-19.json")).status_code == 404
    assert (await client.get("/v1/reports/ledger/2018-19.exe")).status_code == 422
    assert (await client.get("/v1/reports/ledger/2018.csv")).status_code == 422
    assert (await client.get("/v1/reports/budget/2018-19.csv")).status_code == 422


async def test_only_the_claiming_worker_may_upload_or_finish(client: httpx.AsyncClient) -> None:
    run = await _queue(client)
    await _claim(client, "worker-a")
    response = await _put(client, run["id"], "annual-2018-19.csv", b"x", "worker-b")
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "worker"
    empty = await client.post(f"/v1/report-runs/{run['id']}/complete", json={"worker": "worker-a"})
    assert empty.status_code == 422
    bad_name = await _put(client, run["id"], "../etc/passwd", b"x", "worker-a")
    assert bad_name.status_code in (404, 422)


async def test_a_failed_run_keeps_its_reason_and_can_be_queued_again(
    client: httpx.AsyncClient,
) -> None:
    run = await _queue(client)
    await _claim(client, "w")
    failed = await client.post(
        f"/v1/report-runs/{run['id']}/fail", json={"worker": "w", "reason": "API timed out"}
    )
    assert (failed.json()["status"], failed.json()["error"]) == ("failed", "API timed out")
    requeued = await client.post(f"/v1/report-runs/{run['id']}/requeue")
    assert requeued.json()["status"] == "queued"
    again = await _claim(client, "w2")
    assert (again["id"], again["attempts"], again["error"]) == (run["id"], 2, None)
    refused = await client.post(f"/v1/report-runs/{run['id']}/requeue")
    assert refused.status_code == 409


async def test_a_run_whose_lease_expired_is_claimed_again(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    run = await _queue(client)
    await _claim(client, "crashed-worker", lease=10)
    await session.execute(
        text("UPDATE report_run SET lease_expires_at = now() - interval '1 second' WHERE id = :id"),
        {"id": run["id"]},
    )
    rescued = await _claim(client, "healthy-worker")
    assert (rescued["id"], rescued["worker"]) == (run["id"], "healthy-worker")
    late = await _put(client, run["id"], "annual-2018-19.json", b"{}", "crashed-worker")
    assert late.status_code == 409


async def test_bad_run_requests_are_problems(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/report-runs", json={"kind": "annual", "year": "2018/19"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "year"
    response = await client.post("/v1/report-runs", json={"kind": "budget", "year": "2018-19"})
    assert response.json()["errors"][0]["field"] == "kind"
    assert (await client.get("/v1/report-runs/99999999")).status_code == 404
    claim = await client.post("/v1/report-runs/claim", json={"worker": "", "lease_seconds": 1})
    assert claim.status_code == 422


async def test_concurrent_workers_never_claim_the_same_run(
    committing_client: httpx.AsyncClient,
) -> None:
    queued = [await _queue(committing_client, "ledger", "2016-17") for _ in range(5)]
    claims = await asyncio.gather(*(_claim(committing_client, f"worker-{i}") for i in range(12)))
    claimed = [c["id"] for c in claims if c is not None]
    assert sorted(claimed) == sorted(r["id"] for r in queued)
    for run in claims:
        if run is not None:
            await committing_client.post(
                f"/v1/report-runs/{run['id']}/fail",
                json={"worker": run["worker"], "reason": "test finished"},
            )


async def _run_audit(session: AsyncSession, run_id: int) -> list[tuple[str, str, Any]]:
    rows = await session.execute(
        text(
            "SELECT action, role, changes FROM audit_event"
            " WHERE resource_type = 'report_run' AND resource_id = :id ORDER BY id"
        ),
        {"id": str(run_id)},
    )
    return [(a, r, c) for a, r, c in rows.all()]


async def test_every_change_of_a_run_is_audited_and_its_failure_reason_masked(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    run = await _queue(client)
    await _claim(client, "worker-a")
    await _put(client, run["id"], "annual-2018-19.csv", b"a\r\n", "worker-a")
    await _put(client, run["id"], "annual-2018-19.csv", b"a\r\n", "worker-a")  # unchanged
    await _put(client, run["id"], "annual-2018-19.csv", b"b\r\n", "worker-a")  # replaced
    failed = await client.post(
        f"/v1/report-runs/{run['id']}/fail",
        json={"worker": "worker-a", "reason": "could not render Mrs Jones's team"},
    )
    assert failed.status_code == 200, failed.text
    await client.post(f"/v1/report-runs/{run['id']}/requeue")
    await _claim(client, "worker-b")
    await _put(client, run["id"], "annual-2018-19.json", b"{}", "worker-b")
    for _ in range(2):  # the repeat changes nothing
        done = await client.post(
            f"/v1/report-runs/{run['id']}/complete", json={"worker": "worker-b"}
        )
        assert done.status_code == 200, done.text

    rows = await _run_audit(session, run["id"])
    assert [a for a, _, _ in rows] == [
        "create",
        "claim",
        "upload",
        "upload",
        "fail",
        "requeue",
        "claim",
        "upload",
        "complete",
    ]
    assert all(role == "admin" for _, role, _ in rows)
    fail = rows[4][2]
    assert fail["status"] == {"before": "running", "after": "failed"}
    assert fail["error"] == {"before": None, "after": "***"}
    assert "Jones" not in str(rows)
    assert rows[2][2]["annual-2018-19.csv"]["after"]["size"] == 3
    assert rows[8][2]["status"] == {"before": "running", "after": "completed"}


async def test_a_refused_change_of_a_run_leaves_no_audit_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    run = await _queue(client)
    refused = await client.post(f"/v1/report-runs/{run['id']}/requeue")
    assert refused.status_code == 409
    await _claim(client, "worker-a")
    wrong = await client.post(
        f"/v1/report-runs/{run['id']}/fail", json={"worker": "w", "reason": "x"}
    )
    assert wrong.status_code == 409
    assert [a for a, _, _ in await _run_audit(session, run["id"])] == ["create", "claim"]
