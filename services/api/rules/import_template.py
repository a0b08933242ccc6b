"""The import template: a sheet per kind of case, its columns, and the mapping that reads it.

The template workbook (`GET /v1/imports/template.xlsx`) and the built-in mapping `template`
are made from this one description, so a filled-in template always imports as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.api.models.imports import ColumnRule, ImportMappingCreate, SheetRule

TEMPLATE_MAPPING = "template"


@dataclass(frozen=True)
class TemplateColumn:
    """A column of a template sheet: its header, the field it fills, its drop-down."""

    label: str
    field: str
    # What the drop-down offers: a list of choices, or reference data (services, teams and
    # natures of the row's service).
    choices: str | None = None
    width: int = 18


@dataclass(frozen=True)
class TemplateSheet:
    """A template sheet: one kind of case."""

    name: str
    kind: str
    columns: tuple[TemplateColumn, ...]


_FIRST = (
    TemplateColumn("Reference", "external_ref", width=14),
    TemplateColumn("Service", "service", "services", 26),
    TemplateColumn("Team", "team", "teams", 40),
    TemplateColumn("Received", "received_on", width=12),
    TemplateColumn("Channel", "channel", "channel", 12),
)
_PERSON = (
    TemplateColumn("Email", "person.email", width=26),
    TemplateColumn("Phone", "person.phone", width=16),
    TemplateColumn("Address", "person.address", width=30),
)

TEMPLATE_SHEETS = (
    TemplateSheet(
        "Complaints",
        "complaint",
        (
            *_FIRST,
            TemplateColumn("Nature", "nature", "natures", 34),
            TemplateColumn("Acknowledged", "acknowledged_on", width=14),
            TemplateColumn("Responded", "responded_on", width=12),
            TemplateColumn("Outcome", "outcome", "outcome", 18),
            TemplateColumn("Closed", "closed_on", width=12),
            TemplateColumn("Lessons learned", "lessons_learned", width=40),
            TemplateColumn("Complainant", "person.name", width=22),
            *_PERSON,
        ),
    ),
    TemplateSheet(
        "Compliments",
        "compliment",
        (
            *_FIRST,
            TemplateColumn("Compliment", "compliment_text", width=50),
            TemplateColumn("Consent to publish", "publication_consent", "yes_no", 12),
            TemplateColumn("Acknowledged", "acknowledged_on", width=14),
            TemplateColumn("Closed", "closed_on", width=12),
            TemplateColumn("From", "person.name", width=22),
            *_PERSON,
        ),
    ),
    TemplateSheet(
        "Members enquiries",
        "member_enquiry",
        (
            *_FIRST,
            TemplateColumn("Member", "enquirer.name", width=24),
            TemplateColumn("Member is", "enquirer_role", "enquirer_role", 12),
            TemplateColumn("Ward or constituency", "ward_or_constituency", width=22),
            TemplateColumn("Acknowledged", "acknowledged_on", width=14),
            TemplateColumn("Responded", "responded_on", width=12),
            TemplateColumn("Closed", "closed_on", width=12),
            TemplateColumn("Resident", "person.name", width=22),
            *_PERSON,
        ),
    ),
)

# Words for codes where capitalising the code does not give them.
LABELS = {"mp": "MP"}


def choice_label(code: str) -> str:
    """How the template shows a choice: `partly_upheld` as `Partly upheld`."""
    return LABELS.get(code, code.replace("_", " ").capitalize())


def template_mapping() -> ImportMappingCreate:
    """The built-in mapping that reads the template."""
    return ImportMappingCreate(
        name=TEMPLATE_MAPPING,
        description="Reads the import template (GET /v1/imports/template.xlsx) as it is.",
        source_system="spreadsheet",
        sheets=[
            SheetRule(
                sheet=sheet.name,
                header_row=1,
                fixed={"kind": sheet.kind},
                columns=[ColumnRule(column=c.label, field=c.field) for c in sheet.columns],
            )
            for sheet in TEMPLATE_SHEETS
        ],
    )
