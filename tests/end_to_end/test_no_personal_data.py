"""Reports, CSV exports and logs of an end-to-end run carry none of the demo people's names."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.api.demo.cases import demo_cases
from services.api.demo.ombudsman_year import ombudsman_year_cases
from services.reporter.cli import main as reporter


def _demo_people() -> set[str]:
    names: set[str] = set()
    for case in [*demo_cases(), *ombudsman_year_cases()]:
        for field in ("person", "enquirer"):
            person: dict[str, Any] | None = case.item.get(field)
            if person:
                names.add(person["name"])
                if person.get("email"):
                    names.add(person["email"])
    return names


def test_demo_people_appear_in_no_report_csv_or_log_line(
    live_api_url: str,
    api_keys: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    people = _demo_people()
    assert len(people) > 500  # the check below must have something to look for
    monkeypatch.setenv("REPORTER_API_URL", live_api_url)
    monkeypatch.setenv("REPORTER_API_KEY", api_keys["reporter"])
    caplog.set_level(logging.DEBUG)
    with httpx.Client(
        base_url=live_api_url, headers={"Authorization": f"Bearer {api_keys['bi']}"}
    ) as bi:
        for kind in ("annual", "ledger"):
            bi.post("/v1/report-runs", json={"kind": kind, "year": "2018-19"})
        assert reporter(["worker", "--once"]) == 0
        pulled = [
            bi.get(f"/v1/reports/{kind}/2018-19.{ext}").text
            for kind in ("annual", "ledger")
            for ext in ("csv", "json")
        ]
    for command in ("annual", "ledger"):
        assert reporter([command, "--year", "2018-19", "--out", str(tmp_path)]) == 0
    assert reporter(["letter", "--year", "2025-26", "--out", str(tmp_path)]) == 0
    assert (
        reporter(["annual", "--year", "2025-26", "--out", str(tmp_path), "--format", "html"]) == 0
    )

    produced = {p.name: p.read_text("utf-8") for p in tmp_path.iterdir()}
    produced |= {f"pulled-{i}": text for i, text in enumerate(pulled)}
    produced["log"] = "\n".join(record.getMessage() for record in caplog.records)
    assert len(produced) >= 16
    leaks = sorted(
        (where, name) for where, text in produced.items() for name in people if name in text
    )
    assert leaks == []
