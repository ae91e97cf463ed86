"""Who gets a ticket: team strategies, agents' availability and capacity, waiting queues.

A team's `assignment_strategy` decides how its unassigned tickets find an agent:

- manual: nobody is chosen; agents take tickets from the team queue.
- round_robin: the member who got a ticket of this team longest ago (never: first).
- least_open: the member with the fewest open tickets, then round robin's order.
- skills: members who speak the ticket's language (or list no languages); those with most
  skills among the ticket's tags, category and product first, then fewest open tickets.

Only agents who are online are chosen (away: keeps their tickets, takes no new ones; offline:
takes none), who are still staff of the desk, and who are under their capacity. Capacity counts
the tickets of the desk the agent owns that are new, open, pending or on hold (`OPEN_STATUSES`):
pending and on hold count because the agent still owns them and they come back unannounced.
Capacity bounds automatic assignment only: a person may still give an agent more, and a
reopened ticket keeps its owner.

A ticket nobody can take waits unassigned in its team's queue. It is given out when an agent of
the team comes online (`agent_availability_set`), when an agent's ticket is solved, closed or
reassigned (`lifecycle.capacity_freed`: a task after commit), and by the periodic sweep
(`waiting_teams` + `team_queue_drain`, from helpdesk/celery.py) that catches what those missed.

Why concurrent picks are race-free:

1. The team row is locked first (FOR NO KEY UPDATE, so ticket inserts referencing the team,
   which take FOR KEY SHARE, are not held up). Picks for one team run one after another, and
   each reads the turn the previous one recorded: round robin never skips or doubles, and
   "fewest open" counts the ticket the previous pick gave.
2. Then the chosen agent's profile row is locked (FOR UPDATE, waiting), and only after that are
   their open tickets counted, in a statement of its own: under READ COMMITTED it sees every
   ticket committed by whoever held the lock before (a pick in another team of the agent's), so
   tickets arriving at once never push an agent over capacity. An agent found full after all is
   passed over for the next candidate.
3. Both locks last until the caller commits the ticket, so the next pick counts it.

Lock order, which keeps all this free of deadlocks: the ticket being changed, then teams (by
id), then agent profiles, then the tenant's ticket counter (intake inserts after picking).
Waiting tickets are claimed with SKIP LOCKED, so a drain never waits on a ticket being edited;
the tasks drain one ticket per transaction, so they hold at most one agent at a time. What is
left to PostgreSQL's deadlock detection (one transaction is aborted and retried by its caller
or the sweep): a transaction opening tickets in several teams (it holds the counter after the
first; open one per transaction), and two picks that each found an agent full only after
locking them (a race) and went on to each other's next candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import live
from helpdesk import selectors as platform_selectors
from helpdesk.models import User
from helpdesk.tenancy import STAFF_ROLES
from tickets import events, lifecycle
from tickets.assignment.selectors import AUTOMATIC, Candidate, candidates, ticket_skill_words
from tickets.models import AgentProfile, Team, TeamMember, Ticket, TicketEvent

DRAIN_LIMIT = 100  # waiting tickets given out per team and call; the sweep does the rest


SOURCE = "assignment"


PRIORITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def assignee_pick(*, ticket: Ticket, team: Team | None, strategy: str | None = None) -> User | None:
    """The agent who should own `ticket` now, or None: nobody is available, so it waits in
    the team queue.

    Runs inside the caller's transaction and locks what it reads, so concurrent picks never push
    an agent over capacity and round robin never skips or doubles. `strategy` None means the
    team's own strategy; the ticket may be unsaved (intake picks before inserting it).
    """
    if team is None or (strategy or team.assignment_strategy) == Team.Strategy.MANUAL:
        return None  # no query: the common case on the intake path
    locked = _teams_lock([team.pk])
    if team.pk not in locked:
        return None
    return _pick(ticket=ticket, team_id=team.pk, strategy=strategy or locked[team.pk])


def _teams_lock(team_ids: Iterable[int]) -> dict[int, str]:
    """Lock teams in id order (the lock order every path keeps); their current strategies."""
    rows = (
        Team.objects.select_for_update(no_key=True)
        .filter(pk__in=team_ids)
        .order_by("pk")
        .values_list("pk", "assignment_strategy")
    )
    return dict(list(rows))


def _pick(*, ticket: Ticket, team_id: int, strategy: str) -> User | None:
    """Pick with the team already locked; records the chosen member's turn."""
    if strategy == Team.Strategy.MANUAL:
        return None
    for candidate in RANKINGS[strategy](ticket, candidates(team_id)):
        if _claim(candidate):
            TeamMember.objects.filter(team_id=team_id, user_id=candidate.user.pk).update(
                last_assigned_at=timezone.now()
            )
            return candidate.user
    return None


def _claim(candidate: Candidate) -> bool:
    """Lock the agent and count again: whether they are still online and under capacity."""
    capacity = list(
        AgentProfile.objects.select_for_update()
        .filter(pk=candidate.profile_id, availability=AgentProfile.Availability.ONLINE)
        .values_list("capacity", flat=True)
    )
    if not capacity:
        return False
    # A statement of its own, after the lock: it sees tickets committed while we waited.
    owned = Ticket.objects.filter(
        assignee_id=candidate.user.pk, status__in=Ticket.OPEN_STATUSES
    ).count()
    return owned < capacity[0]


def _round_robin(ticket: Ticket, candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: c.turn)


def _least_open(ticket: Ticket, candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (c.open_count, c.turn))


def _primary(language: str) -> str:
    return language.lower().split("-")[0]


def _skills(ticket: Ticket, candidates: list[Candidate]) -> list[Candidate]:
    words = ticket_skill_words(ticket)
    language = _primary(ticket.language) if ticket.language else ""

    def speaks(candidate: Candidate) -> bool:
        return language in {_primary(code) for code in candidate.languages}

    fit = [c for c in candidates if not language or not c.languages or speaks(c)]
    return sorted(
        fit,
        key=lambda c: (
            -len(words & set(c.skills)),
            not (language and speaks(c)),
            c.open_count,
            c.turn,
        ),
    )


RANKINGS: dict[str, Callable[[Ticket, list[Candidate]], list[Candidate]]] = {
    Team.Strategy.ROUND_ROBIN: _round_robin,
    Team.Strategy.LEAST_OPEN: _least_open,
    Team.Strategy.SKILLS: _skills,
}


def assignment_event(*, ticket: Ticket, strategy: str) -> TicketEvent:
    """The unsaved log entry that `strategy` gave `ticket` to its assignee."""
    return events.event_build(
        ticket=ticket,
        kind=TicketEvent.Kind.ASSIGNED,
        source=SOURCE,
        old=None,
        new=ticket.assignee_id,
        team=ticket.team_id,
        strategy=strategy,
    )


def assignment_record(*, ticket: Ticket, strategy: str) -> None:
    """Log that `strategy` gave `ticket` to its assignee (on a team move, a drain)."""
    events.events_record([assignment_event(ticket=ticket, strategy=strategy)])


def ticket_team_pick(*, ticket: Ticket) -> str | None:
    """Give an unassigned ticket the agent its team's strategy picks, without saving it.

    A new ticket becomes open; a saved one (locked by the caller) records that change.
    Returns the strategy that chose, or None (manual team, or nobody available).
    """
    team = ticket.team
    if ticket.assignee_id is not None or team is None or team.assignment_strategy not in AUTOMATIC:
        return None
    strategy = team.assignment_strategy
    agent = assignee_pick(ticket=ticket, team=team, strategy=strategy)
    if agent is None:
        return None
    ticket.assignee = agent
    if ticket.status == Ticket.Status.NEW:
        if ticket.pk is None:
            ticket.status = Ticket.Status.OPEN
        else:
            lifecycle.status_set(ticket, Ticket.Status.OPEN, actor=None, source=SOURCE)
    return strategy


def _priority_order() -> Case:
    return Case(
        *(When(priority=priority, then=Value(rank)) for priority, rank in PRIORITY_RANK.items()),
        default=Value(len(PRIORITY_RANK)),
    )


def _drain(team_id: int, strategy: str, limit: int) -> int:
    """Give a locked team's waiting tickets out, most urgent and oldest first."""
    waiting = list(
        Ticket.objects.select_for_update(no_key=True, skip_locked=True)
        .filter(team_id=team_id, assignee=None, status__in=Ticket.OPEN_STATUSES)
        .order_by(_priority_order(), "created_at", "pk")[:limit]
    )
    given = 0
    for ticket in waiting:
        agent = _pick(ticket=ticket, team_id=team_id, strategy=strategy)
        if agent is None:
            break  # nobody left with room: the rest keep waiting
        before = events.placement(ticket)
        ticket.assignee = agent
        if ticket.status == Ticket.Status.NEW:
            lifecycle.status_set(ticket, Ticket.Status.OPEN, actor=None, source=SOURCE)
        ticket.save()
        assignment_record(ticket=ticket, strategy=strategy)
        events.ticket_publish(ticket, before=before)
        given += 1
    return given


def team_queue_drain(*, team_id: int, limit: int = DRAIN_LIMIT) -> int:
    """Assign a team's waiting tickets to its available agents; how many were given out."""
    with transaction.atomic():
        strategy = _teams_lock([team_id]).get(team_id)
        if strategy not in AUTOMATIC:
            return 0
        return _drain(team_id, strategy, limit)


@transaction.atomic
def agent_availability_set(*, agent: User, availability: str) -> AgentProfile:
    """Set whether an agent takes tickets; coming online, they get their teams' waiting ones."""
    if availability not in AgentProfile.Availability.values:
        raise ValidationError(_("Unknown availability."))
    if not platform_selectors.tenant_users(roles=STAFF_ROLES).filter(pk=agent.pk).exists():
        raise ValidationError(_("Only agents of this help desk can take tickets."))
    online = availability == AgentProfile.Availability.ONLINE
    # All the agent's teams before the profile: the lock order of every pick (see the module
    # docstring). No pick that could claim this agent runs while this one gives tickets out.
    teams = {}
    if online:
        mine = Team.objects.filter(memberships__user=agent).values_list("pk", flat=True)
        teams = _teams_lock(mine)
    profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=agent)
    if profile.availability != availability:
        profile.availability = availability
        profile.availability_changed_at = timezone.now()
        profile.save(update_fields=["availability", "availability_changed_at"])
    live.publish_on_commit(
        live.tenant_event(
            profile.tenant_id, "agent.status_changed", agent=agent.pk, availability=availability
        )
    )
    for team_id, strategy in teams.items():
        if strategy in AUTOMATIC:
            _drain(team_id, strategy, DRAIN_LIMIT)
    return profile
