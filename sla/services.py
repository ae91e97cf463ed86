"""Every write of the SLA engine: starting, pausing, fulfilling and sweeping ticket clocks.

What each metric means (the ticket services call these hooks inside their own transaction):

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

Warnings and breaches are recorded once each by the sweep (or by a late fulfilment the sweep has
not seen yet), at the warning or due instant itself (`warned_at`, `breached_at`): an event on the
ticket (`sla_warned` / `sla_breached` with clock, metric and target), a live `sla.warned` /
`sla.breached` to the ticket's group (and one per batch, listing the tickets, to the tenant's
staff), mail to the assignee and the team leads, and the signals `sla.signals.sla_warned` /
`sla_breached`, sent inside the recording transaction. A clock row stays as the record for
reports: target, business minutes used, paused time, fulfilled / breached instants.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from helpdesk import background, live
from helpdesk.models import Tenant
from helpdesk.tenancy import require_tenant_id, tenant_context
from sla import business_time, signals
from sla.models import SlaClock
from sla.selectors import DEFAULT_PAUSE_STATUSES, CompiledPolicy, SlaConfig, sla_config
from tickets.models import Message, TeamMember, Ticket, TicketEvent

logger = logging.getLogger(__name__)

Metric, State = SlaClock.Metric, SlaClock.State
STOPPING = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)
REPLY_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_REPLY)


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
    ticket: Ticket,
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
        ticket=ticket,
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


# --- hooks called by tickets.services --------------------------------------------------------


def clocks_for_new_ticket(*, ticket: Ticket, first_message_text: str = "") -> list[SlaClock]:
    """The unsaved clocks of a ticket about to be inserted; empty when no policy applies.

    Called with the ticket's final fields (after routing), so they are inserted with it in one
    statement.
    """
    from rules import ticket_facts

    config = sla_config()
    if not config.policies:
        return []
    policy = config.match(lambda: ticket_facts(ticket, first_message_text=first_message_text))
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


def _live_clocks(ticket: Ticket) -> list[SlaClock]:
    # Locked: the sweep skips them meanwhile, and sees their new state when it comes back.
    return list(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket=ticket, state__in=(State.RUNNING, State.PAUSED))
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


def _policy_of(clocks: Iterable[SlaClock], ticket: Ticket, config: SlaConfig) -> Any:
    for clock in clocks:
        if (policy := config.policy(clock.policy_id)) is not None:
            return policy
    last = (
        SlaClock.objects.filter(ticket=ticket, policy__isnull=False)
        .order_by("-pk")
        .values_list("policy_id", flat=True)
        .first()
    )
    return config.policy(last)


def _late(clocks: Iterable[SlaClock], now: datetime) -> list[SlaClock]:
    """Clocks fulfilled past due that the sweep had not caught: their breach is recorded now."""
    late = []
    for clock in clocks:
        if clock.breached_at is None and clock.due_at is not None and clock.due_at <= now:
            clock.breached_at = clock.due_at
            late.append(clock)
    return late


def clocks_reply_record(*, ticket: Ticket, message: Message) -> None:
    """Fulfil or start the reply clocks for a new public reply on `ticket` (locked)."""
    if message.kind != Message.Kind.PUBLIC or message.author_type == Message.Author.SYSTEM:
        return
    config = sla_config()
    if not config.policies:
        return
    now = message.created_at
    clocks = _live_clocks(ticket)
    changed, late = [], []
    if message.author_type == Message.Author.AGENT:
        for clock in clocks:
            if clock.metric in (*REPLY_METRICS, Metric.PERIODIC_UPDATE):
                late += _late([clock], now)
                _finish(clock, config, now, State.FULFILLED)
                changed.append(clock)
        _save(changed)
        policy = _policy_of(clocks, ticket, config)
        if policy is not None and ticket.is_open:
            start = _new_clock(ticket, Metric.PERIODIC_UPDATE, policy, config, start=now, now=now)
            if start is not None:
                start.save()
    else:
        waiting = any(clock.metric in REPLY_METRICS for clock in clocks)
        answered_before = ticket.first_responded_at is not None
        policy = _policy_of(clocks, ticket, config) if answered_before and not waiting else None
        if policy is not None:
            clock = _new_clock(ticket, Metric.NEXT_REPLY, policy, config, start=now, now=now)
            if clock is not None:
                clock.save()
    _breaches_record(late, now)


def clocks_status_record(*, ticket: Ticket, old: str, now: datetime) -> None:
    """Pause, resume, fulfil or stop `ticket`'s clocks for its new status (ticket locked)."""
    config = sla_config()
    if not config.policies:
        return
    new = ticket.status
    clocks = _live_clocks(ticket)
    if new in STOPPING:
        late = []
        for clock in clocks:
            if clock.metric == Metric.RESOLUTION:
                late += _late([clock], now)
                _finish(clock, config, now, State.FULFILLED)
            else:
                _finish(clock, config, now, State.STOPPED)
        _save(clocks)
        _breaches_record(late, now)
        return
    if old == Ticket.Status.SOLVED:
        _reopen_resolution(ticket, config, now)
    policy = _policy_of(clocks, ticket, config)
    pausing = policy.pause_statuses if policy is not None else DEFAULT_PAUSE_STATUSES
    for clock in clocks:
        if new in pausing and clock.state == State.RUNNING:
            _pause(clock, config, now)
        elif new not in pausing and clock.state == State.PAUSED:
            _resume(clock, config, now)
    _save(clocks)


def _reopen_resolution(ticket: Ticket, config: SlaConfig, now: datetime) -> None:
    clock = (
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket=ticket, metric=Metric.RESOLUTION, state=State.FULFILLED)
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


def clocks_policy_apply(*, ticket: Ticket, now: datetime | None = None) -> None:
    """Re-select `ticket`'s policy after a change of its fields and recompute its live clocks.

    Business minutes already used are kept; the due time is counted anew against the target the
    new policy (or priority) sets. A metric the new policy lacks stops; one it adds starts from
    the ticket's creation.
    """
    from rules import ticket_facts

    config = sla_config()
    if not config.policies or not ticket.is_open:
        return
    now = now or timezone.now()
    clocks = _live_clocks(ticket)
    policy = config.match(lambda: ticket_facts(ticket))
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
    if policy is None:
        return
    seen = set(SlaClock.objects.filter(ticket=ticket).values_list("metric", flat=True).distinct())
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
    the caller's transaction (the task's tenant context). One statement claims a batch, marks
    it and writes its events: a tenant with nothing due costs that one statement, and a sweep
    of a hundred desks stays a hundred round trips, not five hundred.
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
                _announce(due[what], what, now)
        warned, breached = warned + len(due["warned"]), breached + len(due["breached"])
        if len(rows) < batch:
            return warned, breached


_CLOCK_FIELDS = [field.attname for field in SlaClock._meta.concrete_fields]
_CLOCK_COLUMNS = [field.column for field in SlaClock._meta.concrete_fields]


def _sweep_sql() -> str:
    """Claim a batch of due clocks, mark each warning / breach at its own instant, log events.

    The recorded instant is the warning or due time itself, exact for reports; the events'
    `at` is the same instant as JSON (ISO 8601, as Python writes it for the other events).
    """
    clocks, events = SlaClock._meta.db_table, TicketEvent._meta.db_table
    running = State.RUNNING
    warned, breached = TicketEvent.Kind.SLA_WARNED, TicketEvent.Kind.SLA_BREACHED
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
        ), marked AS (
            UPDATE {clocks} AS c
            SET warned_at = CASE WHEN due.warn THEN c.warn_at ELSE c.warned_at END,
                breached_at = CASE WHEN due.breach THEN c.due_at ELSE c.breached_at END
            FROM due WHERE c.id = due.id
            RETURNING c.*, due.warn, due.breach
        ), logged AS (
            INSERT INTO {events} (tenant_id, ticket_id, kind, source, created_at, data)
            SELECT m.tenant_id, m.ticket_id, e.kind, 'sla', %(now)s,
                   jsonb_build_object('clock', m.id, 'metric', m.metric,
                                      'target_minutes', m.target_minutes, 'at', to_jsonb(e.at))
            FROM marked AS m
            CROSS JOIN LATERAL (
                VALUES ('{warned}', m.warn, m.warned_at), ('{breached}', m.breach, m.breached_at)
            ) AS e(kind, happened, at)
            WHERE e.happened
            ORDER BY m.due_at, m.id, e.kind = '{breached}'
        )
        SELECT * FROM marked ORDER BY due_at, id
    """  # noqa: S608 (names from model metadata and enums; every value is a parameter)


_SWEEP_SQL = _sweep_sql()


def _breaches_record(clocks: list[SlaClock], now: datetime) -> None:
    if clocks:
        SlaClock.objects.bulk_update(clocks, ["breached_at"])
        _events_log(clocks, "breached", now)
        _announce(clocks, "breached", now)


def _events_log(clocks: list[SlaClock], what: str, now: datetime) -> None:
    """The ticket events of warnings or breaches just recorded (the sweep writes its own)."""
    kind = TicketEvent.Kind.SLA_WARNED if what == "warned" else TicketEvent.Kind.SLA_BREACHED
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=clock.ticket_id,
            kind=kind,
            source="sla",
            created_at=now,
            data={
                "clock": clock.pk,
                "metric": clock.metric,
                "target_minutes": clock.target_minutes,
                "at": (clock.warned_at if what == "warned" else clock.breached_at).isoformat(),
            },
        )
        for clock in clocks
    )


def _announce(clocks: list[SlaClock], what: str, now: datetime) -> None:
    """Live update, mail and signal for clocks whose warning or breach was just recorded."""
    if not clocks:
        return
    tenant_id = clocks[0].tenant_id
    # Each ticket's own group hears of its clock; the staff's tenant group hears once per
    # batch (a sweep can record hundreds at once, and each send costs the sender time).
    tenant_event = live.tenant_event(
        tenant_id, f"sla.{what}", tickets=sorted({clock.ticket_id for clock in clocks})
    )
    live.publish_all_on_commit(
        [
            tenant_event,
            *(
                live.Event(
                    tenant_id,
                    f"sla.{what}",
                    (live.ticket_group(tenant_id, clock.ticket_id),),
                    {"ticket": clock.ticket_id, "clock": clock.pk, "metric": clock.metric},
                )
                for clock in clocks
            ),
        ]
    )
    # One mail task for the batch: hundreds of breaches at once must not queue hundreds of
    # tasks ahead of the next sweep.
    transaction.on_commit(_notify_later(tenant_id, [clock.pk for clock in clocks], what))
    signal = signals.sla_warned if what == "warned" else signals.sla_breached
    for clock in clocks:
        # In the recording transaction: an escalation raised for it commits with it, or not at all.
        signal.send(sender=SlaClock, clock=clock)


def _notify_later(tenant_id: int, clock_ids: list[int], what: str) -> Callable[[], None]:
    from sla.tasks import send_clock_notifications as send_clock_notifications_task

    def queue() -> None:
        background.submit(
            _queue_notification, send_clock_notifications_task, tenant_id, clock_ids, what
        )

    return queue


def _queue_notification(task: Any, tenant_id: int, clock_ids: list[int], what: str) -> None:
    try:
        task.delay(tenant_id, clock_ids, what)
    except Exception:  # kombu and redis raise many kinds; none may break a recorded breach
        logger.warning("could not queue the SLA %s mail of clocks %s", what, clock_ids)


# --- mail ---------------------------------------------------------------------------------


def clock_notifications_send(*, clock_ids: Iterable[int], what: str) -> None:
    """Mail each clock's warning or breach to its ticket's assignee and team leads, once."""
    for clock_id in clock_ids:
        clock_notification_send(clock_id=clock_id, what=what)


def clock_notification_send(*, clock_id: int, what: str) -> None:
    """Mail a clock's warning or breach to the ticket's assignee and team leads, once."""
    field = "warn_notified_at" if what == "warned" else "breach_notified_at"
    with transaction.atomic():
        clock = (
            SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__tenant", "ticket__assignee", "ticket__team")
            .filter(pk=clock_id, **{f"{field}__isnull": True})
            .first()
        )
        if clock is None:
            return  # already sent, or another worker is sending it
        ticket = clock.ticket
        recipients = {ticket.assignee.email} if ticket.assignee else set()
        if ticket.team_id:
            recipients |= set(
                TeamMember.objects.filter(team_id=ticket.team_id, is_lead=True).values_list(
                    "user__email", flat=True
                )
            )
        recipients.discard("")
        if recipients:
            with translation.override(ticket.tenant.language):
                context = {"clock": clock, "ticket": ticket, "what": what,
                           "url": ticket.tenant.url(ticket.get_absolute_url())}  # fmt: skip
                subject = " ".join(render_to_string("sla/email/clock_subject.txt", context).split())
                text = render_to_string("sla/email/clock.txt", context)
            EmailMultiAlternatives(
                subject=f"[{ticket.reference}] {subject}", body=text, to=sorted(recipients)
            ).send()
        setattr(clock, field, timezone.now())
        clock.save(update_fields=[field])


# --- set-up --------------------------------------------------------------------------------

HOUR = 60
DAY = 24 * HOUR
# (first response, resolution) in minutes of the policy's calendar, per priority.
DEFAULT_TARGETS = {
    Ticket.Priority.CRITICAL: (1 * HOUR, 1 * DAY),
    Ticket.Priority.HIGH: (4 * HOUR, 2 * DAY),
    Ticket.Priority.MEDIUM: (1 * DAY, 5 * DAY),
    Ticket.Priority.LOW: (2 * DAY, 10 * DAY),
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
    from sla.selectors import sla_config_forget

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
        name=str(_("Around the clock")), time_zone=time_zone, always_open=True
    )
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
                if policy is enterprise and priority == Ticket.Priority.CRITICAL
                else None
            ),
        )
        for policy in (enterprise, standard)
        for priority, (response, resolution) in DEFAULT_TARGETS.items()
    )
    sla_config_forget()
    return True
