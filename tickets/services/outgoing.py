"""What a ticket sends: acknowledgement, agents' replies, mentions, SLA notices; once each."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from helpdesk import presence
from helpdesk.models import User
from sla import services as sla_services
from tickets import events
from tickets.models import (
    Acknowledgement,
    Message,
    TeamMember,
    Ticket,
    TicketEvent,
)
from tickets.services.messages import message_add

logger = logging.getLogger(__name__)


def mention_notification_send(*, event_id: int) -> None:
    """Mail an agent that a colleague mentioned them in a note, once."""
    from tickets import emails

    with transaction.atomic():
        event = (
            TicketEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__tenant", "actor")
            .filter(pk=event_id, kind=TicketEvent.Kind.MENTIONED, data__mailed=False)
            .first()
        )
        if event is None:
            return  # mailed already, or another worker is mailing it
        agent = User.objects.filter(pk=event.data.get("agent"), is_active=True).first()
        note = Message.objects.filter(pk=event.data.get("message")).first()
        if agent is not None and note is not None:
            emails.send_mention(note, agent, event.actor)
        events.event_data_update(event=event, mailed=True)


def acknowledgement_send(*, acknowledgement_id: int) -> None:
    """Send the acknowledgement once, however often the task is delivered."""
    from tickets import emails

    with transaction.atomic():
        ack = (
            Acknowledgement.objects.select_for_update(skip_locked=True)
            .select_related("ticket__requester", "ticket__tenant")
            .filter(pk=acknowledgement_id, sent_at=None)
            .exclude(via=Acknowledgement.Via.NONE)
            .first()
        )
        if ack is None:
            return  # already sent, not to be sent, or another worker is sending it
        ack.attempts += 1
        if ack.via == Acknowledgement.Via.EMAIL:
            emails.send_acknowledgement(ack)
        else:
            message_add(
                ticket=ack.ticket,
                kind=Message.Kind.PUBLIC,
                author_type=Message.Author.SYSTEM,
                channel=Ticket.Channel.CHAT,
                text=emails.acknowledgement_chat_text(ack),
            )
            events.ticket_publish(ack.ticket, "ticket.replied")
        ack.sent_at = timezone.now()
        ack.save(update_fields=["sent_at", "attempts"])
        events.event_record(
            ticket=ack.ticket, kind=TicketEvent.Kind.ACKNOWLEDGED, source=ack.via, to=ack.recipient
        )


def reply_notification_send(*, message_id: int) -> None:
    """Mail an agent's public reply to the requester, once."""
    from tickets import emails

    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__requester", "ticket__tenant", "author_user")
            .filter(pk=message_id, notified_at=None, kind=Message.Kind.PUBLIC)
            .filter(author_type=Message.Author.AGENT)
            .first()
        )
        if message is None:
            return
        requester, ticket = message.ticket.requester, message.ticket
        # A chat visitor who has left gets the answer by mail, as the chat promised.
        in_chat = ticket.channel == Ticket.Channel.CHAT and presence.visitor_online(
            ticket.tenant_id, ticket.pk
        )
        if requester.email and not in_chat:
            emails.send_reply(message)
            events.event_record(
                ticket=message.ticket,
                kind=TicketEvent.Kind.NOTIFIED,
                source="email",
                to=requester.email,
            )
        message.notified_at = timezone.now()
        message.save(update_fields=["notified_at"])


def acknowledgements_sweep(*, now: datetime, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Send acknowledgements whose task was never queued or got lost (Redis or worker down)."""
    waiting = list(
        Acknowledgement.objects.filter(sent_at=None, created_at__lt=now - older_than)
        .exclude(via=Acknowledgement.Via.NONE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    )
    for pk in waiting:
        try:
            acknowledgement_send(acknowledgement_id=pk)
        except Exception:
            logger.exception("acknowledgement %s could not be sent; retrying later", pk)
    return len(waiting)


def clock_notifications_send(*, clock_ids: Iterable[int], what: str) -> None:
    """Mail each clock's warning or breach to its ticket's assignee and team leads, once."""
    for clock_id in clock_ids:
        clock_notification_send(clock_id=clock_id, what=what)


def clock_notification_send(*, clock_id: int, what: str) -> None:
    """Mail a clock's warning or breach to the ticket's assignee and team leads, once."""
    from tickets import emails

    with transaction.atomic():
        clock = sla_services.clock_notification_claim(clock_id=clock_id, what=what)
        if clock is None:
            return  # told already, or another worker is telling it
        ticket = (
            Ticket.objects.select_related("tenant", "assignee").filter(pk=clock.ticket_id).first()
        )
        if ticket is not None:
            recipients = {ticket.assignee.email} if ticket.assignee else set()
            if ticket.team_id:
                recipients |= set(
                    TeamMember.objects.filter(team_id=ticket.team_id, is_lead=True).values_list(
                        "user__email", flat=True
                    )
                )
            recipients.discard("")
            if recipients:
                emails.send_clock_notice(clock, what, ticket, sorted(recipients))
        sla_services.clock_notification_mark(clock=clock, what=what)
