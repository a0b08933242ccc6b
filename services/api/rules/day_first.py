"""Dates as English councils type them, always read day first.

`31/03/2019`, `31-Mar-19`, `31.3.19`, `31 March 2019`, `2019-03-31` and Excel's serial numbers
all give 31 March 2019. Nothing is guessed: a value that reads as no date day first (such as
`03/31/2019`) is refused with its reason, not quietly read month first.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta

MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (
        calendar.month_name[number].lower(),
        calendar.month_abbr[number].lower(),
    )
} | {"sept": 9}
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*,?\s+"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]m)?)?"
_ISO = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}", re.ASCII | re.IGNORECASE)
_YEAR_FIRST = re.compile(rf"(\d{{4}})[/.](\d{{1,2}})[/.](\d{{1,2}}){_TIME}", re.ASCII)
_NUMERIC = re.compile(rf"(\d{{1,2}})([/.\-])(\d{{1,2}})\2(\d+){_TIME}", re.ASCII | re.IGNORECASE)
_WORDS = re.compile(
    rf"(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*([a-z]+)\.?[\s\-/.,]*(\d+){_TIME}",
    re.ASCII | re.IGNORECASE,
)
_MONTH_WORD_FIRST = re.compile(
    rf"([a-z]+)\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}}){_TIME}", re.ASCII | re.IGNORECASE
)
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?", re.ASCII)

# Excel's serial day 1 is 1 January 1900, and it counts a 29 February 1900 that never was:
# from 1 March 1900 on, day N is N days after 30 December 1899.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_LAST = 2_958_465  # 31 December 9999
# A number in a date column below this (1 January 1970) is far likelier a count or a typo.
_PLAUSIBLE_SERIAL = 25_569


class DateProblem(ValueError):
    """A value that is not a date, read day first; the message says why."""


def parse_day_first(value: object, *, this_year: int) -> date:
    """The date a cell holds, read day first; `this_year` settles two-digit years."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        raise DateProblem(f"{value} is a time of day, not a date")
    if isinstance(value, bool):
        raise DateProblem(f"{value} is not a date")
    if isinstance(value, int | float):
        return excel_serial_date(value)
    if not isinstance(value, str):
        raise DateProblem(f"{value!r} is not a date")
    return _parse_text(value, this_year)


def excel_serial_date(serial: float) -> date:
    """The day of an Excel serial number (1900 date system), its time of day dropped."""
    day = int(serial)
    shown = f"{serial:g}"
    if day < _PLAUSIBLE_SERIAL or day > _EXCEL_LAST:
        raise DateProblem(f"the number {shown} is not a date")
    return _EXCEL_EPOCH + timedelta(days=day)


def _parse_text(raw: str, this_year: int) -> date:
    text = " ".join(raw.split())
    if not text:
        raise DateProblem("the cell is blank")
    shown = repr(raw.strip())
    text = re.sub(rf"^{_WEEKDAY}", "", text, flags=re.IGNORECASE)
    if match := _ISO.fullmatch(text) or _YEAR_FIRST.fullmatch(text):
        year, month, day = (int(g) for g in match.groups()[:3])
        return _checked(shown, day, month, year)
    if match := _NUMERIC.fullmatch(text):
        day, month = int(match.group(1)), int(match.group(3))
        year = _full_year(shown, match.group(4), this_year)
        if not 1 <= month <= 12:
            if 1 <= day <= 12 and month <= 31:
                raise DateProblem(
                    f"{shown} read day first has no month {month} (dates are read day first: "
                    "is this column written month first?)"
                )
            raise DateProblem(f"{shown} has no month {month}")
        return _checked(shown, day, month, year)
    if match := _WORDS.fullmatch(text):
        month = _month(shown, match.group(2))
        return _checked(
            shown, int(match.group(1)), month, _full_year(shown, match.group(3), this_year)
        )
    if match := _MONTH_WORD_FIRST.fullmatch(text):
        month = _month(shown, match.group(1))
        return _checked(shown, int(match.group(2)), month, int(match.group(3)))
    if _SERIAL_TEXT.fullmatch(text):
        # A date column of a CSV saved from an unformatted sheet holds Excel's serials.
        return excel_serial_date(float(text))
    if re.fullmatch(r"\d{1,2}[/.\-]\d{1,2}", text):
        raise DateProblem(f"{shown} has no year")
    if re.fullmatch(r"[a-z]+\.?[\s\-/]*\d{2,4}", text, re.IGNORECASE):
        raise DateProblem(f"{shown} has no day: a month is not a date")
    raise DateProblem(f"{shown} is not a date (write it as 31/03/2019)")


def _month(shown: str, word: str) -> int:
    month = MONTHS.get(word.lower())
    if month is None:
        raise DateProblem(f"{shown}: {word!r} is not a month")
    return month


def _full_year(shown: str, digits: str, this_year: int) -> int:
    if len(digits) == 4:
        return int(digits)
    if len(digits) != 2:
        raise DateProblem(f"{shown}: the year {digits!r} is not clear (write all four digits)")
    # Two digits mean this century unless that would be a later year than this one.
    year = 2000 + int(digits)
    return year if year <= this_year else year - 100


def _checked(shown: str, day: int, month: int, year: int) -> date:
    if not 1 <= month <= 12:
        raise DateProblem(f"{shown} has no month {month}")
    if year < 1900:
        raise DateProblem(f"{shown}: the year {year} is not plausible")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateProblem(
            f"{shown}: there is no {day} {calendar.month_name[month]} {year} "
            f"({calendar.month_name[month]} has {last} days)"
        )
    return date(year, month, day)
