"""Replies and internal notes on a ticket's thread, and the agents a note mentions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from helpdesk.models import User
from helpdesk.tasks import task_enqueue
from sla import services as sla_services
from tickets import events, routing
from tickets.lifecycle import merged_target, sla_ticket, status_set, ticket_lock
from tickets.models import (
    Contact,
    Message,
    Ticket,
    TicketEvent,
)
from tickets.services import changes
from tickets.services.intake import ticket_open
from tickets.services.messages import IncomingFile, attachments_check, message_add


@transaction.atomic
def ticket_reply_add(
    *,
    ticket: Ticket,
    text: str,
    channel: Ticket.Channel | str,
    html: str = "",
    author_user: User | None = None,
    author_contact: Contact | None = None,
    attachments: Sequence[IncomingFile] = (),
    status: Ticket.Status | str | None = None,
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
) -> Message:
    """Add a public reply to the thread, by an agent (to the requester) or by the requester.

    An agent's reply is the first response if none came before and is mailed to the
    requester; a requester writing to a solved ticket reopens it, and writing to a closed
    one opens a follow-up ticket whose thread gets the message.
    """
    if not text.strip() and not html.strip() and not attachments:
        raise ValidationError({"text": _("A reply needs some text.")})
    attachments_check(attachments)
    ticket = ticket_lock(ticket)
    if ticket.merged_into_id is not None:
        ticket = ticket_lock(merged_target(ticket))
    before = events.placement(ticket)
    by_agent = author_user is not None and author_contact is None
    if by_agent and ticket.status == Ticket.Status.CLOSED:
        raise ValidationError(
            _("This ticket is closed; the requester's next message opens a new one.")
        )
    if not by_agent and ticket.status == Ticket.Status.CLOSED:
        follow_up = ticket_open(
            requester=author_contact or ticket.requester,
            subject=ticket.subject,
            channel=channel,
            description=text,
            description_html=html,
            priority=ticket.priority,
            team=ticket.team,
            category=ticket.category,
            product=ticket.product,
            attachments=attachments,
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=references,
            follow_up_of=ticket,
        )
        events.event_record(
            ticket=ticket,
            kind=TicketEvent.Kind.FOLLOW_UP,
            source=str(channel),
            follow_up=follow_up.number,
        )
        return follow_up.messages.get()
    message = message_add(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author_type=Message.Author.AGENT if by_agent else Message.Author.CONTACT,
        author_user=author_user,
        author_contact=author_contact,
        channel=channel,
        text=text,
        html=html,
        attachments=attachments,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
    )
    if by_agent:
        sla_services.clocks_on_reply(
            ticket=sla_ticket(ticket), by_agent=True, at=message.created_at
        )
        if ticket.first_responded_at is None:
            ticket.first_responded_at = message.created_at
        events.event_record(
            ticket=ticket, kind=TicketEvent.Kind.REPLIED, actor=author_user, source=str(channel)
        )
        status_set(
            ticket,
            status or (Ticket.Status.OPEN if ticket.status == Ticket.Status.NEW else ticket.status),
            actor=author_user,
            source=str(channel),
        )
        task_enqueue("tickets.send_reply_notification", ticket.tenant_id, message.pk)
    else:
        events.event_record(
            ticket=ticket,
            kind=TicketEvent.Kind.REPLIED,
            contact=author_contact,
            source=str(channel),
        )
        if ticket.status == Ticket.Status.SOLVED:
            status_set(ticket, Ticket.Status.OPEN, actor=None, source=str(channel))
            events.event_record(
                ticket=ticket,
                kind=TicketEvent.Kind.REOPENED,
                contact=author_contact,
                source=str(channel),
            )
        elif ticket.status in (Ticket.Status.PENDING, Ticket.Status.ON_HOLD):
            # The requester answered: the ball is back with the desk.
            status_set(ticket, Ticket.Status.OPEN, actor=None, source=str(channel))
        sla_services.clocks_on_reply(
            ticket=sla_ticket(ticket), by_agent=False, at=message.created_at
        )
    ticket.save()
    if not by_agent:
        routing.ticket_reroute(ticket=ticket)
    events.ticket_publish(ticket, "ticket.replied", before=before)
    return message


@transaction.atomic
def ticket_note_add(
    *,
    ticket: Ticket,
    author: User | None,
    text: str,
    attachments: Sequence[IncomingFile] = (),
    source: str = "",
) -> Message:
    """Add an internal note: seen by agents only, never sent to the requester.

    With no author it is the system's note (a bounce, a refused attachment).
    """
    if not text.strip():
        raise ValidationError({"text": _("A note needs some text.")})
    attachments_check(attachments)
    ticket = ticket_lock(ticket)
    message = message_add(
        ticket=ticket,
        kind=Message.Kind.NOTE,
        author_type=Message.Author.AGENT if author else Message.Author.SYSTEM,
        author_user=author,
        channel=ticket.channel,
        text=text,
        attachments=attachments,
    )
    events.event_record(ticket=ticket, kind=TicketEvent.Kind.NOTED, actor=author, source=source)
    if author is not None:
        _mentions_notify(ticket, message, author)
    ticket.save(update_fields=["updated_at"])
    events.ticket_publish(ticket)
    return message


# An @ that starts a word: "@anna", "@anna.schmidt", "@anna@acme.example".
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]*\w(?:@[\w-]+(?:\.[\w-]+)+)?)")


def mentioned_agents(text: str) -> list[User]:
    """The desk's agents a note names with @ and their email address or its local part."""
    from helpdesk import selectors as platform_selectors
    from helpdesk.tenancy import STAFF_ROLES

    names = {name.lower() for name in MENTION.findall(text)}
    if not names:
        return []
    match = Q()
    for name in names:
        match |= Q(email__iexact=name) if "@" in name else Q(email__istartswith=f"{name}@")
    return list(platform_selectors.tenant_users(roles=STAFF_ROLES).filter(match))


def _mentions_notify(ticket: Ticket, message: Message, author: User) -> None:
    for agent in mentioned_agents(message.body_text):
        if agent.pk == author.pk:
            continue
        event = events.event_record(
            ticket=ticket,
            kind=TicketEvent.Kind.MENTIONED,
            actor=author,
            agent=agent.pk,
            agent_name=str(agent),
            message=message.pk,
            mailed=False,
        )
        events.mention_publish(ticket=ticket, agent_id=agent.pk, by=author)
        task_enqueue("tickets.send_mention_notification", ticket.tenant_id, event.pk)


def replies_since(*, ticket: Ticket, seen: int, by: User) -> list[Message]:
    """Public replies added after the message `seen` by anyone but `by` (a collision)."""
    return list(
        ticket.messages.filter(kind=Message.Kind.PUBLIC, pk__gt=seen)
        .exclude(author_user=by, author_contact__isnull=True)
        .select_related("author_user", "author_contact")
        .order_by("pk")
    )


@dataclass(frozen=True)
class Composed:
    """What an agent's compose did: the message written, or the replies it collided with."""

    message: Message | None
    collision: list[Message]


@transaction.atomic
def ticket_compose(
    *,
    ticket: Ticket,
    author: User,
    kind: str,
    text: str,
    attachments: Sequence[IncomingFile] = (),
    status: str = "",
    seen: int | None = None,
    confirmed: bool = False,
) -> Composed:
    """An agent's public reply or internal note, with a new status: all of it, or nothing.

    A public reply not yet confirmed is held back when someone else replied after the message
    `seen` (the last one the agent's page showed): nothing is written, and the newer replies
    come back so the agent reads them first. The check runs under the ticket's lock, so no
    reply slips in between.
    """
    ticket = ticket_lock(ticket)
    if kind == Message.Kind.PUBLIC and not confirmed and seen is not None:
        newer = replies_since(ticket=ticket, seen=seen, by=author)
        if newer:
            return Composed(message=None, collision=newer)
    if kind == Message.Kind.NOTE:
        message = ticket_note_add(ticket=ticket, author=author, text=text, attachments=attachments)
        if status:
            changes.ticket_status_change(ticket=ticket, status=status, by=author)
    else:
        message = ticket_reply_add(
            ticket=ticket, text=text, channel=ticket.channel, author_user=author,
            attachments=attachments, status=status or None,
        )  # fmt: skip
    return Composed(message=message, collision=[])
