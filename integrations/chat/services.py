"""Writes of the website chat: a visitor's chat opens a ticket and every line joins its thread.

A chat is an ordinary ticket whose thread holds every line, so agents answer it like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk import live
from rules.vocabulary import Channel
from tickets.services import contact_for_email, ticket_open, ticket_reply_add

if TYPE_CHECKING:
    from tickets.models import Contact, Message, Ticket

SUBJECT_LENGTH = 80


def _subject(text: str, fallback: str) -> str:
    return " ".join(text.split())[:SUBJECT_LENGTH] or fallback


@transaction.atomic
def chat_start(*, name: str, email: str, text: str, language: str = "") -> Ticket:
    """Open a chat ticket for a website visitor; their opening line is its first message.

    `language` is the visitor's (their browser's): a new contact and the ticket keep it, so
    what the desk writes to them is in it. The agents of the ticket's team hear that a chat
    started (`chat.started`), every agent of the desk when it has no team.
    """
    requester = contact_for_email(email=email, name=name, language=language)
    ticket = ticket_open(
        requester=requester,
        subject=_subject(text, _("Chat with %(name)s") % {"name": name}),
        channel=Channel.CHAT,
        description=text,
        language=language,
    )
    if not ticket.is_spam:
        chat_started_publish(ticket=ticket)
    return ticket


def chat_started_publish(*, ticket: Ticket) -> None:
    """After commit, tell the pages of the agents who could take a new chat that it started."""
    tenant_id = ticket.tenant_id
    group = (
        live.team_group(tenant_id, ticket.team_id)
        if ticket.team_id
        else live.tenant_group(tenant_id)
    )
    live.publish_on_commit(
        live.Event(
            tenant_id=tenant_id,
            type="chat.started",
            groups=(group,),
            ids={
                "ticket": ticket.pk,
                "number": ticket.number,
                "reference": ticket.reference,
                "team": ticket.team_id,
                "name": ticket.requester.name,
            },
        )
    )


@transaction.atomic
def chat_message_add(*, ticket: Ticket, contact: Contact, text: str) -> Message:
    """Add a visitor's chat line to their ticket; after it was closed, to a follow-up ticket."""
    return ticket_reply_add(ticket=ticket, text=text, channel=Channel.CHAT, author_contact=contact)
