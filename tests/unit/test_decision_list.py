"""Reading an Ombudsman's decision list: every kind of bad file is one problem naming its row
(as a spreadsheet numbers it) and column, and a good file gives its decisions."""

from __future__ import annotations

import codecs
from datetime import date

import pytest

from services.api.models.enums import (
    ClosureReason,
    Ombudsman,
    OmbudsmanDecision,
    OmbudsmanServiceCategory,
)
from services.api.rules.decision_list import MAX_ROWS, column_letter, read_decision_list

TODAY = date(2026, 12, 2)
HEADER = "ombudsman_reference,decision_date,category,received_date,service_category"
GOOD = "25 001 934,2025-10-14,no_fault,2025-05-06,adult_care_services"


def listed(*lines: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode("utf-8")


def problems(content: bytes) -> list[tuple[str, str]]:
    found = read_decision_list(content, Ombudsman.lgsco, TODAY)
    return [(p.field, p.detail) for p in found.problems]


def fields(content: bytes) -> list[str]:
    return [field for field, _ in problems(content)]


def test_a_good_list_gives_its_decisions() -> None:
    header = (
        "ombudsman_reference,decision_date,category,complaint_reference,received_date,"
        "closure_reason,satisfactory_remedy,remedy_recommended,public_interest_report,"
        "service_category"
    )
    content = listed(
        "25 001 934,2025-10-14,fault_injustice,CS-1,2025-05-06,,TRUE,false,true,housing",
        "25002655,2025-06-03,assessed_and_closed,,2025-05-27,late,,,,",
        header=header,
    )
    found = read_decision_list(content, Ombudsman.lgsco, TODAY)
    assert found.problems == []
    first, second = found.rows
    assert (first.row, first.ombudsman_reference, first.decision) == (
        2,
        "25 001 934",
        OmbudsmanDecision.fault_injustice,
    )
    assert (first.complaint_reference, first.received_on) == ("CS-1", date(2025, 5, 6))
    assert first.satisfactory_remedy_provided is True
    assert (first.remedy_recommended, first.public_interest_report) == (False, True)
    assert first.service_category is OmbudsmanServiceCategory.housing
    # Written without spaces, the reference is still the Ombudsman's.
    assert second.ombudsman_reference == "25 002 655"
    assert second.closure_reason is ClosureReason.late
    assert second.complaint_reference is None
    assert second.satisfactory_remedy_provided is None


def test_columns_come_in_any_order_and_optional_ones_may_be_left_out() -> None:
    content = listed(
        "no_fault,25 001 934,2025-10-14", header="category,ombudsman_reference,decision_date"
    )
    [row] = read_decision_list(content, Ombudsman.lgsco, TODAY).rows
    assert (row.decision, row.received_on) == (OmbudsmanDecision.no_fault, None)


def test_a_byte_order_mark_is_refused_at_the_first_column() -> None:
    [(field, detail)] = problems(codecs.BOM_UTF8 + listed(GOOD))
    assert field == "[1].ombudsman_reference"
    assert "byte-order mark" in detail


def test_utf16_is_another_encoding() -> None:
    [(field, detail)] = problems(listed(GOOD).decode().encode("utf-16"))
    assert field == "[1].A"
    assert "UTF-16" in detail


def test_bytes_of_another_encoding_are_found_in_their_cell() -> None:
    content = listed(GOOD, "25 002 655,2025-06-03,premature,2025-05-27,caf\xe9").replace(
        "caf\xe9".encode(), "caf\xe9".encode("cp1252")
    )
    [(field, detail)] = problems(content)
    assert field == "[3].service_category"
    assert "0xE9" in detail and "another encoding" in detail


def test_a_trailing_empty_column_is_named_in_the_header() -> None:
    [(field, detail)] = problems(listed(GOOD + ",", header=HEADER + ","))
    assert field == "[1].F"
    assert "trailing empty column" in detail


def test_a_trailing_empty_cell_is_named_in_its_row() -> None:
    [(field, detail)] = problems(listed(GOOD, GOOD.replace("934", "935") + ","))
    assert field == "[3].F"
    assert "trailing empty column" in detail


def test_a_row_with_too_few_or_too_many_cells_is_named() -> None:
    assert fields(listed("25 001 934,2025-10-14")) == ["[2].category"]
    assert fields(listed(GOOD + ",extra")) == ["[2].F"]


def test_unknown_repeated_and_missing_columns_are_named() -> None:
    header = "ombudsman_reference,decision_date,decision_date,colour"
    assert fields(listed("25 001 934,2025-10-14,2025-10-14,red", header=header)) == [
        "[1].decision_date",
        "[1].colour",
        "[1].category",
    ]


def test_a_category_the_ombudsman_does_not_use_is_refused() -> None:
    [(field, detail)] = problems(listed(GOOD.replace("no_fault", "maladministration")))
    assert field == "[2].category"
    assert "fault_injustice" in detail  # the categories it does use are listed


def test_a_service_category_the_ombudsman_does_not_use_is_refused() -> None:
    assert fields(listed(GOOD.replace("adult_care_services", "parking"))) == [
        "[2].service_category"
    ]


def test_a_decision_before_the_complaint_was_received_is_refused() -> None:
    [(field, detail)] = problems(listed("25 001 934,2025-05-01,no_fault,2025-05-06,"))
    assert field == "[2].decision_date"
    assert "2025-05-06" in detail


def test_a_duplicated_row_is_refused_at_its_repeat() -> None:
    [(field, detail)] = problems(listed(GOOD, GOOD))
    assert field == "[3].ombudsman_reference"
    assert "repeats row 2" in detail


def test_the_same_reference_written_two_ways_is_a_repeat() -> None:
    assert fields(listed(GOOD, GOOD.replace("25 001 934", "25001934"))) == [
        "[3].ombudsman_reference"
    ]


@pytest.mark.parametrize(
    ("cell", "column", "words"),
    [
        ("2025-10-14", "ombudsman_reference", "written like 25 001 934"),
        ("14/10/2025", "decision_date", "YYYY-MM-DD"),
        ("2025-02-30", "decision_date", "not a date"),
        ("2027-01-04", "decision_date", "future"),
        ("", "category", "empty"),
    ],
)
def test_a_bad_cell_is_named_by_row_and_column(cell: str, column: str, words: str) -> None:
    values = {"ombudsman_reference": "25 001 934", "decision_date": "2025-10-14"}
    values["category"] = "no_fault"
    values[column] = cell
    content = listed(",".join(values.values()), header=",".join(values))
    [(field, detail)] = problems(content)
    assert field == f"[2].{column}"
    assert words in detail


def test_fields_that_do_not_go_together_are_named() -> None:
    header = "ombudsman_reference,decision_date,category,closure_reason,satisfactory_remedy"
    content = listed("25 001 934,2025-10-14,no_fault,late,true", header=header)
    assert fields(content) == ["[2].closure_reason", "[2].satisfactory_remedy"]


def test_a_boolean_is_true_or_false() -> None:
    header = "ombudsman_reference,decision_date,category,remedy_recommended"
    assert fields(listed("25 001 934,2025-10-14,no_fault,yes", header=header)) == [
        "[2].remedy_recommended"
    ]


def test_every_problem_of_every_row_is_given_at_once() -> None:
    content = listed(
        "25 001 934,2025-10-14,nonsense,2025-05-06,",
        "25 001 935,someday,no_fault,2025-05-06,",
        GOOD,
        GOOD,
    )
    assert fields(content) == ["[2].category", "[3].decision_date", "[5].ombudsman_reference"]


def test_blank_rows_are_not_decisions() -> None:
    found = read_decision_list(listed(GOOD, ",,,,", ""), Ombudsman.lgsco, TODAY)
    assert found.problems == []
    assert len(found.rows) == 1


def test_an_empty_file_or_a_header_alone_is_refused() -> None:
    assert fields(b"") == ["[1].A"]
    assert fields(listed()) == ["[2].ombudsman_reference"]


def test_quotes_left_open_are_not_csv() -> None:
    [(field, detail)] = problems(listed('25 001 934,2025-10-14,"no_fault,2025-05-06,'))
    assert "not valid CSV" in detail
    assert field.startswith("[")


def test_a_list_holds_at_most_so_many_decisions() -> None:
    lines = [
        f"25 {n // 1000:03d} {n % 1000:03d},2025-10-14,no_fault,," for n in range(MAX_ROWS + 1)
    ]
    found = read_decision_list(listed(*lines), Ombudsman.lgsco, TODAY)
    assert [p.field for p in found.problems] == [f"[{MAX_ROWS + 2}].ombudsman_reference"]


@pytest.mark.parametrize(
    ("index", "letter"), [(0, "A"), (5, "F"), (25, "Z"), (26, "AA"), (27, "AB")]
)
def test_columns_are_named_as_a_spreadsheet_names_them(index: int, letter: str) -> None:
    assert column_letter(index) == letter
