"""Table and API models; importing this package registers every table on the metadata."""

from sqlmodel import SQLModel

from services.api.models.access import ApiKey, AuditEvent
from services.api.models.escalations import ComplaintPoint, Escalation, Recommendation, Remedy
from services.api.models.feedback import FeedbackEvent, FeedbackItem
from services.api.models.idempotency import IdempotencyRecord
from services.api.models.imports import ImportItem, ImportMapping, ImportRecord
from services.api.models.people import Person
from services.api.models.reference import (
    Nature,
    NonWorkingDay,
    PopulationEstimate,
    ServiceArea,
    Team,
)
from services.api.models.report_runs import ReportFile, ReportRun

metadata = SQLModel.metadata

__all__ = [
    "ApiKey",
    "AuditEvent",
    "ComplaintPoint",
    "Escalation",
    "FeedbackEvent",
    "FeedbackItem",
    "IdempotencyRecord",
    "ImportItem",
    "ImportMapping",
    "ImportRecord",
    "Nature",
    "NonWorkingDay",
    "Person",
    "PopulationEstimate",
    "Recommendation",
    "Remedy",
    "ReportFile",
    "ReportRun",
    "ServiceArea",
    "Team",
    "metadata",
]
