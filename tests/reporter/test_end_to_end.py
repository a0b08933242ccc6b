"""End to end: a BI user queues runs, a real worker compiles them against the real app over
HTTP, and an HTTP client pulls the files from the static URLs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest

from services.reporter.cli import main as reporter

LEDGER_HEADER = (
    "ombudsman_reference,complaint_reference,service,team,decision_date,decision,"
    "public_interest_report,remedy_type,description,amount_pounds,payee_label,due_date,"
    "completed_date,status,days_late"
)


def test_a_queued_run_is_compiled_by_a_worker_and_pulled_by_a_bi_tool(
    live_api_url: str,
    api_keys: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPORTER_API_URL", live_api_url)
    monkeypatch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    monkeypatch.setenv("REPORTER_WORKER_NAME", "e2e-worker")
    bi_key = {"Authorization": f"Bearer {api_keys['bi']}"}
    with httpx.Client(base_url=live_api_url, timeout=30, headers=bi_key) as bi:
        runs = [
            bi.post("/v1/report-runs", json={"kind": kind, "year": "2018-19"}).json()
            for kind in ("annual", "ledger")
        ]
        assert [r["status"] for r in runs] == ["queued", "queued"]

        assert reporter(["worker", "--once"]) == 0

        for run in runs:
            done = bi.get(f"/v1/report-runs/{run['id']}").json()
            assert done["status"] == "completed", done
            assert done["worker"] == "e2e-worker"
            # An annual run also publishes the document people read.
            formats = {"json", "csv", "html"} if run["kind"] == "annual" else {"json", "csv"}
            assert {f["name"].rsplit(".", 1)[1] for f in done["files"]} == formats

        pulled = bi.get("/v1/reports/annual/2018-19.csv")
        assert pulled.status_code == 200
        assert pulled.headers["content-type"].startswith("text/csv")
        assert pulled.headers["last-modified"]
        unchanged = bi.get(
            "/v1/reports/annual/2018-19.csv", headers={"If-None-Match": pulled.headers["etag"]}
        )
        assert unchanged.status_code == 304

        rows = list(csv.DictReader(io.StringIO(pulled.text)))
        stage1 = next(
            r
            for r in rows
            if r["service"] == "children"
            and r["section"] == "stage1_complaints"
            and r["category"] == "total"
        )
        assert (stage1["value"], stage1["previous_year_value"]) == ("81", "103")

        assert reporter(["annual", "--year", "2018-19", "--out", str(tmp_path)]) == 0
        compiled_here = (tmp_path / "annual-2018-19.csv").read_bytes()
        assert pulled.content == compiled_here

        ledger = bi.get("/v1/reports/ledger/2018-19.json")
        assert ledger.status_code == 200
        assert ledger.json()["report"] == "ombudsman-ledger"


def test_the_ledger_lists_every_remedy_with_totals_and_compliance(
    live_api_url: str,
    api_keys: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPORTER_API_URL", live_api_url)
    monkeypatch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    code = reporter(
        ["ledger", "--year", "2018-19", "--out", str(tmp_path), "--as-of", "2019-12-31"]
    )
    assert code == 0
    ledger = json.loads((tmp_path / "ombudsman-ledger-2018-19.json").read_text("utf-8"))
    rows = ledger["rows"]
    payments = sorted(
        (r["payee_label"], r["amount"]) for r in rows if r["remedy_type"] == "financial_payment"
    )
    assert payments == [("Miss X", "600.00"), ("Mr A", "200.00"), ("Mr B", "200.00")]
    assert {r["service"] for r in rows} == {"adults"}
    assert any(r["public_interest_report"] for r in rows)
    late = [r for r in rows if r["status"] == "completed_late"]
    assert late
    assert all(r["days_late"] > 0 for r in late)
    compliance = ledger["compliance"]
    assert compliance["due"] == len(rows)
    assert compliance["completed_on_time"] == len(rows) - len(late)
    by_type = {t["type"]: t for t in ledger["totals"]["by_type"]}
    assert by_type["financial_payment"]["amount"] == "1000.00"
    text = (tmp_path / "ombudsman-ledger-2018-19.csv").read_text("utf-8")
    assert text.splitlines()[0] == LEDGER_HEADER
    assert len(text.splitlines()) == len(rows) + 1


def test_a_year_without_data_gives_zeros_not_a_crash(
    live_api_url: str,
    api_keys: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPORTER_API_URL", live_api_url)
    monkeypatch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    assert reporter(["annual", "--year", "2031-32", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "annual-2031-32.json").read_text("utf-8"))
    children = next(s for s in report["services"] if s["service"] == "children")
    assert all(h["value"] == 0 for h in children["headline"])
    header = (tmp_path / "annual-2031-32.csv").read_text("utf-8").splitlines()[0]
    assert header == "year,service,section,team,category,measure,value,percent,previous_year_value"
