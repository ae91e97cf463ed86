"""New tickets from every channel: numbered, routed, timed and acknowledged."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk import background
from helpdesk.models import User
from helpdesk.process_cache import TenantMemo
from helpdesk.tasks import task_send
from helpdesk.tenancy import require_tenant_id
from rules import ticket_facts
from sla import services as sla_services
from tickets import assignment, events, lifecycle, routing
from tickets.models import (
    Acknowledgement,
    Category,
    Contact,
    Message,
    Product,
    ResponseTarget,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.services._insert import ticket_insert
from tickets.services.messages import (
    IncomingFile,
    attachments_check,
    attachments_store,
    message_build,
)

ACK_LINGER_SECONDS = 0.2  # a new acknowledgement waits this long for others to share its task


def _acknowledgement_queue(tenant_id: int, acknowledgement_id: int) -> None:
    """Queue the acknowledgement's sending, in one task with those of tickets just before it."""
    background.submit_batched(
        ("acknowledgements", tenant_id),
        functools.partial(task_send, "tickets.send_acknowledgements", tenant_id),
        acknowledgement_id,
        ACK_LINGER_SECONDS,
    )


def _response_targets_load() -> dict[str, int]:
    return dict(ResponseTarget.objects.values_list("priority", "minutes"))


# Read on every ticket it would cost a round trip for a table that rarely changes: each
# process keeps a desk's targets until one of them changes (see tickets/apps.py).
RESPONSE_TARGETS: TenantMemo[dict[str, int]] = TenantMemo(
    "response-targets", _response_targets_load
)


def first_response_target(priority: str) -> timedelta:
    """How soon the desk promises a first answer for `priority` (the SLA engine refines it)."""
    minutes = RESPONSE_TARGETS.get().get(priority)
    return timedelta(minutes=minutes or ResponseTarget.DEFAULTS[priority])


ACK_CHANNELS_BY_EMAIL = {
    Ticket.Channel.EMAIL,
    Ticket.Channel.PORTAL,
    Ticket.Channel.API,
    Ticket.Channel.SOCIAL,
    Ticket.Channel.PHONE,
}


def _acknowledgement_plan(
    ticket: Ticket, requester: Contact, auto_submitted: str
) -> tuple[str, str, str]:
    """(via, recipient, reason not sent) for a new ticket's acknowledgement."""
    if auto_submitted:
        # Never answer an automatic message: two autoresponders would answer each other.
        return Acknowledgement.Via.NONE, "", auto_submitted
    if requester.is_blocked:
        return Acknowledgement.Via.NONE, "", _("The requester is blocked as a spammer.")
    if ticket.channel == Ticket.Channel.CHAT:
        return Acknowledgement.Via.CHAT, "", ""
    if ticket.channel in ACK_CHANNELS_BY_EMAIL and requester.email:
        return Acknowledgement.Via.EMAIL, requester.email, ""
    return Acknowledgement.Via.NONE, "", _("The requester has no email address.")


def ticket_open(
    *,
    requester: Contact,
    subject: str,
    channel: Ticket.Channel | str,
    description: str = "",
    description_html: str = "",
    priority: Ticket.Priority | str | None = None,
    impact: str = "",
    urgency: str = "",
    team: Team | None = None,
    assignee: User | None = None,
    category: Category | None = None,
    product: Product | None = None,
    department: str = "",
    tags: Iterable[str] = (),
    language: str = "",
    attachments: Sequence[IncomingFile] = (),
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    by: User | None = None,
    auto_submitted: str = "",
    follow_up_of: Ticket | None = None,
) -> Ticket:
    """Log a new ticket under the tenant's next number and queue its acknowledgement.

    `by` is the agent who logged it for the requester (a phone call); `auto_submitted` names
    why the requester must not be answered automatically (an autoresponder, a bounce).
    With an impact or urgency the priority matrix sets the priority (`tickets.priority`).
    """
    subject = " ".join(subject.split())[:250]
    if not subject:
        raise ValidationError({"subject": _("A ticket needs a subject.")})
    attachments_check(attachments)
    if impact or urgency:
        from tickets.priority import intake_priority

        organization = requester.organization
        priority = intake_priority(
            priority=priority, impact=impact, urgency=urgency, by_agent=by is not None,
            tier=organization.tier if organization else "",
        )  # fmt: skip
    # Everything the caller can fix is checked above; what follows only fails on a bug, so
    # it needs no savepoint of its own (two round trips fewer on the busiest write path).
    with transaction.atomic(savepoint=False):
        return _ticket_create(
            requester=requester, subject=subject, channel=channel, description=description,
            description_html=description_html, priority=priority or Ticket.Priority.MEDIUM,
            impact=impact, urgency=urgency, team=team,
            assignee=assignee, category=category, product=product, department=department,
            tags=tags, language=language, attachments=attachments, message_id=message_id,
            in_reply_to=in_reply_to, references=references, by=by,
            auto_submitted=auto_submitted, follow_up_of=follow_up_of,
        )  # fmt: skip


def _ticket_create(
    *,
    requester: Contact,
    subject: str,
    channel: str,
    description: str,
    description_html: str,
    priority: str,
    impact: str,
    urgency: str,
    team: Team | None,
    assignee: User | None,
    category: Category | None,
    product: Product | None,
    department: str,
    tags: Iterable[str],
    language: str,
    attachments: Sequence[IncomingFile],
    message_id: str,
    in_reply_to: str,
    references: str,
    by: User | None,
    auto_submitted: str,
    follow_up_of: Ticket | None,
) -> Ticket:
    organization = requester.organization
    ticket = Ticket(
        requester=requester,
        subject=subject,
        description=description,
        channel=channel,
        priority=priority,
        impact=impact,
        urgency=urgency,
        team=team,
        assignee=assignee,
        category=category,
        product=product,
        department=department,
        region=organization.region if organization else "",
        customer_segment=organization.tier if organization else "",
        language=language or requester.language,
        tags=sorted({tag.strip().lower() for tag in tags if tag.strip()}),
        status=Ticket.Status.OPEN if assignee else Ticket.Status.NEW,
        follow_up_of=follow_up_of,
    )
    ticket.tenant_id = require_tenant_id()
    if requester.is_blocked:
        # Kept (nothing is lost) but filed away: closed, marked as spam, never answered.
        ticket.is_spam, ticket.status = True, Ticket.Status.CLOSED
        ticket.closed_at = ticket.solved_at = ticket.created_at
    # Before the insert: the one statement that stores the ticket carries the routed values.
    routed = None if ticket.is_spam else routing.ticket_route_new(ticket=ticket, text=description)
    message = message_build(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author_type=Message.Author.CONTACT,
        author_contact=requester,
        author_user=by,
        channel=channel,
        text=description,
        html=description_html,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
    )
    event = events.event_build(
        ticket=ticket, kind=TicketEvent.Kind.CREATED, actor=by, contact=requester, source=channel
    )
    via, recipient, reason = _acknowledgement_plan(ticket, requester, auto_submitted)
    clocks = (
        []  # spam is filed closed: no promise runs against it
        if ticket.is_spam
        else sla_services.clocks_start(
            ticket=lifecycle.sla_ticket(ticket),
            facts=lambda: ticket_facts(ticket, first_message_text=description),
        )
    )
    ack = Acknowledgement(
        ticket=ticket,
        via=via,
        recipient=recipient,
        skipped_reason=reason,
        expected_response_at=sla_services.first_response_due(clocks)
        or ticket.created_at + first_response_target(ticket.priority),
        tenant_id=ticket.tenant_id,
    )
    # Teams that assign by themselves pick an agent before the insert (no query for manual).
    strategy = None if ticket.is_spam else assignment.ticket_team_pick(ticket=ticket)
    more: list[Any] = routing.routed_events(outcome=routed) if routed is not None else []
    if strategy:
        more.append(assignment.assignment_event(ticket=ticket, strategy=strategy))
    ticket_insert(ticket, message, event, ack, *more, *clocks)
    attachments_store(message, attachments)
    if via != Acknowledgement.Via.NONE:
        transaction.on_commit(functools.partial(_acknowledgement_queue, ticket.tenant_id, ack.pk))
    events.ticket_publish(ticket, "ticket.created")
    return ticket
