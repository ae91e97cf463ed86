"""Every write to tickets and requesters goes through these functions."""

from __future__ import annotations

from django.db import connection, transaction

from helpdesk import live
from helpdesk.models import User
from helpdesk.tenancy import require_tenant_id
from tickets.models import Contact, Organization, Team, TeamMember, Ticket, TicketCounter


def _next_ticket_number() -> int:
    # One statement that creates or bumps the tenant's counter row; the row stays locked
    # until the creating transaction commits, so concurrent tickets never share a number.
    table = TicketCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, last_number) VALUES (%s, 1) "  # noqa: S608
            f"ON CONFLICT (tenant_id) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [require_tenant_id()],
        )
        return cursor.fetchone()[0]


@transaction.atomic
def ticket_open(
    *,
    requester: Contact,
    subject: str,
    channel: Ticket.Channel | str,
    description: str = "",
    priority: Ticket.Priority | str = Ticket.Priority.MEDIUM,
    team: Team | None = None,
    assignee: User | None = None,
) -> Ticket:
    """Log a new ticket for `requester` under the tenant's next number."""
    ticket = Ticket.objects.create(
        number=_next_ticket_number(),
        requester=requester,
        subject=subject,
        description=description,
        channel=channel,
        priority=priority,
        team=team,
        assignee=assignee,
        status=Ticket.Status.OPEN if assignee else Ticket.Status.NEW,
    )
    live.publish_on_commit(live.tenant_event(ticket.tenant_id, "ticket.created", ticket=ticket.pk))
    return ticket


@transaction.atomic
def contact_for_email(
    *,
    email: str,
    name: str = "",
    organization: Organization | None = None,
    user: User | None = None,
) -> Contact:
    """The requester with this email address, created on first contact.

    A known contact keeps its details; it only gains a portal login it did not have yet.
    """
    contact = Contact.objects.filter(email__iexact=email.strip()).first()
    if contact is None:
        contact = Contact.objects.create(
            email=email.strip(),
            name=name or email.split("@")[0],
            organization=organization,
            user=user,
        )
    elif user is not None and contact.user_id is None:
        contact.user = user
        contact.save(update_fields=["user"])
    return contact


@transaction.atomic
def team_member_add(*, team: Team, user: User, is_lead: bool = False) -> TeamMember:
    """Put an agent in a team (or change whether they lead it)."""
    member, _created = TeamMember.objects.update_or_create(
        team=team, user=user, defaults={"is_lead": is_lead}
    )
    return member
