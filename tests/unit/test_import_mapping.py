"""A mapping applied to a sheet's rows: fields from the bulk models, cells made values, value
maps, names of the reference data, and references made for sheets that have none."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.api.models.feedback import ComplaintCreate, MemberEnquiryCreate
from services.api.models.imports import ColumnRule, ImportMappingCreate, SheetRule
from services.api.rules.import_fields import (
    ReferenceNames,
    fields_of,
    required_fields,
    target_fields,
)
from services.api.rules.import_mapping import (
    CaseFingerprints,
    check_mapping,
    map_row,
    plan_sheet,
    sheet_matches,
)
from services.api.rules.sheet_layout import Formula, Header

REFERENCE = ReferenceNames(
    services={"children": "Children's Social Care", "adults": "Adult Social Care"},
    teams={
        "children-disability": ("children", "Head of Disability"),
        "adults-disability": ("adults", "Head of Disability"),
        "adults-mental-health": ("adults", "Head of Mental Health"),
    },
    natures={("children", "poor-communication"): "Poor Communication"},
)
HEADER = Header((1,), ("Ref", "Service", "Team", "Received", "Outcome", "Nature", "On time?"))


def _rule(**fixed: Any) -> SheetRule:
    return SheetRule(
        sheet="*",
        fixed={"kind": "complaint", "channel": "letter", **fixed},
        columns=[
            ColumnRule(column="Ref", field="external_ref"),
            ColumnRule(column="Service", field="service", values={"CSC": "children"}),
            ColumnRule(column="Team", field="team"),
            ColumnRule(column="Received", field="received_on"),
            ColumnRule(column="Outcome", field="outcome", values={"Partly": "partly_upheld"}),
            ColumnRule(column="Nature", field="nature"),
            ColumnRule(column="On time?", check="on_time", values={"Late": False}),
        ],
    )


def _map(cells: tuple[Any, ...], rule: SheetRule | None = None) -> Any:
    plan, problems = plan_sheet(
        rule or _rule(),
        "2018-19",
        HEADER,
        source_system="sheet",
        reference=REFERENCE,
        this_year=2026,
    )
    assert plan is not None and problems == []
    return map_row(plan, cells, reference=REFERENCE, this_year=2026)


def test_the_fields_are_those_of_a_bulk_row_read_from_its_models() -> None:
    fields = target_fields()
    assert {"received_on", "person.email", "enquirer.name", "enquirer_id", "outcome"} <= set(fields)
    assert "source_system" not in fields  # the mapping's, not a column's
    assert fields["outcome"].choices[:2] == ("upheld", "partly_upheld")
    assert fields["outcome"].kinds == {"complaint"}
    assert fields["kind"].choices == ("complaint", "compliment", "member_enquiry")
    assert set(required_fields()) == {"service", "team", "channel", "received_on", "kind"}


def test_a_field_the_bulk_rows_gain_is_one_a_mapping_can_name() -> None:
    class WithPersonReference(MemberEnquiryCreate):
        enquirer_ref: str | None = None
        history: list[str] = []

    fields = fields_of([ComplaintCreate, WithPersonReference])
    assert fields["enquirer_ref"].type == "text"
    assert fields["enquirer_ref"].kinds == {"member_enquiry"}
    assert "history" not in fields  # a list is no column's to fill


def test_a_row_becomes_a_bulk_row_through_value_maps_and_names() -> None:
    row = _map(
        ("C-1", "CSC", "Head of Disability", "02/04/2018", "Partly", "Poor Communication", "Late")
    )
    assert row.problems == []
    assert row.payload == {
        "source_system": "sheet",
        "kind": "complaint",
        "channel": "letter",
        "external_ref": "C-1",
        "service": "children",
        "team": "children-disability",
        "received_on": date(2018, 4, 2),
        "outcome": "partly_upheld",
        "nature": "poor-communication",
    }
    [check] = row.checks
    assert (check.check, check.expected, check.column) == ("on_time", False, 7)


def test_a_team_s_name_is_read_within_the_row_s_service() -> None:
    adults = _map((12, "Adult Social Care", "Head of Disability", 43200, "Upheld", None, None))
    assert adults.payload["team"] == "adults-disability"
    assert adults.payload["external_ref"] == "12"  # a number typed as a reference
    assert adults.payload["received_on"] == date(2018, 4, 10)


def test_every_cell_that_cannot_be_read_is_named_by_its_column() -> None:
    row = _map(
        (
            "C-2",
            "Children's",
            "Head of Nowhere",
            "31/02/2018",
            "Halfway",
            "Poor comms",
            Formula("=B2"),
        )
    )
    problems = {column: detail for column, _, detail in row.problems}
    assert problems[2].startswith('"Children\'s" is no service in the reference data')
    assert problems[3].startswith("'Head of Nowhere' is no team")
    assert "there is no 31 February 2018" in problems[4]
    assert problems[5].startswith("'Halfway' has no mapping: add it to the column's values")
    assert problems[7] == "holds a formula (=B2): paste the values instead"


def test_a_name_two_services_share_needs_the_row_s_service() -> None:
    rule = _rule()
    rule.columns.pop(1)
    row = _map(("C-3", None, "Head of Disability", "02/04/2018", None, None, None), rule)
    assert row.problems == [
        (3, "team", "'Head of Disability' is a team of adults and children: give the row's service")
    ]


def test_blank_cells_and_values_mapped_to_nothing_leave_the_field_out() -> None:
    rule = _rule(service="children")
    rule.columns.pop(1)
    rule.columns[3] = ColumnRule(column="Outcome", field="outcome", values={"Ongoing": None})
    row = _map(("C-4", None, "Head of Disability", "02/04/2018", "ongoing ", " ", None), rule)
    assert row.problems == []
    assert "outcome" not in row.payload and "nature" not in row.payload


def test_references_made_for_a_sheet_without_them_are_stable_and_number_alike_cases() -> None:
    case = {
        "kind": "complaint",
        "service": "children",
        "team": "t",
        "received_on": date(2018, 4, 2),
    }
    first, second = CaseFingerprints(), CaseFingerprints()
    made = [first.reference(case), first.reference(case), first.reference({**case, "team": "u"})]
    again = [
        second.reference(case),
        second.reference(case),
        second.reference({**case, "team": "u"}),
    ]
    assert made == again
    assert made[0].endswith("-1") and made[1].endswith("-2") and made[0][:-2] == made[1][:-2]
    assert made[2].endswith("-1") and made[2][:-2] != made[0][:-2]
    # What does not identify a case (its outcome, its answer) does not change its reference.
    later = CaseFingerprints().reference({**case, "outcome": "upheld", "person": {"name": "A"}})
    assert later != made[0]
    assert CaseFingerprints().reference({**case, "outcome": "upheld"}) == made[0]


def test_sheet_patterns_match_this_year_s_sheets_too() -> None:
    rule = SheetRule(sheet="20??-??", columns=[ColumnRule(column="Ref", field="external_ref")])
    assert sheet_matches(rule, "2018-19") and sheet_matches(rule, "2019-20")
    assert not sheet_matches(rule, "Notes")


def _problems(mapping: dict[str, Any]) -> list[tuple[str, str]]:
    found = check_mapping(ImportMappingCreate.model_validate(mapping), REFERENCE, this_year=2026)
    return [(p.field, p.detail) for p in found]


def _mapping(**sheet: Any) -> dict[str, Any]:
    return {"name": "m", "sheets": [_rule().model_dump(exclude_none=True) | sheet]}


def test_a_sound_mapping_has_no_problems() -> None:
    assert _problems(_mapping()) == []


@pytest.mark.parametrize(
    ("sheet", "problem"),
    [
        (
            {"fixed": {"kind": "complaint", "channel": "fax"}},
            ("sheets.0.fixed.channel",
             "'fax' is not one of web, email, phone, letter, in_person, portal"),
        ),
        (
            {"fixed": {"kind": "complaint", "channel": "letter", "colour": "red"}},
            ("sheets.0.fixed.colour", "no field `colour`"),
        ),
        (
            {"fixed": {"kind": "complaint"}},
            ("sheets.0", "no column or fixed value gives `channel`, which every case needs"),
        ),
    ],
)  # fmt: skip
def test_a_mapping_s_problems_are_named_by_their_place(
    sheet: dict[str, Any], problem: tuple[str, str]
) -> None:
    assert problem in _problems(_mapping(**sheet))


def test_value_maps_are_checked_against_the_reference_data() -> None:
    mapping = _mapping()
    mapping["sheets"][0]["columns"][1]["values"] = {"ASC": "adults", "Other": "elsewhere"}
    mapping["sheets"][0]["columns"][6]["values"] = {"Late": "sometimes"}
    assert _problems(mapping) == [
        ("sheets.0.columns.1.values.other", "'elsewhere' is no service in the reference data"),
        ("sheets.0.columns.6.values.late", "must be true or false"),
    ]


def test_a_missing_column_is_named_at_the_header_row() -> None:
    rule = _rule()
    rule.columns.append(ColumnRule(column="Closed", field="closed_on"))
    plan, problems = plan_sheet(
        rule, "CSC Complaints", Header((4,), HEADER.names), source_system="s",
        reference=REFERENCE, this_year=2026,
    )  # fmt: skip
    assert plan is None
    assert [(p.field, p.pointer) for p in problems] == [
        ("'CSC Complaints'!4:4", "/file/CSC Complaints/4")
    ]
    assert problems[0].detail.startswith("no column 'Closed' in the header (it has: Ref, Service")


def test_a_formula_in_a_column_the_mapping_does_not_read_is_not_looked_at() -> None:
    header = Header((1,), (*HEADER.names, "Total days"))
    plan, _ = plan_sheet(
        _rule(), "s", header, source_system="s", reference=REFERENCE, this_year=2026
    )
    assert plan is not None
    row = map_row(
        plan,
        ("C-5", "CSC", "Head of Disability", "02/04/2018", None, None, None, Formula("=D2-C2")),
        reference=REFERENCE,
        this_year=2026,
    )
    assert row.problems == []
    assert plan.unmapped == ("Total days",)
