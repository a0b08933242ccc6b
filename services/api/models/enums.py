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


class Ombudsman(StrEnum):
    """Which Ombudsman a case went to; each has its own decision categories."""

    lgsco = "lgsco"


class OmbudsmanDecision(StrEnum):
    """The category of an Ombudsman's decision, in the Ombudsman's own terms.

    The LGSCO's: not for us (premature, or another body's), assessed and closed, or
    investigated (fault causing injustice, fault without injustice, no fault).
    """

    premature = "premature"
    another_body = "another_body"
    assessed_and_closed = "assessed_and_closed"
    fault_injustice = "fault_injustice"
    fault_no_injustice = "fault_no_injustice"
    no_fault = "no_fault"


class DecisionStage(StrEnum):
    """The stage at which the Ombudsman closed a case."""

    not_for_us = "not_for_us"
    assessed_and_closed = "assessed_and_closed"
    investigated = "investigated"


class ClosureReason(StrEnum):
    """Why the LGSCO assessed a complaint and closed it without investigating."""

    no_evidence_of_fault = "no_evidence_of_fault"
    injustice_not_significant = "injustice_not_significant"
    nothing_more_to_achieve = "nothing_more_to_achieve"
    court_or_tribunal = "court_or_tribunal"
    late = "late"
    outside_jurisdiction = "outside_jurisdiction"
    withdrawn = "withdrawn"
    other = "other"


class OmbudsmanServiceCategory(StrEnum):
    """The service categories the LGSCO files its decisions under."""

    adult_care_services = "adult_care_services"
    benefits_and_tax = "benefits_and_tax"
    corporate_and_other_services = "corporate_and_other_services"
    education_and_childrens_services = "education_and_childrens_services"
    environmental_services = "environmental_services"
    highways_and_transport = "highways_and_transport"
    housing = "housing"
    planning_and_development = "planning_and_development"


class RemedyType(StrEnum):
    financial_payment = "financial_payment"
    apology = "apology"
    new_assessment = "new_assessment"
    review_of_arrangements = "review_of_arrangements"
    policy_or_procedure_change = "policy_or_procedure_change"
    refund = "refund"
    staff_training = "staff_training"
    other = "other"
    # Not agreed but owed by law: after a public interest report the council tells the
    # Ombudsman within three months what it has done or will do (LGA 1974 s.31).
    public_interest_report_response = "public_interest_report_response"


MONEY_REMEDIES = frozenset({RemedyType.financial_payment, RemedyType.refund})


class RemedyStatus(StrEnum):
    completed_on_time = "completed_on_time"
    completed_late = "completed_late"
    outstanding = "outstanding"
    overdue = "overdue"


class NonWorkingDayKind(StrEnum):
    bank_holiday = "bank_holiday"
    closure = "closure"
