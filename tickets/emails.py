"""Mail to requesters: acknowledgements and agents' replies, threaded back into the ticket.

This module owns the formats our mail is recognised by when answers come back: the reply
marker above the quoted history, and our Message-IDs, which name their ticket.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from helpdesk.mail import mail_address
from helpdesk.models import User
from tickets.models import Acknowledgement, Message, Ticket

# The line our mails carry above the quoted history: the inbound parser cuts replies there.
REPLY_MARKER = "##- Please type your reply above this line -##"

# Our own Message-IDs name their ticket: <ack-{acknowledgement}.{ticket}@…> (written by
# Acknowledgement.message_id), <reply-{message}.{ticket}@…> and
# <automation-{run}.{ticket}.{recipient}@…> (written below).
_OWN_MESSAGE_ID = re.compile(r"^<?(?:(?:ack|reply)-\d+\.(\d+)|automation-\d+\.(\d+)\.[^@]+)@")


def message_id_ticket(message_id: str) -> int | None:
    """The id of the ticket one of our own Message-IDs names; None for anyone else's."""
    match = _OWN_MESSAGE_ID.match(message_id.strip())
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def _context(ticket: Ticket) -> dict:
    return {
        "ticket": ticket,
        "tenant": ticket.tenant,
        "requester": ticket.requester,
        "portal_url": ticket.portal_url(),
        "marker": REPLY_MARKER,
    }


@contextmanager
def _as_requester_reads(ticket: Ticket) -> Iterator[None]:
    """Render in the ticket's language (else the requester's) and the requester's time zone."""
    requester = ticket.requester
    with (
        translation.override(ticket.best_language),
        timezone.override(zoneinfo.ZoneInfo(requester.best_time_zone)),
    ):
        yield


def _render(name: str, context: dict, ticket: Ticket) -> tuple[str, str, str]:
    """Subject, text and HTML of template `name`, in the requester's language and zone."""
    with _as_requester_reads(ticket):
        subject = render_to_string(f"tickets/email/{name}_subject.txt", context)
        text = render_to_string(f"tickets/email/{name}.txt", context)
        html = render_to_string(f"tickets/email/{name}.html", context)
    subject = " ".join(subject.split())
    return f"[{ticket.reference}] {subject}", text, html


def _thread_headers(ticket: Ticket, message_id: str) -> dict[str, str]:
    """Headers that thread our mail under the requester's own, and mark it as ours."""
    ids = [
        f"<{mid}>"
        for mid in ticket.messages.exclude(message_id="")
        .order_by("created_at")
        .values_list("message_id", flat=True)[:20]
    ]
    headers = {"Message-ID": message_id, "X-Helpdesk-Ticket": ticket.reference}
    if ids:
        headers["In-Reply-To"] = ids[-1]
        headers["References"] = " ".join(ids)
    return headers


def _send(ticket: Ticket, subject: str, text: str, html: str, headers: dict[str, str]) -> None:
    tenant = ticket.tenant
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=mail_address(tenant.name, tenant.reply_address),
        to=[mail_address(ticket.requester.name, ticket.requester.email)],
        reply_to=[tenant.reply_address],
        headers=headers,
    )
    mail.attach_alternative(html, "text/html")
    mail.send()


def acknowledgement_chat_text(ack: Acknowledgement, *, agents_online: bool = True) -> str:
    """The acknowledgement as the chat visitor reads it, in their language and zone.

    A live chat promises an agent shortly, not the first-response target of a mailed ticket;
    with no agent there it says the answer comes by email, and by when.
    """
    ticket = ack.ticket
    context = {**_context(ticket), "ack": ack, "agents_online": agents_online}
    with _as_requester_reads(ticket):
        text = render_to_string("tickets/email/acknowledgement_chat.txt", context)
    return " ".join(text.split())


def send_acknowledgement(ack: Acknowledgement) -> None:
    """Mail the acknowledgement; RFC 3834 marks it automatic so autoresponders stay quiet."""
    ticket = ack.ticket
    subject, text, html = _render("acknowledgement", {**_context(ticket), "ack": ack}, ticket)
    headers = _thread_headers(ticket, ack.message_id)
    headers["Auto-Submitted"] = "auto-replied"
    headers["X-Auto-Response-Suppress"] = "All"
    _send(ticket, subject, text, html, headers)


def reply_message_id(message: Message) -> str:
    domain = f"{message.ticket.tenant.slug}.{settings.BASE_DOMAIN}"
    return f"<reply-{message.pk}.{message.ticket_id}@{domain}>"


def send_reply(message: Message) -> None:
    """Mail an agent's public reply to the requester."""
    ticket = message.ticket
    context = {**_context(ticket), "message": message}
    subject, text, html = _render("reply", context, ticket)
    _send(ticket, subject, text, html, _thread_headers(ticket, reply_message_id(message)))


def send_mention(note: Message, agent: User, by: User | None) -> None:
    """Tell an agent that a colleague mentioned them in an internal note."""
    ticket = note.ticket
    context = {
        "ticket": ticket,
        "tenant": ticket.tenant,
        "note": note,
        "by": by,
        "ticket_url": ticket.tenant.url(ticket.get_absolute_url()),
    }
    tenant = ticket.tenant
    with translation.override(agent.language or tenant.language):
        subject = render_to_string("tickets/email/mention_subject.txt", context)
        text = render_to_string("tickets/email/mention.txt", context)
    subject = " ".join(subject.split())
    mail = EmailMultiAlternatives(
        subject=f"[{ticket.reference}] {subject}",
        body=text,
        from_email=mail_address(tenant.name, tenant.reply_address),
        to=[mail_address(str(agent), agent.email)],
        headers={"Auto-Submitted": "auto-generated", "X-Helpdesk-Ticket": ticket.reference},
    )
    mail.send()


def automation_message_id(run_id: int, ticket: Ticket, to: str) -> str:
    """Stable per automation run and recipient, so a resend is recognisable as the same mail."""
    domain = f"{ticket.tenant.slug}.{settings.BASE_DOMAIN}"
    return f"<automation-{run_id}.{ticket.pk}.{to}@{domain}>"


def send_automation_reminder(ticket: Ticket, text: str, run_id: int) -> None:
    """Mail an automation's message to the requester, in their language; marked automatic."""
    context = {**_context(ticket), "text": text}
    subject, body, html = _render("automation_reminder", context, ticket)
    headers = _thread_headers(ticket, automation_message_id(run_id, ticket, "requester"))
    headers["Auto-Submitted"] = "auto-generated"
    _send(ticket, subject, body, html, headers)


def send_automation_notice(ticket: Ticket, text: str, run_id: int, agent: Any) -> None:
    """Mail an automation's notice about `ticket` to one agent, in the agent's language."""
    tenant = ticket.tenant
    context = {
        **_context(ticket),
        "text": text,
        "agent": agent,
        "ticket_url": tenant.url(ticket.get_absolute_url()),
    }
    with translation.override(agent.language or tenant.language):
        subject = render_to_string("tickets/email/automation_notice_subject.txt", context)
        body = render_to_string("tickets/email/automation_notice.txt", context)
        html = render_to_string("tickets/email/automation_notice.html", context)
    mail = EmailMultiAlternatives(
        subject=f"[{ticket.reference}] {' '.join(subject.split())}",
        body=body,
        from_email=mail_address(tenant.name, tenant.reply_address),
        to=[mail_address(agent.get_full_name(), agent.email)],
        headers={
            "Message-ID": automation_message_id(run_id, ticket, f"agent{agent.pk}"),
            "X-Helpdesk-Ticket": ticket.reference,
            "Auto-Submitted": "auto-generated",
        },
    )
    mail.attach_alternative(html, "text/html")
    mail.send()


def send_clock_notice(clock: Any, what: str, ticket: Ticket, recipients: list[str]) -> None:
    """Tell the people responsible for `ticket` that an SLA target is due soon or was missed."""
    tenant = ticket.tenant
    with translation.override(tenant.language):
        context = {"clock": clock, "ticket": ticket, "what": what,
                   "url": tenant.url(ticket.get_absolute_url())}  # fmt: skip
        subject = " ".join(render_to_string("tickets/email/sla_clock_subject.txt", context).split())
        text = render_to_string("tickets/email/sla_clock.txt", context)
    EmailMultiAlternatives(
        subject=f"[{ticket.reference}] {subject}",
        body=text,
        to=recipients,
        headers={"Auto-Submitted": "auto-generated", "X-Helpdesk-Ticket": ticket.reference},
    ).send()


def send_guest_link(*, tenant: Any, email: str, name: str, link: str) -> None:
    """Mail a visitor the link that confirms their address (in the active language)."""
    context = {"tenant": tenant, "name": name, "link": link}
    subject = " ".join(render_to_string("tickets/email/guest_link_subject.txt", context).split())
    EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("tickets/email/guest_link.txt", context),
        from_email=mail_address(tenant.name, tenant.reply_address),
        to=[email],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()
