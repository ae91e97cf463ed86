"""Reads of tickets shared by views, tasks and reports."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from helpdesk.models import User
from tickets.models import Contact, Message, Team, Ticket, TicketEvent


def _listed(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.select_related("tenant", "requester__organization", "team", "assignee")


def workspace_tickets(*, agent: User, limit: int = 50) -> QuerySet[Ticket]:
    """Open tickets an agent should look at: theirs, and unassigned ones of their teams."""
    teams = Team.objects.filter(memberships__user=agent).values("pk")
    tickets = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).filter(
        Q(assignee=agent) | Q(assignee__isnull=True, team__in=teams)
    )
    return _listed(tickets).order_by("-created_at")[:limit]


def requester_tickets(*, user: User) -> QuerySet[Ticket]:
    """The tickets a customer filed under any of their contact records in this tenant."""
    contacts = Contact.objects.filter(user=user).values("pk")
    return _listed(Ticket.objects.filter(requester__in=contacts)).order_by("-created_at")


def ticket_counts() -> dict[str, list[tuple[str, int]]]:
    """Open tickets of the tenant by status, priority and team, for the manager's dashboard."""
    open_tickets = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
    labels = {"status": Ticket.Status, "priority": Ticket.Priority}
    counts = {}
    for dimension, field in (
        ("status", "status"),
        ("priority", "priority"),
        ("team", "team__name"),
    ):
        rows = open_tickets.values_list(field).annotate(n=Count("pk")).order_by(field)
        choices = labels.get(dimension)
        counts[dimension] = [
            (str(choices(value).label) if choices else value or "", n) for value, n in rows
        ]
    return counts


def ticket_thread(*, ticket: Ticket, public_only: bool) -> QuerySet[Message]:
    """A ticket's messages, oldest first, with their authors and attachments."""
    messages = ticket.messages.select_related("author_user", "author_contact").prefetch_related(
        "attachments"
    )
    if public_only:
        messages = messages.filter(kind=Message.Kind.PUBLIC)
    return messages.order_by("created_at", "pk")


def ticket_events(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    """A ticket's event log, newest first."""
    return ticket.events.select_related("actor", "actor_contact").order_by("-created_at", "-pk")


def requester_other_tickets(*, ticket: Ticket, limit: int = 5) -> QuerySet[Ticket]:
    """The requester's other recent tickets, for the agent's side panel."""
    return (
        Ticket.objects.filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .select_related("tenant")
        .order_by("-created_at")[:limit]
    )


def contact_for_user(*, user: User) -> Contact | None:
    """The requester record of a portal user in this tenant."""
    return Contact.objects.filter(user=user).order_by("pk").first()
