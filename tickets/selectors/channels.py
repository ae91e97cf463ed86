"""Reads for the channels tickets arrive through: mail threading, the API's lists, chat threads.

Integrations (email, API, chat, social) reach tickets' tables only through these selectors and
tickets' services, never through its models.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from django.db.models import Prefetch, Q, QuerySet

from tickets.emails import message_id_ticket
from tickets.models import Attachment, Category, Contact, Message, Product, Ticket

# The orderings the API's list offers; the primary key breaks ties, so pages never overlap.
API_ORDERINGS = ("-updated_at", "updated_at", "-created_at", "created_at")


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


# --- conversations (chat, social) ----------------------------------------------------------


def requester_ticket(*, ticket_id: int, contact_id: int, channel: str) -> Ticket | None:
    """A ticket that came in through `channel`, if `contact_id` is still its requester."""
    return (
        Ticket.objects.select_related("tenant", "requester")
        .filter(pk=ticket_id, requester_id=contact_id, channel=channel)
        .first()
    )


def public_messages(*, ticket_id: int, after: int = 0) -> QuerySet[Message]:
    """What a requester may read of their ticket: public messages after `after`, oldest first.

    Internal notes never appear here, whatever else changes in the thread.
    """
    return (
        Message.objects.filter(ticket_id=ticket_id, kind=Message.Kind.PUBLIC, pk__gt=after)
        .select_related("author_user", "author_contact")
        .order_by("created_at", "pk")
    )


def public_messages_start(*, ticket_id: int, limit: int) -> int:
    """The message id after which the last `limit` public messages of a ticket begin."""
    ids = list(
        Message.objects.filter(ticket_id=ticket_id, kind=Message.Kind.PUBLIC)
        .order_by("-pk")
        .values_list("pk", flat=True)[limit : limit + 1]
    )
    return ids[0] if ids else 0


# --- the JSON API -------------------------------------------------------------------------
# A token acts for the whole desk: it reaches every ticket, private teams' included.


def _api_listed() -> QuerySet[Ticket]:
    """The tenant's tickets with everything their API representation shows, in one query."""
    return Ticket.objects.select_related("requester", "team", "assignee", "category", "product")


def api_ticket(*, number: int) -> Ticket | None:
    """One ticket by its number, ready to show in the API, or None."""
    return _api_listed().filter(number=number).first()


def api_ticket_messages(*, ticket: Ticket) -> QuerySet[Message]:
    """A ticket's whole thread, internal notes included, oldest first, with attachments."""
    return (
        ticket.messages.select_related("author_user", "author_contact")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )


def api_tickets(
    *,
    statuses: tuple[str, ...] = (),
    priorities: tuple[str, ...] = (),
    channels: tuple[str, ...] = (),
    requester_email: str = "",
    assignee: int | Literal["none"] | None = None,
    team: int | Literal["none"] | None = None,
    tag: str = "",
    updated_since: datetime | None = None,
    created_since: datetime | None = None,
    q: str = "",
    ordering: str = "-updated_at",
    after: tuple[datetime, int] | None = None,
) -> QuerySet[Ticket]:
    """Tickets matching the API's list filters, in `ordering`, starting after the cursor `after`.

    Keyset pagination: `after` is the (ordering value, pk) of the last ticket already seen,
    so a page costs the same however deep it is and rows never repeat between pages.
    """
    tickets = _api_listed()
    if statuses:
        tickets = tickets.filter(status__in=statuses)
    if priorities:
        tickets = tickets.filter(priority__in=priorities)
    if channels:
        tickets = tickets.filter(channel__in=channels)
    if requester_email:
        contacts = Contact.objects.filter(
            Q(email__iexact=requester_email) | Q(emails__email__iexact=requester_email)
        ).values("pk")
        tickets = tickets.filter(requester__in=contacts)
    if assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee is not None:
        tickets = tickets.filter(assignee_id=assignee)
    if team == "none":
        tickets = tickets.filter(team__isnull=True)
    elif team is not None:
        tickets = tickets.filter(team_id=team)
    if tag:
        tickets = tickets.filter(tags__contains=[tag])
    if updated_since is not None:
        tickets = tickets.filter(updated_at__gte=updated_since)
    if created_since is not None:
        tickets = tickets.filter(created_at__gte=created_since)
    if q:
        tickets = tickets.filter(subject__icontains=q)
    field = ordering.lstrip("-")
    descending = ordering.startswith("-")
    if after is not None:
        value, pk = after
        beyond = "lt" if descending else "gt"
        tickets = tickets.filter(
            Q(**{f"{field}__{beyond}": value}) | Q(**{field: value, f"pk__{beyond}": pk})
        )
    return tickets.order_by(ordering, "-pk" if descending else "pk")


def active_category(*, pk: int) -> Category | None:
    """The desk's category with this id, if it is still in use."""
    return Category.objects.filter(pk=pk, is_active=True).first()


def active_product(*, pk: int) -> Product | None:
    """The desk's product with this id, if it is still in use."""
    return Product.objects.filter(pk=pk, is_active=True).first()
