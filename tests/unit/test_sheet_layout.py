"""A sheet's layout: the header below its title rows, merged header cells, totals rows, and
cell references as Excel writes them."""

from __future__ import annotations

from datetime import date

import pytest

from services.api.rules.sheet_layout import (
    CellRange,
    Formula,
    cell_ref,
    column_letter,
    column_number,
    find_header,
    is_totals_row,
    normalise,
    row_ref,
    workbook_text,
)

TITLED = [
    (1, ("Children's Social Care complaints 2018/19",)),
    (2, ()),
    (3, ("Case", None, "Dates", None, "Outcome")),
    (4, ("Ref", "Team", "Received", "Responded")),
    (5, ("C-1", "Head of Disability", date(2018, 4, 2), date(2018, 4, 20), "Upheld")),
    (6, ("C-2", "Head of Assessment", date(2018, 5, 1), None, "Partly")),
]
MERGES = [CellRange.parse(r) for r in ("A1:E1", "A3:B3", "C3:D3", "E3:E4")]


def test_the_header_is_found_below_title_rows_with_its_merged_cells_flattened() -> None:
    header = find_header(TITLED, MERGES)
    assert header is not None
    assert header.rows == (3, 4)
    assert header.names == (
        "Case / Ref",
        "Case / Team",
        "Dates / Received",
        "Dates / Responded",
        "Outcome",
    )


def test_a_column_is_found_by_its_whole_name_or_its_lower_part_when_unique() -> None:
    header = find_header(TITLED, MERGES)
    assert header is not None
    assert header.column_of("Dates / Received") == 3
    assert header.column_of("  received ") == 3
    assert header.column_of("outcome:") == 5
    assert header.column_of("Closed") is None


def test_the_mapping_s_column_names_choose_the_header_row() -> None:
    rows = [
        (1, ("Notes", "kept by", "the team")),
        (2, ("Reference", "Date received", "Team")),
        (3, ("R-1", date(2019, 1, 2), "Head of Disability")),
    ]
    assert find_header(rows).rows == (1,)  # type: ignore[union-attr]
    assert find_header(rows, wanted=["Date received", "Team"]).rows == (2,)  # type: ignore[union-attr]
    assert find_header(rows, wanted=["Nowhere"]) is None


def test_a_header_row_can_be_given() -> None:
    header = find_header(TITLED, MERGES, header_row=4)
    assert header is not None and header.rows == (4,)
    # The vertical merge still names column E from the row above.
    assert header.names[4] == "Outcome"


def test_repeated_header_names_are_numbered() -> None:
    header = find_header([(1, ("Date", "Team", "Date", "Date"))])
    assert header is not None
    assert header.names == ("Date", "Team", "Date (2)", "Date (3)")


def test_a_sheet_of_data_without_a_header_has_none() -> None:
    rows = [(1, (date(2019, 1, 1), 3, 4.5)), (2, (date(2019, 1, 2), 5, 1.0))]
    assert find_header(rows) is None


@pytest.mark.parametrize(
    "cells",
    [
        ("Total", None, 103),
        ("TOTAL:", 103),
        ("Grand total", 412),
        ("Sub-total", 12),
        (None, "Total 2018/19", Formula("=SUM(C4:C106)")),
        ("Totals for 2018-19", 3),
        (None, Formula("=COUNTA(A5:A9)"), Formula("=SUM(C5:C9)")),
    ],
)
def test_totals_rows_are_recognised(cells: tuple[object, ...]) -> None:
    assert is_totals_row(cells)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "cells",
    [
        ("C-7", "Total failure of service", date(2019, 1, 2)),
        ("C-8", "Head of Disability", Formula("=A1")),
        (None, None),
    ],
)
def test_a_case_that_says_total_is_not_a_totals_row(cells: tuple[object, ...]) -> None:
    assert not is_totals_row(cells)  # type: ignore[arg-type]


def test_cell_references_are_written_as_excel_writes_them() -> None:
    assert cell_ref("2018-19", 17, 5) == "2018-19!E17"
    assert cell_ref("CSC Complaints", 17, 5) == "'CSC Complaints'!E17"
    assert cell_ref("Bob's log", 2, 1) == "'Bob''s log'!A2"
    assert row_ref("2018-19", 17) == "2018-19!17:17"
    assert [column_letter(n) for n in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]
    assert column_number("AAA") == 703
    assert CellRange.parse("$B$3:D4") == CellRange(3, 2, 4, 4)


@pytest.mark.parametrize("name", ["Odd\x01nature", "Odd\ufffenature", "Odd\x1bnature"])
def test_a_character_no_cell_holds_is_written_as_a_space_and_read_as_the_same_name(
    name: str,
) -> None:
    written = workbook_text(name)
    assert written == "Odd nature"
    assert normalise(written) == normalise(name) == "odd nature"


def test_what_a_cell_holds_is_written_as_it_is() -> None:
    text = "Tab\there, line\r\nends, =formulas, \u00e9, \U0001f600 and \ud7ff\ue000"
    assert workbook_text(text) == text
