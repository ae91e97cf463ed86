"""Reads of the intake channels: the chat widget's settings, a chat's ticket, social channels.

A chat's thread is read through `tickets.selectors` (`public_messages`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules.vocabulary import Channel
from tickets import selectors as ticket_selectors
from tickets.models import ChatWidget, SocialChannel

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


def social_channel(*, slug: str) -> SocialChannel | None:
    """The desk's enabled social channel at `slug`."""
    return SocialChannel.objects.filter(slug=slug, is_enabled=True).first()
