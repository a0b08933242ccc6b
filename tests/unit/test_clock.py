"""The statutory working-day clock, checked against hand-counted dates.

Every expected date below was counted by hand from a printed calendar and the published
England and Wales bank holidays; none is computed by the code under test.
"""

from datetime import date

import pytest

from services.api.rules.clock import (
    ClockRule,
    Pause,
    WorkingCalendar,
    bank_holidays_england_and_wales,
)

E_AND_W = WorkingCalendar.england_and_wales()


# --- which days are working days -------------------------------------------------------------


def test_saturday_and_sunday_are_not_working_days() -> None:
    plain = WorkingCalendar()
    assert not plain.is_working_day(date(2019, 3, 16))  # Saturday
    assert not plain.is_working_day(date(2019, 3, 17))  # Sunday


def test_monday_to_friday_are_working_days_on_a_calendar_without_holidays() -> None:
    plain = WorkingCalendar()
    for day in range(11, 16):  # Monday 11 to Friday 15 March 2019
        assert plain.is_working_day(date(2019, 3, day))


def test_good_friday_and_easter_monday_2019_are_not_working_days() -> None:
    assert not E_AND_W.is_working_day(date(2019, 4, 19))
    assert not E_AND_W.is_working_day(date(2019, 4, 22))
    assert E_AND_W.is_working_day(date(2019, 4, 18))  # Maundy Thursday
    assert E_AND_W.is_working_day(date(2019, 4, 23))


def test_christmas_eve_is_an_ordinary_working_day() -> None:
    assert E_AND_W.is_working_day(date(2018, 12, 24))


def test_bank_holidays_of_2019_are_exactly_the_eight_published_days() -> None:
    assert bank_holidays_england_and_wales([2019]) == {
        date(2019, 1, 1),  # New Year's Day
        date(2019, 4, 19),  # Good Friday
        date(2019, 4, 22),  # Easter Monday
        date(2019, 5, 6),  # Early May bank holiday
        date(2019, 5, 27),  # Spring bank holiday
        date(2019, 8, 26),  # Summer bank holiday
        date(2019, 12, 25),  # Christmas Day
        date(2019, 12, 26),  # Boxing Day
    }


def test_scottish_and_northern_irish_holidays_are_working_days_in_england_and_wales() -> None:
    assert E_AND_W.is_working_day(date(2019, 1, 2))  # 2 January, Scotland only
    assert E_AND_W.is_working_day(date(2019, 3, 18))  # St Patrick's Day substitute, NI only
    assert E_AND_W.is_working_day(date(2019, 8, 5))  # summer bank holiday, Scotland only
    assert E_AND_W.is_working_day(date(2019, 7, 12))  # Battle of the Boyne, NI only


def test_substitute_days_apply_when_christmas_2021_falls_on_a_weekend() -> None:
    holidays = bank_holidays_england_and_wales([2021, 2022])
    # Christmas Day and Boxing Day 2021 were Saturday and Sunday.
    assert date(2021, 12, 27) in holidays
    assert date(2021, 12, 28) in holidays
    # New Year's Day 2022 was a Saturday.
    assert date(2022, 1, 3) in holidays


# --- counting ----------------------------------------------------------------------------------


def test_day_one_is_the_first_working_day_after_receipt() -> None:
    # Received Monday 11 March 2019: day 1 is Tuesday 12 March, not the day of receipt.
    assert E_AND_W.add_working_days(date(2019, 3, 11), 1) == date(2019, 3, 12)


def test_day_one_after_a_friday_receipt_is_the_following_monday() -> None:
    assert E_AND_W.add_working_days(date(2019, 3, 15), 1) == date(2019, 3, 18)


def test_zero_working_days_is_the_day_of_receipt() -> None:
    assert E_AND_W.add_working_days(date(2019, 3, 11), 0) == date(2019, 3, 11)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        E_AND_W.add_working_days(date(2019, 3, 11), -1)


def test_ten_working_days_from_an_ordinary_monday_is_the_monday_two_weeks_later() -> None:
    assert E_AND_W.add_working_days(date(2019, 3, 4), 10) == date(2019, 3, 18)


def test_twenty_working_days_from_an_ordinary_monday_is_the_monday_four_weeks_later() -> None:
    assert E_AND_W.add_working_days(date(2019, 3, 4), 20) == date(2019, 4, 1)


def test_ten_working_days_from_a_midweek_receipt_spans_two_weekends() -> None:
    # Wednesday 6 March 2019: Thu 7 is day 1, ..., Wed 20 March is day 10.
    assert E_AND_W.add_working_days(date(2019, 3, 6), 10) == date(2019, 3, 20)


def test_ten_working_days_from_20_december_2018_skip_christmas_boxing_day_and_new_year() -> None:
    # Fri 21 (1), Mon 24 (2), [Tue 25, Wed 26], Thu 27 (3), Fri 28 (4), Mon 31 (5),
    # [Tue 1 Jan], Wed 2 (6), Thu 3 (7), Fri 4 (8), Mon 7 (9), Tue 8 January 2019 (10).
    assert E_AND_W.add_working_days(date(2018, 12, 20), 10) == date(2019, 1, 8)


def test_twenty_working_days_from_20_december_2018_end_on_22_january_2019() -> None:
    assert E_AND_W.add_working_days(date(2018, 12, 20), 20) == date(2019, 1, 22)


def test_christmas_2018_would_be_three_days_earlier_without_bank_holidays() -> None:
    assert WorkingCalendar().add_working_days(date(2018, 12, 20), 10) == date(2019, 1, 3)


def test_ten_working_days_over_christmas_2021_skip_the_substitute_days() -> None:
    # Thu 23 Dec 2021: Fri 24 (1), [Mon 27, Tue 28 substitutes], Wed 29 (2), Thu 30 (3),
    # Fri 31 (4), [Mon 3 Jan substitute], Tue 4 (5), ..., Fri 7 (8), Mon 10 (9), Tue 11 (10).
    assert E_AND_W.add_working_days(date(2021, 12, 23), 10) == date(2022, 1, 11)


def test_ten_working_days_over_christmas_2022_skip_the_tuesday_and_2_january_substitutes() -> None:
    # Fri 23 Dec 2022: [Mon 26 Boxing Day, Tue 27 substitute for Christmas Day], Wed 28 (1),
    # Thu 29 (2), Fri 30 (3), [Mon 2 Jan 2023 substitute], Tue 3 (4), ..., Wed 11 (10).
    assert E_AND_W.add_working_days(date(2022, 12, 23), 10) == date(2023, 1, 11)


def test_ten_working_days_over_easter_2019_skip_good_friday_easter_monday_and_early_may() -> None:
    # Wed 17 Apr: Thu 18 (1), [Fri 19, Mon 22], Tue 23 (2), ..., Fri 3 May (10).
    assert E_AND_W.add_working_days(date(2019, 4, 17), 10) == date(2019, 5, 3)


def test_twenty_working_days_over_easter_2019_also_skip_the_early_may_bank_holiday() -> None:
    # ... Fri 3 May (10), [Mon 6 May], Tue 7 (11), ..., Mon 20 May (20).
    assert E_AND_W.add_working_days(date(2019, 4, 17), 20) == date(2019, 5, 20)


def test_receipt_on_a_saturday_starts_counting_on_monday() -> None:
    assert E_AND_W.add_working_days(date(2019, 3, 9), 1) == date(2019, 3, 11)


def test_receipt_on_a_saturday_starts_counting_on_tuesday_when_monday_is_a_bank_holiday() -> None:
    # Saturday 24 August 2019; Monday 26 August was the summer bank holiday.
    assert E_AND_W.add_working_days(date(2019, 8, 24), 1) == date(2019, 8, 27)
    # Easter Saturday 20 April 2019; Monday 22 April was Easter Monday.
    assert E_AND_W.add_working_days(date(2019, 4, 20), 1) == date(2019, 4, 23)


def test_receipt_on_a_sunday_counts_ten_days_as_from_the_friday_before() -> None:
    assert E_AND_W.add_working_days(date(2019, 3, 10), 10) == date(2019, 3, 22)
    assert E_AND_W.add_working_days(date(2019, 3, 8), 10) == date(2019, 3, 22)


def test_receipt_on_good_friday_starts_counting_on_the_tuesday_after_easter() -> None:
    assert E_AND_W.add_working_days(date(2019, 4, 19), 1) == date(2019, 4, 23)


def test_receipt_on_christmas_day_starts_counting_after_boxing_day() -> None:
    assert E_AND_W.add_working_days(date(2018, 12, 25), 1) == date(2018, 12, 27)


def test_receipt_on_a_bank_holiday_monday_counts_ten_days_from_the_tuesday() -> None:
    # Early May bank holiday, Monday 6 May 2019: Tue 7 (1), ..., Mon 20 May (10).
    assert E_AND_W.add_working_days(date(2019, 5, 6), 10) == date(2019, 5, 20)


# --- council closure days ----------------------------------------------------------------------


def test_council_closure_days_between_christmas_and_new_year_move_the_due_date() -> None:
    closed = [date(2018, 12, 24), date(2018, 12, 27), date(2018, 12, 28), date(2018, 12, 31)]
    calendar = WorkingCalendar.england_and_wales(closure_days=closed)
    # Fri 21 (1), [24..1 Jan closed or bank holidays], Wed 2 (2), Thu 3 (3), Fri 4 (4),
    # Mon 7 (5), Tue 8 (6), Wed 9 (7), Thu 10 (8), Fri 11 (9), Mon 14 January 2019 (10).
    assert calendar.add_working_days(date(2018, 12, 20), 10) == date(2019, 1, 14)
    assert not calendar.is_working_day(date(2018, 12, 27))


def test_closure_days_keep_the_bank_holidays_of_england_and_wales() -> None:
    calendar = WorkingCalendar.england_and_wales(closure_days=[date(2019, 3, 12)])
    assert not calendar.is_working_day(date(2019, 3, 12))
    assert not calendar.is_working_day(date(2019, 4, 19))


def test_non_working_days_given_to_the_calendar_move_the_due_date() -> None:
    calendar = WorkingCalendar([date(2019, 3, 12)])
    # Mon 11 March: Tue 12 closed, Wed 13 is day 1; ten days end on Tue 26 March, not Mon 25.
    assert calendar.add_working_days(date(2019, 3, 11), 1) == date(2019, 3, 13)
    assert calendar.add_working_days(date(2019, 3, 11), 10) == date(2019, 3, 26)


def test_a_closure_day_on_a_weekend_changes_nothing() -> None:
    calendar = WorkingCalendar([date(2019, 3, 9)])  # Saturday
    assert calendar.add_working_days(date(2019, 3, 4), 10) == date(2019, 3, 18)


def test_a_calendar_without_non_working_days_ignores_bank_holidays() -> None:
    assert WorkingCalendar().is_working_day(date(2019, 4, 19))


# --- pauses ------------------------------------------------------------------------------------


def test_a_pause_covers_its_first_day_but_not_the_day_it_resumed() -> None:
    pause = Pause(date(2019, 3, 11), date(2019, 3, 18))
    assert not pause.covers(date(2019, 3, 10))
    assert pause.covers(date(2019, 3, 11))
    assert pause.covers(date(2019, 3, 15))
    assert not pause.covers(date(2019, 3, 18))


def test_an_open_pause_covers_every_day_from_its_start() -> None:
    pause = Pause(date(2019, 3, 11))
    assert not pause.covers(date(2019, 3, 10))
    assert pause.covers(date(2019, 3, 11))
    assert pause.covers(date(2030, 1, 1))


def test_the_day_the_clock_is_paused_does_not_count() -> None:
    # Received Mon 4 March; paused Mon 11 (would be day 5), resumed Tue 12.
    pauses = [Pause(date(2019, 3, 11), date(2019, 3, 12))]
    assert E_AND_W.add_working_days(date(2019, 3, 4), 10, pauses) == date(2019, 3, 19)


def test_the_day_the_clock_is_resumed_counts() -> None:
    # Received Mon 4 March; paused on Tue 5 and resumed on Wed 6, which is day 1.
    pauses = [Pause(date(2019, 3, 5), date(2019, 3, 6))]
    assert E_AND_W.add_working_days(date(2019, 3, 4), 1, pauses) == date(2019, 3, 6)


def test_a_week_long_pause_moves_the_due_date_by_a_week() -> None:
    # Tue 5 (1) .. Fri 8 (4), [Mon 11 .. Fri 15 paused], Mon 18 (5) .. Mon 25 March (10).
    pauses = [Pause(date(2019, 3, 11), date(2019, 3, 18))]
    assert E_AND_W.add_working_days(date(2019, 3, 4), 10, pauses) == date(2019, 3, 25)


def test_a_pause_resumed_on_the_day_it_started_stops_nothing() -> None:
    pauses = [Pause(date(2019, 3, 11), date(2019, 3, 11))]
    assert E_AND_W.add_working_days(date(2019, 3, 4), 10, pauses) == date(2019, 3, 18)


def test_two_pauses_both_move_the_due_date() -> None:
    # Paused Wed 6 (resumed Thu 7) and Wed 13 - Thu 14 (resumed Fri 15): three working days
    # lost, so Tue 5 (1), Thu 7 (2), ..., Tue 12 (5), Fri 15 (6), ..., Thu 21 March (10).
    pauses = [
        Pause(date(2019, 3, 6), date(2019, 3, 7)),
        Pause(date(2019, 3, 13), date(2019, 3, 15)),
    ]
    assert E_AND_W.add_working_days(date(2019, 3, 4), 10, pauses) == date(2019, 3, 21)


def test_a_pause_over_a_weekend_only_loses_its_working_days() -> None:
    # Paused Fri 8 to Tue 12 March: Fri 8 and Mon 11 are lost, the weekend was never counted.
    pauses = [Pause(date(2019, 3, 8), date(2019, 3, 12))]
    assert E_AND_W.add_working_days(date(2019, 3, 4), 10, pauses) == date(2019, 3, 20)


def test_an_open_pause_leaves_no_due_date() -> None:
    pauses = [Pause(date(2019, 3, 11))]
    assert E_AND_W.add_working_days(date(2019, 3, 4), 10, pauses) is None


def test_an_open_pause_after_a_closed_one_still_leaves_no_due_date() -> None:
    pauses = [Pause(date(2019, 3, 6), date(2019, 3, 7)), Pause(date(2019, 3, 11))]
    assert E_AND_W.add_working_days(date(2019, 3, 4), 10, pauses) is None


# --- working days between ----------------------------------------------------------------------


def test_working_days_between_counts_after_receipt_up_to_and_including_the_end() -> None:
    assert E_AND_W.working_days_between(date(2019, 3, 4), date(2019, 3, 5)) == 1
    assert E_AND_W.working_days_between(date(2019, 3, 4), date(2019, 3, 18)) == 10


def test_working_days_between_a_day_and_itself_is_zero() -> None:
    assert E_AND_W.working_days_between(date(2019, 3, 4), date(2019, 3, 4)) == 0


def test_working_days_between_skips_christmas_and_new_year() -> None:
    assert E_AND_W.working_days_between(date(2018, 12, 20), date(2019, 1, 8)) == 10


def test_working_days_between_ending_on_a_weekend_counts_up_to_the_friday() -> None:
    # Received Mon 4 March: Tue 5 to Fri 8 count, Sat 9 and Sun 10 do not.
    assert E_AND_W.working_days_between(date(2019, 3, 4), date(2019, 3, 10)) == 4


def test_working_days_between_excludes_paused_days() -> None:
    pauses = [Pause(date(2019, 3, 11), date(2019, 3, 18))]
    assert E_AND_W.working_days_between(date(2019, 3, 4), date(2019, 3, 25)) == 15
    assert E_AND_W.working_days_between(date(2019, 3, 4), date(2019, 3, 25), pauses) == 10


def test_working_days_between_stops_counting_at_an_open_pause() -> None:
    pauses = [Pause(date(2019, 3, 11))]
    assert E_AND_W.working_days_between(date(2019, 3, 4), date(2019, 4, 30), pauses) == 4


# --- clock rules -------------------------------------------------------------------------------


def test_a_rule_with_a_maximum_beyond_its_target_is_extendable() -> None:
    assert ClockRule(respond=10, respond_max=20).extendable


def test_a_rule_without_a_maximum_is_not_extendable() -> None:
    assert not ClockRule(respond=10).extendable


def test_a_rule_whose_maximum_equals_its_target_is_not_extendable() -> None:
    assert not ClockRule(respond=20, respond_max=20).extendable


def test_a_rule_without_a_response_target_is_not_extendable() -> None:
    assert not ClockRule(respond=None, respond_max=20).extendable
