"""Reads of the intake channels: the chat widget's settings and a chat's transcript."""

from __future__ import annotations

from django.db.models import QuerySet

from tickets.models import ChatWidget, Message, SocialChannel, Ticket


def chat_widget() -> ChatWidget | None:
    """The desk's chat widget settings; None until an admin has set the chat up."""
    return ChatWidget.objects.first()


def chat_ticket(*, ticket_id: int, contact_id: int) -> Ticket | None:
    """The chat ticket a visitor's token names, if it is still theirs."""
    return (
        Ticket.objects.select_related("tenant")
        .filter(pk=ticket_id, requester_id=contact_id, channel=Ticket.Channel.CHAT)
        .first()
    )


def chat_transcript(*, ticket_id: int, after: int = 0) -> QuerySet[Message]:
    """What a chat visitor may read of their ticket: public messages only, oldest first.

    Internal notes never appear here, whatever else changes in the thread.
    """
    return (
        Message.objects.filter(ticket_id=ticket_id, kind=Message.Kind.PUBLIC, pk__gt=after)
        .select_related("author_user", "author_contact")
        .order_by("created_at", "pk")
    )


def chat_transcript_start(*, ticket_id: int, limit: int) -> int:
    """The message id after which the last `limit` lines of a chat's transcript begin."""
    ids = list(
        Message.objects.filter(ticket_id=ticket_id, kind=Message.Kind.PUBLIC)
        .order_by("-pk")
        .values_list("pk", flat=True)[limit : limit + 1]
    )
    return ids[0] if ids else 0


def social_channel(*, slug: str) -> SocialChannel | None:
    """The desk's enabled social channel at `slug`."""
    return SocialChannel.objects.filter(slug=slug, is_enabled=True).first()
