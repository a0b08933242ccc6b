"""The bulk import's calendar, which every calendar now is.

`WorkingCalendar` itself counts from a running count of working days over its span, at the
same cost for any distance; the bulk import's copy of a calendar is kept as a name for it.
"""

from __future__ import annotations

from services.api.rules.clock import WorkingCalendar


class IndexedCalendar(WorkingCalendar):
    """The same calendar: its non-working days over its span."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        super().__init__(calendar.non_working_days, first=calendar.first, end=calendar.end)
