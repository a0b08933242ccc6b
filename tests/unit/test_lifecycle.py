"""Replaying a feedback item's events, and the clock rules that apply to it.

Dates were counted by hand from a printed calendar. The usual case is a corporate complaint
received on Monday 4 March 2019: with no bank holidays before Easter (19 April), day 5 is
Monday 11 March, day 10 is Monday 18 March, day 20 is Monday 1 April, day 25 is Monday
8 April, day 30 is Monday 15 April and day 31 is Tuesday 16 April.
"""

from datetime import date

import pytest

from services.api.models.enums import (
    ComplaintProcedure,
    EscalationStage,
    EventType,
    FeedbackKind,
    ItemStatus,
)
from services.api.rules.clock import ClockRule, Pause, WorkingCalendar
from services.api.rules.lifecycle import (
    EventFact,
    Lifecycle,
    RuleViolation,
    clock_rule,
    escalation_rule,
    replay,
)
from services.api.settings import ClockTargets

CALENDAR = WorkingCalendar.england_and_wales()
TARGETS = ClockTargets()
RECEIVED = date(2019, 3, 4)  # Monday

COMPLAINT = FeedbackKind.complaint
CORPORATE = clock_rule(COMPLAINT, ComplaintProcedure.corporate, TARGETS)
CHILDREN = clock_rule(COMPLAINT, ComplaintProcedure.children_statutory, TARGETS)
ADULTS = clock_rule(COMPLAINT, ComplaintProcedure.adults_statutory, TARGETS)
MEMBER = clock_rule(FeedbackKind.member_enquiry, None, TARGETS)
COMPLIMENT = clock_rule(FeedbackKind.compliment, None, TARGETS)


def event(
    type_: EventType,
    on: date,
    *,
    reason: str | None = None,
    new_due_on: date | None = None,
) -> EventFact:
    return EventFact(type=type_, occurred_on=on, new_due_on=new_due_on, reason=reason)


def received(on: date = RECEIVED) -> EventFact:
    return event(EventType.received, on)


def paused(on: date) -> EventFact:
    return event(EventType.clock_paused, on, reason="waiting for the complainant's consent")


def resumed(on: date) -> EventFact:
    return event(EventType.clock_resumed, on, reason="consent received")


def extended(on: date, new_due_on: date) -> EventFact:
    return event(EventType.extended, on, reason="complex case", new_due_on=new_due_on)


def replay_complaint(*events: EventFact, rule: ClockRule = CORPORATE) -> Lifecycle:
    return replay(COMPLAINT, RECEIVED, [received(), *events], CALENDAR, rule)


# --- clock rules -------------------------------------------------------------------------------


def test_children_statutory_complaints_have_10_days_extendable_to_20() -> None:
    assert ClockRule(respond=10, respond_max=20, acknowledge=None) == CHILDREN
    assert CHILDREN.extendable


def test_adults_statutory_complaints_have_20_days_and_3_days_to_acknowledge() -> None:
    assert ADULTS.respond == 20
    assert ADULTS.acknowledge == 3
    assert ADULTS.extendable


def test_corporate_complaints_have_20_days_extendable_to_30_and_5_days_to_acknowledge() -> None:
    assert ClockRule(respond=20, respond_max=30, acknowledge=5) == CORPORATE


def test_a_complaint_without_a_procedure_follows_the_corporate_rule() -> None:
    assert clock_rule(COMPLAINT, None, TARGETS) == CORPORATE


def test_member_enquiries_have_10_days_and_cannot_be_extended() -> None:
    assert ClockRule(respond=10) == MEMBER
    assert not MEMBER.extendable


def test_compliments_have_no_clock() -> None:
    assert ClockRule(respond=None) == COMPLIMENT


def test_stage_2_investigations_have_25_days_extendable_to_65() -> None:
    rule = escalation_rule(EscalationStage.stage2_investigation, TARGETS)
    assert rule == ClockRule(respond=25, respond_max=65)


def test_stage_3_review_panels_have_30_days_and_cannot_be_extended() -> None:
    rule = escalation_rule(EscalationStage.stage3_review, TARGETS)
    assert rule == ClockRule(respond=30)
    assert not rule.extendable


def test_the_ombudsman_keeps_its_own_clock() -> None:
    rule = escalation_rule(EscalationStage.ombudsman_investigation, TARGETS)
    assert rule.respond is None


# --- a newly received item ---------------------------------------------------------------------


def test_a_received_corporate_complaint_is_open_and_due_on_day_20() -> None:
    state = replay_complaint()
    assert state.status is ItemStatus.open
    assert state.due_on == date(2019, 4, 1)
    assert state.acknowledge_due_on == date(2019, 3, 11)
    assert state.last_event_on == RECEIVED
    assert state.responded_on is None
    assert state.working_days_taken is None
    assert state.on_time is None


def test_an_adults_complaint_must_be_acknowledged_within_3_working_days() -> None:
    state = replay_complaint(rule=ADULTS)
    assert state.acknowledge_due_on == date(2019, 3, 7)
    assert state.due_on == date(2019, 4, 1)


def test_a_children_complaint_is_due_on_day_10_with_no_acknowledgement_target() -> None:
    state = replay_complaint(rule=CHILDREN)
    assert state.due_on == date(2019, 3, 18)
    assert state.acknowledge_due_on is None


def test_a_complaint_received_before_christmas_2018_is_due_after_new_year() -> None:
    state = replay(
        COMPLAINT, date(2018, 12, 20), [received(date(2018, 12, 20))], CALENDAR, CHILDREN
    )
    assert state.due_on == date(2019, 1, 8)


def test_a_member_enquiry_is_due_on_day_10() -> None:
    state = replay(FeedbackKind.member_enquiry, RECEIVED, [received()], CALENDAR, MEMBER)
    assert state.due_on == date(2019, 3, 18)
    assert state.acknowledge_due_on is None


def test_a_compliment_has_no_due_date() -> None:
    state = replay(FeedbackKind.compliment, RECEIVED, [received()], CALENDAR, COMPLIMENT)
    assert state.due_on is None
    assert state.acknowledge_due_on is None


def test_the_first_event_must_be_received() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay(COMPLAINT, RECEIVED, [event(EventType.acknowledged, RECEIVED)], CALENDAR, CORPORATE)
    assert caught.value.field == "type"


def test_an_item_cannot_be_received_twice() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(received(date(2019, 3, 5)))
    assert caught.value.field == "type"
    assert caught.value.conflict


# --- event dates and reasons -------------------------------------------------------------------


def test_an_event_dated_before_receipt_is_refused_on_occurred_on() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(event(EventType.acknowledged, date(2019, 3, 1)))
    assert caught.value.field == "occurred_on"
    assert not caught.value.conflict


def test_an_event_dated_before_the_previous_event_is_refused_on_occurred_on() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(
            event(EventType.acknowledged, date(2019, 3, 8)),
            event(EventType.responded, date(2019, 3, 7)),
        )
    assert caught.value.field == "occurred_on"


def test_events_on_the_same_day_as_the_previous_one_are_allowed() -> None:
    state = replay_complaint(
        event(EventType.acknowledged, RECEIVED),
        event(EventType.responded, RECEIVED),
    )
    assert state.status is ItemStatus.responded
    assert state.last_event_on == RECEIVED


@pytest.mark.parametrize("reason", [None, ""])
def test_pausing_the_clock_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(event(EventType.clock_paused, date(2019, 3, 11), reason=reason))
    assert caught.value.field == "reason"


def test_resuming_the_clock_needs_a_reason() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(
            paused(date(2019, 3, 11)), event(EventType.clock_resumed, date(2019, 3, 18))
        )
    assert caught.value.field == "reason"


def test_an_extension_needs_a_reason() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(event(EventType.extended, date(2019, 3, 25), new_due_on=date(2019, 4, 8)))
    assert caught.value.field == "reason"


def test_only_an_extension_carries_a_new_due_date() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(
            event(EventType.acknowledged, date(2019, 3, 5), new_due_on=date(2019, 4, 8))
        )
    assert caught.value.field == "new_due_on"


# --- acknowledgement ---------------------------------------------------------------------------


def test_acknowledging_records_the_day() -> None:
    state = replay_complaint(event(EventType.acknowledged, date(2019, 3, 6)))
    assert state.acknowledged_on == date(2019, 3, 6)
    assert state.status is ItemStatus.open


def test_an_item_cannot_be_acknowledged_twice() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(
            event(EventType.acknowledged, date(2019, 3, 5)),
            event(EventType.acknowledged, date(2019, 3, 6)),
        )
    assert caught.value.field == "type"
    assert caught.value.conflict


def test_an_item_can_be_acknowledged_while_the_clock_is_paused() -> None:
    state = replay_complaint(
        paused(date(2019, 3, 5)), event(EventType.acknowledged, date(2019, 3, 6))
    )
    assert state.acknowledged_on == date(2019, 3, 6)
    assert state.status is ItemStatus.paused


# --- pauses ------------------------------------------------------------------------------------


def test_pausing_the_clock_leaves_no_due_date_until_it_resumes() -> None:
    state = replay_complaint(paused(date(2019, 3, 11)))
    assert state.status is ItemStatus.paused
    assert state.pauses == [Pause(date(2019, 3, 11))]
    assert state.due_on is None


def test_resuming_after_a_week_moves_the_due_date_by_a_week() -> None:
    state = replay_complaint(paused(date(2019, 3, 11)), resumed(date(2019, 3, 18)))
    assert state.status is ItemStatus.open
    assert state.pauses == [Pause(date(2019, 3, 11), date(2019, 3, 18))]
    assert state.due_on == date(2019, 4, 8)


def test_the_acknowledgement_target_ignores_pauses() -> None:
    state = replay_complaint(paused(date(2019, 3, 5)), resumed(date(2019, 3, 18)))
    assert state.acknowledge_due_on == date(2019, 3, 11)


def test_the_clock_cannot_be_paused_twice() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(paused(date(2019, 3, 11)), paused(date(2019, 3, 12)))
    assert caught.value.conflict


def test_a_running_clock_cannot_be_resumed() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(resumed(date(2019, 3, 11)))
    assert caught.value.conflict


def test_working_days_taken_excludes_paused_days() -> None:
    # 24 working days from 4 March to Friday 5 April, less the five paused days 11-15 March.
    state = replay_complaint(
        paused(date(2019, 3, 11)),
        resumed(date(2019, 3, 18)),
        event(EventType.responded, date(2019, 4, 5)),
    )
    assert state.working_days_taken == 19
    assert state.due_on == date(2019, 4, 8)
    assert state.on_time is True


# --- extensions --------------------------------------------------------------------------------


def test_an_extension_within_the_maximum_moves_the_due_date_to_the_new_date() -> None:
    state = replay_complaint(extended(date(2019, 3, 25), date(2019, 4, 8)))
    assert state.due_on == date(2019, 4, 8)
    assert state.extended_due_on == date(2019, 4, 8)
    assert state.status is ItemStatus.open


def test_an_extension_to_exactly_the_maximum_is_allowed() -> None:
    state = replay_complaint(extended(date(2019, 3, 25), date(2019, 4, 15)))
    assert state.due_on == date(2019, 4, 15)


def test_an_extension_past_the_maximum_is_refused_on_new_due_on() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(extended(date(2019, 3, 25), date(2019, 4, 16)))
    assert caught.value.field == "new_due_on"
    assert "30" in caught.value.message
    assert not caught.value.conflict


def test_a_children_complaint_can_be_extended_to_day_20_but_not_day_21() -> None:
    state = replay_complaint(extended(date(2019, 3, 11), date(2019, 4, 1)), rule=CHILDREN)
    assert state.due_on == date(2019, 4, 1)
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(extended(date(2019, 3, 11), date(2019, 4, 2)), rule=CHILDREN)
    assert caught.value.field == "new_due_on"


def test_the_maximum_of_an_extension_does_not_count_paused_days() -> None:
    # With 11-15 March paused, Easter (19 and 22 April) skipped, Wednesday 24 April is working
    # day 30 and Thursday 25 April is day 31.
    state = replay_complaint(
        paused(date(2019, 3, 11)),
        resumed(date(2019, 3, 18)),
        extended(date(2019, 3, 25), date(2019, 4, 24)),
    )
    assert state.due_on == date(2019, 4, 24)
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(
            paused(date(2019, 3, 11)),
            resumed(date(2019, 3, 18)),
            extended(date(2019, 3, 25), date(2019, 4, 25)),
        )
    assert caught.value.field == "new_due_on"


@pytest.mark.parametrize("new_due_on", [date(2019, 4, 1), date(2019, 3, 29)])
def test_an_extension_must_be_after_the_current_due_date(new_due_on: date) -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(
            event(EventType.acknowledged, date(2019, 3, 5)),
            extended(date(2019, 3, 25), new_due_on),
        )
    assert caught.value.field == "new_due_on"


@pytest.mark.parametrize("new_due_on", [date(2019, 4, 1), date(2019, 3, 29)])
def test_an_extension_straight_after_receipt_must_be_after_the_current_due_date(
    new_due_on: date,
) -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(extended(date(2019, 3, 25), new_due_on))
    assert caught.value.field == "new_due_on"


def test_a_second_extension_must_be_after_the_first() -> None:
    state = replay_complaint(
        extended(date(2019, 3, 25), date(2019, 4, 8)),
        extended(date(2019, 4, 1), date(2019, 4, 12)),
    )
    assert state.due_on == date(2019, 4, 12)
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(
            extended(date(2019, 3, 25), date(2019, 4, 8)),
            extended(date(2019, 4, 1), date(2019, 4, 5)),
        )
    assert caught.value.field == "new_due_on"


def test_an_extension_without_a_new_due_date_is_refused_on_new_due_on() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(event(EventType.extended, date(2019, 3, 25), reason="complex case"))
    assert caught.value.field == "new_due_on"


def test_a_member_enquiry_cannot_be_extended() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay(
            FeedbackKind.member_enquiry,
            RECEIVED,
            [received(), extended(date(2019, 3, 11), date(2019, 3, 25))],
            CALENDAR,
            MEMBER,
        )
    assert caught.value.field == "new_due_on"


def test_a_pause_after_an_extension_moves_the_extended_due_date() -> None:
    # Extended to day 25 (8 April), then 25-29 March paused: due a week later, 15 April.
    state = replay_complaint(
        extended(date(2019, 3, 22), date(2019, 4, 8)),
        paused(date(2019, 3, 25)),
        resumed(date(2019, 4, 1)),
    )
    assert state.due_on == date(2019, 4, 15)


def test_an_extension_is_refused_while_the_clock_is_paused() -> None:
    # While paused the due date is unknown, so an extension could not be checked against it.
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(
            paused(date(2019, 3, 11)),
            extended(date(2019, 3, 12), date(2019, 4, 15)),
        )
    assert caught.value.field == "type"
    assert caught.value.conflict


def test_an_extension_after_resuming_counts_from_the_paused_due_date() -> None:
    # Paused 11-18 March, the complaint is due on 8 April; extended then to 15 April.
    state = replay_complaint(
        paused(date(2019, 3, 11)),
        resumed(date(2019, 3, 18)),
        extended(date(2019, 3, 19), date(2019, 4, 15)),
    )
    assert state.due_on == date(2019, 4, 15)


# --- compliments -------------------------------------------------------------------------------


def test_the_clock_of_a_compliment_cannot_be_paused() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay(
            FeedbackKind.compliment,
            RECEIVED,
            [received(), paused(date(2019, 3, 5))],
            CALENDAR,
            COMPLIMENT,
        )
    assert caught.value.field == "type"
    assert caught.value.conflict


def test_a_compliment_cannot_be_extended() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay(
            FeedbackKind.compliment,
            RECEIVED,
            [received(), extended(date(2019, 3, 5), date(2019, 3, 25))],
            CALENDAR,
            COMPLIMENT,
        )
    assert caught.value.conflict


def test_a_compliment_can_be_closed_without_a_response() -> None:
    state = replay(
        FeedbackKind.compliment,
        RECEIVED,
        [received(), event(EventType.closed, date(2019, 3, 5))],
        CALENDAR,
        COMPLIMENT,
    )
    assert state.status is ItemStatus.closed
    assert state.closed_on == date(2019, 3, 5)


def test_a_responded_compliment_has_no_working_days_taken() -> None:
    state = replay(
        FeedbackKind.compliment,
        RECEIVED,
        [received(), event(EventType.responded, date(2019, 3, 5))],
        CALENDAR,
        COMPLIMENT,
    )
    assert state.status is ItemStatus.responded
    assert state.working_days_taken is None
    assert state.on_time is None


# --- responding, closing, reopening, withdrawing -----------------------------------------------


def test_responding_sets_the_status_days_taken_and_on_time() -> None:
    state = replay_complaint(event(EventType.responded, date(2019, 3, 29)))
    assert state.status is ItemStatus.responded
    assert state.responded_on == date(2019, 3, 29)
    assert state.working_days_taken == 19
    assert state.on_time is True


def test_a_response_on_the_due_date_is_on_time() -> None:
    state = replay_complaint(event(EventType.responded, date(2019, 4, 1)))
    assert state.working_days_taken == 20
    assert state.on_time is True


def test_a_response_after_the_due_date_is_late() -> None:
    state = replay_complaint(event(EventType.responded, date(2019, 4, 2)))
    assert state.working_days_taken == 21
    assert state.on_time is False


def test_a_response_within_an_extension_is_on_time() -> None:
    state = replay_complaint(
        extended(date(2019, 3, 25), date(2019, 4, 8)),
        event(EventType.responded, date(2019, 4, 5)),
    )
    assert state.working_days_taken == 24
    assert state.on_time is True


def test_responding_while_the_clock_is_paused_is_refused_as_a_conflict() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(paused(date(2019, 3, 11)), event(EventType.responded, date(2019, 3, 12)))
    assert caught.value.field == "type"
    assert caught.value.conflict


def test_a_complaint_cannot_be_responded_to_twice() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(
            event(EventType.responded, date(2019, 3, 12)),
            event(EventType.responded, date(2019, 3, 13)),
        )
    assert caught.value.conflict


def test_closing_after_the_response_closes_the_item() -> None:
    state = replay_complaint(
        event(EventType.responded, date(2019, 3, 29)),
        event(EventType.closed, date(2019, 4, 2)),
    )
    assert state.status is ItemStatus.closed
    assert state.closed_on == date(2019, 4, 2)
    assert state.responded_on == date(2019, 3, 29)
    assert state.working_days_taken == 19
    assert state.on_time is True


def test_an_open_complaint_cannot_be_closed_without_a_response() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(event(EventType.closed, date(2019, 3, 12)))
    assert caught.value.field == "type"
    assert caught.value.conflict


def test_reopening_clears_the_response_and_the_closure() -> None:
    state = replay_complaint(
        event(EventType.responded, date(2019, 3, 29)),
        event(EventType.closed, date(2019, 4, 2)),
        event(EventType.reopened, date(2019, 4, 3)),
    )
    assert state.status is ItemStatus.open
    assert state.responded_on is None
    assert state.closed_on is None
    assert state.working_days_taken is None
    assert state.on_time is None


def test_a_reopened_complaint_answered_late_is_late() -> None:
    state = replay_complaint(
        event(EventType.responded, date(2019, 3, 29)),
        event(EventType.reopened, date(2019, 4, 1)),
        event(EventType.responded, date(2019, 4, 3)),
    )
    assert state.status is ItemStatus.responded
    assert state.responded_on == date(2019, 4, 3)
    assert state.working_days_taken == 22
    assert state.on_time is False


def test_an_open_complaint_cannot_be_reopened() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay_complaint(event(EventType.reopened, date(2019, 3, 12)))
    assert caught.value.conflict


def test_withdrawing_while_paused_closes_the_pause() -> None:
    # Paused 11 March and withdrawn 13 March: two working days lost, due Wednesday 3 April.
    state = replay_complaint(
        paused(date(2019, 3, 11)), event(EventType.withdrawn, date(2019, 3, 13))
    )
    assert state.status is ItemStatus.withdrawn
    assert state.pauses == [Pause(date(2019, 3, 11), date(2019, 3, 13))]
    assert state.due_on == date(2019, 4, 3)


def test_a_withdrawn_complaint_can_be_closed_and_reopened() -> None:
    state = replay_complaint(
        event(EventType.withdrawn, date(2019, 3, 13)),
        event(EventType.closed, date(2019, 3, 14)),
    )
    assert state.status is ItemStatus.closed
    state = replay_complaint(
        event(EventType.withdrawn, date(2019, 3, 13)),
        event(EventType.reopened, date(2019, 3, 14)),
    )
    assert state.status is ItemStatus.open


# --- escalation --------------------------------------------------------------------------------


def test_escalating_a_complaint_marks_it_escalated_and_keeps_its_status() -> None:
    state = replay_complaint(
        event(EventType.responded, date(2019, 3, 29)),
        event(EventType.escalated, date(2019, 4, 2)),
    )
    assert state.escalated is True
    assert state.status is ItemStatus.responded


def test_only_a_complaint_can_be_escalated() -> None:
    with pytest.raises(RuleViolation) as caught:
        replay(
            FeedbackKind.member_enquiry,
            RECEIVED,
            [received(), event(EventType.escalated, date(2019, 3, 5))],
            CALENDAR,
            MEMBER,
        )
    assert caught.value.conflict
