"""Business-time arithmetic holds together for any calendar, zone, holiday and start instant."""

import math
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.business_time import (
    BusinessCalendar,
    Interval,
    add_business_minutes,
    business_minutes_between,
    open_periods,
)

MINUTE = timedelta(minutes=1)
TOLERANCE = 1e-6  # minutes
# No example database: nothing is written into the working tree; a failure prints its example.
FAST = settings(max_examples=200, deadline=None, database=None)
SLOW = settings(max_examples=150, deadline=None, database=None)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/St_Johns",  # -03:30, with DST
    "America/Sao_Paulo",  # its clocks changed at midnight until 2019
    "Australia/Lord_Howe",  # a half-hour DST shift
    "Asia/Kolkata",  # +05:30, no DST
    "Asia/Kathmandu",  # +05:45, no DST
    "Pacific/Chatham",  # +12:45, DST at 02:45
    "Pacific/Apia",  # skipped Friday 30 December 2011 entirely
]
# Zones with a date a few days before one of their clock changes, so many examples contain one.
CLOCK_CHANGES = [
    ("Europe/Berlin", date(2025, 3, 27)),  # last Sunday of March, 02:00 becomes 03:00
    ("Europe/Berlin", date(2025, 10, 23)),  # last Sunday of October, 03:00 becomes 02:00
    ("Europe/London", date(2025, 10, 23)),
    ("America/New_York", date(2025, 3, 6)),  # second Sunday of March
    ("America/New_York", date(2025, 10, 30)),  # first Sunday of November
    ("America/St_Johns", date(2025, 3, 6)),
    ("Australia/Lord_Howe", date(2025, 4, 3)),  # 02:00 becomes 01:30
    ("Australia/Lord_Howe", date(2025, 10, 2)),  # 02:00 becomes 02:30
    ("Pacific/Chatham", date(2025, 4, 3)),  # 03:45 becomes 02:45
    ("Pacific/Chatham", date(2025, 9, 25)),  # 02:45 becomes 03:45
    ("America/Sao_Paulo", date(2018, 11, 1)),  # 00:00 became 01:00 on 4 November 2018
    ("America/Sao_Paulo", date(2019, 2, 14)),  # 00:00 became 23:00 of the day before, 17 February
    ("Pacific/Apia", date(2011, 12, 27)),  # 29 December 2011 was followed by 31 December
]

wall_times = st.builds(
    time, hour=st.integers(0, 23), minute=st.sampled_from([0, 15, 30, 45]) | st.integers(0, 59)
)
intervals = st.builds(Interval, weekday=st.integers(0, 6), start=wall_times, end=wall_times)
minute_counts = st.integers(0, 20_000) | st.floats(0, 20_000, allow_nan=False)


@st.composite
def situations(draw, *, whole_minutes: bool = False) -> tuple[BusinessCalendar, datetime]:
    """A random calendar, and a start instant near holidays and often near a clock change."""
    anywhere = st.tuples(st.sampled_from(ZONES), st.dates(date(1990, 1, 1), date(2060, 12, 31)))
    zone, base = draw(st.sampled_from(CLOCK_CHANGES) | anywhere)
    holidays = draw(st.frozensets(st.integers(-2, 30).map(lambda n: base + timedelta(days=n))))
    if draw(st.integers(0, 9)) == 0:
        calendar = BusinessCalendar(zone, (), holidays, always_open=True)
    else:
        calendar = BusinessCalendar(
            zone, tuple(draw(st.lists(intervals, min_size=1, max_size=5))), holidays
        )
    start = datetime.combine(base, time(), UTC) + draw(st.integers(-2 * 1440, 7 * 1440)) * MINUTE
    if not whole_minutes:
        start += timedelta(
            microseconds=draw(st.sampled_from([0, 0, 1]) | st.integers(0, 59_999_999))
        )
    return calendar, start


def spans(draw, *, most_days: int = 10) -> timedelta:
    """A stretch of whole minutes, up to `most_days` long."""
    return (
        draw(st.integers(0, most_days - 1)) * timedelta(days=1)
        + draw(st.integers(0, 1440)) * MINUTE
    )


def working_minutes_by_brute_force(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> int:
    """Working minutes in [start, end), found by asking of every single minute if it is working."""
    zone = ZoneInfo(calendar.time_zone)
    count, minute = 0, start
    while minute < end:
        count += is_working(calendar, zone, minute)
        minute += MINUTE
    return count


def whole_minute_from(instant: datetime) -> datetime:
    """The instant if it is a whole minute, else the next whole minute (as counting starts)."""
    whole = instant.replace(second=0, microsecond=0)
    return instant if whole == instant else whole + MINUTE


def is_working(calendar: BusinessCalendar, zone: ZoneInfo, instant: datetime) -> bool:
    """Whether `instant` is working time, read from the calendar a minute at a time: within a
    shift that starts on a date that is not a holiday (the rules in docs/sla-time.md)."""
    local = instant.astimezone(zone)
    day, wall = local.date(), local.time().replace(fold=0)
    if calendar.always_open:
        return True
    # On the second pass of a repeated autumn hour, an opening inside the repeated range
    # happened on the first pass, and a closing inside it comes on this one.
    repeat_ends = None
    if local.fold:
        later = instant
        while later.astimezone(zone).fold:
            later += MINUTE
        # A range repeated up to midnight (Sao Paulo, 2019) ends after every time of the day.
        ended = later.astimezone(zone)
        repeat_ends = ended.time() if ended.date() == day else time.max
    before = day - timedelta(days=1)
    for interval in calendar.intervals:
        overnight = interval.end <= interval.start
        if interval.weekday == day.weekday() and day not in calendar.holidays:
            opened = interval.start < repeat_ends if repeat_ends else interval.start <= wall
            if opened and (overnight or wall < interval.end):
                return True
        previous_day = interval.weekday == before.weekday() and before not in calendar.holidays
        if overnight and previous_day and wall < interval.end:
            return True
    return False


@FAST
@given(situations())
def test_a_target_of_nothing_is_due_at_its_start(situation):
    calendar, start = situation
    assert add_business_minutes(calendar, start, 0) == start


@FAST
@given(situations(), st.integers(0, 20_000))
def test_the_minutes_up_to_a_due_time_are_the_minutes_asked_for(situation, minutes):
    calendar, start = situation
    due = add_business_minutes(calendar, start, minutes)
    assert business_minutes_between(calendar, start, due) == minutes


@FAST
@given(situations(), st.floats(0, 20_000, allow_nan=False))
def test_a_target_with_a_fraction_of_a_minute_counts_its_whole_minutes(situation, minutes):
    calendar, start = situation
    due = add_business_minutes(calendar, start, minutes)
    assert (
        math.floor(minutes) <= business_minutes_between(calendar, start, due) <= math.ceil(minutes)
    )


@FAST
@given(situations(), minute_counts, minute_counts)
def test_a_longer_target_is_never_due_earlier(situation, minutes, more_minutes):
    calendar, start = situation
    shorter, longer = sorted([minutes, more_minutes])
    assert add_business_minutes(calendar, start, shorter) <= add_business_minutes(
        calendar, start, longer
    )


@FAST
@given(situations(), st.integers(0, 10_000), st.integers(1, 10_000))
def test_adding_in_two_steps_is_due_when_adding_at_once(situation, first, second):
    calendar, start = situation
    halfway = add_business_minutes(calendar, start, first)
    assert add_business_minutes(calendar, halfway, second) == add_business_minutes(
        calendar, start, first + second
    )


@FAST
@given(situations(), st.integers(0, 10_000))
def test_adding_nothing_more_moves_at_most_past_closed_time(situation, minutes):
    # A count that runs out at a closing returns the closing; adding zero minutes to it gives the
    # next opening. The instants differ, but no working time lies between them.
    calendar, start = situation
    due = add_business_minutes(calendar, start, minutes)
    again = add_business_minutes(calendar, due, 0)
    assert again >= due
    assert business_minutes_between(calendar, due, again) == 0


@FAST
@given(st.data(), situations())
def test_working_minutes_add_up_over_a_split_point(data, situation):
    calendar, start = situation
    split = whole_minute_from(start + spans(data.draw))  # minutes are counted whole
    end = split + spans(data.draw)
    whole = business_minutes_between(calendar, start, end)
    parts = business_minutes_between(calendar, start, split) + business_minutes_between(
        calendar, split, end
    )
    assert abs(parts - whole) < TOLERANCE


@FAST
@given(st.data(), situations())
def test_a_paused_clock_counts_exactly_the_working_minutes_outside_the_pause(data, situation):
    calendar, start = situation
    paused = whole_minute_from(start + spans(data.draw, most_days=4))
    resumed = paused + spans(data.draw, most_days=4)
    end = resumed + spans(data.draw, most_days=4)
    counted = business_minutes_between(calendar, start, paused) + business_minutes_between(
        calendar, resumed, end
    )
    expected = business_minutes_between(calendar, start, end) - business_minutes_between(
        calendar, paused, resumed
    )
    assert abs(counted - expected) < TOLERANCE


@FAST
@given(st.data(), situations(), st.integers(1, 5_000))
def test_a_paused_target_falls_due_after_the_working_minutes_asked_for(data, situation, minutes):
    # How the SLA engine pauses: on resume, the minutes left are added from the resume instant.
    calendar, start = situation
    due = add_business_minutes(calendar, start, minutes)
    counting = whole_minute_from(start)
    paused = counting + data.draw(st.integers(0, max(int((due - counting) / MINUTE), 0))) * MINUTE
    resumed = paused + spans(data.draw, most_days=4)
    left = minutes - business_minutes_between(calendar, start, paused)
    due_after_pause = add_business_minutes(calendar, resumed, left)
    assert due_after_pause >= due
    counted = business_minutes_between(calendar, start, due_after_pause) - (
        business_minutes_between(calendar, paused, resumed)
    )
    assert abs(counted - minutes) < TOLERANCE


@FAST
@given(st.data(), st.sampled_from(ZONES), situations())
def test_around_the_clock_business_minutes_are_real_minutes(data, zone, situation):
    _, start = situation
    calendar = BusinessCalendar.twenty_four_seven(zone)
    end = start + spans(data.draw)
    counted = end.replace(second=0, microsecond=0) - whole_minute_from(start)
    assert business_minutes_between(calendar, start, end) == max(counted / MINUTE, 0)
    minutes = data.draw(st.integers(1, 20_000))
    due = whole_minute_from(start) + timedelta(minutes=minutes)
    assert add_business_minutes(calendar, start, minutes) == due


@FAST
@given(st.data(), situations())
def test_open_periods_are_ordered_apart_and_sum_to_the_working_minutes(data, situation):
    calendar, start = situation
    end = start + spans(data.draw)
    periods = list(open_periods(calendar, start, end))
    assert all(start <= opens < closes <= end for opens, closes in periods)
    assert all(earlier[1] < later[0] for earlier, later in pairwise(periods))
    # Whole minutes: the periods between the first whole minute and the last.
    first, last = whole_minute_from(start), end.replace(second=0, microsecond=0)
    whole = list(open_periods(calendar, first, last)) if first < last else []
    total = sum((closes - opens for opens, closes in whole), timedelta(0)) / MINUTE
    assert abs(total - business_minutes_between(calendar, start, end)) < TOLERANCE


@SLOW
@given(st.data(), situations(whole_minutes=True))
def test_working_minutes_match_asking_minute_by_minute(data, situation):
    calendar, start = situation
    end = start + spans(data.draw, most_days=9)
    expected = working_minutes_by_brute_force(calendar, start, end)
    assert business_minutes_between(calendar, start, end) == expected
