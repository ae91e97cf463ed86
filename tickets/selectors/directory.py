"""The desk's teams, categories, product lines and agents as pages offer them, kept per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q

from helpdesk import selectors as platform_selectors
from helpdesk.models import Membership, User
from helpdesk.process_cache import PEOPLE, TenantMemo
from helpdesk.tenancy import STAFF_ROLES, Role, current_tenant_id, require_tenant_id
from tickets.models import (
    Category,
    Product,
    Team,
)


@dataclass(frozen=True)
class TeamEntry:
    """A team as navigation and pickers show it, with the ids of its members."""

    pk: int
    name: str
    is_private: bool
    member_ids: frozenset[int]


def _hidden(teams: tuple[TeamEntry, ...], agent: User) -> list[int]:
    return [team.pk for team in teams if team.is_private and agent.pk not in team.member_ids]


@dataclass(frozen=True)
class DeskDirectory:
    """The desk's teams, categories, product lines and agents, as the workspace offers them.

    Each choice list holds (id, label) pairs in the order and with the labels that pickers
    of these rows show: categories by name with their path ("Billing > Refunds"), agents
    (active staff) by name.
    """

    teams: tuple[TeamEntry, ...]
    categories: tuple[tuple[int, str], ...]
    products: tuple[tuple[int, str], ...]
    agents: tuple[tuple[int, str], ...]

    @property
    def team_choices(self) -> list[tuple[int, str]]:
        return [(team.pk, team.name) for team in self.teams]

    def hidden_team_ids(self, *, agent: User, sees_all: bool) -> list[int]:
        """Private teams whose tickets the agent may not see (none for managers and admins)."""
        return [] if sees_all else _hidden(self.teams, agent)

    def team(self, pk: int, *, hidden: list[int]) -> Team | None:
        """The desk's team `pk` unless hidden, as an unsaved instance with its id and name."""
        for team in self.teams:
            if team.pk == pk and pk not in hidden:
                return Team(
                    pk=team.pk, tenant_id=require_tenant_id(), name=team.name,
                    is_private=team.is_private,
                )  # fmt: skip
        return None

    def teams_except(self, hidden: list[int]) -> list[TeamEntry]:
        """The teams but `hidden` ones, in name order (the workspace's team links)."""
        return [team for team in self.teams if team.pk not in hidden]


def _desk_teams_load() -> tuple[TeamEntry, ...]:
    teams = (
        Team.objects.only("pk", "name", "is_private")
        .annotate(member_ids=ArrayAgg("memberships__user_id", filter=Q(memberships__isnull=False)))
        .order_by("name")  # an aggregate drops the model's ordering
    )
    return tuple(
        TeamEntry(team.pk, str(team), team.is_private, frozenset(team.member_ids or ()))
        for team in teams
    )


def _desk_directory_load() -> DeskDirectory:
    categories = list(Category.objects.only("pk", "name", "parent_id"))
    by_pk = {category.pk: category for category in categories}
    for category in categories:  # the tree in memory: each label's path costs no query
        if category.parent_id in by_pk:
            category.parent = by_pk[category.parent_id]
    categories.sort(key=Category.tree_key)
    agents = platform_selectors.tenant_users(roles=STAFF_ROLES).only("pk", "full_name", "email")
    return DeskDirectory(
        teams=_desk_teams_load(),
        categories=tuple((category.pk, str(category)) for category in categories),
        products=tuple((product.pk, str(product)) for product in Product.objects.all()),
        agents=tuple((user.pk, str(user)) for user in agents),
    )


# Both copies follow one version, so any change to the directory's rows reloads both; pages
# that only need to know the private teams (every ticket page) load the teams alone.
DESK_DIRECTORY = "desk-directory"


_DESK_TEAMS = TenantMemo(DESK_DIRECTORY, _desk_teams_load)


_DESK_DIRECTORY = TenantMemo(DESK_DIRECTORY, _desk_directory_load, shared=[PEOPLE])


def desk_directory() -> DeskDirectory:
    """The active desk's teams, categories, product lines and agents.

    One Redis GET: each process keeps the directory until `desk_directory_changed`.
    """
    return _DESK_DIRECTORY.get()


def desk_directory_changed(*, tenant_id: int) -> None:
    """A team, team member, category, product line or membership of the desk changed."""
    _DESK_DIRECTORY.changed(tenant_id)


def desk_directory_rows_changed(
    sender: type, instance: Any, created: bool = False, action: str = "", **kwargs: Any
) -> None:
    """Receiver: a row the desk directory holds was saved, deleted, or added to a team."""
    if action and not action.startswith("post_"):  # m2m_changed also fires before the change
        return
    if isinstance(instance, Membership) and created and instance.role == Role.CUSTOMER:
        return  # a new requester is nobody's agent: busy desks gain them all day
    # A team's members added from the user's side: the user is global, the desk is active.
    tenant_id = getattr(instance, "tenant_id", None) or current_tenant_id()
    if tenant_id is not None:
        desk_directory_changed(tenant_id=tenant_id)


def hidden_team_ids(*, agent: User, sees_all: bool) -> list[int]:
    """Private teams whose tickets the agent may not see (none for managers and admins).

    Read from the desk's teams as this process keeps them (see `desk_directory`).
    """
    return [] if sees_all else _hidden(_DESK_TEAMS.get(), agent)


def private_team_ids() -> frozenset[int]:
    """The desk's private teams, read as this process keeps the desk's teams (no query)."""
    return frozenset(team.pk for team in _DESK_TEAMS.get() if team.is_private)
