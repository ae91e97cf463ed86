"""Reads for the channels tickets arrive through: which ticket a mail continues or bounced from.

Integrations (email, API, chat, social) reach tickets' tables only through these selectors and
tickets' services, never through its models.
"""

from __future__ import annotations

from collections.abc import Sequence

from tickets.emails import message_id_ticket
from tickets.models import Message, Ticket


def message_ticket(*, message_id: str) -> Ticket | None:
    """The ticket holding the message filed under this Message-ID, or None."""
    message = Message.objects.filter(message_id=message_id).select_related("ticket").first()
    return message.ticket if message else None


def ticket_for_mail(*, number: int | None, thread_ids: Sequence[str]) -> Ticket | None:
    """The ticket a mail continues: by the ticket number it quotes, else by the mails it answers.

    `number` is the number in the subject's reference token; `thread_ids` are the Message-IDs
    the mail answers, nearest first. Our own Message-IDs name their ticket; any other one
    finds the ticket whose thread holds it. Whether the sender may write to the ticket is
    the caller's decision.
    """
    if number is not None:
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is not None:
            return ticket
    if not thread_ids:
        return None
    ours = [ticket_id for mid in thread_ids if (ticket_id := message_id_ticket(mid)) is not None]
    if ours:
        ticket = Ticket.objects.filter(pk__in=ours).first()
        if ticket is not None:
            return ticket
    message = (
        Message.objects.filter(message_id__in=thread_ids)
        .select_related("ticket")
        .order_by("-pk")
        .first()
    )
    return message.ticket if message else None


def ticket_for_bounce(*, message_id: str) -> Ticket | None:
    """The ticket a bounced mail of ours was about, from the bounced mail's Message-ID."""
    ticket_id = message_id_ticket(message_id)
    if ticket_id is not None:
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is not None:
            return ticket
    return message_ticket(message_id=message_id)


def opening_message(*, ticket: Ticket) -> Message | None:
    """The message a ticket was opened with."""
    return ticket.messages.order_by("pk").first()
