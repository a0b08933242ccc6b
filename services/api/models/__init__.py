"""Table and API models; importing this package registers every table on the metadata."""

from sqlmodel import SQLModel

from .access import ApiKey, AuditEvent
from .escalations import ComplaintPoint, Escalation, Recommendation, Remedy
from .feedback import FeedbackEvent, FeedbackItem
from .idempotency import IdempotencyRecord
from .people import Person
from .reference import Nature, NonWorkingDay, ServiceArea, Team
from .report_runs import ReportFile, ReportRun

metadata = SQLModel.metadata

__all__ = [
    "ApiKey",
    "AuditEvent",
    "ComplaintPoint",
    "Escalation",
    "FeedbackEvent",
    "FeedbackItem",
    "IdempotencyRecord",
    "Nature",
    "NonWorkingDay",
    "Person",
    "Recommendation",
    "Remedy",
    "ReportFile",
    "ReportRun",
    "ServiceArea",
    "Team",
    "metadata",
]
