"""Due times and working minutes in business hours, across weekends, holidays and DST."""

import timeit
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.business_time import (
    BusinessCalendar,
    Interval,
    add_business_minutes,
    business_minutes_between,
    open_periods,
)
from sla.holidays import public_holidays

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")
CHATHAM = ZoneInfo("Pacific/Chatham")


def office_hours(time_zone: str, holidays: frozenset[date] = frozenset()) -> BusinessCalendar:
    """Monday to Friday, 09:00-17:00."""
    weekdays = tuple(Interval(day, time(9), time(17)) for day in range(5))
    return BusinessCalendar(time_zone, weekdays, holidays)


def sunday_morning(time_zone: str) -> BusinessCalendar:
    """Sunday 00:00-12:00 only: the hours in which the clocks change."""
    return BusinessCalendar(time_zone, (Interval(6, time(0), time(12)),))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Weekends, closing time and the start of counting


def test_four_hours_from_friday_afternoon_are_due_on_monday_morning():
    friday = datetime(2025, 1, 10, 15, 0, tzinfo=BERLIN)
    assert add_business_minutes(office_hours("Europe/Berlin"), friday, 240) == utc(2025, 1, 13, 10)


def test_friday_evening_to_monday_morning_counts_only_working_hours():
    friday, monday = (
        datetime(2025, 1, 10, 16, tzinfo=BERLIN),
        datetime(2025, 1, 13, 10, tzinfo=BERLIN),
    )
    assert business_minutes_between(office_hours("Europe/Berlin"), friday, monday) == 120


def test_a_ticket_raised_on_saturday_starts_counting_at_monday_opening():
    saturday = datetime(2025, 1, 11, 12, tzinfo=BERLIN)
    assert add_business_minutes(office_hours("Europe/Berlin"), saturday, 30) == utc(
        2025, 1, 13, 8, 30
    )


def test_a_target_running_out_at_closing_time_is_due_at_closing_time():
    friday = datetime(2025, 1, 10, 16, tzinfo=BERLIN)
    assert add_business_minutes(office_hours("Europe/Berlin"), friday, 60) == utc(2025, 1, 10, 16)


def test_zero_minutes_during_working_hours_are_due_at_once():
    tuesday = datetime(2025, 1, 14, 11, 17, 5, tzinfo=BERLIN)
    assert add_business_minutes(office_hours("Europe/Berlin"), tuesday, 0) == tuesday


def test_zero_minutes_after_hours_are_due_at_once_too():
    tuesday_evening = datetime(2025, 1, 14, 19, 3, 7, tzinfo=BERLIN)
    due = add_business_minutes(office_hours("Europe/Berlin"), tuesday_evening, 0)
    assert due == tuesday_evening


def test_a_start_with_seconds_counts_from_the_next_whole_minute():
    tuesday = datetime(2025, 1, 14, 11, 17, 5, tzinfo=BERLIN)
    due = add_business_minutes(office_hours("Europe/Berlin"), tuesday, 60)
    assert due == datetime(2025, 1, 14, 12, 18, tzinfo=BERLIN)


def test_working_time_is_counted_in_whole_minutes():
    calendar = office_hours("Europe/Berlin")
    start = datetime(2025, 1, 14, 9, 0, 30, tzinfo=BERLIN)
    end = datetime(2025, 1, 14, 10, 0, 45, tzinfo=BERLIN)
    assert business_minutes_between(calendar, start, end) == 59


def test_fractions_of_a_minute_in_a_target_are_kept():
    monday = datetime(2025, 1, 13, 9, tzinfo=BERLIN)
    due = add_business_minutes(office_hours("Europe/Berlin"), monday, 1.5)
    assert due == utc(2025, 1, 13, 8, 1, 30)


def test_due_times_are_returned_in_utc():
    monday = datetime(2025, 1, 13, 9, tzinfo=BERLIN)
    assert add_business_minutes(office_hours("Europe/Berlin"), monday, 10).tzinfo is UTC


def test_no_minutes_pass_between_an_end_before_the_start():
    monday = datetime(2025, 1, 13, 12, tzinfo=BERLIN)
    calendar = office_hours("Europe/Berlin")
    assert business_minutes_between(calendar, monday, monday - timedelta(hours=2)) == 0


# Holidays


def test_a_holiday_is_not_working_time():
    calendar = office_hours("Europe/Berlin", holidays=frozenset({date(2025, 10, 3)}))
    thursday = datetime(2025, 10, 2, 16, tzinfo=BERLIN)
    assert add_business_minutes(calendar, thursday, 120) == utc(2025, 10, 6, 8)


def test_a_bavarian_epiphany_pushes_the_due_time_to_tuesday():
    holidays = public_holidays("DE", "BY", [2025])
    friday = datetime(2025, 1, 3, 16, tzinfo=BERLIN)
    assert add_business_minutes(office_hours("Europe/Berlin", holidays), friday, 120) == utc(
        2025, 1, 7, 9
    )


def test_a_night_shift_beginning_the_evening_before_a_holiday_is_worked_to_its_end():
    thursday_nights = BusinessCalendar(
        "UTC", (Interval(3, time(22), time(6)),), {date(2025, 1, 10)}
    )
    week = business_minutes_between(thursday_nights, utc(2025, 1, 6), utc(2025, 1, 13))
    assert week == 8 * 60


def test_a_night_shift_beginning_on_a_holiday_is_not_worked_after_midnight_either():
    thursday_nights = BusinessCalendar("UTC", (Interval(3, time(22), time(6)),), {date(2025, 1, 9)})
    week = business_minutes_between(thursday_nights, utc(2025, 1, 6), utc(2025, 1, 13))
    assert week == 0


def test_a_target_running_into_a_holiday_night_shift_is_due_within_it():
    nights = BusinessCalendar(
        "UTC", tuple(Interval(day, time(22), time(6)) for day in range(7)), {date(2025, 12, 25)}
    )
    # Christmas Eve's shift runs to 06:00 on Christmas Day; Christmas night is not worked.
    assert add_business_minutes(nights, utc(2025, 12, 24, 22), 7 * 60) == utc(2025, 12, 25, 5)
    assert add_business_minutes(nights, utc(2025, 12, 24, 22), 9 * 60) == utc(2025, 12, 26, 23)


def test_a_night_shift_and_an_early_shift_overlapping_after_midnight_count_once():
    calendar = BusinessCalendar(
        "UTC", (Interval(0, time(22), time(6)), Interval(1, time(4), time(8)))
    )
    week = business_minutes_between(calendar, utc(2025, 1, 6), utc(2025, 1, 13))
    assert week == 10 * 60  # Monday 22:00 to Tuesday 08:00


def test_public_holidays_of_a_german_state_include_its_own_holidays():
    bavaria = public_holidays("DE", "BY", range(2025, 2027))
    assert {date(2025, 1, 6), date(2026, 10, 3)} <= bavaria


def test_public_holidays_without_a_subdivision_are_the_nationwide_ones():
    assert date(2025, 1, 6) not in public_holidays("DE", None, [2025])


def test_public_holidays_of_an_unknown_country_are_refused():
    with pytest.raises(ValueError, match="country code 'XX'"):
        public_holidays("XX", None, [2025])


def test_public_holidays_of_an_unknown_subdivision_are_refused():
    with pytest.raises(ValueError, match="no subdivision 'ZZ'"):
        public_holidays("DE", "ZZ", [2025])


# Several intervals a day, night shifts, around the clock


def test_a_lunch_break_is_not_working_time():
    split_day = BusinessCalendar(
        "Europe/Berlin", (Interval(0, time(9), time(12)), Interval(0, time(13), time(17)))
    )
    monday = datetime(2025, 1, 13, 11, tzinfo=BERLIN)
    assert add_business_minutes(split_day, monday, 120) == utc(2025, 1, 13, 13)


def test_overlapping_intervals_are_counted_once():
    overlapping = BusinessCalendar(
        "Europe/Berlin", (Interval(0, time(9), time(13)), Interval(0, time(11), time(17)))
    )
    monday = datetime(2025, 1, 13, tzinfo=BERLIN)
    assert business_minutes_between(overlapping, monday, monday + timedelta(days=1)) == 480


def test_a_night_shift_runs_past_midnight_into_the_next_day():
    friday_nights = BusinessCalendar("UTC", (Interval(4, time(22), time(6)),))
    assert add_business_minutes(friday_nights, utc(2025, 1, 10, 23), 240) == utc(2025, 1, 11, 3)


def test_a_night_shift_is_one_working_period_across_midnight():
    friday_nights = BusinessCalendar("UTC", (Interval(4, time(22), time(6)),))
    periods = list(open_periods(friday_nights, utc(2025, 1, 6), utc(2025, 1, 13)))
    assert periods == [(utc(2025, 1, 10, 22), utc(2025, 1, 11, 6))]


def test_open_periods_are_clipped_to_the_span_asked_for():
    calendar = office_hours("UTC")
    periods = list(open_periods(calendar, utc(2025, 1, 13, 12), utc(2025, 1, 14, 10)))
    assert periods == [
        (utc(2025, 1, 13, 12), utc(2025, 1, 13, 17)),
        (utc(2025, 1, 14, 9), utc(2025, 1, 14, 10)),
    ]


def test_a_whole_day_interval_is_twenty_four_hours():
    mondays = BusinessCalendar("UTC", (Interval(0, time(0), time(0)),))
    assert business_minutes_between(mondays, utc(2025, 1, 6), utc(2025, 1, 13)) == 24 * 60


def test_around_the_clock_support_counts_every_minute():
    calendar = BusinessCalendar.twenty_four_seven()
    assert add_business_minutes(calendar, utc(2025, 1, 11, 23, 30), 90) == utc(2025, 1, 12, 1)


def test_around_the_clock_support_is_one_open_period():
    periods = open_periods(
        BusinessCalendar.twenty_four_seven("Europe/Berlin"), utc(2025, 3, 1), utc(2025, 4, 1)
    )
    assert list(periods) == [(utc(2025, 3, 1), utc(2025, 4, 1))]


def test_around_the_clock_support_works_the_23_real_hours_of_a_spring_forward_day():
    calendar = BusinessCalendar.twenty_four_seven("Europe/Berlin")
    sunday, monday = datetime(2025, 3, 30, tzinfo=BERLIN), datetime(2025, 3, 31, tzinfo=BERLIN)
    assert business_minutes_between(calendar, sunday, monday) == 23 * 60


def test_around_the_clock_support_works_its_holidays_too():
    calendar = BusinessCalendar("UTC", (), {date(2025, 12, 25)}, always_open=True)
    assert add_business_minutes(calendar, utc(2025, 12, 24, 23), 120) == utc(2025, 12, 25, 1)


def test_twenty_four_hours_on_working_days_closes_on_holidays():
    every_whole_day = tuple(Interval(day, time(0), time(0)) for day in range(7))
    calendar = BusinessCalendar("UTC", every_whole_day, {date(2025, 12, 25)})
    assert add_business_minutes(calendar, utc(2025, 12, 24, 23), 120) == utc(2025, 12, 26, 1)


# Clock changes: boundaries are wall-clock times, minutes are real minutes


def test_berlin_spring_forward_inside_working_hours_leaves_seven_real_hours():
    calendar = BusinessCalendar("Europe/Berlin", (Interval(6, time(1), time(9)),))
    opening = datetime(2025, 3, 30, 1, tzinfo=BERLIN)
    assert add_business_minutes(calendar, opening, 7 * 60) == utc(2025, 3, 30, 7)


def test_berlin_spring_forward_skips_the_missing_hour_while_counting():
    due = add_business_minutes(sunday_morning("Europe/Berlin"), utc(2025, 3, 29, 20), 150)
    assert due == utc(2025, 3, 30, 1, 30)  # 03:30 CEST: 02:00-03:00 never happened


def test_berlin_fall_back_inside_working_hours_gives_thirteen_real_hours():
    calendar = sunday_morning("Europe/Berlin")
    saturday, monday = utc(2025, 10, 25), utc(2025, 10, 27)
    assert business_minutes_between(calendar, saturday, monday) == 13 * 60


def test_berlin_fall_back_counts_the_repeated_hour_twice():
    due = add_business_minutes(sunday_morning("Europe/Berlin"), utc(2025, 10, 25, 20), 210)
    assert due == utc(2025, 10, 26, 1, 30)  # 02:30 CET, the second time the clocks show 02:30


def test_an_opening_time_skipped_by_spring_forward_opens_when_the_gap_ends():
    calendar = BusinessCalendar("Europe/Berlin", (Interval(6, time(2, 30), time(4)),))
    periods = list(open_periods(calendar, utc(2025, 3, 29), utc(2025, 3, 31)))
    assert periods == [(utc(2025, 3, 30, 1), utc(2025, 3, 30, 2))]  # 03:00-04:00 CEST


def test_an_opening_time_repeated_by_fall_back_opens_at_its_first_occurrence():
    calendar = BusinessCalendar("Europe/Berlin", (Interval(6, time(2, 30), time(4)),))
    periods = list(open_periods(calendar, utc(2025, 10, 25), utc(2025, 10, 27)))
    assert periods == [(utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 3))]  # 02:30 CEST-04:00 CET


def test_a_closing_time_repeated_by_fall_back_closes_at_its_second_occurrence():
    calendar = BusinessCalendar("Europe/Berlin", (Interval(6, time(0), time(2, 30)),))
    periods = list(open_periods(calendar, utc(2025, 10, 25), utc(2025, 10, 27)))
    # 00:00 CEST to the second 02:30 (CET): the repeated half hour is worked both times.
    assert periods == [(utc(2025, 10, 25, 22), utc(2025, 10, 26, 1, 30))]


def test_a_repeated_hour_inside_working_hours_is_worked_both_times():
    calendar = BusinessCalendar("Europe/Berlin", (Interval(6, time(2), time(3)),))
    sunday = business_minutes_between(calendar, utc(2025, 10, 25), utc(2025, 10, 27))
    assert sunday == 120  # 02:00-03:00 CEST, then 02:00-03:00 CET


def test_a_closing_just_after_an_opening_on_a_fall_back_night_is_not_counted_twice():
    calendar = BusinessCalendar(
        "Europe/Berlin", (Interval(6, time(1), time(2, 15)), Interval(6, time(2, 30), time(4)))
    )
    periods = list(open_periods(calendar, utc(2025, 10, 25), utc(2025, 10, 27)))
    # 01:00 CEST to 04:00 CET: the first shift's second 02:15 comes after the second's 02:30.
    assert periods == [(utc(2025, 10, 25, 23), utc(2025, 10, 26, 3))]


def test_a_night_shift_across_berlin_spring_forward_is_seven_hours():
    saturday_nights = BusinessCalendar("Europe/Berlin", (Interval(5, time(22), time(6)),))
    saturday = datetime(2025, 3, 29, 12, tzinfo=BERLIN)
    assert business_minutes_between(saturday_nights, saturday, saturday + timedelta(days=1)) == 420


def test_office_hours_keep_their_wall_clock_times_after_new_york_springs_forward():
    friday = datetime(2025, 3, 7, 16, tzinfo=NEW_YORK)  # 21:00 UTC, EST
    due = add_business_minutes(office_hours("America/New_York"), friday, 120)
    assert due == utc(2025, 3, 10, 14)  # Monday 10:00 EDT


def test_new_york_spring_forward_skips_the_missing_hour_while_counting():
    due = add_business_minutes(sunday_morning("America/New_York"), utc(2025, 3, 8, 23), 180)
    assert due == utc(2025, 3, 9, 8)  # 04:00 EDT: 02:00-03:00 never happened


def test_new_york_fall_back_counts_the_repeated_hour_twice():
    due = add_business_minutes(sunday_morning("America/New_York"), utc(2025, 11, 1, 23), 180)
    assert due == utc(2025, 11, 2, 7)  # 02:00 EST, after 01:00-02:00 ran twice


def test_new_york_fall_back_day_is_thirteen_real_hours_of_a_twelve_hour_morning():
    calendar = sunday_morning("America/New_York")
    assert business_minutes_between(calendar, utc(2025, 11, 1), utc(2025, 11, 3)) == 13 * 60


# Half-hour and 45-minute offsets


def test_office_hours_in_lord_howe_follow_its_half_hour_clock_change():
    friday = datetime(2025, 4, 4, 16, tzinfo=LORD_HOWE)  # +11:00
    due = add_business_minutes(office_hours("Australia/Lord_Howe"), friday, 120)
    assert due == utc(2025, 4, 6, 23, 30)  # Monday 10:00 +10:30


def test_lord_howe_fall_back_day_is_twenty_four_and_a_half_hours():
    calendar = BusinessCalendar.twenty_four_seven("Australia/Lord_Howe")
    sunday, monday = datetime(2025, 4, 6, tzinfo=LORD_HOWE), datetime(2025, 4, 7, tzinfo=LORD_HOWE)
    assert business_minutes_between(calendar, sunday, monday) == 24.5 * 60


def test_lord_howe_spring_forward_day_is_twenty_three_and_a_half_hours():
    calendar = BusinessCalendar.twenty_four_seven("Australia/Lord_Howe")
    sunday, monday = (
        datetime(2025, 10, 5, tzinfo=LORD_HOWE),
        datetime(2025, 10, 6, tzinfo=LORD_HOWE),
    )
    assert business_minutes_between(calendar, sunday, monday) == 23.5 * 60


def test_office_hours_in_kolkata_are_on_the_half_hour_in_utc():
    friday = datetime(2025, 1, 10, 16, tzinfo=KOLKATA)
    due = add_business_minutes(office_hours("Asia/Kolkata"), friday, 120)
    assert due == utc(2025, 1, 13, 4, 30)  # Monday 10:00 +05:30


def test_office_hours_in_the_chatham_islands_open_at_a_quarter_past_in_utc():
    monday_morning = datetime(2025, 6, 2, 8, tzinfo=CHATHAM)
    due = add_business_minutes(office_hours("Pacific/Chatham"), monday_morning, 60)
    assert due == utc(2025, 6, 1, 21, 15)  # Monday 10:00 +12:45


def test_chatham_spring_forward_at_a_quarter_to_three_skips_an_hour():
    calendar = sunday_morning("Pacific/Chatham")
    sunday = datetime(2025, 9, 28, tzinfo=CHATHAM)
    assert business_minutes_between(calendar, sunday, sunday + timedelta(days=1)) == 11 * 60


# Refusals


def test_a_calendar_without_working_hours_cannot_give_a_due_time():
    with pytest.raises(ValueError, match="no working hours"):
        add_business_minutes(BusinessCalendar("UTC", ()), utc(2025, 1, 1), 60)


def test_a_calendar_on_holiday_for_years_cannot_give_a_due_time():
    every_day = frozenset(date(2025, 1, 1) + timedelta(days=n) for n in range(3 * 366))
    with pytest.raises(ValueError, match="no working time between"):
        add_business_minutes(office_hours("UTC", every_day), utc(2025, 1, 1), 60)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(office_hours("UTC"), datetime(2025, 1, 13, 9), 60)  # noqa: DTZ001


def test_naive_datetimes_are_refused_before_any_period_is_asked_for():
    with pytest.raises(ValueError, match="aware"):
        open_periods(office_hours("UTC"), datetime(2025, 1, 13), utc(2025, 1, 14))  # noqa: DTZ001


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError, match="zero or more"):
        add_business_minutes(office_hours("UTC"), utc(2025, 1, 13, 9), -1)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValueError, match="Unknown time zone 'Europe/Springfield'"):
        office_hours("Europe/Springfield")


def test_an_always_open_calendar_with_intervals_is_refused():
    with pytest.raises(ValueError, match="always-open"):
        BusinessCalendar("UTC", (Interval(0, time(9), time(17)),), always_open=True)


def test_a_weekday_beyond_sunday_is_refused():
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6 \\(Sunday\\)"):
        Interval(7, time(9), time(17))


# Speed: the SLA engine computes due times on every ticket change


def test_a_hundred_thousand_minutes_take_well_under_ten_milliseconds():
    calendar = office_hours("Europe/Berlin", public_holidays("DE", "BY", range(2025, 2027)))
    start = utc(2025, 1, 13, 9)
    fastest = min(
        timeit.repeat(lambda: add_business_minutes(calendar, start, 100_000), number=1, repeat=5)
    )
    assert fastest < 0.010


def test_a_hundred_thousand_minutes_with_a_holiday_every_week_take_under_ten_milliseconds():
    mondays = frozenset(date(2025, 1, 6) + timedelta(weeks=n) for n in range(60))
    calendar = office_hours("Europe/Berlin", mondays)
    start = utc(2025, 1, 13, 9)
    fastest = min(
        timeit.repeat(lambda: add_business_minutes(calendar, start, 100_000), number=1, repeat=5)
    )
    assert fastest < 0.010
