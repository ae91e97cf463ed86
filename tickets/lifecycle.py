"""Building blocks the ticket services, routing and assignment share (caller holds the lock)."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import background, live
from helpdesk.models import User
from sla import services as sla_services
from tickets import assignment
from tickets.models import (
    Contact,
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


def _event(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None = None,
    contact: Contact | None = None,
    source: str = "",
    **data: Any,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, actor_contact=contact, source=source, data=data
    )


def _changed(ticket: Ticket, type: str = "ticket.changed") -> None:
    event = live.tenant_event(ticket.tenant_id, type, ticket=ticket.pk)
    ticket_group = live.ticket_group(ticket.tenant_id, ticket.pk)  # its chat, its open pages
    live.publish_on_commit(dataclasses.replace(event, groups=(*event.groups, ticket_group)))


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
    _event(ticket, TicketEvent.Kind.STATUS, actor=actor, source=source, old=old, new=status)
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
