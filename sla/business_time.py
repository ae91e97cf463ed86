"""Business-time arithmetic: working minutes in a customer's local business hours.

The rules, with their tests, are written out for admins and support teams in docs/sla-time.md.

Pure functions over a `BusinessCalendar` (no models, no database); the SLA engine uses them to turn
"first response within 4 business hours" into a due instant, and back.

The rules, chosen to be what a support team reading a due time would expect:

- Interval boundaries are local wall-clock times, but minutes are counted in real elapsed time: a
  09:00-17:00 day is 7 real hours when a spring-forward gap falls inside it and 9 when a fall-back
  hour does, and a night shift 22:00-06:00 across a clock change is 7 or 9 hours.
- A wall-clock boundary stands for the first instant at which the local clock shows that time or
  later. A time skipped by a spring-forward gap (02:30 in Berlin on the last Sunday of March) is
  therefore the instant the gap ends (03:00 CEST). A time shown twice during a fall-back (02:30
  on the last Sunday of October) opens at its first occurrence (02:30 CEST) and closes at its
  second (02:30 CET): a repeated hour inside working hours is worked both times.
- Working time is counted in whole minutes: a start with seconds counts from the next whole
  minute (and an end with seconds up to the whole minute before it).
- A target of zero minutes is due at its start, in working time or not.
- A 24/7 (always-open) calendar counts every minute, holidays included.
- Working time belongs to the shift it is part of, and a shift to the local date it starts on. A
  holiday removes the shifts that start on it: a night shift beginning the evening before is
  worked to its end; one beginning on the holiday is not worked at all, after midnight included.
  Shifts of consecutive days that overlap after midnight count that time once.
- Periods are half-open [opening, closing): the closing instant itself is outside working time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)
MINUTE = timedelta(minutes=1)
# The longest stretch without any working time that a search crosses before giving up.
NO_WORK_LIMIT = timedelta(days=2 * 366)

Period = tuple[datetime, datetime]


@dataclass(frozen=True)
class Interval:
    """Working hours on one weekday, in local wall-clock time.

    `weekday` is 0 for Monday to 6 for Sunday. An `end` at or before `start` runs past midnight to
    `end` on the next day (Friday 22:00-06:00 ends Saturday 06:00), so 00:00-00:00 is the whole day.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int):
            raise ValueError(f"An interval's weekday is a number 0-6, not {self.weekday!r}.")
        if not 0 <= self.weekday <= 6:
            raise ValueError(
                f"An interval's weekday is 0 (Monday) to 6 (Sunday), not {self.weekday}."
            )
        for name, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"An interval's {name} is a local wall-clock time without a zone.")


@dataclass(frozen=True)
class BusinessCalendar:
    """When a customer's support works: weekly hours in one time zone, minus holidays."""

    time_zone: str
    intervals: tuple[Interval, ...]
    holidays: frozenset[date] = frozenset()
    always_open: bool = False  # 24/7: every minute of every day, holidays included

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ValueError(
                f"Unknown time zone {self.time_zone!r}; use an IANA name such as 'Europe/Berlin'."
            ) from error
        # Lists and sets are accepted but stored frozen, so a calendar stays hashable and equal
        # calendars compare equal.
        object.__setattr__(self, "intervals", tuple(self.intervals))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not all(isinstance(interval, Interval) for interval in self.intervals):
            raise ValueError("A calendar's intervals must be Interval objects.")
        if not all(
            isinstance(day, date) and not isinstance(day, datetime) for day in self.holidays
        ):
            raise ValueError("A calendar's holidays must be local dates, not datetimes.")
        if self.always_open and self.intervals:
            raise ValueError("An always-open calendar takes no intervals: it is open all day.")
        if self.always_open:
            # 24/7 works holidays too; around the clock but closed on holidays is seven
            # whole-day intervals (00:00-00:00) with the holidays.
            object.__setattr__(self, "holidays", frozenset())

    @classmethod
    def twenty_four_seven(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """A calendar that is open every minute of every day."""
        return cls(time_zone, (), always_open=True)

    @cached_property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone, in which its intervals and holidays are read."""
        return ZoneInfo(self.time_zone)

    @cached_property
    def shift_hours(self) -> tuple[tuple[tuple[timedelta, timedelta], ...], ...]:
        """For each weekday, the merged shifts that start on it, as offsets from its local
        midnight: a shift past midnight ends after 24 h (22:00-06:00 is 22 h to 30 h)."""
        if self.always_open:
            return (((timedelta(0), DAY),),) * 7
        pieces: list[list[tuple[timedelta, timedelta]]] = [[] for _ in range(7)]
        for interval in self.intervals:
            start, end = _since_midnight(interval.start), _since_midnight(interval.end)
            pieces[interval.weekday].append((start, end if start < end else DAY + end))
        return tuple(_merged(day) for day in pieces)

    @cached_property
    def day_hours(self) -> tuple[tuple[tuple[timedelta, timedelta], ...], ...]:
        """For each weekday without holidays near, the working time of the shifts starting on
        it, less what the previous day's shifts already work after midnight (counted once)."""
        return tuple(
            _without(self.shift_hours[weekday], _spill(self.shift_hours[(weekday - 1) % 7]))
            for weekday in range(7)
        )

    @cached_property
    def week_hours(self) -> timedelta:
        """Working time in any 7 consecutive days without holidays or clock changes."""
        return sum((end - start for day in self.day_hours for start, end in day), timedelta(0))

    @cached_property
    def _dates(self) -> dict[tuple[str, date], Any]:
        # Each local date's periods and steady week, worked out once: every new ticket's due
        # times walk over the same coming days.
        return {}


def open_periods(calendar: BusinessCalendar, start: datetime, end: datetime) -> Iterator[Period]:
    """The working periods within [start, end), in UTC, merged and clipped to that span."""
    return _joined_periods(calendar, _utc(start, "start"), _utc(end, "end"))  # checked at once


def _joined_periods(calendar: BusinessCalendar, start: datetime, end: datetime) -> Iterator[Period]:
    if end <= start:
        return
    current: Period | None = None
    for opens, closes in _periods_within(calendar, start, end):
        opens, closes = max(opens, start), min(closes, end)
        if current is not None and opens <= current[1]:
            current = (current[0], max(current[1], closes))
            continue
        if current is not None:
            yield current
        current = (opens, closes)
    if current is not None:
        yield current


def add_business_minutes(
    calendar: BusinessCalendar, start: datetime, minutes: int | float
) -> datetime:
    """The instant (UTC) at which `minutes` of working time after `start` have elapsed.

    Counting begins at the next whole minute, and at the next opening when that is outside
    working time; zero minutes are due at `start` itself, in working time or not. A count that
    runs out exactly at a closing gives that closing instant, not the next opening.
    """
    start = _utc(start, "start")
    remaining = _duration(minutes)
    if not remaining:
        return start  # a target of nothing is due at once, in working time or not
    start = _whole_minute_from(start)
    if not calendar.week_hours:
        raise ValueError(
            "The calendar has no working hours: give it intervals or make it always open."
        )
    # Working time never passes faster than real time: no answer lies before start + minutes.
    if remaining > datetime.max.replace(tzinfo=UTC) - start - WEEK:
        raise ValueError(f"{minutes} business minutes after {start} is beyond year 9999.")
    try:
        return _working_time_end(calendar, start, remaining)
    except OverflowError:
        raise ValueError(f"{minutes} business minutes after {start} is beyond year 9999.") from None


def business_minutes_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Working minutes within [start, end), whole minutes only: a start with seconds counts
    from the next whole minute, an end with seconds up to the one before; 0 when `end` is not
    after `start`."""
    start = _whole_minute_from(_utc(start, "start"))
    end = _utc(end, "end").replace(second=0, microsecond=0)
    if end <= start:
        return 0.0
    total = timedelta(0)
    day = _local_date(calendar, start) - DAY  # the day before's shift may still run
    while True:
        if end - start > WEEK:
            week = _steady_week(calendar, day)
            if week is not None and start <= week[0] and week[1] <= end:
                total += calendar.week_hours
                day += WEEK
                continue
        begins, periods = _day(calendar, day)
        if begins >= end:
            return total / MINUTE
        for opens, closes in periods:
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        day += DAY


def _working_time_end(
    calendar: BusinessCalendar, start: datetime, remaining: timedelta
) -> datetime:
    """The instant at which `remaining` working time after `start` has elapsed."""
    day = _local_date(calendar, start) - DAY  # the day before's shift may still run
    last_working_day = day
    while True:
        if remaining > calendar.week_hours:
            week = _steady_week(calendar, day)
            if week is not None and week[0] >= start:
                remaining -= calendar.week_hours
                day += WEEK
                last_working_day = day
                continue
        _, periods = _day(calendar, day)
        for opens, closes in periods:
            opens = max(opens, start)
            if closes <= opens:
                continue
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        if periods:
            last_working_day = day
        elif day - last_working_day > NO_WORK_LIMIT:
            raise ValueError(
                f"The calendar has no working time between {last_working_day} and {day} "
                f"({calendar.time_zone}); are all those days holidays?"
            )
        day += DAY


def _periods_within(calendar: BusinessCalendar, start: datetime, end: datetime) -> Iterator[Period]:
    """The working periods overlapping [start, end), unclipped and in order."""
    day = _local_date(calendar, start) - DAY  # the day before's shift may still run
    while True:
        begins, periods = _day(calendar, day)
        if begins >= end:
            return
        for opens, closes in periods:
            if opens < end and closes > start:
                yield opens, closes
        day += DAY


DATES_KEPT = 4096  # dates a calendar remembers (twice: periods and steady weeks)


def _remembered(calendar: BusinessCalendar, kind: str, day: date, work: Callable[[], Any]) -> Any:
    dates = calendar._dates
    try:
        return dates[kind, day]
    except KeyError:
        if len(dates) >= DATES_KEPT:
            dates.clear()
        found = dates[kind, day] = work()
        return found


def _day(calendar: BusinessCalendar, day: date) -> tuple[datetime, tuple[Period, ...]]:
    """The instant local date `day` begins and its working periods, in UTC; none on a holiday."""
    return _remembered(calendar, "day", day, lambda: _day_worked_out(calendar, day))


def _day_worked_out(calendar: BusinessCalendar, day: date) -> tuple[datetime, tuple[Period, ...]]:
    zone = calendar.zone
    midnight = datetime.combine(day, time())
    offset = zone.utcoffset(midnight)
    # With the same offset at this midnight and the next two no clock change falls inside the
    # date or the next (the tz database never changes a zone's offset twice within a day), so
    # plain subtraction is exact and fast for a shift reaching into the next date too.
    steady = zone.utcoffset(midnight + DAY) == offset == zone.utcoffset(midnight + 2 * DAY)

    def instant(wall: datetime) -> datetime:
        return (wall - offset).replace(tzinfo=UTC) if steady else _first_instant(wall, zone)

    def closing(wall: datetime) -> datetime:
        return (wall - offset).replace(tzinfo=UTC) if steady else _last_instant(wall, zone)

    begins = instant(midnight)
    # A holiday removes the shifts that start on it, after midnight included; a shift that
    # began the evening before is worked to its end, and is not counted twice here.
    shifts = () if day in calendar.holidays else calendar.shift_hours[day.weekday()]
    before = day - DAY
    if before not in calendar.holidays:
        shifts = _without(shifts, _spill(calendar.shift_hours[before.weekday()]))
    periods: list[Period] = []
    for opens, closes in shifts:
        period = (instant(midnight + opens), closing(midnight + closes))
        if period[0] >= period[1]:  # hours entirely inside a spring-forward gap never happen
            continue
        # A closing at its last occurrence may reach past an opening at its first (02:15 and
        # 02:30 on a fall-back night): such periods are one.
        if periods and period[0] <= periods[-1][1]:
            periods[-1] = (periods[-1][0], max(periods[-1][1], period[1]))
        else:
            periods.append(period)
    return begins, tuple(periods)


def _steady_week(calendar: BusinessCalendar, day: date) -> Period | None:
    """The span of the 7 local dates from `day` if none is a holiday and no clock changes in them.

    Such a week holds exactly `calendar.week_hours` of working time, which lets long counts skip
    whole weeks instead of walking day by day.
    """
    return _remembered(calendar, "week", day, lambda: _steady_week_worked_out(calendar, day))


def _steady_week_worked_out(calendar: BusinessCalendar, day: date) -> Period | None:
    # The day before counts too: its shifts past midnight decide what the first day adds.
    if calendar.holidays and any(day + k * DAY in calendar.holidays for k in range(-1, 7)):
        return None
    zone = calendar.zone
    midnight = datetime.combine(day, time())
    offset = zone.utcoffset(midnight)
    if any(zone.utcoffset(midnight + k * DAY) != offset for k in range(1, 9)):
        return None
    begins = (midnight - offset).replace(tzinfo=UTC)
    # The last day's shifts may run past the week's last midnight.
    last = calendar.shift_hours[(day + 6 * DAY).weekday()]
    overrun = max((end - DAY for _start, end in last), default=timedelta(0))
    return begins, begins + WEEK + max(overrun, timedelta(0))


def _first_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which a clock in `zone` shows the naive `wall` time or later."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # fold=0: first of a repeated time
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # `wall` falls in a spring-forward gap. fold=1 reads it with the offset after the change, which
    # lands before the gap; fold=0 lands after it. Clock changes happen on whole seconds, so a
    # bisection on seconds finds the instant the gap ends.
    low = math.floor(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = math.ceil(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _last_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """Where a closing at `wall` falls: the second occurrence of a time repeated by a fall-back
    when it lies inside the repeated range, so the range is worked both times up to it.

    At the very start of the range (the clocks go back to 02:00 and `wall` is 02:00) the first
    occurrence is the closing: what the clocks show next is at or after it.
    """
    first = _first_instant(wall, zone)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if second <= first or second.astimezone(zone).replace(tzinfo=None) != wall:
        return first
    just_before = (second - timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None)
    return second if just_before < wall else first


def _spill(shifts: tuple[tuple[timedelta, timedelta], ...]) -> list[tuple[timedelta, timedelta]]:
    """The parts of one day's shifts after its midnight, as offsets from the next midnight."""
    return [(max(start - DAY, timedelta(0)), end - DAY) for start, end in shifts if end > DAY]


def _without(
    pieces: tuple[tuple[timedelta, timedelta], ...] | list[tuple[timedelta, timedelta]],
    taken: list[tuple[timedelta, timedelta]],
) -> tuple[tuple[timedelta, timedelta], ...]:
    """`pieces` less every part `taken` covers (both sorted, each without overlaps)."""
    left: list[tuple[timedelta, timedelta]] = []
    for start, end in pieces:
        for cut_start, cut_end in taken:
            if cut_end <= start or cut_start >= end:
                continue
            if cut_start > start:
                left.append((start, cut_start))
            start = max(start, cut_end)
            if start >= end:
                break
        if start < end:
            left.append((start, end))
    return tuple(left)


def _merged(pieces: list[tuple[timedelta, timedelta]]) -> tuple[tuple[timedelta, timedelta], ...]:
    """Overlapping or touching pieces of one day joined, so no minute is counted twice."""
    merged: list[tuple[timedelta, timedelta]] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _since_midnight(value: time) -> timedelta:
    return timedelta(
        hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
    )


def _local_date(calendar: BusinessCalendar, instant: datetime) -> date:
    # An instant never belongs to a date before the one its local clock shows, so walking forward
    # from here finds it.
    return instant.astimezone(calendar.zone).date()


def _whole_minute_from(instant: datetime) -> datetime:
    """`instant` if it is a whole minute, else the next whole minute (UTC minutes are local
    minutes in every zone whose offset is whole minutes: all of them since 1972)."""
    whole = instant.replace(second=0, microsecond=0)
    return instant if whole == instant else whole + MINUTE


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, not {value!r}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not the naive {value.isoformat()}.")
    return value.astimezone(UTC)


def _duration(minutes: int | float) -> timedelta:
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise ValueError(f"Business minutes are a number, not {minutes!r}.")
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"Business minutes must be zero or more, not {minutes}.")
    try:
        return timedelta(minutes=minutes)
    except OverflowError:
        raise ValueError(f"{minutes} business minutes is beyond year 9999.") from None
