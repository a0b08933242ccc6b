"""The council's working calendar: bank holidays plus the non-working days held in the database."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from services.api.models import NonWorkingDay
from services.api.rules.clock import WorkingCalendar
from services.api.rules.working_calendar import bank_holidays

_DAYS = select(col(NonWorkingDay.day))


class CalendarCache:
    """Keeps the calendar for a short while, so a request does not rebuild it from scratch."""

    def __init__(self, ttl_seconds: float = 30.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._calendar: WorkingCalendar | None = None
        self._loaded_at = 0.0

    async def get(self, db: AsyncConnection) -> WorkingCalendar:
        """The calendar, reloaded from the database when older than the TTL."""
        now = time.monotonic()
        if self._calendar is None or now - self._loaded_at > self.ttl_seconds:
            days = (await db.execute(_DAYS)).scalars().all()
            self._calendar = WorkingCalendar(bank_holidays() | frozenset(days))
            self._loaded_at = now
        return self._calendar

    def invalidate(self) -> None:
        """Forget the calendar; the next request reloads it."""
        self._calendar = None
