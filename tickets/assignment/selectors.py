"""Reads of assignment: who could take a team's ticket now, waiting teams, availability."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from helpdesk.models import Membership, User
from helpdesk.tenancy import STAFF_ROLES, require_tenant_id
from tickets.models import AgentProfile, Team, TeamMember, Ticket

AUTOMATIC = (Team.Strategy.ROUND_ROBIN, Team.Strategy.LEAST_OPEN, Team.Strategy.SKILLS)


@dataclass(frozen=True)
class Candidate:
    """An online agent of the team under capacity, as the candidates query saw them."""

    profile_id: int
    user: User
    open_count: int
    last_assigned_at: datetime | None  # in this team
    skills: tuple[str, ...]
    languages: tuple[str, ...]

    @property
    def turn(self) -> tuple[bool, datetime | None, int]:
        """Round robin's order: never assigned first, then longest ago."""
        return (self.last_assigned_at is not None, self.last_assigned_at, self.user.pk)


@functools.cache
def _candidates_sql() -> tuple[str, list[str]]:
    """The candidates query and the user fields it returns, from the models' metadata."""
    q = connection.ops.quote_name
    user_fields = [field.attname for field in User._meta.concrete_fields]
    user_columns = ", ".join(f"u.{q(f.column)}" for f in User._meta.concrete_fields)
    open_statuses = ", ".join("%s" for _status in Ticket.OPEN_STATUSES)
    staff_roles = ", ".join("%s" for _role in STAFF_ROLES)
    # Names come from model metadata; every value is a parameter.
    sql = (
        "SELECT p.id, p.capacity, p.skills, p.languages, m.last_assigned_at,"  # noqa: S608
        f" (SELECT count(*) FROM {q(Ticket._meta.db_table)} t WHERE t.tenant_id = p.tenant_id"
        f" AND t.assignee_id = p.user_id AND t.status IN ({open_statuses})), {user_columns}"
        f" FROM {q(AgentProfile._meta.db_table)} p"
        f" JOIN {q(TeamMember._meta.db_table)} m ON m.user_id = p.user_id"
        "  AND m.tenant_id = p.tenant_id AND m.team_id = %s"
        f" JOIN {q(Membership._meta.db_table)} s ON s.user_id = p.user_id"
        f"  AND s.tenant_id = p.tenant_id AND s.is_active AND s.role IN ({staff_roles})"
        f" JOIN {q(User._meta.db_table)} u ON u.id = p.user_id AND u.is_active"
        " WHERE p.tenant_id = %s AND p.availability = %s"
    )
    return sql, user_fields


def candidates(team_id: int) -> list[Candidate]:
    """Online staff members of the team under capacity (counts as of this statement).

    Plain SQL: built with the ORM, this query cost several times its database time in
    Python on every pick of the intake path.
    """
    sql, user_fields = _candidates_sql()
    params = [
        *map(str, Ticket.OPEN_STATUSES),
        team_id,
        *map(str, STAFF_ROLES),
        require_tenant_id(),
        str(AgentProfile.Availability.ONLINE),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        Candidate(
            profile_id=profile_id,
            user=User.from_db(connection.alias, user_fields, user_row),
            open_count=open_count,
            last_assigned_at=turn,
            skills=tuple(skills),
            languages=tuple(languages),
        )
        for profile_id, capacity, skills, languages, turn, open_count, *user_row in rows
        if open_count < capacity
    ]


def ticket_skill_words(ticket: Ticket) -> set[str]:
    """What a ticket asks of an agent's skills: its tags, category and product, lower case."""
    words = {tag.lower() for tag in ticket.tags}
    if ticket.category_id:
        words.add(ticket.category.name.lower())
    if ticket.product_id:
        words.add(ticket.product.name.lower())
    return words


def waiting_teams(*, user_id: int | None = None) -> list[int]:
    """Ids of automatically assigning teams with tickets waiting (of one agent's teams)."""
    teams = Team.objects.filter(assignment_strategy__in=AUTOMATIC)
    if user_id is not None:
        teams = teams.filter(memberships__user_id=user_id)
    waiting = Ticket.objects.filter(
        assignee=None, status__in=Ticket.OPEN_STATUSES, team__in=teams.values("pk")
    )
    return list(waiting.order_by("team_id").values_list("team_id", flat=True).distinct())


def agent_availability(*, agent: User) -> str:
    """The agent's availability at the active desk (offline until they set one)."""
    status = AgentProfile.objects.filter(user=agent).values_list("availability", flat=True)
    return status.first() or AgentProfile.Availability.OFFLINE
