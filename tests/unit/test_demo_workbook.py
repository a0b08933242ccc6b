"""The demo's 2017/18 workbook in the repository is what its generator makes from the demo
cases, messy in the ways real ones are, and its mapping is a valid one."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from services.api.demo.cases import demo_cases
from services.api.demo.workbook import MAPPING, WORKBOOK, build_workbook, typed
from services.api.models.imports import ImportMappingCreate
from services.api.rules.day_first import parse_day_first


def _contents(source: Path | io.BytesIO) -> dict[str, Any]:
    book = load_workbook(source)
    return {
        sheet.title: (
            [tuple(c.value for c in row) for row in sheet.iter_rows()],
            sorted(str(r) for r in sheet.merged_cells.ranges),
        )
        for sheet in book.worksheets
    }


def test_the_committed_workbook_is_what_the_generator_makes() -> None:
    made = io.BytesIO()
    build_workbook().save(made)
    made.seek(0)
    # Regenerate with `python -m services.api.demo.workbook` after changing the demo cases.
    assert _contents(WORKBOOK) == _contents(made)


def test_it_holds_every_2017_18_case_once() -> None:
    book = load_workbook(WORKBOOK, read_only=True)
    refs = {
        row[0]
        for name in ("CSC Complaints", "ASC Complaints", "Education Complaints", "Compliments")
        for row in book[name].iter_rows(values_only=True)
        if isinstance(row[0], str) and row[0].startswith("CS-1718-")
    }
    cases = [c.item for c in demo_cases() if c.item["external_ref"].startswith("CS-1718-")]
    with_refs = {c["external_ref"] for c in cases if c["kind"] != "member_enquiry"}
    assert refs == with_refs
    members = sum(
        1 for row in book["Members Enquiries"].iter_rows(min_row=5, values_only=True) if row[0]
    )
    assert members == sum(1 for c in cases if c["kind"] == "member_enquiry")


def test_its_dates_are_typed_six_ways_that_all_read_back() -> None:
    day = parse_day_first("17/10/2017", this_year=2026)
    forms = [typed(day, n) for n in range(6)]
    assert len({type(f).__name__ + str(f) for f in forms}) == 6
    assert {parse_day_first(f, this_year=2026) for f in forms} == {day}


def test_its_mapping_is_a_valid_mapping() -> None:
    mapping = ImportMappingCreate.model_validate_json(MAPPING.read_text())
    assert mapping.name == "demo-2017-18"
    assert [s.sheet for s in mapping.sheets] == [
        "CSC Complaints",
        "ASC Complaints",
        "Education Complaints",
        "Compliments",
        "Members Enquiries",
    ]
