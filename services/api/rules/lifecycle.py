"""A feedback item's state, derived by replaying its append-only events through the clock.

Plain functions with no database: the service stores what `replay` returns on the item row
so that it can be queried, and replays again whenever an event arrives or the calendar moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from services.api.models.enums import (
    ComplaintProcedure,
    EscalationStage,
    EventType,
    FeedbackKind,
    ItemStatus,
)
from services.api.rules.clock import ClockRule, Pause, WorkingCalendar
from services.api.settings import ClockTargets


class RuleViolation(ValueError):
    """An event that the item's state or the rules do not allow."""

    def __init__(self, field_name: str, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message
        self.conflict = conflict


@dataclass(frozen=True)
class EventFact:
    """What replay needs of one event."""

    type: EventType
    occurred_on: date
    new_due_on: date | None = None
    reason: str | None = None


@dataclass
class Lifecycle:
    """The state derived from an item's events, as stored on the item row."""

    status: ItemStatus = ItemStatus.open
    acknowledged_on: date | None = None
    acknowledge_due_on: date | None = None
    due_on: date | None = None
    extended_due_on: date | None = None
    responded_on: date | None = None
    closed_on: date | None = None
    working_days_taken: int | None = None
    on_time: bool | None = None
    pauses: list[Pause] = field(default_factory=list)
    last_event_on: date | None = None
    escalated: bool = False


def clock_rule(
    kind: FeedbackKind, procedure: ComplaintProcedure | None, targets: ClockTargets
) -> ClockRule:
    """The response targets that apply to an item."""
    if kind is FeedbackKind.compliment:
        return ClockRule(respond=None)
    if kind is FeedbackKind.member_enquiry:
        return ClockRule(respond=targets.member_enquiry)
    if procedure is ComplaintProcedure.children_statutory:
        return ClockRule(respond=targets.children_stage1, respond_max=targets.children_stage1_max)
    if procedure is ComplaintProcedure.adults_statutory:
        return ClockRule(
            respond=targets.adults_respond,
            respond_max=targets.adults_respond_max,
            acknowledge=targets.adults_acknowledge,
        )
    return ClockRule(
        respond=targets.corporate_respond,
        respond_max=targets.corporate_respond_max,
        acknowledge=targets.corporate_acknowledge,
    )


def escalation_rule(stage: EscalationStage, targets: ClockTargets) -> ClockRule:
    """The targets of an escalation; the Ombudsman keeps its own clock."""
    if stage is EscalationStage.stage2_investigation:
        return ClockRule(respond=targets.stage2, respond_max=targets.stage2_max)
    if stage is EscalationStage.stage3_review:
        return ClockRule(respond=targets.stage3_panel)
    return ClockRule(respond=None)


_ALLOWED_FROM: dict[EventType, frozenset[ItemStatus]] = {
    EventType.acknowledged: frozenset({ItemStatus.open, ItemStatus.paused}),
    EventType.clock_paused: frozenset({ItemStatus.open}),
    EventType.clock_resumed: frozenset({ItemStatus.paused}),
    # While paused the due date is unknown, so an extension could not be checked against it.
    EventType.extended: frozenset({ItemStatus.open}),
    EventType.responded: frozenset({ItemStatus.open}),
    EventType.closed: frozenset({ItemStatus.responded, ItemStatus.withdrawn}),
    EventType.withdrawn: frozenset({ItemStatus.open, ItemStatus.paused}),
    EventType.reopened: frozenset({ItemStatus.responded, ItemStatus.closed, ItemStatus.withdrawn}),
    EventType.escalated: frozenset(ItemStatus),
}
_NEEDS_REASON = frozenset({EventType.clock_paused, EventType.clock_resumed, EventType.extended})
_NEEDS_CLOCK = frozenset({EventType.clock_paused, EventType.clock_resumed, EventType.extended})


def replay(
    kind: FeedbackKind,
    received_on: date,
    events: Sequence[EventFact],
    calendar: WorkingCalendar,
    rule: ClockRule,
) -> Lifecycle:
    """Replay events in order; raises RuleViolation at the first one that is not allowed."""
    state = Lifecycle()
    extension_days: int | None = None
    for index, event in enumerate(events):
        if index == 0:
            if event.type is not EventType.received:
                raise RuleViolation("type", "the first event of an item is `received`")
            state.last_event_on = event.occurred_on
            state.due_on = _due_on(received_on, state, calendar, rule, extension_days)
            continue
        _check_event(kind, received_on, state, event, rule)
        if event.type is EventType.extended:
            extension_days = _check_extension(received_on, state, event, calendar, rule)
            state.extended_due_on = event.new_due_on
        _apply(kind, state, event)
        if event.type is not EventType.escalated:
            state.last_event_on = event.occurred_on
        state.due_on = _due_on(received_on, state, calendar, rule, extension_days)

    state.due_on = _due_on(received_on, state, calendar, rule, extension_days)
    if rule.acknowledge is not None:
        state.acknowledge_due_on = calendar.add_working_days(received_on, rule.acknowledge)
    if state.responded_on is not None and rule.respond is not None:
        state.working_days_taken = calendar.working_days_between(
            received_on, state.responded_on, state.pauses
        )
        state.on_time = state.due_on is not None and state.responded_on <= state.due_on
    return state


def _check_event(
    kind: FeedbackKind,
    received_on: date,
    state: Lifecycle,
    event: EventFact,
    rule: ClockRule,
) -> None:
    if event.type is EventType.received:
        raise RuleViolation("type", "an item is received once, when it is created", conflict=True)
    if event.occurred_on < received_on:
        raise RuleViolation(
            "occurred_on", f"must not be before the item was received ({received_on})"
        )
    # An escalation is dated by when it opened, which may precede the Stage 1 case's closure.
    ordered = event.type is not EventType.escalated
    if ordered and state.last_event_on is not None and event.occurred_on < state.last_event_on:
        raise RuleViolation(
            "occurred_on", f"must not be before the item's last event ({state.last_event_on})"
        )
    if event.type in _NEEDS_REASON and not event.reason:
        raise RuleViolation("reason", f"a reason is required for `{event.type}`")
    if event.type in _NEEDS_CLOCK and rule.respond is None:
        raise RuleViolation(
            "type", f"a {kind.replace('_', ' ')} has no response clock", conflict=True
        )
    allowed = _ALLOWED_FROM[event.type]
    if kind is FeedbackKind.compliment and event.type is EventType.closed:
        allowed = allowed | {ItemStatus.open}
    if event.type is EventType.escalated and kind is not FeedbackKind.complaint:
        raise RuleViolation("type", "only a complaint can be escalated", conflict=True)
    if state.status not in allowed:
        raise RuleViolation(
            "type", f"cannot record `{event.type}` while the item is {state.status}", conflict=True
        )
    if event.type is EventType.acknowledged and state.acknowledged_on is not None:
        raise RuleViolation("type", "the item has already been acknowledged", conflict=True)
    if event.type is not EventType.extended and event.new_due_on is not None:
        raise RuleViolation("new_due_on", "only an `extended` event carries a new due date")


def _check_extension(
    received_on: date,
    state: Lifecycle,
    event: EventFact,
    calendar: WorkingCalendar,
    rule: ClockRule,
) -> int:
    if event.new_due_on is None:
        raise RuleViolation("new_due_on", "an extension needs the new due date")
    if state.due_on is None:
        raise RuleViolation("type", "resume the clock before extending it", conflict=True)
    if not rule.extendable:
        raise RuleViolation("new_due_on", "this kind of case cannot be extended")
    if state.due_on is not None and event.new_due_on <= state.due_on:
        raise RuleViolation("new_due_on", f"must be after the current due date ({state.due_on})")
    assert rule.respond_max is not None
    # A date years away cannot be within the maximum; refuse it before counting day by day.
    if (event.new_due_on - received_on).days > 7 * rule.respond_max + 366:
        raise RuleViolation("new_due_on", f"is past the maximum of {rule.respond_max} working days")
    days = calendar.working_days_between(received_on, event.new_due_on, state.pauses)
    if days > rule.respond_max:
        latest = calendar.add_working_days(received_on, rule.respond_max, state.pauses)
        raise RuleViolation(
            "new_due_on",
            f"is {days} working days after receipt, past the maximum of {rule.respond_max}"
            + (f" (latest {latest})" if latest else ""),
        )
    return days


def _apply(kind: FeedbackKind, state: Lifecycle, event: EventFact) -> None:
    on = event.occurred_on
    match event.type:
        case EventType.acknowledged:
            state.acknowledged_on = on
        case EventType.clock_paused:
            state.status = ItemStatus.paused
            state.pauses.append(Pause(on))
        case EventType.clock_resumed:
            state.status = ItemStatus.open
            state.pauses[-1] = Pause(state.pauses[-1].start, on)
        case EventType.responded:
            state.status = ItemStatus.responded
            state.responded_on = on
        case EventType.closed:
            state.status = ItemStatus.closed
            state.closed_on = on
        case EventType.withdrawn:
            state.status = ItemStatus.withdrawn
            if state.pauses and state.pauses[-1].end is None:
                state.pauses[-1] = Pause(state.pauses[-1].start, on)
        case EventType.reopened:
            state.status = ItemStatus.open
            state.responded_on = None
            state.closed_on = None
        case EventType.escalated:
            state.escalated = True
        case EventType.extended | EventType.received:
            pass


def _due_on(
    received_on: date,
    state: Lifecycle,
    calendar: WorkingCalendar,
    rule: ClockRule,
    extension_days: int | None,
) -> date | None:
    if rule.respond is None:
        return None
    return calendar.add_working_days(received_on, extension_days or rule.respond, state.pauses)
