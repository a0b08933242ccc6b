"""A draft mapping for a file: its headers found, a sample of each column read, and the
council's reference data matched against them."""

from __future__ import annotations

from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain.imports.mappings import load_reference_names
from services.api.domain.imports.reading import FileProblem, ReadLimits, open_workbook
from services.api.models.base import council_today
from services.api.models.imports import (
    ColumnSuggestion,
    ImportMappingCreate,
    MappingSuggestion,
    SheetSuggestion,
)
from services.api.rules.mapping_suggestions import (
    ColumnSample,
    mapping_name,
    suggest_sheet,
    title_text,
)
from services.api.rules.sheet_layout import (
    HEADER_SEARCH_ROWS,
    MAX_HEADER_ROWS,
    Row,
    column_letter,
    find_header,
    is_totals_row,
)

# Enough rows to see a column's values, few enough to answer at once.
SAMPLE_ROWS = 2_000


async def suggest_mapping(
    session: AsyncSession, file: IO[bytes], file_name: str, limits: ReadLimits
) -> MappingSuggestion:
    """A draft mapping for every sheet of the file in which a header is found."""
    reference = await load_reference_names(session)
    this_year = council_today().year
    book = open_workbook(file, file_name, limits)
    rules = []
    sheets: list[SheetSuggestion] = []
    notes: list[str] = []
    try:
        for source in book.sheets:
            head: list[Row] = []
            for number, cells in source.rows():
                if number > HEADER_SEARCH_ROWS + MAX_HEADER_ROWS:
                    break
                head.append((number, cells))
            header = find_header(head, source.merges())
            if header is None:
                notes.append(f"{source.name}: no header row found; the sheet is left out")
                continue
            samples: dict[int, ColumnSample] = {}
            for number, cells in source.rows():
                if number <= header.last_row or is_totals_row(cells):
                    continue
                if number > header.last_row + SAMPLE_ROWS:
                    break
                for column, cell in enumerate(cells, start=1):
                    samples.setdefault(column, ColumnSample()).add(cell, this_year)
            draft = suggest_sheet(source.name, header, samples, title_text(head, header), reference)
            if draft is None:
                notes.append(f"{source.name}: no column matched a field; the sheet is left out")
                continue
            rules.append(draft.rule)
            notes += draft.notes
            sheets.append(
                SheetSuggestion(
                    sheet=source.name,
                    header_rows=list(header.rows),
                    columns=[
                        ColumnSuggestion(
                            column=name,
                            letter=column_letter(column),
                            field=field_name,
                            check=check,
                            unmatched_values=unmatched,
                        )
                        for column, name, field_name, check, unmatched in draft.columns
                    ],
                )
            )
    finally:
        book.close()
    if not rules:
        raise FileProblem(
            "no sheet of the file has a header a mapping could be made from", field="file"
        )
    mapping = ImportMappingCreate(name=mapping_name(file_name), sheets=rules)
    return MappingSuggestion(mapping=mapping, sheets=sheets, notes=notes)
