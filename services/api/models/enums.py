"""The closed vocabularies of the service."""

from __future__ import annotations

from enum import StrEnum


class FeedbackKind(StrEnum):
    complaint = "complaint"
    compliment = "compliment"
    member_enquiry = "member_enquiry"


class ComplaintProcedure(StrEnum):
    children_statutory = "children_statutory"
    adults_statutory = "adults_statutory"
    corporate = "corporate"


class Channel(StrEnum):
    web = "web"
    email = "email"
    phone = "phone"
    letter = "letter"
    in_person = "in_person"
    portal = "portal"


class Outcome(StrEnum):
    upheld = "upheld"
    partly_upheld = "partly_upheld"
    not_upheld = "not_upheld"
    resolved_on_receipt = "resolved_on_receipt"
    withdrawn = "withdrawn"


class Finding(StrEnum):
    upheld = "upheld"
    partly_upheld = "partly_upheld"
    not_upheld = "not_upheld"


class EnquirerRole(StrEnum):
    councillor = "councillor"
    mp = "mp"


class ItemStatus(StrEnum):
    open = "open"
    paused = "paused"
    responded = "responded"
    closed = "closed"
    withdrawn = "withdrawn"


class EventType(StrEnum):
    received = "received"
    acknowledged = "acknowledged"
    clock_paused = "clock_paused"
    clock_resumed = "clock_resumed"
    extended = "extended"
    responded = "responded"
    closed = "closed"
    withdrawn = "withdrawn"
    reopened = "reopened"
    escalated = "escalated"


class EscalationStage(StrEnum):
    stage2_investigation = "stage2_investigation"
    stage3_review = "stage3_review"
    ombudsman_investigation = "ombudsman_investigation"


class EscalationStatus(StrEnum):
    open = "open"
    completed = "completed"


class OmbudsmanDecision(StrEnum):
    fault_injustice = "fault_injustice"
    fault_no_injustice = "fault_no_injustice"
    no_fault = "no_fault"
    closed_after_initial_enquiries = "closed_after_initial_enquiries"
    premature = "premature"
    withdrawn = "withdrawn"


class RemedyType(StrEnum):
    financial_payment = "financial_payment"
    apology = "apology"
    new_assessment = "new_assessment"
    review_of_arrangements = "review_of_arrangements"
    policy_or_procedure_change = "policy_or_procedure_change"
    refund = "refund"
    staff_training = "staff_training"
    other = "other"


MONEY_REMEDIES = frozenset({RemedyType.financial_payment, RemedyType.refund})


class RemedyStatus(StrEnum):
    completed_on_time = "completed_on_time"
    completed_late = "completed_late"
    outstanding = "outstanding"
    overdue = "overdue"


class NonWorkingDayKind(StrEnum):
    bank_holiday = "bank_holiday"
    closure = "closure"
