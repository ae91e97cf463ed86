"""Re-planning running clocks after their calendar or policy changed (issue 16).

Editing a calendar (its hours, holidays, coverage, zone) or a policy (its targets, pauses,
warnings, calendar) changes when the live clocks it governs fall due. The edit asks for a
re-plan (`replan_request`, after the edit commits); a task counts every live clock anew, in
batches of `SLA_REPLAN_BATCH`, each batch its own transaction:

- the business minutes a clock used before its last resume stay as they are; the stretch
  since then is counted in the calendar as it is now;
- a warning or breach whose instant (in the old plan) came before the re-plan is recorded
  first, at that instant (rule 6 of docs/sla-time.md); warnings given are not given again;
- a metric the policy no longer sets stops; pauses follow the policy's pauses as they are now
  (the ticket's status comes from the tickets app's hook, `ticket_statuses`);
- each ticket whose clocks moved gets one `sla_replanned` signal entry (the tickets app logs
  it on the ticket and tells the pages), so queues and the breaching-soon view show the new due
  times at once.

Progress (`done` of `total`, `failed`) is kept on the `SlaReplan` row, committed with each
batch, so the admin shows it and a worker killed mid-way resumes after the last clock done
(the sweep hands unfinished re-plans to a worker again). A clock that cannot be re-planned is
counted as failed and skipped; it never holds back the rest. A newer request for the same
calendar or policy supersedes an older one still running: the newer counts every clock anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk.models import Tenant, User
from helpdesk.tasks import task_enqueue
from helpdesk.tenancy import require_tenant_id, tenant_context
from sla import signals
from sla.models import SlaClock, SlaReplan
from sla.selectors import SlaConfig, sla_config
from sla.services import Overdue, clocks_save, replan_clock

logger = logging.getLogger(__name__)

State = SlaReplan.State
LIVE = (SlaClock.State.RUNNING, SlaClock.State.PAUSED)
# A re-plan nobody advanced for this long is handed to a worker again (its worker died).
STALE_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 5

# Given by the tickets app at start-up: the statuses of tickets by id (this app reads no
# ticket table). Without it (a process without the tickets app) clocks keep their state.
ticket_statuses: Callable[[Iterable[int]], dict[int, str]] | None = None


def replan_request(
    *,
    reason: str,
    calendar_id: int | None = None,
    policy_id: int | None = None,
    by: User | None = None,
) -> SlaReplan | None:
    """Ask for the live clocks of a calendar or a policy to be counted anew after this commit.

    None when it governs no live clock: there is nothing to re-plan (an older re-plan of it
    still unfinished is superseded all the same).
    """
    if (calendar_id is None) == (policy_id is None):
        raise ValueError("name either a calendar or a policy")
    subject = Q(calendar_id=calendar_id) if calendar_id else Q(policy_id=policy_id)
    with transaction.atomic():
        SlaReplan.objects.filter(subject, state__in=(State.QUEUED, State.RUNNING)).update(
            state=State.SUPERSEDED, finished_at=timezone.now()
        )
        total = _clocks(calendar_id, policy_id).count()
        if not total:
            return None
        replan = SlaReplan.objects.create(
            calendar_id=calendar_id, policy_id=policy_id, reason=reason[:200], requested_by=by,
            total=total,
        )  # fmt: skip
    transaction.on_commit(lambda: task_enqueue("sla.replan", replan.tenant_id, replan.pk))
    return replan


def _clocks(calendar_id: int | None, policy_id: int | None) -> Any:
    clocks = SlaClock.objects.filter(state__in=LIVE)
    if calendar_id:
        return clocks.filter(calendar_id=calendar_id)
    return clocks.filter(policy_id=policy_id)


def replan_run(
    *, tenant_id: int, replan_id: int, now: Callable[[], datetime] = timezone.now
) -> SlaReplan | None:
    """Work through a re-plan batch by batch until it is done (or superseded); None if gone.

    Each batch is a transaction of its own in the tenant (locking the re-plan row, reading on
    from the last clock done, committing its clocks with its progress), so a worker killed
    mid-way loses at most the batch it was in, and two runs at once never re-plan a clock
    twice.
    """
    _attempt(tenant_id, replan_id)
    while True:
        with tenant_context(tenant_id):
            replan = SlaReplan.objects.select_for_update(of=("self",)).filter(pk=replan_id).first()
            if replan is None or replan.state in (State.DONE, State.SUPERSEDED, State.FAILED):
                return replan
            finished = _batch(replan, now())
        if finished:
            return replan


def _attempt(tenant_id: int, replan_id: int) -> None:
    """Count a start in its own transaction: a re-plan that keeps failing is given up."""
    with tenant_context(tenant_id):
        replan = SlaReplan.objects.select_for_update().filter(pk=replan_id).first()
        if replan is None or replan.state not in (State.QUEUED, State.RUNNING):
            return
        replan.attempts += 1
        if replan.attempts > MAX_ATTEMPTS:
            replan.state, replan.finished_at = State.FAILED, timezone.now()
            logger.error("SLA re-plan %s failed %s times; given up", replan.pk, MAX_ATTEMPTS)
        elif replan.state == State.QUEUED:
            replan.state, replan.started_at = State.RUNNING, timezone.now()
        replan.save(update_fields=["attempts", "state", "started_at", "finished_at", "updated_at"])


def _batch(replan: SlaReplan, now: datetime) -> bool:
    """Re-plan the next batch of clocks (in the caller's transaction); True when none is left."""
    clocks = list(
        _clocks(replan.calendar_id, replan.policy_id)
        .filter(pk__gt=replan.last_clock_id)
        .select_for_update(of=("self",))  # waits for a ticket change holding one: never skips
        .order_by("pk")[: settings.SLA_REPLAN_BATCH]
    )
    if not clocks:
        replan.state, replan.finished_at = State.DONE, now
        replan.save(update_fields=["state", "finished_at", "updated_at"])
        return True
    config = sla_config()
    statuses = ticket_statuses({clock.ticket_id for clock in clocks}) if ticket_statuses else {}
    moved, failed = _replan_all(clocks, statuses, config, now)
    replan.done += len(clocks) - failed
    replan.failed += failed
    replan.last_clock_id = clocks[-1].pk
    replan.save(update_fields=["done", "failed", "last_clock_id", "updated_at"])
    if moved:
        signals.sla_replanned.send(sender=SlaClock, moves=moved, reason=replan.reason, at=now)
    return False


def _replan_all(
    clocks: list[SlaClock], statuses: dict[int, str], config: SlaConfig, now: datetime
) -> tuple[list[tuple[SlaClock, datetime | None]], int]:
    """Re-plan each clock; the moved ones with their old due time, and how many failed.

    What came due before the re-plan is recorded for the whole batch at once, after the clocks
    are saved (one statement for their events).
    """
    moved, failed, saved = [], 0, []
    overdue = Overdue([], [])
    for clock in clocks:
        before = clock.due_at
        try:
            overdue.add(replan_clock(clock, statuses.get(clock.ticket_id), config, now))
        except Exception:  # one bad clock must not stop the batch, nor retry forever
            logger.exception("SLA clock %s could not be re-planned; skipped", clock.pk)
            failed += 1
            continue
        saved.append(clock)
        if clock.due_at != before:
            moved.append((clock, before))
    clocks_save(saved)
    overdue.record(now)
    return moved, failed


def replans_resume(*, now: datetime) -> int:
    """Hand the active tenant's re-plans that nobody advanced lately to a worker again."""
    stale = SlaReplan.objects.filter(
        state__in=(State.QUEUED, State.RUNNING), updated_at__lt=now - STALE_AFTER
    ).values_list("pk", flat=True)
    tenant_id = require_tenant_id()
    ids = list(stale)
    for replan_id in ids:
        task_enqueue("sla.replan", tenant_id, replan_id)
    return len(ids)


def replans_resume_all(*, now: datetime) -> int:
    """Every desk's stale re-plans, handed to workers again (from the periodic sweep)."""
    handed = 0
    for tenant_id in Tenant.objects.active_ids():
        with tenant_context(tenant_id):
            handed += replans_resume(now=now)
    return handed
