"""Every write of the SLA engine: starting, pausing, fulfilling and sweeping ticket clocks.

The tickets app calls the hooks below inside its own transaction, with a `TicketSnapshot` (the
plain facts of the ticket the SLA engine needs) and, where policies choose by them, the ticket's
rule facts; this app imports no tickets module. What each metric measures (when its clock
starts, what fulfils it, what pauses it by default) is written once, in `sla.metrics`:

- A reply metric (first response, next reply, periodic and pausable update) is fulfilled by an
  agent's public reply; internal notes, the automatic acknowledgement and the requester's own
  messages do not count. The updates start their next period with it; a requester's message
  after an answer starts a next reply (one at a time).
- Resolution is fulfilled by the first solve. Full resolution, requester wait and agent work
  time are fulfilled by every solve and run again when the ticket is reopened, the time it
  spent solved not counted.
- Each metric of a policy pauses in the statuses the policy names for it (else its usual ones);
  the time paused is not counted. Solving or closing stops the clocks that did not apply (a
  first response never given); they count neither as met nor as breached.
- Changing the priority or anything a policy's conditions read re-selects the policy: business
  minutes already used are kept and the due time is counted anew against the new target.
- Each metric may have several warnings (a share of the target, or minutes before it falls
  due); a clock keeps the next one in `warn_at` / `warning` and the ones given in
  `warnings_recorded`, so each is recorded once.
- Clocks belong to their ticket: merging tickets keeps the surviving ticket's clocks as they
  are; undoing a merge puts the merged ticket's clocks back as they were before it
  (`clocks_snapshot`, `clocks_restore`).

Warnings and breaches are recorded once each, at the warning or due instant itself
(`warned_at`, `breached_at`): by the sweep, or by a hook that stops a clock from running (a
pause, a fulfilment, a stop, a re-plan) after that instant came and before the sweep saw it, so
no state change loses a warning or a breach. Recording sends one batch signal,
`sla.signals.sla_recorded(clocks, what, at)`, inside the recording transaction: the tickets
app logs the events on the tickets, tells the pages and mails the owners; escalations listen
to the same signal. A clock row stays as the record for reports: target, business minutes
used, paused time, fulfilled / breached instants.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import Tenant
from helpdesk.tenancy import require_tenant_id, tenant_context
from rules.vocabulary import DONE_STATUSES, OPEN_STATUSES, Priority, Status, Tier
from sla import business_time, signals
from sla._clock_rows import clock_rows_update
from sla.metrics import ANSWERED_BY_REPLY, RESUMED_ON_REOPEN, RULES, STARTING_WITH_TICKET
from sla.models import SlaClock
from sla.selectors import CompiledPolicy, SlaConfig, sla_config

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
    """Due and next-warning instants of a running clock, counted on from `resumed_at`."""
    calendar = _calendar(config, clock)
    left = max(clock.target_minutes - clock.elapsed_minutes, 0)
    clock.due_at = business_time.add_business_minutes(calendar, clock.resumed_at, left)
    _schedule_warning(clock, config)


def _schedule_warning(clock: SlaClock, config: SlaConfig) -> None:
    """The next warning of a running clock its policy sets and it did not record yet."""
    policy = config.policy(clock.policy_id)
    marks = policy.warning_marks(clock.metric, clock.target_minutes) if policy else []
    pending = [(used, label) for used, label in marks if label not in clock.warnings_recorded]
    if not pending:
        clock.warn_at, clock.warning = None, ""
        return
    used, clock.warning = pending[0]
    clock.warn_at = business_time.add_business_minutes(
        _calendar(config, clock), clock.resumed_at, max(used - clock.elapsed_minutes, 0)
    )


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
    if minutes is None:
        return None
    clock = SlaClock(
        ticket_id=ticket.id,
        metric=metric,
        policy_id=policy.pk,
        calendar_id=config.calendar_id_for(policy, ticket.region),
        priority=ticket.priority,
        target_minutes=minutes,
        started_at=start,
        resumed_at=now,
        tenant_id=ticket.tenant_id,
    )
    if start < now:  # started back at the ticket's creation (a policy that applies only now)
        clock.elapsed_minutes = business_time.business_minutes_between(
            _calendar(config, clock), start, now
        )
    if ticket.status in policy.pause_statuses(metric):
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
    clock.warning = ""


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
    clock.warn_at, clock.warning = None, ""
    if state == State.FULFILLED:
        clock.fulfilled_at = now
    else:
        clock.stopped_at = now


def _live_clocks(ticket: TicketSnapshot) -> list[SlaClock]:
    # Locked: the sweep skips them meanwhile, and sees their new state when it comes back.
    return list(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket_id=ticket.id, state__in=(State.RUNNING, State.PAUSED))
        .order_by("pk")
    )


CLOCK_SAVED_FIELDS = [
    "state", "policy", "calendar", "priority", "target_minutes", "resumed_at", "paused_at",
    "elapsed_minutes", "paused_seconds", "due_at", "warn_at", "warning", "warned_at",
    "warnings_recorded", "breached_at", "fulfilled_at", "stopped_at",
]  # fmt: skip


def clocks_save(clocks: Iterable[SlaClock], fields: Iterable[str] = CLOCK_SAVED_FIELDS) -> None:
    """Write the planned fields of saved clocks, however many, in one statement."""
    clock_rows_update(list(clocks), list(fields))


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


def _warnings_due(clock: SlaClock, config: SlaConfig, now: datetime) -> list[SlaClock]:
    """Record (in memory) each warning of a running clock whose instant came by `now`.

    Returns one copy of the clock per warning, as it was when that warning was recorded
    (its `warning` label and `warned_at` instant), for the listeners; leaves the clock with
    its next warning scheduled.
    """
    recorded = []
    while clock.warn_at is not None and clock.warn_at <= now:
        clock.warned_at = clock.warn_at
        clock.warnings_recorded = [*clock.warnings_recorded, clock.warning]
        recorded.append(copy.copy(clock))
        _schedule_warning(clock, config)
    return recorded


@dataclass
class Overdue:
    """Warnings and breaches whose instant came before a clock stopped running (or was
    re-planned), recorded in memory; `record` tells the listeners once the clocks are saved."""

    warned: list[SlaClock]
    breached: list[SlaClock]

    def add(self, more: Overdue) -> None:
        self.warned += more.warned
        self.breached += more.breached

    def record(self, now: datetime) -> None:
        # The clocks are saved already (with every warning recorded); tell the listeners.
        for what, clocks in (("warned", self.warned), ("breached", self.breached)):
            _recorded(clocks, what, now)


def _overdue(clocks: Iterable[SlaClock], config: SlaConfig, now: datetime) -> Overdue:
    """Record (in memory) what the sweep would have recorded of running `clocks` by `now`.

    Called before a clock stops running (paused, fulfilled, stopped, re-planned), which clears
    its warning and due instants: a warning or a breach that came due since the last sweep
    would otherwise be lost. Each is recorded at its own instant; the caller saves the clocks.
    """
    overdue = Overdue([], [])
    for clock in clocks:
        if clock.state != State.RUNNING:
            continue
        overdue.warned.extend(_warnings_due(clock, config, now))
        if clock.breached_at is None and clock.due_at is not None and clock.due_at <= now:
            clock.breached_at = clock.due_at
            overdue.breached.append(clock)
    return overdue


# --- what a ticket's change does to its clocks (no queries: shared with the what-if replay) --


@dataclass
class Step:
    """What one change of a ticket did to its clocks, in memory: the live clocks it changed,
    the clocks it started, and the warnings and breaches that came due before it."""

    changed: list[SlaClock]
    started: list[SlaClock]
    overdue: Overdue


def step_start(
    ticket: TicketSnapshot, policy: CompiledPolicy | None, config: SlaConfig
) -> list[SlaClock]:
    """The clocks a new ticket starts under `policy` (none without one)."""
    if policy is None:
        return []
    now = ticket.created_at
    clocks = [
        _new_clock(ticket, metric, policy, config, start=now, now=now)
        for metric in STARTING_WITH_TICKET
    ]
    return [clock for clock in clocks if clock is not None]


def step_reply(
    clocks: list[SlaClock],
    ticket: TicketSnapshot,
    policy: CompiledPolicy | None,
    config: SlaConfig,
    *,
    by_agent: bool,
    at: datetime,
) -> Step:
    """A public reply on a ticket whose live clocks are `clocks`.

    An agent's reply fulfils the first response, a waiting next reply and the updates (and
    starts the next update periods); a requester's reply after an answer starts a next reply.
    """
    if by_agent:
        answered = [c for c in clocks if c.metric in ANSWERED_BY_REPLY]
        overdue = _overdue(answered, config, at)
        for clock in answered:
            _finish(clock, config, at, State.FULFILLED)
        started = []
        if policy is not None and ticket.is_open:
            periods = (
                _new_clock(ticket, metric, policy, config, start=at, now=at)
                for metric, rule in RULES.items()
                if rule.repeats
            )
            started = [clock for clock in periods if clock is not None]
        return Step(answered, started, overdue)
    waiting = any(clock.metric in REPLY_METRICS for clock in clocks)
    started = []
    if policy is not None and ticket.first_responded_at is not None and not waiting:
        clock = _new_clock(ticket, Metric.NEXT_REPLY, policy, config, start=at, now=at)
        started = [clock] if clock is not None else []
    return Step([], started, Overdue([], []))


def step_status(
    clocks: list[SlaClock],
    reopened: list[SlaClock],
    ticket: TicketSnapshot,
    policy: CompiledPolicy | None,
    config: SlaConfig,
    *,
    old: str,
    at: datetime,
) -> Step:
    """A ticket's status changed from `old` to `ticket.status`: pause, resume, fulfil or stop.

    `reopened`: the latest fulfilled clock of each metric that resumes on reopening (read only
    when the ticket leaves solved).
    """
    new = ticket.status
    if new in DONE_STATUSES:
        overdue = _overdue(clocks, config, at)
        for clock in clocks:
            fulfilled = RULES[clock.metric].fulfilled_by_solve
            _finish(clock, config, at, State.FULFILLED if fulfilled else State.STOPPED)
        return Step(clocks, [], overdue)
    if old == Status.SOLVED:
        for clock in reopened:
            # Paused since it was fulfilled: resuming counts the time solved as paused time.
            clock.state, clock.paused_at = State.PAUSED, clock.fulfilled_at
            clock.fulfilled_at = clock.resumed_at = None
        clocks = clocks + reopened
    overdue = Overdue([], [])
    for clock in clocks:
        pausing = policy.pause_statuses(clock.metric) if policy else RULES[clock.metric].pause
        if new in pausing and clock.state == State.RUNNING:
            overdue.add(_overdue([clock], config, at))
            _pause(clock, config, at)
        elif new not in pausing and clock.state == State.PAUSED:
            _resume(clock, config, at)
    return Step(clocks, [], overdue)


def step_repolicy(
    clocks: list[SlaClock],
    seen: set[str],
    ticket: TicketSnapshot,
    policy: CompiledPolicy | None,
    config: SlaConfig,
    *,
    at: datetime,
) -> Step:
    """`policy` (or none) now applies to an open ticket; `seen`: the metrics it ever had.

    Business minutes already used are kept; the due time is counted anew against the target the
    new policy (or priority) sets. A metric the new policy lacks stops; one it adds starts from
    the ticket's creation (the sums of time in given statuses, from now).
    """
    overdue = _overdue(clocks, config, at)
    for clock in clocks:
        minutes = policy.targets.get(ticket.priority, {}).get(clock.metric) if policy else None
        _use_time(clock, config, at)
        if minutes is None:
            _finish(clock, config, at, State.STOPPED)
            continue
        clock.policy_id, clock.priority, clock.target_minutes = policy.pk, ticket.priority, minutes
        clock.calendar_id = config.calendar_id_for(policy, ticket.region)
        _replan(clock, policy, ticket.status, config, at)
    started = []
    if policy is not None:
        for metric in STARTING_WITH_TICKET:
            if metric in seen or (
                metric == Metric.FIRST_RESPONSE and ticket.first_responded_at is not None
            ):
                continue
            start = ticket.created_at if RULES[metric].backdated else at
            started.append(_new_clock(ticket, metric, policy, config, start=start, now=at))
    return Step(clocks, [clock for clock in started if clock is not None], overdue)


def _replan(
    clock: SlaClock, policy: CompiledPolicy, status: str, config: SlaConfig, now: datetime
) -> None:
    """Count a live clock's due and warning instants anew from `now` (time used kept)."""
    pausing = policy.pause_statuses(clock.metric)
    if clock.state == State.RUNNING and status in pausing:
        _pause(clock, config, now)
    elif clock.state == State.PAUSED and status not in pausing:
        _resume(clock, config, now)
    elif clock.state == State.RUNNING:
        _schedule(clock, config)


def replan_clock(clock: SlaClock, status: str | None, config: SlaConfig, now: datetime) -> Overdue:
    """Count a live clock anew under its calendar and policy as they are now (in memory).

    What came due under the old plan is recorded first, at its instant; the time used up to
    the last resume is kept, the stretch since then counted in the calendar as it is now. A
    metric its policy no longer sets stops. `status`: the ticket's, to pause or resume the
    clock as the policy's pauses now say (None: unknown, the clock keeps its state).
    """
    policy = config.policy(clock.policy_id)
    overdue = _overdue([clock], config, now)
    _use_time(clock, config, now)
    if policy is None:  # its policy was switched off: the target stays, the calendar moves
        if clock.state == State.RUNNING:
            left = max(clock.target_minutes - clock.elapsed_minutes, 0)
            clock.due_at = business_time.add_business_minutes(_calendar(config, clock), now, left)
        return overdue
    minutes = policy.targets.get(clock.priority, {}).get(clock.metric)
    if minutes is None:
        _finish(clock, config, now, State.STOPPED)
        return overdue
    clock.target_minutes = minutes
    if policy.calendar_id is not None:
        clock.calendar_id = policy.calendar_id
    if status is None:
        if clock.state == State.RUNNING:
            _schedule(clock, config)
    else:
        _replan(clock, policy, status, config, now)
    return overdue


def _apply(step: Step, at: datetime) -> None:
    """Save what a step did, then tell the listeners what came due before it."""
    clocks_save(step.changed)
    SlaClock.objects.bulk_create(step.started)
    step.overdue.record(at)


# Restored by `clocks_restore` as they were; what was recorded meanwhile (a warning, a breach)
# stays recorded, so the sweep never records it twice.
_RESTORED_FIELDS = [
    f for f in CLOCK_SAVED_FIELDS if f not in ("warned_at", "warnings_recorded", "breached_at")
]


def clocks_snapshot(*, ticket_id: int) -> list[dict[str, Any]]:
    """A ticket's clocks as plain JSON values, for `clocks_restore` to put back exactly."""
    snapshot = []
    for clock in SlaClock.objects.filter(ticket_id=ticket_id).order_by("pk"):
        values: dict[str, Any] = {"id": clock.pk}
        for name in _RESTORED_FIELDS:
            value = getattr(clock, SlaClock._meta.get_field(name).attname)
            values[name] = value.isoformat() if isinstance(value, datetime) else value
        snapshot.append(values)
    return snapshot


def clocks_restore(*, ticket_id: int, snapshot: list[dict[str, Any]]) -> None:
    """Put a locked ticket's clocks back as `clocks_snapshot` saw them (a merge undone).

    A running clock runs on from where it was, as if the ticket had never been closed: the
    requester was waiting all along.
    """
    saved = {values["id"]: values for values in snapshot}
    clocks = list(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket_id=ticket_id, pk__in=saved)
        .order_by("pk")
    )
    for clock in clocks:
        for name in _RESTORED_FIELDS:
            field = SlaClock._meta.get_field(name)
            value = saved[clock.pk].get(name)
            if isinstance(field, models.DateTimeField) and value is not None:
                value = datetime.fromisoformat(value)
            setattr(clock, field.attname, value)
    clocks_save(clocks, _RESTORED_FIELDS)


# --- hooks called by the tickets app ---------------------------------------------------------


def clocks_start(*, ticket: TicketSnapshot, facts: Facts) -> list[SlaClock]:
    """The unsaved clocks of a ticket about to be inserted; empty when no policy applies.

    Called with the ticket's final fields (after routing), so the intake statement inserts
    them with it.
    """
    config = sla_config()
    if not config.policies:
        return []
    return step_start(ticket, config.match(facts), config)


def first_response_due(clocks: Iterable[SlaClock]) -> datetime | None:
    """When the first response of a new ticket is due, from its clocks (None: no policy)."""
    return next((c.due_at for c in clocks if c.metric == Metric.FIRST_RESPONSE), None)


def clocks_on_reply(*, ticket: TicketSnapshot, by_agent: bool, at: datetime) -> None:
    """Fulfil or start the reply clocks of a locked ticket for a new public reply."""
    config = sla_config()
    if not config.policies:
        return
    clocks = _live_clocks(ticket)
    policy = _policy_of(clocks, ticket, config)
    _apply(step_reply(clocks, ticket, policy, config, by_agent=by_agent, at=at), at)


def clocks_on_status(*, ticket: TicketSnapshot, old: str, at: datetime) -> None:
    """Pause, resume, fulfil or stop a locked ticket's clocks for its new status."""
    config = sla_config()
    if not config.policies:
        return
    clocks = _live_clocks(ticket)
    reopened = _reopenable(ticket) if old == Status.SOLVED else []
    policy = _policy_of(clocks + reopened, ticket, config)
    _apply(step_status(clocks, reopened, ticket, policy, config, old=old, at=at), at)


def _reopenable(ticket: TicketSnapshot) -> list[SlaClock]:
    return clocks_to_reopen(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket_id=ticket.id, metric__in=RESUMED_ON_REOPEN, state=State.FULFILLED)
        .order_by("pk")
    )


def clocks_to_reopen(clocks: Iterable[SlaClock]) -> list[SlaClock]:
    """Of a ticket's clocks (oldest first), the latest fulfilled clock of each metric that
    runs again when the ticket is reopened."""
    latest: dict[str, SlaClock] = {}
    for clock in clocks:
        if clock.metric in RESUMED_ON_REOPEN and clock.state == State.FULFILLED:
            latest[clock.metric] = clock
    return list(latest.values())


def clocks_repolicy(*, ticket: TicketSnapshot, facts: Facts, at: datetime | None = None) -> None:
    """Re-select a locked ticket's policy after its fields changed; recompute its live clocks."""
    config = sla_config()
    if not config.policies or not ticket.is_open:
        return
    now = at or timezone.now()
    clocks = _live_clocks(ticket)
    seen = set(
        SlaClock.objects.filter(ticket_id=ticket.id).values_list("metric", flat=True).distinct()
    )
    _apply(step_repolicy(clocks, seen, ticket, config.match(facts), config, at=now), now)


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
    batch: a tenant with nothing due costs that one statement; a clock with a further warning
    gets it scheduled by a second. What was recorded goes out in one `sla_recorded` signal per
    kind and batch.
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
            rescheduled = []
            for row in rows:
                clock = SlaClock.from_db(
                    connection.alias,
                    _CLOCK_FIELDS,
                    [row[position[column]] for column in _CLOCK_COLUMNS],
                )
                if row[position["breach"]]:
                    due["breached"].append(clock)
                if row[position["warn"]]:
                    # As recorded by the statement; then the warnings after it, if any.
                    due["warned"].append(copy.copy(clock))
                    due["warned"][-1].warning = row[position["label"]]
                    rescheduled.append(clock)
            if rescheduled:
                config = sla_config()
                for clock in rescheduled:
                    _schedule_warning(clock, config)
                    due["warned"] += _warnings_due(clock, config, now)
                clocks_save(rescheduled, ["warn_at", "warning", "warned_at", "warnings_recorded"])
            for what in ("warned", "breached"):
                _recorded(due[what], what, now)
        warned, breached = warned + len(due["warned"]), breached + len(due["breached"])
        if len(rows) < batch:
            return warned, breached


_CLOCK_FIELDS = [field.attname for field in SlaClock._meta.concrete_fields]
_CLOCK_COLUMNS = [field.column for field in SlaClock._meta.concrete_fields]


def _sweep_sql() -> str:
    """Claim a batch of due clocks and mark each warning / breach at its own instant.

    The recorded instant is the warning or due time itself, exact for reports. A recorded
    warning joins the clock's list and leaves it without a next one until Python (which knows
    the policy's warnings) schedules it.
    """
    clocks = SlaClock._meta.db_table
    running = State.RUNNING
    return f"""
        WITH due AS (
            SELECT id, warning AS label, (warn_at <= %(now)s) AS warn,
                   (breached_at IS NULL AND due_at <= %(now)s) AS breach
            FROM {clocks}
            WHERE tenant_id = %(tenant)s AND state = '{running}'
              AND (warn_at <= %(now)s OR (breached_at IS NULL AND due_at <= %(now)s))
            ORDER BY due_at
            LIMIT %(batch)s
            FOR UPDATE SKIP LOCKED
        )
        UPDATE {clocks} AS c
        SET warned_at = CASE WHEN due.warn THEN c.warn_at ELSE c.warned_at END,
            warnings_recorded = CASE WHEN due.warn
                THEN array_append(c.warnings_recorded, c.warning) ELSE c.warnings_recorded END,
            warn_at = CASE WHEN due.warn THEN NULL ELSE c.warn_at END,
            warning = CASE WHEN due.warn THEN '' ELSE c.warning END,
            breached_at = CASE WHEN due.breach THEN c.due_at ELSE c.breached_at END
        FROM due WHERE c.id = due.id
        RETURNING c.*, due.warn, due.breach, due.label
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
    Every target warns when three quarters of it are used.
    """
    from sla.models import BusinessCalendar, SlaPolicy, SlaTarget, SlaWarning, WorkingHours
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
        tier=Tier.ENTERPRISE,
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
    warned = (Metric.FIRST_RESPONSE, Metric.NEXT_REPLY, Metric.RESOLUTION, Metric.PERIODIC_UPDATE)
    SlaWarning.objects.bulk_create(
        SlaWarning(policy=policy, metric=metric, percent=75)
        for policy in (enterprise, standard)
        for metric in warned
    )
    sla_config_changed(tenant_id=require_tenant_id())  # the bulk inserts send no signals
    return True


BUSINESS_DAY = 8 * HOUR  # a business day of the office calendar
# Premium customers' row of the policy matrix, in business minutes per priority: first response
# (next replies the same), resolution, requester wait, agent work.
PREMIUM_TARGETS = {
    Priority.CRITICAL: (30, 1 * BUSINESS_DAY, 6 * HOUR, 4 * HOUR),
    Priority.HIGH: (2 * HOUR, 2 * BUSINESS_DAY, 1 * BUSINESS_DAY, 6 * HOUR),
    Priority.MEDIUM: (4 * HOUR, 4 * BUSINESS_DAY, 2 * BUSINESS_DAY, 1 * BUSINESS_DAY),
    Priority.LOW: (1 * BUSINESS_DAY, 8 * BUSINESS_DAY, 4 * BUSINESS_DAY, 2 * BUSINESS_DAY),
}


@transaction.atomic
def sla_premium_policy_create() -> bool:
    """Give the desk premium customers' row of the policy matrix; False if it has one already.

    Faster answers in office hours, every kind of metric, resolution paused only while
    waiting on the customer, and warnings at half the target and a quarter of an hour
    before it falls due.
    """
    from sla.models import SlaPauseRule, SlaPolicy, SlaTarget, SlaWarning

    if SlaPolicy.objects.filter(tier=Tier.PREMIUM).exists():
        return False
    standard = SlaPolicy.objects.filter(tier="", conditions={}).first()
    premium = SlaPolicy.objects.create(
        name=str(_("Premium (business hours)")), tier=Tier.PREMIUM,
        position=max((standard.position if standard else 20) - 5, 0),
    )  # fmt: skip
    for priority, (response, resolution, wait, work) in PREMIUM_TARGETS.items():
        SlaTarget.objects.create(
            policy=premium, priority=priority, first_response_minutes=response,
            next_reply_minutes=response, resolution_minutes=resolution,
            full_resolution_minutes=resolution * 2, requester_wait_minutes=wait,
            agent_work_minutes=work,
            pausable_update_minutes=4 * HOUR if priority == Priority.CRITICAL else None,
        )  # fmt: skip
    SlaPauseRule.objects.create(policy=premium, metric=Metric.RESOLUTION, statuses=["pending"])
    warned = (Metric.FIRST_RESPONSE, Metric.NEXT_REPLY, Metric.RESOLUTION, Metric.REQUESTER_WAIT)
    for metric in warned:
        SlaWarning.objects.create(policy=premium, metric=metric, percent=50)
        SlaWarning.objects.create(policy=premium, metric=metric, minutes_before=15)
    return True


def sla_starter_create(*, time_zone: str) -> None:
    """A new desk's service levels: office hours in its time zone and the standard, premium
    and enterprise policies (a desk that has policies keeps them)."""
    sla_defaults_create(time_zone=time_zone)
    sla_premium_policy_create()


@transaction.atomic
def calendar_hours_set(*, calendar: Any, spans: Iterable[Any]) -> None:
    """Make `spans` (weekday, start, end) the calendar's whole working week."""
    from sla.models import WorkingHours
    from sla.selectors import sla_config_changed

    WorkingHours.objects.filter(calendar=calendar).delete()
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=span.weekday, start=span.start, end=span.end)
        for span in spans
    )
    sla_config_changed(tenant_id=require_tenant_id())  # the bulk insert sends no signals
