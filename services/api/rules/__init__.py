"""The rules: working-day clock, lifecycle replay, financial year, calendar, placement."""
