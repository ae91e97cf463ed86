"""What-if replay: one ticket's history run again under another policy or calendar, in memory.

A manager asks what a draft policy (any policy row; an inactive one applies to no live ticket)
or a draft calendar would have made of tickets that really happened. `ticket_replay` takes a
ticket's plain facts as it was logged (`TicketSnapshot`: priority, region and status at its
creation) and its public replies, status and field changes in order (`Change`), and applies
each to in-memory clocks with the same steps the live engine runs (`sla.services.step_*`), so a
metric means the same thing in the replay as on the desk. No query, no write: the clocks are
never saved. What it returns is each clock's outcome at the period's end (`ClockOutcome`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from rules.vocabulary import Status
from sla import business_time
from sla.business_time import BusinessCalendar as Calendar
from sla.models import SlaClock
from sla.selectors import CompiledPolicy, SlaConfig
from sla.services import (
    TicketSnapshot,
    clocks_to_reopen,
    step_reply,
    step_repolicy,
    step_start,
    step_status,
)

State = SlaClock.State
LIVE = (State.RUNNING, State.PAUSED)


class Outcome(TextChoices):
    """How a clock ended, or stood at the end of the period looked at."""

    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    STOPPED = "stopped", _("Did not apply")  # the ticket was solved before it was answered
    RUNNING = "running", _("Still running")


@dataclass(frozen=True)
class Change:
    """One change of a ticket that moves its clocks, as its event log recorded it.

    `kind`: "reply" (a public reply; `by_agent` says whose), "status" (to `status`) or
    "fields" (`priority` and/or `region`, None when unchanged).
    """

    at: datetime
    kind: str
    by_agent: bool = False
    status: str = ""
    priority: str | None = None
    region: str | None = None

    @classmethod
    def reply(cls, at: datetime, *, by_agent: bool) -> Change:
        return cls(at, "reply", by_agent=by_agent)

    @classmethod
    def status_to(cls, at: datetime, status: str) -> Change:
        return cls(at, "status", status=status)

    @classmethod
    def fields(
        cls, at: datetime, *, priority: str | None = None, region: str | None = None
    ) -> Change:
        return cls(at, "fields", priority=priority, region=region)


@dataclass(frozen=True)
class ClockOutcome:
    """One replayed clock at the end of the period: what it promised and how it came out."""

    metric: str
    priority: str
    target_minutes: int
    outcome: str
    minutes_used: float
    breached_at: datetime | None


def replay_config(
    base: SlaConfig,
    policy: CompiledPolicy,
    calendar: tuple[int, Calendar] | None = None,
) -> tuple[CompiledPolicy, SlaConfig]:
    """The draft `policy` and the desk's `base` set-up it runs in.

    The steps look a clock's policy up by pk (its warnings), so the draft joins `by_pk` even
    when inactive; a draft `calendar` (its id and pure form) replaces the policy's own.
    """
    calendars = base.calendars
    if calendar is not None:
        policy = dataclasses.replace(policy, calendar_id=calendar[0])
        calendars = {**base.calendars, calendar[0]: calendar[1]}
    config = dataclasses.replace(base, calendars=calendars, by_pk={**base.by_pk, policy.pk: policy})
    return policy, config


def ticket_replay(
    ticket: TicketSnapshot,
    changes: Iterable[Change],
    policy: CompiledPolicy,
    config: SlaConfig,
    *,
    end: datetime,
) -> list[ClockOutcome]:
    """Every clock `policy` would have run on `ticket` through `changes`, as it stood at `end`.

    `ticket` is the ticket as logged (its first status, priority and region); `changes` are in
    the order the live engine saw them (a requester's reply after the reopening it caused).
    Changes after `end` are not looked at. The first response is the first agent's public
    reply, as on the desk.
    """
    clocks = step_start(ticket, policy, config)
    seen = {clock.metric for clock in clocks}
    for change in changes:
        if change.at > end:
            break
        live = [clock for clock in clocks if clock.state in LIVE]
        if change.kind == "reply":
            step = step_reply(live, ticket, policy, config, by_agent=change.by_agent, at=change.at)
            if change.by_agent and ticket.first_responded_at is None:
                ticket = dataclasses.replace(ticket, first_responded_at=change.at)
        elif change.kind == "status":
            if change.status == ticket.status:
                continue
            old = ticket.status
            ticket = dataclasses.replace(ticket, status=change.status)
            reopened = clocks_to_reopen(clocks) if old == Status.SOLVED else []
            step = step_status(live, reopened, ticket, policy, config, old=old, at=change.at)
        else:
            ticket = dataclasses.replace(
                ticket,
                priority=ticket.priority if change.priority is None else change.priority,
                region=ticket.region if change.region is None else change.region,
            )
            if not ticket.is_open:  # as on the desk: a closed ticket's clocks stay as they were
                continue
            step = step_repolicy(live, seen, ticket, policy, config, at=change.at)
        clocks += step.started
        seen.update(clock.metric for clock in step.started)
    return [_outcome(clock, config, end) for clock in clocks]


def _outcome(clock: SlaClock, config: SlaConfig, end: datetime) -> ClockOutcome:
    used = clock.elapsed_minutes
    if clock.state == State.RUNNING and clock.resumed_at is not None and clock.resumed_at < end:
        used += business_time.business_minutes_between(
            config.calendar(clock.calendar_id), clock.resumed_at, end
        )
    breached_at = clock.breached_at
    if breached_at is None and clock.state == State.RUNNING and clock.due_at is not None:
        breached_at = clock.due_at if clock.due_at <= end else None
    return ClockOutcome(
        metric=clock.metric,
        priority=clock.priority,
        target_minutes=clock.target_minutes,
        outcome=outcome_of(clock.state, breached_at),
        minutes_used=used,
        breached_at=breached_at,
    )


def outcome_of(state: str, breached_at: datetime | None) -> str:
    """A clock's outcome from its state and breach instant (the same for real clocks)."""
    if breached_at is not None:
        return Outcome.BREACHED
    if state == State.FULFILLED:
        return Outcome.MET
    if state == State.STOPPED:
        return Outcome.STOPPED
    return Outcome.RUNNING


def real_outcome(
    *,
    state: str,
    breached_at: datetime | None,
    due_at: datetime | None,
    fulfilled_at: datetime | None,
    stopped_at: datetime | None,
    end: datetime,
) -> str:
    """A stored clock's outcome as it stood at `end`, read the way a replayed clock is."""
    if breached_at is not None and breached_at <= end:
        return Outcome.BREACHED
    if fulfilled_at is not None and fulfilled_at <= end:
        return Outcome.MET
    if stopped_at is not None and stopped_at <= end:
        return Outcome.STOPPED
    if state == State.RUNNING and due_at is not None and due_at <= end:
        return Outcome.BREACHED  # the sweep had not got to it yet
    return Outcome.RUNNING
