"""Writes of social channels: each message, once, into its conversation's ticket or a new one.

A social conversation is an ordinary ticket whose thread holds every message, so agents answer
it like any other.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from integrations.social.models import SocialChannel, SocialIdentity, SocialThread
from rules.vocabulary import Channel
from tickets import selectors as ticket_selectors
from tickets.services import contact_create, contact_for_email, ticket_open, ticket_reply_add

if TYPE_CHECKING:
    from tickets.models import Contact, Ticket

SUBJECT_LENGTH = 80


def _subject(text: str, fallback: str) -> str:
    return " ".join(text.split())[:SUBJECT_LENGTH] or fallback


class SocialResult(StrEnum):
    """What filing a social message did."""

    OPENED = "opened"  # a new ticket
    ADDED = "added"  # a message on the thread's ticket
    DUPLICATE = "duplicate"  # nothing: this message was filed before


def social_message_id(*, channel: SocialChannel, key: str) -> str:
    """The thread's Message-ID for a social message: unique per channel, safe in mail headers."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"social.{channel.pk}.{digest}@{settings.BASE_DOMAIN}"


def _social_contact(*, channel: SocialChannel, handle: str, name: str, email: str) -> Contact:
    identity = (
        SocialIdentity.objects.select_related("contact").filter(channel=channel, handle=handle)
    ).first()
    if identity is not None:
        return identity.contact
    if email:
        contact = contact_for_email(email=email, name=name or handle)
    else:
        contact = contact_create(name=(name or handle)[:150])
    SocialIdentity.objects.create(channel=channel, handle=handle, contact=contact)
    return contact


@transaction.atomic
def social_message_receive(
    *,
    channel: SocialChannel,
    handle: str,
    text: str,
    thread_id: str,
    key: str,
    name: str = "",
    email: str = "",
) -> tuple[Ticket, SocialResult]:
    """File one message of a social conversation, once: into its thread's ticket, or a new one.

    `key` identifies the message at the sender (its message id); a message filed before is
    recognised by it and changes nothing.
    """
    # One message per channel at a time: identities and threads are created on first sight,
    # and two deliveries of a new conversation must not open two tickets.
    channel = SocialChannel.objects.select_for_update().get(pk=channel.pk)
    message_id = social_message_id(channel=channel, key=key)
    filed = ticket_selectors.message_ticket(message_id=message_id)
    if filed is not None:
        return filed, SocialResult.DUPLICATE
    contact = _social_contact(channel=channel, handle=handle, name=name, email=email)
    thread = (
        SocialThread.objects.select_related("ticket")
        .filter(channel=channel, thread_id=thread_id)
        .first()
    )
    if thread is None:
        ticket = ticket_open(
            requester=contact,
            subject=_subject(text, channel.name),
            channel=Channel.SOCIAL,
            description=text,
            message_id=message_id,
        )
        SocialThread.objects.create(channel=channel, thread_id=thread_id, ticket=ticket)
        return ticket, SocialResult.OPENED
    message = ticket_reply_add(
        ticket=thread.ticket,
        text=text,
        channel=Channel.SOCIAL,
        author_contact=contact,
        message_id=message_id,
    )
    if message.ticket_id != thread.ticket_id:
        # The conversation's ticket was closed: a follow-up took the message, and the
        # conversation goes on there.
        thread.ticket = message.ticket
        thread.save(update_fields=["ticket"])
        return message.ticket, SocialResult.OPENED
    return thread.ticket, SocialResult.ADDED
