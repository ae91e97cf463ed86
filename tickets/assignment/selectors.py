"""Reads of assignment: who could take a team's ticket now, waiting teams, availability."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from helpdesk import selectors as platform_selectors
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


class Waiting(StrEnum):
    """Why a ticket nobody owns is still waiting for an agent."""

    NO_TEAM = "no_team"
    MANUAL = "manual"
    NO_AGENTS = "no_agents"
    NOBODY_ONLINE = "nobody_online"
    AT_CAPACITY = "at_capacity"
    NO_LANGUAGE = "no_language"
    NEXT_IN_LINE = "next_in_line"  # someone has room: the next drain or sweep gives it out


@dataclass(frozen=True)
class WaitingReason:
    """Why one ticket waits, in words an agent reads on the ticket and in the queue."""

    code: Waiting
    team: str = ""
    language: str = ""

    @property
    def message(self) -> str:
        """The reason in the active language."""
        team = self.team
        if self.code == Waiting.NO_TEAM:
            return _("Waiting: no team has this ticket yet.")
        if self.code == Waiting.MANUAL:
            return _("Waiting: auto-assignment is off for %(team)s; take it from the queue.") % {
                "team": team
            }
        if self.code == Waiting.NO_AGENTS:
            return _("Waiting: %(team)s has no agents.") % {"team": team}
        if self.code == Waiting.NOBODY_ONLINE:
            return _("Waiting: nobody of %(team)s is online.") % {"team": team}
        if self.code == Waiting.AT_CAPACITY:
            return _("Waiting: every agent of %(team)s is at capacity.") % {"team": team}
        if self.code == Waiting.NO_LANGUAGE:
            return _("Waiting: no available agent of %(team)s speaks %(language)s.") % {
                "team": team,
                "language": _language_name(self.language),
            }
        return _("Waiting: next in line for an agent of %(team)s.") % {"team": team}


def _language_name(code: str) -> str:
    """A language code as a person reads it ("fr" → "French"), the code itself if unknown."""
    for candidate in (code, code.lower().split("-")[0]):
        try:
            return str(get_language_info(candidate)["name_translated"])
        except KeyError:
            continue
    return code


@dataclass(frozen=True)
class _Member:
    online: bool
    has_room: bool
    languages: tuple[str, ...]


def _team_members(team_ids: Iterable[int]) -> dict[int, list[_Member]]:
    """The staff members of the teams as assignment sees them now; one query."""
    profile = AgentProfile.objects.filter(user_id=OuterRef("user_id"))
    owned = (
        Ticket.objects.filter(assignee_id=OuterRef("user_id"), status__in=Ticket.OPEN_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    rows = (
        TeamMember.objects.filter(
            team_id__in=team_ids,
            user_id__in=platform_selectors.tenant_users(roles=STAFF_ROLES).values("pk"),
        )
        .annotate(
            availability=Subquery(profile.values("availability")[:1]),
            capacity=Subquery(profile.values("capacity")[:1]),
            languages=Subquery(profile.values("languages")[:1]),
            owned=Subquery(owned[:1]),
        )
        .values_list("team_id", "availability", "capacity", "languages", "owned")
    )
    members: dict[int, list[_Member]] = {}
    for team_id, availability, capacity, languages, owned_count in rows:
        online = availability == AgentProfile.Availability.ONLINE
        members.setdefault(team_id, []).append(
            _Member(
                online=online,
                has_room=online and (owned_count or 0) < (capacity or 0),
                languages=tuple(languages or ()),
            )
        )
    return members


def _speaks(member: _Member, language: str) -> bool:
    primary = language.lower().split("-")[0]
    return not member.languages or primary in {c.lower().split("-")[0] for c in member.languages}


def _reason(ticket: Ticket, members: list[_Member]) -> WaitingReason:
    team = ticket.team
    if team is None:
        return WaitingReason(Waiting.NO_TEAM)
    if team.assignment_strategy not in AUTOMATIC:
        return WaitingReason(Waiting.MANUAL, team.name)
    if not members:
        return WaitingReason(Waiting.NO_AGENTS, team.name)
    if not any(member.online for member in members):
        return WaitingReason(Waiting.NOBODY_ONLINE, team.name)
    with_room = [member for member in members if member.has_room]
    if not with_room:
        return WaitingReason(Waiting.AT_CAPACITY, team.name)
    language = ticket.language
    skills = team.assignment_strategy == Team.Strategy.SKILLS
    if skills and language and not any(_speaks(member, language) for member in with_room):
        return WaitingReason(Waiting.NO_LANGUAGE, team.name, language)
    return WaitingReason(Waiting.NEXT_IN_LINE, team.name)


def waiting_reasons(*, tickets: Iterable[Ticket]) -> dict[int, WaitingReason]:
    """Why each of `tickets` that nobody owns still waits, by ticket id (owned ones: absent).

    Read from the teams' set-up and their agents' availability and load as they are now, so
    the reason is current whenever it is shown and needs no writing when agents come and go;
    it is gone as soon as the ticket has an owner (spam and merged tickets are closed). At
    most one query for a page of tickets (with their `team` selected).
    """
    waiting = [
        ticket
        for ticket in tickets
        if ticket.assignee_id is None and ticket.status in Ticket.OPEN_STATUSES
    ]
    automatic = {
        ticket.team_id
        for ticket in waiting
        if ticket.team_id is not None and ticket.team.assignment_strategy in AUTOMATIC
    }
    members = _team_members(automatic) if automatic else {}
    return {ticket.pk: _reason(ticket, members.get(ticket.team_id, [])) for ticket in waiting}


def waiting_reason(*, ticket: Ticket) -> WaitingReason | None:
    """Why `ticket` waits for an agent, or None: it has an owner (or is done)."""
    return waiting_reasons(tickets=[ticket]).get(ticket.pk)
