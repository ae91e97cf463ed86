"""Reads of the website chat: the desk's widget settings and the ticket a visitor's chat is.

A chat's thread is read through `tickets.selectors` (`public_messages`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from integrations.chat.models import ChatWidget
from rules.vocabulary import Channel
from tickets import selectors as ticket_selectors

if TYPE_CHECKING:
    from tickets.models import Ticket


def chat_widget() -> ChatWidget | None:
    """The desk's chat widget settings; None until an admin has set the chat up."""
    return ChatWidget.objects.first()


def chat_ticket(*, ticket_id: int, contact_id: int) -> Ticket | None:
    """The chat ticket a visitor's token names, if it is still theirs."""
    return ticket_selectors.requester_ticket(
        ticket_id=ticket_id, contact_id=contact_id, channel=Channel.CHAT
    )
