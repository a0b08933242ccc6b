"""The import template: a workbook with a sheet per kind of case, the council's reference data
as drop-down lists, and an example row; the built-in mapping `template` reads it as it is."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.domain.reference import list_natures, list_services, list_teams
from services.api.models.base import council_today
from services.api.models.enums import Channel, EnquirerRole, Outcome
from services.api.rules.financial_year import FinancialYear
from services.api.rules.import_template import TEMPLATE_MAPPING, TEMPLATE_SHEETS, choice_label
from services.api.rules.sheet_layout import workbook_text

LISTS = "Lists"
# Rows offered drop-downs below the header; a longer sheet still imports, without them.
ROWS_WITH_LISTS = 5_000
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_CHOICES = {
    "channel": [choice_label(c.value) for c in Channel],
    "outcome": [choice_label(o.value) for o in Outcome],
    "enquirer_role": [choice_label(r.value) for r in EnquirerRole],
    "yes_no": ["Yes", "No"],
}
_NOTES = {
    "external_ref": "The case's own reference: importing the same file again finds it held.",
    "received_on": "Dates day first: 31/03/2019.",
    "team": "Pick the service first: the list shows its teams.",
    "nature": "Pick the service first: the list shows its natures of complaint.",
}


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _example(
    field: str, kind: str, service: str, team: str, nature: str | None, last_year: date
) -> str | date | None:
    received = _weekday(last_year + timedelta(days=7))
    examples: dict[str, str | date | None] = {
        "external_ref": f"EXAMPLE-{kind.upper()}-1",
        "service": service,
        "team": team,
        "received_on": received,
        "channel": choice_label(Channel.email.value),
        "nature": nature,
        "acknowledged_on": _weekday(received + timedelta(days=2)),
        "responded_on": _weekday(received + timedelta(days=14)),
        "closed_on": _weekday(received + timedelta(days=21)),
        "outcome": choice_label(Outcome.partly_upheld.value),
        "compliment_text": "Thank you for the help with my mother's care.",
        "publication_consent": "No",
        "enquirer.name": "Cllr A Member",
        "enquirer_role": choice_label(EnquirerRole.councillor.value),
        "ward_or_constituency": "Abbey",
        "person.name": "A Resident",
    }
    return examples.get(field)


def _put(sheet: Worksheet, row: int, column: int, value: str | date | None) -> Cell:
    """Write a value into a cell; text is written as text, whatever it starts with.

    The council's names are data: `=...` would be made a live formula and `#N/A` an error
    value, and characters no cell holds would make the workbook unwritable. They become
    spaces, which reading a filled-in template treats as the same name.
    """
    cell = sheet.cell(row=row, column=column)
    assert isinstance(cell, Cell)  # the template merges no cells
    if isinstance(value, str):
        cell.value = workbook_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


async def build_template(session: AsyncSession) -> bytes:
    """The template workbook, as .xlsx bytes."""
    services = await list_services(session)
    today = council_today()
    teams = await list_teams(session, active_on=today)
    natures = await list_natures(session)
    book = Workbook()
    lists = book.active
    assert lists is not None
    lists.title = LISTS
    lists.sheet_state = "hidden"

    def named(name: str, column: int, values: list[str]) -> None:
        """A named list of values down a column of the hidden sheet."""
        letter = get_column_letter(column)
        _put(lists, 1, column, name)
        for row, value in enumerate(values, start=2):
            _put(lists, row, column, value)
        end = max(len(values), 1) + 1
        ref = f"{quote_sheetname(LISTS)}!${letter}$2:${letter}${end}"
        book.defined_names[name] = DefinedName(name, attr_text=ref)

    named("services", 1, [s.name for s in services])
    column = 2
    for position, service in enumerate(services, start=1):
        named(f"teams_{position}", column, [t.name for t in teams if t.service == service.code])
        named(
            f"natures_{position}",
            column + 1,
            [n.name for n in natures if n.service == service.code],
        )
        column += 2
    for name, values in _CHOICES.items():
        named(name, column, values)
        column += 1

    last_year = FinancialYear.containing(today).previous.first_day
    first_service = services[0] if services else None
    first_team = next((t for t in teams if first_service and t.service == first_service.code), None)
    first_nature = next(
        (n for n in natures if first_service and n.service == first_service.code), None
    )
    for sheet in TEMPLATE_SHEETS:
        page = book.create_sheet(sheet.name)
        page.freeze_panes = "A2"
        letters = {c.field: get_column_letter(i) for i, c in enumerate(sheet.columns, 1)}
        for index, spec in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            header = _put(page, 1, index, spec.label)
            header.font = Font(bold=True, color="FFFFFF")
            header.fill = _HEADER_FILL
            if spec.field in _NOTES:
                header.comment = Comment(_NOTES[spec.field], "Council feedback service")
            page.column_dimensions[letter].width = spec.width
            cells = f"{letter}2:{letter}{ROWS_WITH_LISTS + 1}"
            formula = _list_formula(spec.choices, letters.get("service", "B"))
            if formula is not None:
                validation = DataValidation(type="list", formula1=formula, allow_blank=True)
                validation.error = f"Choose {spec.label.lower()} from the list."
                page.add_data_validation(validation)
                validation.add(cells)
            value = _example(
                spec.field,
                sheet.kind,
                first_service.name if first_service else "",
                first_team.name if first_team else "",
                first_nature.name if first_nature and sheet.kind == "complaint" else None,
                last_year,
            )
            cell = _put(page, 2, index, value)
            if spec.field.endswith("_on"):
                cell.number_format = "dd/mm/yyyy"
        page.cell(row=2, column=1).comment = Comment(
            f"An example: replace it with your cases. Import with the mapping "
            f"`{TEMPLATE_MAPPING}`.",
            "Council feedback service",
        )
    book.move_sheet(LISTS, offset=len(TEMPLATE_SHEETS))
    book.active = 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _list_formula(choices: str | None, service_column: str) -> str | None:
    """A drop-down's source: a named list, or the row's service's own teams or natures."""
    if choices is None:
        return None
    if choices in ("teams", "natures"):
        return f'INDIRECT("{choices}_"&MATCH(${service_column}2,services,0))'
    return choices
