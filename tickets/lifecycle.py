"""Building blocks the ticket services, routing and assignment share (caller holds the lock)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import background
from helpdesk.models import User
from sla import services as sla_services
from tickets import assignment, events
from tickets.models import (
    Ticket,
    TicketEvent,
)

logger = logging.getLogger(__name__)


def _enqueue(task: Any, *args: Any) -> None:
    """Queue a task off the caller's path; with the broker down, a periodic sweep sends it."""
    background.submit(_queue_task, task, *args)


def _queue_task(task: Any, *args: Any) -> None:
    try:
        task.delay(*args)
    except Exception:  # kombu and redis raise many kinds; none may break a committed change
        logger.warning("could not queue %s%r; the sweep will retry", task.name, args)


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(no_key=True).get(pk=ticket.pk)


def _set_status(ticket: Ticket, status: str, *, actor: User | None, source: str) -> None:
    if status == ticket.status:
        return
    if not ticket.can_become(status):
        raise ValidationError(
            _("A %(old)s ticket cannot become %(new)s.")
            % {"old": ticket.get_status_display(), "new": Ticket.Status(status).label}
        )
    old, ticket.status = ticket.status, status
    now = timezone.now()
    ticket.status_changed_at = now
    if status == Ticket.Status.SOLVED:
        ticket.solved_at = now
    elif status == Ticket.Status.CLOSED:
        ticket.closed_at = now
        ticket.solved_at = ticket.solved_at or now
    elif old in (Ticket.Status.SOLVED,):
        ticket.solved_at = None
    events.event_record(
        ticket=ticket, kind=TicketEvent.Kind.STATUS, actor=actor, source=source, old=old, new=status
    )
    sla_services.clocks_status_record(ticket=ticket, old=old, now=now)
    if ticket.assignee_id and old in Ticket.OPEN_STATUSES and not ticket.is_open:
        assignment.capacity_freed(ticket=ticket, agent_id=ticket.assignee_id)


def _merged_target(ticket: Ticket) -> Ticket:
    """The ticket that now carries `ticket`'s conversation (itself unless it was merged)."""
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket
