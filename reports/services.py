"""Writes of the reports app: what-if replays of a draft SLA policy over a past period.

A manager names a policy (an inactive one is a draft: it applies to no live ticket), perhaps
another calendar, and a period; `replay_request` queues the replay and `replay_run` (the task
`reports.replay`) works through the tickets logged in the period, in id order, a chunk at a
time. For each ticket the draft would have applied to (its tier, its conditions on the
ticket's rule facts, as routing reads them) it rebuilds the ticket's timeline from the event
log and replays it with `sla.simulation` (the live engine's own steps), then counts each
clock's outcome at the period's end beside the outcome of the ticket's real clocks, per metric,
priority and tier. Tickets whose metric comes out otherwise are kept (up to
`DIFFERENCES_KEPT` per direction; the counts are complete).

Nothing live is written: no clock, no ticket, no event. Each chunk is its own transaction
(its own `tenant_context`), committing its counts, its differences and the progress with
`last_ticket_id`, so the page shows progress and a run delivered twice, or again after a
crash, goes on from the last chunk done. Memory stays flat: a chunk's tickets, events and
clocks are all a run ever holds.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import User
from helpdesk.tasks import task_enqueue
from helpdesk.tenancy import require_tenant_id, tenant_context
from reports.models import SlaReplay, SlaReplayTicket
from rules import ticket_facts
from sla.models import BusinessCalendar, SlaClock, SlaPolicy
from sla.selectors import CompiledPolicy, SlaConfig, compiled_policy, pure_calendar, sla_config
from sla.services import TicketSnapshot
from sla.simulation import Change, Outcome, real_outcome, replay_config, ticket_replay
from tickets.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)

State = SlaReplay.State
Kind = TicketEvent.Kind
CHUNK = 2000
DIFFERENCES_KEPT = 500  # per direction: a page a manager reads, not an export
LONGEST_PERIOD = timedelta(days=366)
OUTCOMES = tuple(Outcome)  # the order of a cell's counts: met, breached, stopped, running
TIMELINE_KINDS = (Kind.REPLIED, Kind.STATUS, Kind.FIELDS, Kind.ROUTED)
# A requester's message to a solved or pending ticket reopens it before its clocks see the
# message, though the log records the message first: the reopening follows within moments.
REOPENED_WITHIN = timedelta(seconds=2)


def replay_request(
    *,
    policy: SlaPolicy,
    start: datetime,
    end: datetime,
    by: User | None,
    calendar: BusinessCalendar | None = None,
) -> SlaReplay:
    """Ask what `policy` (and `calendar`) would have made of the tickets logged in a period."""
    tenant_id = require_tenant_id()
    if start >= end:
        raise ValidationError(_("The period must end after it starts."))
    if end > timezone.now():
        raise ValidationError(_("The period cannot end in the future: choose one that is over."))
    if end - start > LONGEST_PERIOD:
        raise ValidationError(_("A replay covers at most one year."))
    if policy.tenant_id != tenant_id or (calendar is not None and calendar.tenant_id != tenant_id):
        raise ValidationError(_("Choose one of this desk's policies and calendars."))
    with transaction.atomic():
        replay = SlaReplay.objects.create(
            policy=policy, calendar=calendar, period_start=start, period_end=end, requested_by=by
        )
        task_enqueue("reports.replay", tenant_id, replay.pk)
    return replay


def replay_run(*, tenant_id: int, replay_id: int) -> SlaReplay | None:
    """Replay the period chunk by chunk, each chunk committed; None if the replay is gone."""
    with tenant_context(tenant_id):
        replay = SlaReplay.objects.select_for_update().filter(pk=replay_id).first()
        if replay is None or replay.is_finished:
            return replay
        if replay.state == State.QUEUED:
            replay.state, replay.started_at = State.RUNNING, timezone.now()
            replay.total = _period_tickets(replay).count()
            replay.save(update_fields=["state", "started_at", "total"])
        draft, config = _draft(replay)
    try:
        while True:
            with tenant_context(tenant_id):
                replay = SlaReplay.objects.select_for_update().get(pk=replay_id)
                if replay.is_finished or _chunk(replay, draft, config):
                    return replay
    except Exception:  # a bug or a bad row: the manager sees it failed instead of waiting
        logger.exception("SLA replay %s failed", replay_id)
        with tenant_context(tenant_id):
            SlaReplay.objects.filter(pk=replay_id).update(
                state=State.FAILED, finished_at=timezone.now()
            )
        return None


def _period_tickets(replay: SlaReplay) -> Any:
    return Ticket.objects.filter(
        created_at__gte=replay.period_start, created_at__lt=replay.period_end
    )


def _draft(replay: SlaReplay) -> tuple[CompiledPolicy, SlaConfig]:
    """The draft policy compiled, and the desk's set-up with it (and the draft calendar)."""
    policy = SlaPolicy.objects.prefetch_related("targets", "pause_rules", "warnings").get(
        pk=replay.policy_id
    )
    calendar = None
    if replay.calendar_id is not None:
        found = BusinessCalendar.objects.prefetch_related("working_hours", "holidays").get(
            pk=replay.calendar_id
        )
        calendar = (found.pk, pure_calendar(found))
    return replay_config(sla_config(), compiled_policy(policy), calendar)


TicketRow = tuple[int, str, str, str, str, str, datetime]  # id, priority, region, status, tier …


def _chunk(replay: SlaReplay, draft: CompiledPolicy, config: SlaConfig) -> bool:
    """Replay the next chunk of tickets (in the caller's transaction); True when none is left."""
    rows: list[TicketRow] = list(
        _period_tickets(replay)
        .filter(pk__gt=replay.last_ticket_id)
        .order_by("pk")
        .values_list(
            "pk", "priority", "region", "status", "customer_segment",
            "requester__organization__tier", "created_at",
        )[:CHUNK]
    )  # fmt: skip
    if not rows:
        replay.state, replay.finished_at = State.DONE, timezone.now()
        replay.save(update_fields=["state", "finished_at"])
        return True
    applies = _applying(rows, draft)
    timelines = _timelines(list(applies), replay.period_end)
    real = _real_clocks(list(applies), replay.period_end)
    results = replay.results or {}
    cells: dict[str, dict[str, list[int]]] = results.setdefault("cells", {})
    differences = []
    for row in applies.values():
        ticket_id, tier = row[0], row[4] or row[5] or ""
        snapshot, changes = _timeline(row, timelines.get(ticket_id, ()))
        drafted: dict[str, str] = {}
        for clock in ticket_replay(snapshot, changes, draft, config, end=replay.period_end):
            _count(cells, clock.metric, clock.priority, tier, "draft", clock.outcome)
            drafted[clock.metric] = _worst(drafted.get(clock.metric), clock.outcome)
        happened: dict[str, str] = {}
        for metric, priority, outcome in real.get(ticket_id, ()):
            _count(cells, metric, priority, tier, "real", outcome)
            happened[metric] = _worst(happened.get(metric), outcome)
        for metric in drafted.keys() | happened.keys():
            was, would = happened.get(metric, ""), drafted.get(metric, "")
            if (was == Outcome.BREACHED) == (would == Outcome.BREACHED):
                continue
            direction = (
                SlaReplayTicket.Direction.WORSE
                if would == Outcome.BREACHED
                else SlaReplayTicket.Direction.BETTER
            )
            results[direction] = results.get(direction, 0) + 1
            if results[direction] <= DIFFERENCES_KEPT:
                differences.append(
                    SlaReplayTicket(
                        replay=replay, ticket_id=ticket_id, metric=metric, direction=direction,
                        real_outcome=was, draft_outcome=would,
                    )
                )  # fmt: skip
    SlaReplayTicket.objects.bulk_create(differences)
    results["applied"] = results.get("applied", 0) + len(applies)
    replay.results = results
    replay.done += len(rows)
    replay.last_ticket_id = rows[-1][0]
    replay.save(update_fields=["results", "done", "last_ticket_id"])
    return False


def _applying(rows: list[TicketRow], draft: CompiledPolicy) -> dict[int, TicketRow]:
    """The rows of the tickets the draft would have applied to, by id.

    Its tier is read as routing reads it (the ticket's segment, else its organisation's);
    conditions need every rule fact, read from the tickets loaded for them.
    """
    if draft.conditions is None:
        return {
            row[0]: row
            for row in rows
            if draft.matches(lambda row=row: {"customer_segment": row[4] or row[5] or ""})
        }
    tickets = Ticket.objects.filter(pk__in=[row[0] for row in rows]).select_related(
        "requester__organization", "category__parent__parent", "product", "team"
    )
    matching = {ticket.pk for ticket in tickets if draft.matches(lambda t=ticket: ticket_facts(t))}
    return {row[0]: row for row in rows if row[0] in matching}


EventRow = tuple[int, str, int | None, dict[str, Any], datetime]


def _timelines(ticket_ids: list[int], end: datetime) -> dict[int, list[EventRow]]:
    """The events that move clocks of each ticket up to `end`, in the order they happened."""
    found: dict[int, list[EventRow]] = defaultdict(list)
    if not ticket_ids:
        return found
    for row in (
        TicketEvent.objects.filter(
            ticket_id__in=ticket_ids, kind__in=TIMELINE_KINDS, created_at__lte=end
        )
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "kind", "actor_id", "data", "created_at")
    ):
        found[row[0]].append(row)
    return found


def _timeline(row: TicketRow, events: Iterable[EventRow]) -> tuple[TicketSnapshot, list[Change]]:
    """A ticket as it was logged and the changes its clocks saw, from its event log.

    Its first status, priority and region are the old values of their first changes (else
    what they are now). A requester's reply is put after the reopening it caused, as the live
    engine saw it.
    """
    ticket_id, priority, region, status, _tier, _org_tier, created_at = row
    first: dict[str, str] = {}
    changes: list[Change] = []
    waiting: Change | None = None  # a requester's reply, until its reopening is logged
    for _ticket, kind, actor_id, data, at in events:
        if kind == Kind.STATUS:
            first.setdefault("status", data.get("old", status))
            change = Change.status_to(at, data.get("new", status))
            if waiting is not None and actor_id is None and at - waiting.at <= REOPENED_WITHIN:
                changes.append(change)
                continue
        elif kind == Kind.REPLIED:
            change = Change.reply(at, by_agent=actor_id is not None)
        else:
            if kind == Kind.ROUTED and data.get("trigger") == "create":
                continue  # routed before the ticket was logged: its clocks began after it
            moved = data.get("changes") or {}
            if "priority" not in moved and "region" not in moved:
                continue
            if "priority" in moved:
                first.setdefault("priority", moved["priority"][0])
            if "region" in moved:
                first.setdefault("region", moved["region"][0] or "")
            change = Change.fields(
                at,
                priority=moved["priority"][1] if "priority" in moved else None,
                region=(moved["region"][1] or "") if "region" in moved else None,
            )
        if waiting is not None:
            changes.append(waiting)
            waiting = None
        if change.kind == "reply" and not change.by_agent:
            waiting = change
        else:
            changes.append(change)
    if waiting is not None:
        changes.append(waiting)
    snapshot = TicketSnapshot(
        id=ticket_id,
        tenant_id=require_tenant_id(),
        priority=first.get("priority", priority),
        region=first.get("region", region),
        status=first.get("status", status),
        created_at=created_at,
    )
    return snapshot, changes


def _real_clocks(ticket_ids: list[int], end: datetime) -> dict[int, list[tuple[str, str, str]]]:
    """Each ticket's real clocks as (metric, priority, outcome at the period's end)."""
    found: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    if not ticket_ids:
        return found
    for ticket_id, metric, priority, state, breached, due, fulfilled, stopped in (
        SlaClock.objects.filter(ticket_id__in=ticket_ids, started_at__lte=end)
        .order_by()
        .values_list(
            "ticket_id", "metric", "priority", "state", "breached_at", "due_at",
            "fulfilled_at", "stopped_at",
        )
    ):  # fmt: skip
        outcome = real_outcome(
            state=state, breached_at=breached, due_at=due, fulfilled_at=fulfilled,
            stopped_at=stopped, end=end,
        )  # fmt: skip
        found[ticket_id].append((metric, priority, outcome))
    return found


def _count(
    cells: dict[str, dict[str, list[int]]],
    metric: str,
    priority: str,
    tier: str,
    side: str,
    outcome: str,
) -> None:
    cell = cells.setdefault(f"{metric}|{priority}|{tier}", {})
    counts = cell.setdefault(side, [0] * len(OUTCOMES))
    counts[OUTCOMES.index(outcome)] += 1


SEVERITY = {Outcome.BREACHED: 3, Outcome.MET: 2, Outcome.STOPPED: 1, Outcome.RUNNING: 0}


def _worst(known: str | None, outcome: str) -> str:
    """A ticket's outcome for a metric over its clocks: breached if any clock breached."""
    if known is None or SEVERITY[outcome] > SEVERITY[known]:
        return outcome
    return known
