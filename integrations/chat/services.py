"""Writes of the website chat: a visitor's chat opens a ticket and every line joins its thread.

A chat is an ordinary ticket whose thread holds every line, so agents answer it like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from rules.vocabulary import Channel
from tickets.services import contact_for_email, ticket_open, ticket_reply_add

if TYPE_CHECKING:
    from tickets.models import Contact, Message, Ticket

SUBJECT_LENGTH = 80


def _subject(text: str, fallback: str) -> str:
    return " ".join(text.split())[:SUBJECT_LENGTH] or fallback


@transaction.atomic
def chat_start(*, name: str, email: str, text: str) -> Ticket:
    """Open a chat ticket for a website visitor; their opening line is its first message."""
    requester = contact_for_email(email=email, name=name)
    return ticket_open(
        requester=requester,
        subject=_subject(text, _("Chat with %(name)s") % {"name": name}),
        channel=Channel.CHAT,
        description=text,
    )


@transaction.atomic
def chat_message_add(*, ticket: Ticket, contact: Contact, text: str) -> Message:
    """Add a visitor's chat line to their ticket; after it was closed, to a follow-up ticket."""
    return ticket_reply_add(ticket=ticket, text=text, channel=Channel.CHAT, author_contact=contact)
