"""The desk's routing rules as they run: compiled once per process, with the facts they read."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from helpdesk import selectors as platform_selectors
from helpdesk.process_cache import TenantMemo
from helpdesk.tenancy import STAFF_ROLES
from rules import (
    Action,
    Condition,
    KnownIds,
    RuleError,
    category_paths,
    ticket_facts,
    validate_actions,
    validate_conditions,
)
from rules.conditions import CATEGORY_IDS
from tickets.models import Category, DeskSettings, RoutingRule, Team, Ticket

logger = logging.getLogger(__name__)


def business_hours_inside(*, at: datetime, region: str = "") -> bool | None:
    """Whether `at` falls inside the desk's business hours for `region`; None: not known.

    The SLA calendars decide (the region's calendar, else the desk's default); a desk without
    a calendar gives None, which makes both "inside" and "outside" conditions fail.
    """
    from sla import selectors as sla_selectors

    return sla_selectors.business_hours_inside(at=at, region=region)


@dataclass(frozen=True, slots=True)
class ActiveRule:
    """An enabled rule, validated and compiled: what `plan_rule_set` runs."""

    pk: int
    name: str
    conditions: Condition | None
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class RuleSet:
    """A desk's enabled rules by trigger, with the teams and paths their events show."""

    on_create: tuple[ActiveRule, ...] = ()
    on_update: tuple[ActiveRule, ...] = ()
    category_paths: Mapping[int, Sequence[tuple[int, str]]] = field(default_factory=dict)
    known: KnownIds = field(default_factory=lambda: KnownIds((), (), ()))
    teams: Mapping[int, tuple[Any, ...]] = field(default_factory=dict)  # each team's row
    fallback_team_id: int | None = None  # where what no rule sends to a team lands

    def team(self, pk: int | None) -> Team | None:
        """A fresh instance of the desk's team `pk` as of this rule set (no query)."""
        values = self.teams.get(pk) if pk is not None else None
        return Team.from_db(DEFAULT_DB_ALIAS, TEAM_FIELDS, values) if values else None


TEAM_FIELDS = [team_field.attname for team_field in Team._meta.concrete_fields]


def _rule_set_load() -> RuleSet:
    known = known_ids()
    on_create, on_update = [], []
    for rule in RoutingRule.objects.filter(is_enabled=True).order_by("position", "pk"):
        try:
            active = rule_compile(rule, known)
        except RuleError:
            # Saved rules were valid; a team or agent removed since then breaks one. The
            # others still run, and the admin sees the problem when opening the rule.
            logger.warning("routing rule %s (%s) is invalid and skipped", rule.pk, rule.name)
            continue
        if rule.trigger in (RoutingRule.Trigger.CREATE, RoutingRule.Trigger.BOTH):
            on_create.append(active)
        if rule.trigger in (RoutingRule.Trigger.UPDATE, RoutingRule.Trigger.BOTH):
            on_update.append(active)
    return RuleSet(
        on_create=tuple(on_create),
        on_update=tuple(on_update),
        category_paths=category_paths(Category.objects.only("pk", "name", "parent_id")),
        known=known,
        teams={values[0]: values for values in Team.objects.values_list(*TEAM_FIELDS)},
        fallback_team_id=DeskSettings.objects.values_list("fallback_team_id", flat=True).first(),
    )


# Each process keeps a desk's compiled rules while the desk's rule version in Redis holds.
_RULE_SETS: TenantMemo[RuleSet] = TenantMemo("routing-rules", _rule_set_load)


def routing_rules_changed(*, tenant_id: int) -> None:
    """Make every process read the desk's rules again before its next ticket."""
    _RULE_SETS.changed(tenant_id)


def rule_set() -> RuleSet:
    """The active desk's compiled rules: from this process's copy while the version holds."""
    return _RULE_SETS.get()


def known_ids() -> KnownIds:
    """The active desk's team, category and agent ids that actions may name."""
    return KnownIds(
        team_ids=set(Team.objects.values_list("pk", flat=True)),
        category_ids=set(Category.objects.values_list("pk", flat=True)),
        agent_ids=set(
            platform_selectors.tenant_users(roles=STAFF_ROLES).values_list("pk", flat=True)
        ),
    )


def rule_compile(rule: RoutingRule, known: KnownIds | None) -> ActiveRule:
    """A stored rule ready to run, or `RuleError` naming every problem of both its parts.

    Paths start with "conditions" or "actions", so a form puts each under its field.
    """
    problems: list[tuple[str, str]] = []
    conditions = actions = None
    try:
        conditions = validate_conditions(rule.conditions) if rule.conditions else None
    except RuleError as error:
        problems += [(_prefixed("conditions", path), text) for path, text in error.problems]
    try:
        actions = validate_actions(rule.actions, known=known)
    except RuleError as error:
        problems += error.problems
    if problems:
        raise RuleError(problems)
    return ActiveRule(rule.pk, rule.name, conditions, actions or ())


def _prefixed(prefix: str, path: str) -> str:
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


class _WithoutCategory:
    """A ticket as `ticket_facts` reads it, minus the category tree walk (queries per level)."""

    category = None

    def __init__(self, ticket: Ticket) -> None:
        self._ticket = ticket

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ticket, name)


def facts_of(
    ticket: Ticket, rules: RuleSet, *, text: str = "", inside: bool | None = None
) -> dict[str, Any]:
    """A ticket's facts, its category path from the rule set's cache rather than queries.

    `inside`: the business-hours verdict to use; by default asked for the ticket's arrival.
    """
    facts = ticket_facts(_WithoutCategory(ticket), first_message_text=text)
    path = rules.category_paths.get(ticket.category_id) or []
    facts[CATEGORY_IDS] = [pk for pk, _name in path]
    facts["category_path"] = [name for _pk, name in path]
    if inside is None:
        inside = business_hours_inside(at=ticket.created_at, region=facts["region"])
    facts["business_hours"] = None if inside is None else ("inside" if inside else "outside")
    return facts
