"""Reads of the integrations app: API tokens, acting agents, and tickets as the API lists them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import Prefetch, Q, QuerySet

from helpdesk import selectors as platform_selectors
from helpdesk.models import User
from helpdesk.tenancy import STAFF_ROLES
from integrations.models import ApiToken
from integrations.services import token_hash
from tickets.models import Attachment, Contact, Message, Ticket

# The orderings the list offers; the primary key breaks ties, so pages never overlap.
ORDERINGS = ("-updated_at", "updated_at", "-created_at", "created_at")


def api_token_for_secret(*, secret: str) -> ApiToken | None:
    """The active tenant's token with this plaintext, whatever its state, or None."""
    # The scoped manager looks only at the host's tenant: another desk's token is not found.
    return (
        ApiToken.objects.select_related("created_by").filter(secret_hash=token_hash(secret)).first()
    )


def api_agent(*, email: str) -> User | None:
    """The active agent, manager or admin of this desk with this email address, or None."""
    return platform_selectors.tenant_users(roles=STAFF_ROLES).filter(email__iexact=email).first()


def api_tickets_listed() -> QuerySet[Ticket]:
    """The tenant's tickets with everything their API representation shows, in one query."""
    return Ticket.objects.select_related("requester", "team", "assignee", "category", "product")


def api_ticket(*, number: int) -> Ticket | None:
    """One ticket by its number, ready to show, or None."""
    return api_tickets_listed().filter(number=number).first()


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
    tickets = api_tickets_listed()
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
