"""The ticket lifecycle's building blocks, shared by the services, routing and assignment.

Each runs inside the caller's transaction on a ticket the caller has locked (`ticket_lock`):
they change the ticket in memory and record what that entails (the event, the SLA clocks, the
work an agent's freed capacity lets them take); the caller saves the ticket and announces it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import User
from helpdesk.tasks import task_enqueue
from rules import ticket_facts
from sla import services as sla_services
from tickets import events
from tickets.models import (
    Ticket,
    TicketEvent,
)

logger = logging.getLogger(__name__)


def ticket_lock(ticket: Ticket, *, unchanged_since: datetime | None = None) -> Ticket:
    """`ticket` read again and locked until the caller commits (inserts of its rows still go).

    `unchanged_since`: when the person asking loaded the ticket (its `updated_at` then). If
    anyone changed it since, they are told so instead of silently overwriting the change.
    """
    locked = Ticket.objects.select_for_update(no_key=True).get(pk=ticket.pk)
    if unchanged_since is not None and locked.updated_at > unchanged_since:
        raise ValidationError(
            _(
                "This ticket changed after you opened it. Reload it to see what changed,"
                " then make your change again."
            ),
            code="changed",
        )
    return locked


def status_set(ticket: Ticket, status: str, *, actor: User | None, source: str) -> None:
    """Move a locked ticket to `status` (unsaved): its dates, its event, its SLA clocks.

    Refuses a move the lifecycle does not allow; an open ticket leaving its owner's open
    work frees their capacity.
    """
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
    sla_services.clocks_on_status(ticket=sla_ticket(ticket), old=old, at=now)
    if ticket.assignee_id and old in Ticket.OPEN_STATUSES and not ticket.is_open:
        capacity_freed(ticket=ticket, agent_id=ticket.assignee_id)


def merged_target(ticket: Ticket) -> Ticket:
    """The ticket that now carries `ticket`'s conversation (itself unless it was merged)."""
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def capacity_freed(*, ticket: Ticket, agent_id: int) -> None:
    """`agent_id` owns one open ticket fewer: after commit, give them waiting work."""
    task_enqueue("tickets.assign_waiting", ticket.tenant_id, agent_id)


def sla_ticket(ticket: Ticket) -> sla_services.TicketSnapshot:
    """What the SLA engine needs to know of `ticket`, as plain values."""
    return sla_services.TicketSnapshot(
        id=ticket.pk,
        tenant_id=ticket.tenant_id,
        priority=ticket.priority,
        region=ticket.region,
        status=ticket.status,
        created_at=ticket.created_at,
        first_responded_at=ticket.first_responded_at,
    )


def fields_changed(ticket: Ticket, *, text: str = "") -> None:
    """A locked ticket's fields changed (by hand, a rule or an automation): re-target its clocks.

    The one step every field change goes through, whoever made it: the SLA policy is chosen
    again from the ticket's facts (`text`: the body rules read, else its description), so a
    raised priority or a new tier counts at once. The log entry of the change is the
    caller's (fields by hand, a routing rule's own event).
    """
    sla_services.clocks_repolicy(
        ticket=sla_ticket(ticket), facts=lambda: ticket_facts(ticket, first_message_text=text)
    )
