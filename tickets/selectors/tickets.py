"""Reads of tickets and their threads: who may see which, requesters' own, side panels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from helpdesk.models import User
from tickets.models import (
    Contact,
    Message,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.selectors.directory import hidden_team_ids


def tickets_listed(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`tickets` with what a list of them shows: desk, requester and organisation, team, owner."""
    return tickets.select_related("tenant", "requester__organization", "team", "assignee")


def requester_tickets(*, user: User) -> QuerySet[Ticket]:
    """The tickets a customer filed under any of their contact records in this tenant."""
    contacts = Contact.objects.filter(user=user).values("pk")
    return tickets_listed(Ticket.objects.filter(requester__in=contacts)).order_by("-created_at")


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


def ticket_statuses(ids: Iterable[int]) -> dict[int, str]:
    """The status of each of the active tenant's tickets `ids` (what the SLA engine asks)."""
    return dict(Ticket.objects.filter(pk__in=list(ids)).values_list("pk", "status"))


def ticket_events(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    """A ticket's event log, newest first."""
    return ticket.events.select_related("actor", "actor_contact").order_by("-created_at", "-pk")


MERGE_UNDO_WINDOW = timedelta(minutes=10)  # how long a merge can be taken back


def merge_event(*, source: Ticket) -> TicketEvent | None:
    """The event of `source`'s latest merge into another ticket, if it recorded what it moved
    (merges before that cannot be undone)."""
    event = (
        source.events.filter(kind=TicketEvent.Kind.MERGED, data__has_key="into")
        .order_by("-created_at", "-pk")
        .first()
    )
    return event if event is not None and "was" in event.data else None


@dataclass(frozen=True)
class MergeToUndo:
    """A merge an agent can still take back: the ticket merged, into which, and until when."""

    source: Ticket
    target: Ticket
    until: datetime


def merges_to_undo(*, ticket: Ticket, events: Iterable[TicketEvent]) -> list[MergeToUndo]:
    """The merges of `ticket` into another, or of others into it, that can still be undone.

    `events`: its newest events, as its page lists them; without a merge among them (the
    usual case) this costs no query.
    """
    now = timezone.now()
    if not any(
        event.kind == TicketEvent.Kind.MERGED and now < event.created_at + MERGE_UNDO_WINDOW
        for event in events
    ):
        return []
    sources = list(
        Ticket.objects.filter(merged_into=ticket, updated_at__gt=now - MERGE_UNDO_WINDOW)
        .select_related("tenant")
        .order_by("pk")
    )
    if ticket.merged_into_id is not None:
        sources.append(ticket)
    found = []
    for source in sources:
        event = merge_event(source=source)
        if event is not None and now < event.created_at + MERGE_UNDO_WINDOW:
            target = ticket if source.merged_into_id == ticket.pk else source.merged_into
            found.append(MergeToUndo(source, target, event.created_at + MERGE_UNDO_WINDOW))
    return found


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


def visible_to(*, agent: User, hidden: list[int]) -> Q:
    """The tickets an agent may see, given the private teams hidden from them (`hidden_team_ids`).

    An agent sees a hidden team's ticket only as its assignee. A desk without private teams
    costs no condition.
    """
    if not hidden:
        return Q()
    return ~Q(team_id__in=hidden) | Q(team__isnull=True) | Q(assignee=agent)


def agent_tickets(*, agent: User, sees_all: bool) -> QuerySet[Ticket]:
    """The desk's tickets an agent may open (the one way views reach a ticket by number)."""
    hidden = hidden_team_ids(agent=agent, sees_all=sees_all)
    return Ticket.objects.filter(visible_to(agent=agent, hidden=hidden))


def my_team_ids(*, agent: User) -> list[int]:
    """The teams an agent belongs to in this tenant."""
    return list(Team.objects.filter(memberships__user=agent).values_list("pk", flat=True))


def teammates(*, agent: User) -> list[tuple[User, str]]:
    """The agents sharing a team with `agent`, each with their availability (offline if unset)."""
    from tickets.models import AgentProfile, TeamMember

    teams = TeamMember.objects.filter(user=agent).values("team_id")
    users = (
        User.objects.filter(team_memberships__team__in=teams, is_active=True)
        .distinct()
        .order_by("full_name", "email")
    )
    status = dict(
        AgentProfile.objects.filter(user__in=users).values_list("user_id", "availability")
    )
    return [(user, status.get(user.pk, AgentProfile.Availability.OFFLINE)) for user in users]
