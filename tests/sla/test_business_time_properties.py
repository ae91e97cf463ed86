"""Business-time arithmetic holds together for any calendar, zone, holiday and start instant."""

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo

from hypothesis import given, reject, settings
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
RULE = settings(max_examples=100, deadline=None, database=None)
RULE_BY_MINUTE = settings(max_examples=50, deadline=None, database=None)  # with a brute force

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
def situations(
    draw, *, whole_minutes: bool = False, zones: list[str] = ZONES
) -> tuple[BusinessCalendar, datetime]:
    """A random calendar, and a start instant near holidays and often near a clock change."""
    anywhere = st.tuples(st.sampled_from(zones), st.dates(date(1990, 1, 1), date(2060, 12, 31)))
    changes = [(zone, day) for zone, day in CLOCK_CHANGES if zone in zones]
    zone, base = draw(st.sampled_from(changes) | anywhere)
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
    is_working = working_time_reader(calendar)
    count, minute = 0, start
    while minute < end:
        count += is_working(minute)
        minute += MINUTE
    return count


def whole_minute_from(instant: datetime) -> datetime:
    """The instant if it is a whole minute, else the next whole minute (as counting starts)."""
    whole = instant.replace(second=0, microsecond=0)
    return instant if whole == instant else whole + MINUTE


def working_time_reader(calendar: BusinessCalendar) -> Callable[[datetime], bool]:
    """The calendar read a minute at a time: whether an instant is working time, within a shift
    that starts on a date that is not a holiday (the rules in docs/sla-time.md)."""
    zone = ZoneInfo(calendar.time_zone)
    shifts_by_day: dict[date, list[tuple[datetime, datetime]]] = {}

    def is_working(instant: datetime) -> bool:
        if calendar.always_open:
            return True
        local = instant.astimezone(zone)
        wall = local.replace(tzinfo=None, fold=0)
        day = wall.date()
        if day not in shifts_by_day:
            shifts_by_day[day] = shifts_around(calendar, day)
        shifts = shifts_by_day[day]
        if any(opens <= wall < closes for opens, closes in shifts):
            return True
        repeat = repeated_range(zone, instant) if shifts else None
        return repeat is not None and any(
            is_open(wall, local.fold, repeat, opens, closes) for opens, closes in shifts
        )

    return is_working


def shifts_around(calendar: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """The opening and closing wall times of the shifts starting the day before `day`, on it and
    the day after (a range repeated by a fall-back may cross midnight), less those on holidays."""
    shifts = []
    for shift_day in (day - timedelta(days=1), day, day + timedelta(days=1)):
        for interval in calendar.intervals:
            if interval.weekday == shift_day.weekday() and shift_day not in calendar.holidays:
                overnight = interval.end <= interval.start
                closes_on = shift_day + timedelta(days=1) if overnight else shift_day
                opens = datetime.combine(shift_day, interval.start)
                shifts.append((opens, datetime.combine(closes_on, interval.end)))
    return shifts


def is_open(
    wall: datetime, fold: int, repeat: tuple[datetime, datetime], opens: datetime, closes: datetime
) -> bool:
    """Whether a minute showing the local `wall` time inside a range of wall times repeated by a
    fall-back (`fold` 1 on its second pass) lies between a shift's opening and closing: an
    opening means its first occurrence, a closing its second unless at the very start of the
    range (where what the clocks show next is at or after it)."""
    repeated_from, repeated_to = repeat
    opened = wall >= opens or (fold == 1 and opens < repeated_to)
    closes_on_second_pass = fold == 0 and repeated_from < closes < repeated_to
    return opened and (wall < closes or closes_on_second_pass)


def repeated_range(zone: ZoneInfo, instant: datetime) -> tuple[datetime, datetime] | None:
    """The local wall times [from, to) that a fall-back shows twice, if `instant` shows one."""
    local = instant.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() == local.utcoffset():
        return None
    change = instant  # where the clocks go back: the first minute of the second pass
    while change.astimezone(zone).fold == 0:
        change += MINUTE
    while (change - MINUTE).astimezone(zone).fold == 1:
        change -= MINUTE
    shown_again = change.astimezone(zone).replace(tzinfo=None, fold=0)
    reached = (change - MINUTE).astimezone(zone).replace(tzinfo=None, fold=0) + MINUTE
    return shown_again, reached


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


def test_asking_minute_by_minute_works_a_shift_to_a_closing_repeated_by_fall_back():
    # The reading once closed this shift at the first 01:15 of the repeated hour, not the second
    # (rule 5), and the property above failed on it in about one run in twenty.
    saturdays = BusinessCalendar("Europe/London", (Interval(5, time(1, 15), time(1, 15)),))
    week = (datetime(2025, 10, 23, tzinfo=UTC), datetime(2025, 10, 27, tzinfo=UTC))
    assert working_minutes_by_brute_force(saturdays, *week) == 25 * 60  # 01:15 BST to 01:15 GMT


# The rules of docs/sla-time.md, each stated from its definition (zoneinfo and plain datetime
# arithmetic) and checked on generated cases. Rule 6, a breach recorded at its due instant, is
# the SLA services' (tests/sla/test_changes_before_the_sweep.py), not this arithmetic's.

seconds_into_a_minute = st.integers(1, 59_999_999).map(lambda us: timedelta(microseconds=us))
seconds_or_none = st.just(timedelta(0)) | seconds_into_a_minute
positive_targets = st.integers(1, 20_000) | st.floats(1, 20_000)


@RULE_BY_MINUTE
@given(st.data(), situations(whole_minutes=True), seconds_into_a_minute, seconds_or_none)
def test_rule_1_working_minutes_count_from_the_next_whole_minute_to_the_last_one(
    data, situation, seconds, end_seconds
):
    calendar, next_whole_minute = situation
    start = next_whole_minute - MINUTE + seconds  # 11:17:05 for a next whole minute of 11:18
    last_whole_minute = next_whole_minute + spans(data.draw, most_days=2)
    end = last_whole_minute + end_seconds
    counted = business_minutes_between(calendar, start, end)
    assert counted == business_minutes_between(calendar, next_whole_minute, end)
    assert counted == working_minutes_by_brute_force(calendar, next_whole_minute, last_whole_minute)


@RULE
@given(situations(whole_minutes=True), seconds_into_a_minute, positive_targets)
def test_rule_1_a_start_with_seconds_is_due_when_its_next_whole_minute_is(
    situation, seconds, minutes
):
    calendar, next_whole_minute = situation
    start = next_whole_minute - MINUTE + seconds
    assert add_business_minutes(calendar, start, minutes) == add_business_minutes(
        calendar, next_whole_minute, minutes
    )


@st.composite
def starts_in_working_time(draw) -> tuple[BusinessCalendar, datetime]:
    """A random calendar and an instant, with seconds or not, inside one of its shifts (as read
    minute by minute from the calendar)."""
    calendar, start = draw(situations())
    if calendar.always_open:
        return calendar, start
    zone = ZoneInfo(calendar.time_zone)
    interval = draw(st.sampled_from(calendar.intervals))
    near = start.astimezone(zone).date()
    day = near + timedelta(days=(interval.weekday - near.weekday()) % 7)
    length = datetime.combine(day, interval.end) - datetime.combine(day, interval.start)
    length += timedelta(days=1) if interval.end <= interval.start else timedelta(0)
    wall = (
        datetime.combine(day, interval.start) + draw(st.integers(0, length // MINUTE - 1)) * MINUTE
    )
    minute = first_showing(zone, wall)
    if not working_time_reader(calendar)(minute):
        reject()  # a holiday, or a shift lost in a clock change
    return calendar, minute + draw(seconds_or_none)


@st.composite
def starts_out_of_hours(draw) -> tuple[BusinessCalendar, datetime]:
    """A random calendar and an instant, with seconds or not, outside its working time (as read
    minute by minute from the calendar)."""
    calendar, start = draw(situations())
    if calendar.always_open:
        reject()
    is_working = working_time_reader(calendar)
    minute = start.replace(second=0, microsecond=0)
    for _ in range(8 * 1440):
        if not is_working(minute):
            return calendar, minute + draw(seconds_or_none)
        minute += MINUTE
    reject()  # working around the clock for a week


@RULE
@given(starts_in_working_time(), st.sampled_from([0, 0.0]))
def test_rule_2_a_target_of_nothing_in_working_time_is_due_at_its_start(situation, nothing):
    calendar, start = situation
    assert add_business_minutes(calendar, start, nothing) == start


@RULE
@given(starts_out_of_hours(), st.sampled_from([0, 0.0]))
def test_rule_2_a_target_of_nothing_out_of_hours_is_due_at_its_start_too(situation, nothing):
    calendar, start = situation
    assert add_business_minutes(calendar, start, nothing) == start


def first_showing(zone: ZoneInfo, wall: datetime) -> datetime:
    """The first instant at which a clock in `zone` shows the naive whole-minute `wall` time or
    later: where a shift opening at `wall` opens (a time skipped in spring: when the gap ends)."""
    instant = min(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    while shows(zone, instant) < wall:
        instant += MINUTE
    while shows(zone, instant - MINUTE) >= wall:
        instant -= MINUTE
    return instant


def showing_for_good(zone: ZoneInfo, wall: datetime) -> datetime:
    """The instant from which a clock in `zone` shows `wall` or later for good: where a shift
    closing at `wall` closes (a time repeated by a fall-back: at its second occurrence, unless it
    is where the clocks go back to)."""
    instant = max(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    while shows(zone, instant) < wall:
        instant += MINUTE
    while shows(zone, instant - MINUTE) >= wall:
        instant -= MINUTE
    return instant


def shows(zone: ZoneInfo, instant: datetime) -> datetime:
    """The local wall time a clock in `zone` shows at `instant` (naive)."""
    return instant.astimezone(zone).replace(tzinfo=None)


class NightShift(NamedTuple):
    calendar: BusinessCalendar
    day: date  # the day it starts on
    shift: Interval


@st.composite
def night_shifts(draw, *, holiday_on_next_day: bool) -> NightShift:
    """A night shift from a day (often near a clock change) into the next, the day or the next a
    holiday, and other shifts on days far enough away not to touch them."""
    anywhere = st.tuples(st.sampled_from(ZONES), st.dates(date(1990, 1, 1), date(2060, 12, 31)))
    zone, base = draw(st.sampled_from(CLOCK_CHANGES) | anywhere)
    day = base + timedelta(days=draw(st.integers(0, 6)))
    start = draw(st.builds(time, hour=st.integers(12, 23), minute=st.sampled_from([0, 30, 45])))
    end = draw(wall_times.filter(lambda end: end <= start))  # at or before: on the next day
    away = st.sampled_from([(day.weekday() + n) % 7 for n in (3, 4, 5)])
    others = draw(st.lists(st.builds(Interval, away, wall_times, wall_times), max_size=3))
    holiday = day + timedelta(days=1) if holiday_on_next_day else day
    working_day = day if holiday_on_next_day else None
    nearby = st.integers(-2, 8).map(lambda n: day + timedelta(days=n))
    holidays = draw(st.frozensets(nearby.filter(lambda near: near != working_day))) | {holiday}
    shift = Interval(day.weekday(), start, end)
    return NightShift(BusinessCalendar(zone, (shift, *others), holidays), day, shift)


def local_midnight(zone: ZoneInfo, day: date) -> datetime:
    return first_showing(zone, datetime.combine(day, time()))


@RULE
@given(night_shifts(holiday_on_next_day=False))
def test_rule_3_a_night_shift_beginning_on_a_holiday_is_not_worked_after_midnight_either(night):
    calendar, day, _ = night
    zone = ZoneInfo(calendar.time_zone)
    # From the holiday's midnight to the third midnight after it no shift starts but its own.
    begins, ends = local_midnight(zone, day), local_midnight(zone, day + timedelta(days=3))
    assert business_minutes_between(calendar, begins, ends) == 0
    assert list(open_periods(calendar, begins, ends)) == []
    assert add_business_minutes(calendar, begins, 1) > ends


@RULE
@given(night_shifts(holiday_on_next_day=True))
def test_rule_3_a_night_shift_beginning_the_evening_before_a_holiday_is_worked_to_its_end(night):
    calendar, day, shift = night
    zone = ZoneInfo(calendar.time_zone)
    opens = first_showing(zone, datetime.combine(day, shift.start))
    closes = showing_for_good(zone, datetime.combine(day + timedelta(days=1), shift.end))
    holiday_begins = local_midnight(zone, day + timedelta(days=1))
    begins, ends = local_midnight(zone, day), local_midnight(zone, day + timedelta(days=3))
    assert list(open_periods(calendar, begins, ends)) == [(opens, closes)]
    assert business_minutes_between(calendar, begins, ends) == (closes - opens) / MINUTE
    assert business_minutes_between(calendar, holiday_begins, ends) == (
        (closes - holiday_begins) / MINUTE
    )
    assert add_business_minutes(calendar, opens, (closes - opens) / MINUTE) == closes


def every_day(first: date, last: date) -> frozenset[date]:
    return frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))


@RULE
@given(situations(whole_minutes=True), st.sampled_from(ZONES), st.integers(1, 5 * 1440))
def test_rule_4_around_the_clock_counts_every_real_minute_holidays_included(
    situation, zone, minutes
):
    _, start = situation
    end = start + minutes * MINUTE
    holidays = every_day(start.date() - timedelta(days=1), end.date() + timedelta(days=1))
    calendar = BusinessCalendar(zone, (), holidays, always_open=True)
    assert business_minutes_between(calendar, start, end) == minutes
    assert list(open_periods(calendar, start, end)) == [(start, end)]
    assert add_business_minutes(calendar, start, minutes) == end


AROUND_THE_CLOCK = tuple(Interval(weekday, time(0), time(0)) for weekday in range(7))


def minutes_not_on(
    holidays: frozenset[date], zone: ZoneInfo, start: datetime, end: datetime
) -> int:
    """Minutes in [start, end) whose local date is not one of `holidays`."""
    count, minute = 0, start
    while minute < end:
        count += minute.astimezone(zone).date() not in holidays
        minute += MINUTE
    return count


# St. John's clocks went back from 00:01 to 23:01 until 2010, so a date's last hour came again
# after the next date had begun. By rules 3 and 5 that hour then belongs to the next date's shift
# (opened at the first 00:00), and a holiday there is worked in its own repeated hour: the rules
# do not say which date's that hour is, so the zone is left out of this reading by local date.
@RULE_BY_MINUTE
@given(
    st.data(), situations(whole_minutes=True, zones=[z for z in ZONES if z != "America/St_Johns"])
)
def test_rule_4_twenty_four_hours_on_working_days_counts_no_minute_of_a_holiday(data, situation):
    calendar, start = situation
    zone = ZoneInfo(calendar.time_zone)
    working_days = BusinessCalendar(calendar.time_zone, AROUND_THE_CLOCK, calendar.holidays)
    end = start + spans(data.draw, most_days=4)
    expected = minutes_not_on(calendar.holidays, zone, start, end)
    assert business_minutes_between(working_days, start, end) == expected


class ClockChange(NamedTuple):
    instant: datetime  # UTC, the first minute with the new offset
    before: datetime  # the local wall time the clock reaches when it changes (naive)
    after: datetime  # the local wall time it shows instead


@cache
def clock_changes(zone_name: str, year: int) -> tuple[ClockChange, ...]:
    """The clock changes of a zone in a year, found by reading its offset day by day, then
    minute by minute on the day it changes."""
    zone = ZoneInfo(zone_name)
    changes = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        offset = day.astimezone(zone).utcoffset()
        if (day + timedelta(days=1)).astimezone(zone).utcoffset() != offset:
            instant = day
            while instant.astimezone(zone).utcoffset() == offset:
                instant += MINUTE
            before = (instant - MINUTE).astimezone(zone).replace(tzinfo=None) + MINUTE
            after = instant.astimezone(zone).replace(tzinfo=None, fold=0)
            changes.append(ClockChange(instant, before, after))
        day += timedelta(days=1)
    return tuple(changes)


# Zones whose clocks go forward and back, by at most two hours, in every year of the range:
# Lord Howe's by half an hour, Chatham's at 02:45 and 03:45 (+12:45), Sao Paulo's at midnight,
# St. John's at 00:01 until 2010.
DST_YEARS = [
    ("Europe/Berlin", 1990, 2060),
    ("Europe/London", 1990, 2060),
    ("America/New_York", 1990, 2060),
    ("America/St_Johns", 1990, 2060),
    ("America/Sao_Paulo", 1990, 2018),
    ("Australia/Lord_Howe", 1990, 2060),
    ("Pacific/Chatham", 1990, 2060),
    ("Pacific/Apia", 2012, 2020),
]


class ShiftAcrossAChange(NamedTuple):
    calendar: BusinessCalendar
    change: ClockChange
    opens: datetime  # UTC
    closes: datetime  # UTC
    wall_minutes: int  # from its opening to its closing as the shift is written


@st.composite
def shifts_across_a_change(
    draw, *, going_back: bool, closing_in_the_repeat: bool = False
) -> ShiftAcrossAChange:
    """A calendar whose one weekly shift holds a whole clock change (its repeated or skipped
    range of wall times), or opens before a repeated range and closes inside it, in a zone with
    DST and a year drawn at random."""
    zone, first_year, last_year = draw(st.sampled_from(DST_YEARS))
    year = draw(st.integers(first_year, last_year))
    changes = [c for c in clock_changes(zone, year) if (c.after < c.before) == going_back]
    change = draw(st.sampled_from(changes))
    earlier, later = sorted([change.before, change.after])  # the wall times repeated or skipped
    day = (earlier - MINUTE).date()  # a shift on it may open before the range and close after
    midnight = datetime.combine(day, time())
    earlier_at, later_at = (earlier - midnight) // MINUTE, (later - midnight) // MINUTE
    start_at = draw(st.integers(max(0, later_at - 1440), min(earlier_at, 1439)))
    # Away from the change the clock and real time run alike. Going back, the clock first shows
    # `earlier` a repeat before the change and `later` a repeat after it, and shows a time inside
    # the range the second time that far after the change; going forward, `earlier` and `later`
    # both stand for the change itself.
    repeat = change.before - change.after if going_back else timedelta(0)
    opens = change.instant - repeat - (earlier_at - start_at) * MINUTE
    if closing_in_the_repeat:
        end_at = draw(st.integers(earlier_at + 1, later_at - 1))  # not where the clocks go back to
        closes = change.instant + (end_at - earlier_at) * MINUTE
    else:
        end_at = draw(st.integers(later_at, start_at + 1440))  # 24 hours at most
        closes = change.instant + repeat + (end_at - later_at) * MINUTE
    shift = Interval(day.weekday(), wall_time(start_at), wall_time(end_at % 1440))
    calendar = BusinessCalendar(zone, (shift,))
    return ShiftAcrossAChange(calendar, change, opens, closes, end_at - start_at)


def wall_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def instants_in(draw, shift: ShiftAcrossAChange) -> tuple[datetime, datetime]:
    """Two whole-minute instants within the shift, in order, often right around its change."""
    length = (shift.closes - shift.opens) // MINUTE
    anywhere = st.integers(0, length).map(lambda n: shift.opens + n * MINUTE)
    change = (shift.change.instant - shift.opens) // MINUTE
    near = abs(shift.change.before - shift.change.after) // MINUTE
    around = st.integers(max(0, change - near), min(length, change + near)).map(
        lambda n: shift.opens + n * MINUTE
    )
    first, second = sorted([draw(around | anywhere), draw(around | anywhere)])
    return first, second


@RULE
@given(st.data(), shifts_across_a_change(going_back=True))
def test_rule_5_a_repeated_autumn_hour_inside_working_hours_is_worked_both_times(data, shift):
    calendar, change, opens, closes, wall_minutes = shift
    repeat = change.before - change.after
    both_times = business_minutes_between(
        calendar, change.instant - repeat, change.instant + repeat
    )
    assert both_times == 2 * repeat / MINUTE
    assert business_minutes_between(calendar, opens, closes) == wall_minutes + repeat / MINUTE
    start, end = instants_in(data.draw, shift)
    assert business_minutes_between(calendar, start, end) == (end - start) / MINUTE
    assert add_business_minutes(calendar, start, (end - start) / MINUTE) == end


@RULE
@given(st.data(), shifts_across_a_change(going_back=False))
def test_rule_5_a_skipped_spring_hour_inside_working_hours_is_not_worked(data, shift):
    calendar, change, opens, closes, wall_minutes = shift
    gap = change.after - change.before
    assert business_minutes_between(calendar, opens, closes) == wall_minutes - gap / MINUTE
    start, end = instants_in(data.draw, shift)
    assert business_minutes_between(calendar, start, end) == (end - start) / MINUTE
    assert add_business_minutes(calendar, start, (end - start) / MINUTE) == end


@RULE
@given(shifts_across_a_change(going_back=True, closing_in_the_repeat=True))
def test_rule_5_a_closing_inside_a_repeated_hour_is_its_second_occurrence(shift):
    calendar, change, opens, closes, wall_minutes = shift
    repeat = change.before - change.after
    around = (opens - timedelta(days=1), closes + timedelta(days=1))
    assert list(open_periods(calendar, *around)) == [(opens, closes)]
    assert business_minutes_between(calendar, *around) == wall_minutes + repeat / MINUTE
