"""How tickets and messages look in the API's JSON. Times are ISO 8601 in UTC ("...Z")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.urls import reverse

from helpdesk.models import Tenant, User

if TYPE_CHECKING:
    from tickets.models import Message, Ticket


@dataclass(frozen=True)
class Desk:
    """What every ticket of one response shares: its number prefix and the portal's origin."""

    prefix: str
    origin: str

    @classmethod
    def of(cls, tenant: Tenant) -> Desk:
        # Once per response: Tenant.url() reads the primary domain each time it is called.
        return cls(prefix=tenant.ticket_prefix, origin=tenant.url("").rstrip("/"))


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _user(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.full_name or user.email, "email": user.email}


def ticket_json(ticket: Ticket, *, desk: Desk) -> dict[str, Any]:
    """A ticket as the API shows it; needs requester, team, assignee, category, product loaded."""
    requester = ticket.requester
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "reference": f"{desk.prefix}-{ticket.number}",
        "subject": ticket.subject,
        "description": ticket.description,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "requester": {"id": requester.pk, "name": requester.name, "email": requester.email},
        "team": {"id": ticket.team.pk, "name": ticket.team.name} if ticket.team else None,
        "assignee": _user(ticket.assignee),
        "category": (
            {"id": ticket.category.pk, "name": ticket.category.name} if ticket.category else None
        ),
        "product": (
            {"id": ticket.product.pk, "name": ticket.product.name} if ticket.product else None
        ),
        "tags": list(ticket.tags),
        "language": ticket.language,
        "created_at": timestamp(ticket.created_at),
        "updated_at": timestamp(ticket.updated_at),
        "first_responded_at": timestamp(ticket.first_responded_at),
        "solved_at": timestamp(ticket.solved_at),
        "url": desk.origin + reverse("tickets:portal_ticket", args=[ticket.number]),
    }


def _author(message: Message) -> dict[str, Any]:
    if message.author_type == message.Author.CONTACT and message.author_contact is not None:
        contact = message.author_contact
        return {"type": "contact", "id": contact.pk, "name": contact.name, "email": contact.email}
    if message.author_user is not None:
        return {"type": message.author_type, **_user(message.author_user)}  # type: ignore[dict-item]
    return {"type": message.author_type, "id": None, "name": message.author_name, "email": None}


def message_json(message: Message) -> dict[str, Any]:
    """One thread entry; `kind` says whether the requester sees it (public) or not (note)."""
    return {
        "id": message.pk,
        "kind": message.kind,
        "public": message.is_public,
        "author": _author(message),
        "channel": message.channel,
        "created_at": timestamp(message.created_at),
        "body_text": message.body_text,
        "body_html": message.body_html,
        "attachments": [
            {
                "id": attachment.pk,
                "filename": attachment.filename,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "inline": attachment.is_inline,
            }
            for attachment in message.attachments.all()
        ],
    }
