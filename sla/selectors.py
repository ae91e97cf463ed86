"""Reads of the SLA engine: the tenant's compiled policies and calendars, and ticket clocks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from helpdesk.models import Tenant
from helpdesk.process_cache import TenantMemo
from helpdesk.tenancy import require_tenant_id
from rules import Condition, validate_conditions
from sla import business_time
from sla.business_time import BusinessCalendar as Calendar
from sla.business_time import Interval
from sla.holidays import public_holidays
from sla.metrics import RULES, Metric
from sla.models import BusinessCalendar, SlaClock, SlaPolicy, warning_label

HOLIDAY_YEARS_BACK, HOLIDAY_YEARS_AHEAD = 1, 3


@dataclass(frozen=True)
class CompiledPolicy:
    """An SLA policy ready to match tickets without a query."""

    pk: int
    name: str
    tier: str
    conditions: Condition | None
    calendar_id: int | None
    targets: dict[str, dict[str, int]]  # priority -> metric -> business minutes
    pauses: dict[str, frozenset[str]] = field(default_factory=dict)  # metric -> statuses
    # metric -> warnings as (label, share of the target in %, minutes before due)
    warnings: dict[str, tuple[tuple[str, int | None, int | None], ...]] = field(
        default_factory=dict
    )

    def matches(self, facts: Callable[[], dict[str, Any]]) -> bool:
        if self.tier and facts().get("customer_segment") != self.tier:
            return False
        return self.conditions is None or self.conditions.matches(facts())

    def pause_statuses(self, metric: str) -> frozenset[str]:
        """The statuses that pause `metric`'s clocks under this policy."""
        found = self.pauses.get(metric)
        return found if found is not None else RULES[metric].pause

    def warning_marks(self, metric: str, target: float) -> list[tuple[float, str]]:
        """When each warning of `metric` comes, as minutes used of `target`, earliest first."""
        marks = []
        for label, percent, before in self.warnings.get(metric, ()):
            used = target * percent / 100 if percent is not None else target - (before or 0)
            marks.append((max(used, 0.0), label))
        return sorted(marks)


@dataclass(frozen=True)
class SlaConfig:
    """One tenant's active policies (in order) and calendars, compiled once per process."""

    time_zone: str
    policies: tuple[CompiledPolicy, ...]
    calendars: dict[int, Calendar]
    region_calendars: dict[str, int]  # case-folded region ("": the desk default) -> calendar id
    by_pk: dict[int, CompiledPolicy] = field(default_factory=dict)

    def policy(self, pk: int | None) -> CompiledPolicy | None:
        return self.by_pk.get(pk) if pk is not None else None

    def match(self, facts: Callable[[], dict[str, Any]]) -> CompiledPolicy | None:
        """The first policy whose conditions hold; `facts` is called at most once."""
        cached: list[dict[str, Any]] = []

        def once() -> dict[str, Any]:
            if not cached:
                cached.append(facts())
            return cached[0]

        return next((policy for policy in self.policies if policy.matches(once)), None)

    def calendar_id_for(self, policy: CompiledPolicy | None, region: str) -> int | None:
        """The policy's calendar, else the region's, else the desk's default (None: 24/7)."""
        if policy is not None and policy.calendar_id is not None:
            return policy.calendar_id
        regional = self.region_calendars.get(region.casefold()) if region else None
        return regional if regional is not None else self.region_calendars.get("")

    def calendar(self, calendar_id: int | None) -> Calendar:
        """The pure calendar to count in; around the clock in the desk's zone when there is none."""
        found = self.calendars.get(calendar_id) if calendar_id is not None else None
        return found or Calendar.twenty_four_seven(self.time_zone)


def _sla_config_load() -> SlaConfig:
    return _compile(require_tenant_id())


# Read on every ticket it would cost several queries for tables that rarely change: each
# process keeps a desk's compiled set-up until one of its rows changes (see sla/apps.py).
_SLA_CONFIG: TenantMemo[SlaConfig] = TenantMemo("sla-config", _sla_config_load)


def sla_config() -> SlaConfig:
    """The active tenant's compiled SLA set-up: this process's copy while its version holds."""
    return _SLA_CONFIG.get()


def sla_config_changed(*, tenant_id: int) -> None:
    """A desk's calendars, holidays, policies or targets changed: every process reloads them."""
    _SLA_CONFIG.changed(tenant_id)


def sla_config_rows_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    """Receiver: a row the compiled set-up holds (or its desk's time zone) was saved or deleted."""
    tenant_id = instance.pk if isinstance(instance, Tenant) else instance.tenant_id
    if tenant_id is not None:
        sla_config_changed(tenant_id=tenant_id)


def _compile(tenant_id: int) -> SlaConfig:
    time_zone = Tenant.objects.filter(pk=tenant_id).values_list("time_zone", flat=True).first()
    calendars = {}
    regions = {}
    for calendar in BusinessCalendar.objects.prefetch_related("working_hours", "holidays"):
        calendars[calendar.pk] = pure_calendar(calendar)
        if calendar.region:
            regions[calendar.region.casefold()] = calendar.pk
        if calendar.is_default:
            regions[""] = calendar.pk
    policies = []
    active = SlaPolicy.objects.filter(is_active=True).prefetch_related(
        "targets", "pause_rules", "warnings"
    )
    for policy in active:
        policies.append(compiled_policy(policy))
    return SlaConfig(
        time_zone=time_zone or "UTC",
        policies=tuple(policies),
        calendars=calendars,
        region_calendars=regions,
        by_pk={policy.pk: policy for policy in policies},
    )


def compiled_policy(policy: SlaPolicy) -> CompiledPolicy:
    """`policy` with its targets, pauses and warnings, ready to run clocks (saved or a draft)."""
    warnings: dict[str, list[tuple[str, int | None, int | None]]] = {}
    for warning in policy.warnings.all():
        warnings.setdefault(warning.metric, []).append(
            (warning_label(warning.percent, warning.minutes_before),
             warning.percent, warning.minutes_before)
        )  # fmt: skip
    return CompiledPolicy(
        pk=policy.pk,
        name=policy.name,
        tier=policy.tier,
        conditions=validate_conditions(policy.conditions) if policy.conditions else None,
        calendar_id=policy.calendar_id,
        targets={
            target.priority: {
                metric: minutes
                for metric in Metric
                if (minutes := target.minutes(metric)) is not None
            }
            for target in policy.targets.all()
        },
        pauses={rule.metric: frozenset(rule.statuses) for rule in policy.pause_rules.all()},
        warnings={metric: tuple(found) for metric, found in warnings.items()},
    )


def pure_calendar(calendar: BusinessCalendar) -> Calendar:
    """`calendar` (loaded with its working hours and holidays) as business-time arithmetic reads
    it: its hours, its own and public holidays of the years around now, its coverage."""
    year = timezone.now().year
    days: set[date] = {holiday.date for holiday in calendar.holidays.all()}
    if calendar.holiday_country:
        years = range(year - HOLIDAY_YEARS_BACK, year + HOLIDAY_YEARS_AHEAD + 1)
        # Refused in admin; a code that stopped being known drops only its holidays.
        with contextlib.suppress(ValueError):
            days |= public_holidays(
                calendar.holiday_country, calendar.holiday_subdivision or None, years
            )
    hours = tuple(
        Interval(weekday=row.weekday, start=row.start, end=row.end)
        for row in calendar.working_hours.all()
    )
    if calendar.coverage == BusinessCalendar.Coverage.ALWAYS:
        return Calendar(calendar.time_zone, (), always_open=True)  # holidays are worked too
    if calendar.coverage == BusinessCalendar.Coverage.WORKING_DAYS or not hours:
        # Without hours (admin refuses it; never stall intake on it): every day but holidays.
        return Calendar(calendar.time_zone, WHOLE_DAYS, frozenset(days))
    return Calendar(calendar.time_zone, hours, frozenset(days))


# Around the clock on each day of the week (00:00 to 00:00 is the whole day).
WHOLE_DAYS = tuple(Interval(weekday=day, start=time(0), end=time(0)) for day in range(7))


# --- business hours ------------------------------------------------------------------------


def business_hours_inside(*, at: datetime, region: str = "") -> bool | None:
    """Whether `at` lies inside the business hours of the region's calendar, else the default's.

    None when the desk has no calendar at all.
    """
    config = sla_config()
    calendar_id = config.calendar_id_for(None, region)
    if calendar_id is None:
        return None
    calendar = config.calendar(calendar_id)
    return any(business_time.open_periods(calendar, at, at + timedelta(microseconds=1)))


# --- clocks --------------------------------------------------------------------------------


# How far ahead a page is told when business time next starts or stops counting: a clock
# shown longer than this without a change is read afresh then.
TICKING_HORIZON = timedelta(days=8)


@dataclass(frozen=True)
class Ticking:
    """How a running clock's business time left counts down on an open page, without a server
    event: `left_seconds` at `at` (negative: overdue), counting while `counting` (inside
    business hours) until `changes_at`, when business time starts or stops counting (None:
    not within TICKING_HORIZON); the page then asks for the clock afresh."""

    at: datetime
    left_seconds: float
    counting: bool
    changes_at: datetime | None


@dataclass(frozen=True)
class ClockState:
    """A clock as an agent reads it: its state and the business time left (negative: overdue)."""

    clock: SlaClock
    remaining_minutes: float | None
    is_warned: bool
    is_breached: bool
    ticking: Ticking | None = None

    @property
    def label(self) -> str:
        return self.clock.get_metric_display()

    @property
    def remaining(self) -> timedelta | None:
        if self.remaining_minutes is None:
            return None
        return timedelta(minutes=abs(self.remaining_minutes))


def clock_remaining_minutes(clock: SlaClock, now: datetime, config: SlaConfig) -> float | None:
    """Business minutes left before `clock` is due (negative once past due); None when done."""
    if not clock.is_live:
        return None
    if clock.state == SlaClock.State.PAUSED or clock.due_at is None:
        return clock.target_minutes - clock.elapsed_minutes
    calendar = config.calendar(clock.calendar_id)
    if now <= clock.due_at:
        return business_time.business_minutes_between(calendar, now, clock.due_at)
    return -business_time.business_minutes_between(calendar, clock.due_at, now)


def _business_seconds(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Business time within [start, end) in seconds, to the microsecond (not whole minutes)."""
    periods = business_time.open_periods(calendar, start, end)
    return sum((closes - opens).total_seconds() for opens, closes in periods)


def clock_ticking(clock: SlaClock, now: datetime, config: SlaConfig) -> Ticking | None:
    """How a running clock counts down on a page rendered at `now` (None: it does not run)."""
    if clock.state != SlaClock.State.RUNNING or clock.due_at is None:
        return None
    calendar = config.calendar(clock.calendar_id)
    if now <= clock.due_at:
        left = _business_seconds(calendar, now, clock.due_at)
    else:
        left = -_business_seconds(calendar, clock.due_at, now)
    horizon = now + TICKING_HORIZON
    period = next(business_time.open_periods(calendar, now, horizon), None)
    if period is None:
        return Ticking(at=now, left_seconds=left, counting=False, changes_at=None)
    opens, closes = period
    if opens > now:
        return Ticking(at=now, left_seconds=left, counting=False, changes_at=opens)
    return Ticking(
        at=now, left_seconds=left, counting=True, changes_at=closes if closes < horizon else None
    )


def ticket_clocks(*, ticket_id: int, now: datetime | None = None) -> list[ClockState]:
    """A ticket's clocks, the live ones first, each with its state and remaining business time."""
    now = now or timezone.now()
    config = sla_config()
    clocks = sorted(
        SlaClock.objects.filter(ticket_id=ticket_id),
        key=lambda clock: (not clock.is_live, clock.started_at, clock.pk),
    )
    return [
        ClockState(
            clock=clock,
            remaining_minutes=clock_remaining_minutes(clock, now, config),
            is_warned=clock.warned_at is not None,
            is_breached=clock.breached_at is not None,
            ticking=clock_ticking(clock, now, config),
        )
        for clock in clocks
    ]


# --- what other apps read of the clocks (tickets' queues) ------------------------------------


def next_due(ticket_ref: str = "pk") -> Subquery:
    """The earliest due time among the running clocks of the outer ticket (None: none runs).

    For an annotation of a ticket query: `tickets.annotate(next_due=next_due())`.
    """
    earliest = SlaClock.objects.filter(
        ticket=OuterRef(ticket_ref), state=SlaClock.State.RUNNING, due_at__isnull=False
    ).order_by("due_at")
    return Subquery(earliest.values("due_at")[:1])


SLA_STATES = ("breached", "warning", "on_track")


def tickets_in_sla_state(state: str) -> Q:
    """A filter of tickets whose running clocks are breached, warned (at risk) or on track."""
    running = SlaClock.objects.filter(ticket=OuterRef("pk"), state=SlaClock.State.RUNNING)
    breached = Exists(running.filter(breached_at__isnull=False))
    warned = Exists(running.filter(warned_at__isnull=False, breached_at__isnull=True))
    if state == "breached":
        return Q(breached)
    if state == "warning":
        return Q(warned) & ~Q(breached)
    return Q(Exists(running)) & ~Q(breached) & ~Q(warned)


def clocks_at_risk(tickets: QuerySet[Any]) -> QuerySet[SlaClock]:
    """Each of `tickets`' earliest running clock that gave a warning or breached, the most
    overdue (or soonest due) first: the "Breaching soon" queue and its count.

    One clock per ticket (of two due at one instant, the older), so counting the clocks counts
    the tickets. A ticket enters when the sweep records a warning or breach, which it
    publishes, so a page's list and count change with an event, never by the clock alone.
    Read from the clocks' own index in due order, ordered by (due_at, id), a key to page by.
    """
    at_risk = Q(state=SlaClock.State.RUNNING, due_at__isnull=False) & (
        Q(warned_at__isnull=False) | Q(breached_at__isnull=False)
    )
    earlier = SlaClock.objects.filter(at_risk, ticket=OuterRef("ticket")).filter(
        Q(due_at__lt=OuterRef("due_at")) | Q(due_at=OuterRef("due_at"), id__lt=OuterRef("id"))
    )
    return (
        SlaClock.objects.filter(at_risk, ticket__in=tickets.values("pk"))
        .filter(~Exists(earlier))
        .order_by("due_at", "id")
    )
