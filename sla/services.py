"""Every write of the SLA engine: starting, pausing, fulfilling and sweeping ticket clocks.

The tickets app calls the hooks below inside its own transaction, with a `TicketSnapshot` (the
plain facts of the ticket the SLA engine needs) and, where policies choose by them, the ticket's
rule facts; this app imports no tickets module. What each metric means:

- first response: starts when the ticket is logged; fulfilled by the first public reply of an
  agent. Internal notes, the automatic acknowledgement and the requester's own messages do not
  count.
- next reply: starts when the requester writes after an agent's public reply (only one runs at a
  time); fulfilled by the agent's next public reply.
- resolution: starts when the ticket is logged; fulfilled when it is solved (or closed). A reopened
  ticket resumes it, the time it spent solved not counted.
- periodic update (policies that set one, e.g. for critical tickets): fulfilled by every public
  agent reply, after which the next period starts.
- A status of the policy's pause list (default: pending, on hold) pauses every running clock; the
  time paused is not counted. Solving or closing stops clocks that did not apply (a first
  response never given); they count neither as met nor as breached.
- Changing the priority or anything a policy's conditions read re-selects the policy: business
  minutes already used are kept and the due time is counted anew against the new target.
- Clocks belong to their ticket: merging tickets (escalations, later) keeps the surviving
  ticket's clocks as they are.

Warnings and breaches are recorded once each, at the warning or due instant itself
(`warned_at`, `breached_at`): by the sweep, or by a hook that stops a clock from running (a
pause, a fulfilment, a stop) after that instant came and before the sweep saw it, so no
state change loses a warning or a breach. Recording sends one batch signal,
`sla.signals.sla_recorded(clocks, what, at)`, inside the recording transaction: the tickets
app logs the events on the tickets, tells the pages and mails the owners; escalations will
listen to the same signal. A clock row stays as the record for reports: target, business
minutes used, paused time, fulfilled / breached instants.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import Tenant
from helpdesk.tenancy import require_tenant_id, tenant_context
from rules.vocabulary import DONE_STATUSES, OPEN_STATUSES, Priority, Status
from sla import business_time, signals
from sla.models import SlaClock
from sla.selectors import DEFAULT_PAUSE_STATUSES, CompiledPolicy, SlaConfig, sla_config

logger = logging.getLogger(__name__)

Metric, State = SlaClock.Metric, SlaClock.State
REPLY_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_REPLY)
Facts = Callable[[], dict[str, Any]]  # a ticket's rule facts, worked out when first asked for


@dataclass(frozen=True)
class TicketSnapshot:
    """What the SLA engine knows of a ticket: plain values, taken by the tickets app.

    `id` is None for a ticket about to be inserted (its clocks get its id with it).
    """

    id: int | None
    tenant_id: int
    priority: str
    region: str
    status: str
    created_at: datetime
    first_responded_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# --- clock arithmetic (no queries) ---------------------------------------------------------


def _calendar(config: SlaConfig, clock: SlaClock) -> business_time.BusinessCalendar:
    return config.calendar(clock.calendar_id)


def _schedule(clock: SlaClock, config: SlaConfig) -> None:
    """Due and warning instants of a running clock, counted on from `resumed_at`."""
    calendar = _calendar(config, clock)
    left = max(clock.target_minutes - clock.elapsed_minutes, 0)
    clock.due_at = business_time.add_business_minutes(calendar, clock.resumed_at, left)
    if clock.warned_at is None:
        warn_left = max(clock.target_minutes * clock.warn_percent / 100 - clock.elapsed_minutes, 0)
        clock.warn_at = business_time.add_business_minutes(calendar, clock.resumed_at, warn_left)


def _new_clock(
    ticket: TicketSnapshot,
    metric: str,
    policy: CompiledPolicy,
    config: SlaConfig,
    *,
    start: datetime,
    now: datetime,
) -> SlaClock | None:
    minutes = policy.targets.get(ticket.priority, {}).get(metric)
    if not minutes:
        return None
    clock = SlaClock(
        ticket_id=ticket.id,
        metric=metric,
        policy_id=policy.pk,
        calendar_id=config.calendar_id_for(policy, ticket.region),
        priority=ticket.priority,
        target_minutes=minutes,
        warn_percent=policy.warn_percent,
        started_at=start,
        resumed_at=now,
        tenant_id=ticket.tenant_id,
    )
    if start < now:  # started back at the ticket's creation (a policy that applies only now)
        clock.elapsed_minutes = business_time.business_minutes_between(
            _calendar(config, clock), start, now
        )
    if ticket.status in policy.pause_statuses:
        clock.state, clock.paused_at, clock.resumed_at = State.PAUSED, now, None
    else:
        _schedule(clock, config)
    return clock


def _use_time(clock: SlaClock, config: SlaConfig, now: datetime) -> None:
    """Move the running stretch since `resumed_at` into `elapsed_minutes`."""
    if clock.state == State.RUNNING and clock.resumed_at is not None:
        clock.elapsed_minutes += business_time.business_minutes_between(
            _calendar(config, clock), clock.resumed_at, max(now, clock.resumed_at)
        )
        clock.resumed_at = now


def _pause(clock: SlaClock, config: SlaConfig, now: datetime) -> None:
    _use_time(clock, config, now)
    clock.state, clock.paused_at, clock.resumed_at = State.PAUSED, now, None
    clock.due_at = clock.warn_at = None


def _resume(clock: SlaClock, config: SlaConfig, now: datetime) -> None:
    if clock.paused_at is not None:
        clock.paused_seconds += max((now - clock.paused_at).total_seconds(), 0)
    clock.state, clock.paused_at, clock.resumed_at = State.RUNNING, None, now
    _schedule(clock, config)


def _finish(clock: SlaClock, config: SlaConfig, now: datetime, state: str) -> None:
    """Fulfil or stop a live clock; a fulfilment after its due time is a breach."""
    _use_time(clock, config, now)
    if clock.state == State.PAUSED and clock.paused_at is not None:
        clock.paused_seconds += max((now - clock.paused_at).total_seconds(), 0)
    clock.state, clock.paused_at, clock.resumed_at = state, None, None
    clock.warn_at = None if clock.warned_at is None else clock.warn_at
    if state == State.FULFILLED:
        clock.fulfilled_at = now
    else:
        clock.stopped_at = now


# --- hooks called by the tickets app ---------------------------------------------------------


def clocks_start(*, ticket: TicketSnapshot, facts: Facts) -> list[SlaClock]:
    """The unsaved clocks of a ticket about to be inserted; empty when no policy applies.

    Called with the ticket's final fields (after routing), so the intake statement inserts
    them with it.
    """
    config = sla_config()
    if not config.policies:
        return []
    policy = config.match(facts)
    if policy is None:
        return []
    now = ticket.created_at
    clocks = [
        _new_clock(ticket, metric, policy, config, start=now, now=now)
        for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION, Metric.PERIODIC_UPDATE)
    ]
    return [clock for clock in clocks if clock is not None]


def first_response_due(clocks: Iterable[SlaClock]) -> datetime | None:
    """When the first response of a new ticket is due, from its clocks (None: no policy)."""
    return next((c.due_at for c in clocks if c.metric == Metric.FIRST_RESPONSE), None)


def _live_clocks(ticket: TicketSnapshot) -> list[SlaClock]:
    # Locked: the sweep skips them meanwhile, and sees their new state when it comes back.
    return list(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket_id=ticket.id, state__in=(State.RUNNING, State.PAUSED))
        .order_by("pk")
    )


def _save(clocks: Iterable[SlaClock]) -> None:
    fields = [
        "state", "policy", "calendar", "priority", "target_minutes", "warn_percent",
        "resumed_at", "paused_at", "elapsed_minutes", "paused_seconds", "due_at", "warn_at",
        "warned_at", "breached_at", "fulfilled_at", "stopped_at",
    ]  # fmt: skip
    clocks = list(clocks)
    if clocks:
        SlaClock.objects.bulk_update(clocks, fields)


def _policy_of(clocks: Iterable[SlaClock], ticket: TicketSnapshot, config: SlaConfig) -> Any:
    for clock in clocks:
        if (policy := config.policy(clock.policy_id)) is not None:
            return policy
    last = (
        SlaClock.objects.filter(ticket_id=ticket.id, policy__isnull=False)
        .order_by("-pk")
        .values_list("policy_id", flat=True)
        .first()
    )
    return config.policy(last)


@dataclass
class _Overdue:
    """Warnings and breaches whose instant came before a clock stopped running."""

    warned: list[SlaClock]
    breached: list[SlaClock]

    def record(self, now: datetime) -> None:
        for what, clocks in (("warned", self.warned), ("breached", self.breached)):
            if clocks:
                field = "warned_at" if what == "warned" else "breached_at"
                SlaClock.objects.bulk_update(clocks, [field])
                _recorded(clocks, what, now)


def _overdue(clocks: Iterable[SlaClock], now: datetime) -> _Overdue:
    """Record (in memory) what the sweep would have recorded of running `clocks` by `now`.

    Called before a clock stops running (paused, fulfilled, stopped), which clears its
    warning and due instants: a warning or a breach that came due since the last sweep would
    otherwise be lost. Each is recorded at its own instant.
    """
    overdue = _Overdue([], [])
    for clock in clocks:
        if clock.state != State.RUNNING:
            continue
        if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= now:
            clock.warned_at = clock.warn_at
            overdue.warned.append(clock)
        if clock.breached_at is None and clock.due_at is not None and clock.due_at <= now:
            clock.breached_at = clock.due_at
            overdue.breached.append(clock)
    return overdue


def clocks_on_reply(*, ticket: TicketSnapshot, by_agent: bool, at: datetime) -> None:
    """Fulfil or start the reply clocks of a locked ticket for a new public reply.

    An agent's reply fulfils the first response, a waiting next reply and the periodic update
    (and starts the next period); a requester's reply after an answer starts a next reply.
    """
    config = sla_config()
    if not config.policies:
        return
    clocks = _live_clocks(ticket)
    if by_agent:
        answered = [c for c in clocks if c.metric in (*REPLY_METRICS, Metric.PERIODIC_UPDATE)]
        overdue = _overdue(answered, at)
        for clock in answered:
            _finish(clock, config, at, State.FULFILLED)
        _save(answered)
        policy = _policy_of(clocks, ticket, config)
        if policy is not None and ticket.is_open:
            start = _new_clock(ticket, Metric.PERIODIC_UPDATE, policy, config, start=at, now=at)
            if start is not None:
                start.save()
        overdue.record(at)
        return
    waiting = any(clock.metric in REPLY_METRICS for clock in clocks)
    answered_before = ticket.first_responded_at is not None
    policy = _policy_of(clocks, ticket, config) if answered_before and not waiting else None
    if policy is not None:
        clock = _new_clock(ticket, Metric.NEXT_REPLY, policy, config, start=at, now=at)
        if clock is not None:
            clock.save()


def clocks_on_status(*, ticket: TicketSnapshot, old: str, at: datetime) -> None:
    """Pause, resume, fulfil or stop a locked ticket's clocks for its new status."""
    config = sla_config()
    if not config.policies:
        return
    new = ticket.status
    clocks = _live_clocks(ticket)
    if new in DONE_STATUSES:
        overdue = _overdue(clocks, at)
        for clock in clocks:
            state = State.FULFILLED if clock.metric == Metric.RESOLUTION else State.STOPPED
            _finish(clock, config, at, state)
        _save(clocks)
        overdue.record(at)
        return
    if old == Status.SOLVED:
        _reopen_resolution(ticket, config, at)
    policy = _policy_of(clocks, ticket, config)
    pausing = policy.pause_statuses if policy is not None else DEFAULT_PAUSE_STATUSES
    pausing_clocks = [c for c in clocks if new in pausing and c.state == State.RUNNING]
    overdue = _overdue(pausing_clocks, at)
    for clock in clocks:
        if clock in pausing_clocks:
            _pause(clock, config, at)
        elif new not in pausing and clock.state == State.PAUSED:
            _resume(clock, config, at)
    _save(clocks)
    overdue.record(at)


def _reopen_resolution(ticket: TicketSnapshot, config: SlaConfig, now: datetime) -> None:
    clock = (
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket_id=ticket.id, metric=Metric.RESOLUTION, state=State.FULFILLED)
        .order_by("-pk")
        .first()
    )
    if clock is None:
        return
    clock.paused_seconds += max((now - clock.fulfilled_at).total_seconds(), 0)
    clock.fulfilled_at = None
    clock.state, clock.resumed_at = State.RUNNING, now
    _schedule(clock, config)
    _save([clock])


def clocks_repolicy(*, ticket: TicketSnapshot, facts: Facts, at: datetime | None = None) -> None:
    """Re-select a locked ticket's policy after its fields changed; recompute its live clocks.

    Business minutes already used are kept; the due time is counted anew against the target the
    new policy (or priority) sets. A metric the new policy lacks stops; one it adds starts from
    the ticket's creation.
    """
    config = sla_config()
    if not config.policies or not ticket.is_open:
        return
    now = at or timezone.now()
    clocks = _live_clocks(ticket)
    policy = config.match(facts)
    overdue = _overdue(clocks, now)
    for clock in clocks:
        minutes = policy.targets.get(ticket.priority, {}).get(clock.metric) if policy else None
        _use_time(clock, config, now)
        if minutes is None:
            _finish(clock, config, now, State.STOPPED)
            continue
        clock.policy_id, clock.priority, clock.target_minutes = policy.pk, ticket.priority, minutes
        clock.calendar_id = config.calendar_id_for(policy, ticket.region)
        clock.warn_percent = policy.warn_percent
        if clock.state == State.RUNNING:
            _schedule(clock, config)
    _save(clocks)
    overdue.record(now)
    if policy is None:
        return
    seen = set(
        SlaClock.objects.filter(ticket_id=ticket.id).values_list("metric", flat=True).distinct()
    )
    for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
        if metric in seen or (
            metric == Metric.FIRST_RESPONSE and ticket.first_responded_at is not None
        ):
            continue
        clock = _new_clock(ticket, metric, policy, config, start=ticket.created_at, now=now)
        if clock is not None:
            clock.save()


# --- the sweep -------------------------------------------------------------------------------


def clocks_sweep_all(*, now: datetime) -> tuple[int, int]:
    """Record every open desk's warnings and breaches whose time has come; (warned, breached).

    One transaction for the whole sweep, each desk in a savepoint of its own: a desk's failure
    (a bug, an escalation hook that raises) rolls back only that desk's records, which the next
    sweep retries, and a hundred desks cost one commit instead of a hundred.
    """
    warned = breached = 0
    with transaction.atomic():
        for tenant_id in Tenant.objects.active_ids():
            try:
                with tenant_context(tenant_id):
                    more = clocks_sweep(now=now)
            except Exception:  # one desk's failure must not hold back the others' breaches
                logger.exception("SLA sweep of tenant %s failed; the next sweep retries", tenant_id)
                continue
            warned, breached = warned + more[0], breached + more[1]
    return warned, breached


def clocks_sweep(*, now: datetime, batch: int | None = None) -> tuple[int, int]:
    """Record the warnings and breaches of the active tenant whose time has come.

    Claims clocks with SKIP LOCKED, so several workers sweep at once without recording anything
    twice; reads only the indexed warn/due columns, so the work follows what is due. Runs in
    the caller's transaction (the task's tenant context). One statement claims and marks a
    batch: a tenant with nothing due costs that one statement. What was recorded goes out in
    one `sla_recorded` signal per kind and batch.
    """
    batch = batch or settings.SLA_SWEEP_BATCH
    tenant_id = require_tenant_id()
    warned = breached = 0
    while True:
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            cursor.execute(_SWEEP_SQL, {"tenant": tenant_id, "now": now, "batch": batch})
            position = {column.name: n for n, column in enumerate(cursor.description)}
            rows = cursor.fetchall()
            due: dict[str, list[SlaClock]] = {"warned": [], "breached": []}
            for row in rows:
                clock = SlaClock.from_db(
                    connection.alias,
                    _CLOCK_FIELDS,
                    [row[position[column]] for column in _CLOCK_COLUMNS],
                )
                warn, breach = row[position["warn"]], row[position["breach"]]
                if warn:
                    due["warned"].append(clock)
                if breach:
                    due["breached"].append(clock)
            for what in ("warned", "breached"):
                _recorded(due[what], what, now)
        warned, breached = warned + len(due["warned"]), breached + len(due["breached"])
        if len(rows) < batch:
            return warned, breached


_CLOCK_FIELDS = [field.attname for field in SlaClock._meta.concrete_fields]
_CLOCK_COLUMNS = [field.column for field in SlaClock._meta.concrete_fields]


def _sweep_sql() -> str:
    """Claim a batch of due clocks and mark each warning / breach at its own instant.

    The recorded instant is the warning or due time itself, exact for reports.
    """
    clocks = SlaClock._meta.db_table
    running = State.RUNNING
    return f"""
        WITH due AS (
            SELECT id, (warned_at IS NULL AND warn_at <= %(now)s) AS warn,
                   (breached_at IS NULL AND due_at <= %(now)s) AS breach
            FROM {clocks}
            WHERE tenant_id = %(tenant)s AND state = '{running}'
              AND ((warned_at IS NULL AND warn_at <= %(now)s)
                   OR (breached_at IS NULL AND due_at <= %(now)s))
            ORDER BY due_at
            LIMIT %(batch)s
            FOR UPDATE SKIP LOCKED
        )
        UPDATE {clocks} AS c
        SET warned_at = CASE WHEN due.warn THEN c.warn_at ELSE c.warned_at END,
            breached_at = CASE WHEN due.breach THEN c.due_at ELSE c.breached_at END
        FROM due WHERE c.id = due.id
        RETURNING c.*, due.warn, due.breach
    """  # noqa: S608 (names from model metadata and enums; every value is a parameter)


_SWEEP_SQL = _sweep_sql()


def _recorded(clocks: list[SlaClock], what: str, now: datetime) -> None:
    """Tell the listeners, inside the recording transaction, what was just recorded."""
    if clocks:
        # In order of the instants recorded, as the sweep claimed them.
        clocks = sorted(clocks, key=lambda clock: (_instant(clock, what), clock.pk))
        signals.sla_recorded.send(sender=SlaClock, clocks=clocks, what=what, at=now)


def _instant(clock: SlaClock, what: str) -> datetime:
    return clock.warned_at if what == "warned" else clock.breached_at


# --- notifications -----------------------------------------------------------------------------


def clock_notification_claim(*, clock_id: int, what: str) -> SlaClock | None:
    """The clock whose warning or breach is to be told, locked, if nobody told it yet.

    None when it was told already or another worker is telling it (SKIP LOCKED). Call it in
    a transaction, send the notices, then `clock_notification_mark` in the same transaction.
    """
    field = "warn_notified_at" if what == "warned" else "breach_notified_at"
    return (
        SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=clock_id, **{f"{field}__isnull": True})
        .first()
    )


def clock_notification_mark(*, clock: SlaClock, what: str) -> None:
    """Record that `clock`'s warning or breach was told (the caller holds the clock)."""
    field = "warn_notified_at" if what == "warned" else "breach_notified_at"
    setattr(clock, field, timezone.now())
    clock.save(update_fields=[field])


# --- set-up --------------------------------------------------------------------------------

HOUR = 60
DAY = 24 * HOUR
# (first response, resolution) in minutes of the policy's calendar, per priority.
DEFAULT_TARGETS = {
    Priority.CRITICAL: (1 * HOUR, 1 * DAY),
    Priority.HIGH: (4 * HOUR, 2 * DAY),
    Priority.MEDIUM: (1 * DAY, 5 * DAY),
    Priority.LOW: (2 * DAY, 10 * DAY),
}
CRITICAL_UPDATE_MINUTES = 2 * HOUR


@transaction.atomic
def sla_defaults_create(*, time_zone: str, holiday_country: str = "") -> bool:
    """Give a desk without SLA policies the standard set-up; False if it has policies already.

    Enterprise customers get the targets around the clock; everyone else in office hours
    (Monday to Friday 09:00-17:00 in `time_zone`, minus the country's public holidays). Next
    replies share the first-response target; critical tickets need an update every two hours.
    """
    from sla.models import BusinessCalendar, SlaPolicy, SlaTarget, WorkingHours
    from sla.selectors import sla_config_changed

    if SlaPolicy.objects.exists():
        return False
    office = BusinessCalendar.objects.filter(is_default=True).first()
    if office is None:
        office = BusinessCalendar.objects.create(
            name=str(_("Office hours")), time_zone=time_zone, is_default=True,
            holiday_country=holiday_country,
        )  # fmt: skip
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=office, weekday=day, start=time(9), end=time(17))
            for day in range(5)
        )
    around_the_clock = BusinessCalendar.objects.create(
        name=str(_("Around the clock")), time_zone=time_zone,
        coverage=BusinessCalendar.Coverage.ALWAYS,
    )  # fmt: skip
    enterprise = SlaPolicy.objects.create(
        name=str(_("Enterprise (24/7)")), position=10, calendar=around_the_clock,
        conditions={"field": "customer_segment", "op": "is", "value": "enterprise"},
    )  # fmt: skip
    standard = SlaPolicy.objects.create(name=str(_("Standard (business hours)")), position=20)
    SlaTarget.objects.bulk_create(
        SlaTarget(
            policy=policy,
            priority=priority,
            first_response_minutes=response,
            next_reply_minutes=response,
            resolution_minutes=resolution,
            periodic_update_minutes=(
                CRITICAL_UPDATE_MINUTES
                if policy is enterprise and priority == Priority.CRITICAL
                else None
            ),
        )
        for policy in (enterprise, standard)
        for priority, (response, resolution) in DEFAULT_TARGETS.items()
    )
    sla_config_changed(tenant_id=require_tenant_id())  # the bulk inserts send no signals
    return True
