"""Feedback items (complaints, compliments, members' casework) and their lifecycle events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from pydantic import Field as PydanticField
from pydantic import StringConstraints, field_validator
from sqlmodel import Field, SQLModel

from services.api.models.base import (
    Changes,
    Code,
    Count,
    Day,
    Flag,
    Name,
    Omittable,
    PastDate,
    PersonRef,
    StrictModel,
    Text,
    Trimmed,
    enum_type,
    finite,
    timestamp_field,
)
from services.api.models.enums import (
    Channel,
    ComplaintProcedure,
    EnquirerRole,
    EventType,
    FeedbackKind,
    ItemStatus,
    Outcome,
)
from services.api.models.people import PersonCreate

ExternalRef = Annotated[str, StringConstraints(max_length=100), Trimmed()]


class FeedbackItemBase(SQLModel):
    service: Code = Field(max_length=80)
    team: Code = Field(max_length=80)
    external_ref: ExternalRef = Field(max_length=100)
    channel: Channel = Field(sa_type=enum_type(Channel))
    received_on: date


class FeedbackItem(FeedbackItemBase, table=True):
    __tablename__ = "feedback_item"
    __table_args__ = (
        *finite(
            "received_on",
            "acknowledged_on",
            "acknowledge_due_on",
            "due_on",
            "extended_due_on",
            "responded_on",
            "closed_on",
        ),
        sa.UniqueConstraint("source_system", "external_ref"),
        sa.ForeignKeyConstraint(["service", "team"], ["team.service", "team.code"]),
        sa.ForeignKeyConstraint(["service", "nature"], ["nature.service", "nature.code"]),
        sa.ForeignKeyConstraint(["service"], ["service_area.code"]),
        sa.CheckConstraint("(kind = 'complaint') = (procedure IS NOT NULL)", name="procedure"),
        sa.CheckConstraint("kind = 'complaint' OR outcome IS NULL", name="outcome_kind"),
        sa.CheckConstraint(
            "(kind = 'compliment') = (compliment_text IS NOT NULL)", name="compliment_text"
        ),
        sa.CheckConstraint(
            "(kind = 'member_enquiry') = (enquirer_role IS NOT NULL)", name="enquirer_role"
        ),
        sa.CheckConstraint("responded_on >= received_on", name="responded_after_received"),
        sa.Index("ix_feedback_item_service_received_on", "service", "received_on"),
        sa.Index("ix_feedback_item_team_received_on", "team", "received_on"),
        sa.Index("ix_feedback_item_status_due_on", "status", "due_on"),
        sa.Index("ix_feedback_item_updated_at", "updated_at"),
        # Statistics select a range of financial years and group the rows found: the columns
        # they group and count are carried in the index, so it answers them on its own.
        sa.Index(
            "ix_feedback_item_received_on_kind",
            "received_on",
            "kind",
            postgresql_include=[
                "service",
                "team",
                "nature",
                "outcome",
                "responded_on",
                "working_days_taken",
            ],
        ),
        # The published text of a year: lessons learned, compliments cleared for publication.
        sa.Index(
            "ix_feedback_item_lessons_received_on",
            "received_on",
            postgresql_where=sa.text(
                "kind = 'complaint' AND lessons_learned IS NOT NULL AND lessons_publishable"
            ),
        ),
        sa.Index(
            "ix_feedback_item_published_compliments_received_on",
            "received_on",
            postgresql_where=sa.text("kind = 'compliment' AND publication_consent"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger)
    # The API key's, never the caller's choice: one system cannot take another's references.
    source_system: str = Field(max_length=80)
    kind: FeedbackKind = Field(sa_type=enum_type(FeedbackKind))
    procedure: ComplaintProcedure | None = Field(
        default=None, sa_type=enum_type(ComplaintProcedure)
    )
    nature: str | None = Field(default=None, max_length=80)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    outcome: Outcome | None = Field(default=None, sa_type=enum_type(Outcome))
    lessons_learned: str | None = None
    # Lessons are written about a case: only those cleared for the published report leave it
    # (complaints only, as publication_consent is compliments' only).
    lessons_publishable: Flag | None = None
    compliment_text: str | None = None
    publication_consent: Flag | None = None
    enquirer_role: EnquirerRole | None = Field(default=None, sa_type=enum_type(EnquirerRole))
    enquirer_id: Count | None = Field(default=None, foreign_key="person.id", index=True)
    ward_or_constituency: str | None = Field(default=None, max_length=200)

    status: ItemStatus = Field(sa_type=enum_type(ItemStatus))
    acknowledged_on: date | None = None
    acknowledge_due_on: date | None = None
    due_on: date | None = None
    extended_due_on: date | None = None
    responded_on: date | None = None
    closed_on: date | None = None
    working_days_taken: int | None = None
    on_time: Flag | None = None

    legal_hold: Flag = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    request_fingerprint: str = Field(max_length=64)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


SOURCE_SYSTEM_DESCRIPTION = (
    "The system the item comes from, which is the API key's: leave it out, or send the key's"
    " own (any other is refused)."
)


class _FeedbackCreateCommon(FeedbackItemBase, StrictModel):
    source_system: Code | None = PydanticField(default=None, description=SOURCE_SYSTEM_DESCRIPTION)
    received_on: PastDate
    person: PersonCreate | None = None
    # Back-fill of cases already under way in the CRM: these become lifecycle events.
    acknowledged_on: PastDate | None = None
    responded_on: PastDate | None = None
    closed_on: PastDate | None = None


class ComplaintCreate(_FeedbackCreateCommon):
    kind: Literal["complaint"]
    procedure: ComplaintProcedure | None = PydanticField(
        default=None, description="Defaults to the service area's complaint procedure."
    )
    nature: Code | None = None
    outcome: Outcome | None = None
    lessons_learned: Text | None = None
    lessons_publishable: Flag | None = PydanticField(
        default=None,
        description="Cleared for the published annual report (written not to identify anyone).",
    )

    @field_validator("lessons_publishable")
    @classmethod
    def _not_cleared_is_absent(cls, value: bool | None) -> bool | None:
        # A request fingerprint leaves out absent fields: false counts as absent too, so a
        # retry sending it matches one that did not, and so do complaints made before it.
        return value or None


class ComplimentCreate(_FeedbackCreateCommon):
    kind: Literal["compliment"]
    compliment_text: Text
    publication_consent: Flag = False


class MemberEnquiryCreate(_FeedbackCreateCommon):
    kind: Literal["member_enquiry"]
    enquirer_role: EnquirerRole
    enquirer: PersonCreate | None = PydanticField(
        default=None, description="The councillor or MP, unless `enquirer_id` names them."
    )
    enquirer_id: PersonRef | None = PydanticField(
        default=None, description="A member already held (the portal's own member)."
    )
    ward_or_constituency: Name


FeedbackCreate = Annotated[
    ComplaintCreate | ComplimentCreate | MemberEnquiryCreate,
    PydanticField(discriminator="kind"),
]


class FeedbackUpdate(Changes):
    """Fields a caller may change; lifecycle dates move only through events."""

    team: Omittable[Code] = None
    channel: Omittable[Channel] = None
    procedure: Omittable[ComplaintProcedure] = None
    nature: Code | None = PydanticField(default=None, description="null clears it.")
    outcome: Outcome | None = PydanticField(default=None, description="null clears it.")
    lessons_learned: Text | None = PydanticField(
        default=None,
        description="null clears it; a new text is not published until cleared again"
        " (lessons_publishable).",
    )
    lessons_publishable: Omittable[Flag] = None
    compliment_text: Omittable[Text] = None
    publication_consent: Omittable[Flag] = None
    enquirer_role: Omittable[EnquirerRole] = None
    ward_or_constituency: Omittable[Name] = None
    legal_hold: Omittable[Flag] = PydanticField(
        default=None, description="Keeps the people of this case from retention."
    )


class FeedbackPublic(FeedbackItemBase):
    id: int
    source_system: str
    kind: FeedbackKind
    procedure: ComplaintProcedure | None
    nature: str | None
    person_id: int | None
    outcome: Outcome | None
    lessons_learned: str | None
    lessons_publishable: Flag | None
    compliment_text: str | None
    publication_consent: Flag | None
    enquirer_role: EnquirerRole | None
    enquirer_id: Count | None
    ward_or_constituency: str | None
    status: ItemStatus
    acknowledged_on: date | None
    acknowledge_due_on: date | None
    due_on: date | None
    extended_due_on: date | None
    responded_on: date | None
    closed_on: date | None
    working_days_taken: int | None
    on_time: Flag | None
    legal_hold: Flag
    version: int
    created_at: datetime
    updated_at: datetime


class FeedbackPage(SQLModel):
    items: list[FeedbackPublic]
    next: str | None = PydanticField(description="URL of the next page; null on the last page.")


class FeedbackEventBase(SQLModel):
    type: EventType = Field(sa_type=enum_type(EventType))
    occurred_on: date
    actor: Name = Field(max_length=200)
    reason: str | None = None
    new_due_on: date | None = None


class FeedbackEvent(FeedbackEventBase, table=True):
    """Append-only: a trigger refuses UPDATE and DELETE."""

    __tablename__ = "feedback_event"
    __table_args__ = finite("occurred_on", "new_due_on")

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger)
    item_id: int = Field(foreign_key="feedback_item.id", index=True, sa_type=sa.BigInteger)
    recorded_at: datetime = timestamp_field()


class FeedbackEventCreate(StrictModel):
    type: EventType
    occurred_on: PastDate | None = PydanticField(
        default=None, description="The day it happened; defaults to today."
    )
    actor: Name
    reason: Text | None = None
    new_due_on: Day | None = None


class FeedbackEventPublic(FeedbackEventBase):
    id: int
    item_id: int
    recorded_at: datetime


class BulkRowResult(SQLModel):
    row: int = PydanticField(description="1-based position in the batch.")
    id: int
    created: Flag = PydanticField(description="False when the item was already held.")


class BulkResult(SQLModel):
    received: int
    created: int
    already_held: int
    items: list[BulkRowResult]
