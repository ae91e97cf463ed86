"""Routing rules at work: each desk's ordered rules, compiled once per process, applied to tickets.

A desk's enabled rules are validated and compiled (`rules`) once per process and kept
until the desk's rule version in Redis changes; `routing_rules_changed` changes it whenever a
rule, team, category or agent membership changes, so the next ticket in every process sees the
new rules. A ticket then costs one Redis GET and no query for its rules.

On creation, `ticket_route_new` applies the plan to the unsaved ticket, so the ticket's single
insert already carries the routed values, and the same statement inserts `routed_events`, one
per fired rule (a separate INSERT cost more than evaluating 200 rules).

On updates, `ticket_reroute` runs the on-update rules once per change; what the rules change
is written directly, never through the services that trigger rules, so rules never re-trigger
themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.translation import gettext as _

from helpdesk import selectors as platform_selectors
from helpdesk.models import User
from helpdesk.process_cache import TenantMemo
from helpdesk.tenancy import STAFF_ROLES
from rules import (
    Action,
    Condition,
    KnownIds,
    RuleError,
    RuleSetPlan,
    category_paths,
    plan_rule_set,
    ticket_facts,
    validate_actions,
    validate_conditions,
)
from rules.conditions import CATEGORY_IDS
from tickets import assignment
from tickets.models import Category, RoutingRule, Team, Ticket, TicketEvent

logger = logging.getLogger(__name__)


def business_hours_inside(*, at: datetime, region: str = "") -> bool | None:
    """Whether `at` falls inside the desk's business hours for `region`; None: not known.

    The SLA calendars decide (the region's calendar, else the desk's default); a desk without
    a calendar gives None, which makes both "inside" and "outside" conditions fail.
    """
    from sla import selectors as sla_selectors

    return sla_selectors.business_hours_inside(at=at, region=region)


# --- the compiled rule set of a desk, cached per process ----------------------------------------


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


# --- facts and plans ---------------------------------------------------------------------------


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


@dataclass
class Outcome:
    """What routing did to one ticket: the plan, the agent picked, the fields written."""

    ticket: Ticket
    plan: RuleSetPlan
    trigger: str
    rules: RuleSet
    assignee_id: int | None = None
    assigned_by: int | None = None  # the rule whose assignment was applied
    fields: list[str] = field(default_factory=list)
    status_before: str = ""


def _apply(ticket: Ticket, plan: RuleSetPlan, rules: RuleSet, trigger: str) -> Outcome:
    """Put the plan's changes on the ticket in memory (the caller saves or inserts it)."""
    outcome = Outcome(
        ticket=ticket, plan=plan, trigger=trigger, rules=rules, status_before=ticket.status
    )
    changes = plan.changes
    for name, (_old, new) in changes.fields.items():
        if name == "team" and (team := rules.team(new)) is not None:
            ticket.team = team  # with its strategy, which assignment reads next: no query
        else:
            attribute = f"{name}_id" if name in ("team", "category") else name
            setattr(ticket, attribute, new)
        outcome.fields.append(name)
    if changes.tags_added or changes.tags_removed:
        ticket.tags = sorted(plan.facts_after["tags"])
        outcome.fields.append("tags")
    wanted = changes.assignment
    if wanted is not None:
        outcome.assigned_by = next(
            fired.rule.pk for fired in reversed(plan.fired) if fired.changes.assignment
        )
        agent_id = None
        if wanted.agent is not None and wanted.agent in rules.known.agent_ids:
            agent_id = wanted.agent
        elif wanted.strategy is not None and ticket.assignee_id is None:
            # A strategy finds an owner for an unowned ticket; it never takes one away.
            team = rules.team(ticket.team_id)
            picked = assignment.assignee_pick(ticket=ticket, team=team, strategy=wanted.strategy)
            agent_id = picked.pk if picked is not None else None
        if agent_id is not None and agent_id != ticket.assignee_id:
            ticket.assignee_id = agent_id
            outcome.assignee_id = agent_id
            outcome.fields.append("assignee")
            if ticket.status == Ticket.Status.NEW:
                ticket.status = Ticket.Status.OPEN
                outcome.fields.append("status")
    return outcome


def ticket_route_new(*, ticket: Ticket, text: str) -> Outcome | None:
    """Run the on-create rules on an unsaved ticket and apply their plan to it in memory.

    None when no rule fired. The ticket's insert then carries the routed values, and
    `routed_events` gives the events to insert with it.
    """
    rules = rule_set()
    if not rules.on_create:
        return None
    plan = plan_rule_set(rules.on_create, facts_of(ticket, rules, text=text), rules.category_paths)
    if not plan.fired:
        return None
    return _apply(ticket, plan, rules, "create")


def routed_events(*, outcome: Outcome | None) -> list[TicketEvent]:
    """One unsaved event per fired rule ("Routed to Billing by rule 'Invoices EU'").

    For a new ticket `ticket_open` inserts them with the ticket in its one statement.
    """
    if outcome is None:
        return []
    ticket, rules = outcome.ticket, outcome.rules
    events = []
    for fired in outcome.plan.fired:
        changes = fired.changes
        if outcome.trigger == "update" and not changes.changes_anything:
            continue  # an on-update rule that finds nothing to do would fill the log
        data: dict[str, Any] = {
            "rule": fired.rule.pk,
            "trigger": outcome.trigger,
            "changes": {name: [old, new] for name, (old, new) in changes.fields.items()},
            "tags_added": list(changes.tags_added),
            "tags_removed": list(changes.tags_removed),
            "stop": changes.stop,
        }
        if changes.assignment is not None:
            data["assign"] = {"strategy": changes.assignment.strategy} | (
                {"agent": changes.assignment.agent} if changes.assignment.agent else {}
            )
            if fired.rule.pk == outcome.assigned_by:
                data["assignee"] = outcome.assignee_id
        data["summary"] = routed_summary(fired.rule.name, data, rules)
        events.append(
            TicketEvent(
                ticket=ticket,
                kind=TicketEvent.Kind.ROUTED,
                source=fired.rule.name[:120],
                data=data,
                tenant_id=ticket.tenant_id,
            )
        )
    if outcome.trigger == "update" and "status" in outcome.fields:
        events.append(
            TicketEvent(
                ticket=ticket,
                kind=TicketEvent.Kind.STATUS,
                source=events[-1].source if events else "",
                data={"old": outcome.status_before, "new": ticket.status},
                tenant_id=ticket.tenant_id,
            )
        )
    return events


def routed_summary(rule_name: str, data: Mapping[str, Any], rules: RuleSet) -> str:
    """What a rule did, in words: 'Routed to Billing by rule “Invoices EU”: priority …'."""
    changes = data.get("changes", {})
    if "team" in changes:
        routed_to = rules.team(changes["team"][1])
        team = routed_to.name if routed_to is not None else _("no team")
        title = _("Routed to %(team)s by rule “%(rule)s”") % {"team": team, "rule": rule_name}
    else:
        title = _("Rule “%(rule)s” applied") % {"rule": rule_name}
    parts = []
    for name, (old, new) in changes.items():
        if name == "team":
            continue
        if name == "category":
            old, new = _category_name(old, rules), _category_name(new, rules)
        parts.append(f"{name}: {_shown(old)} → {_shown(new)}")
    if data.get("tags_added"):
        parts.append(_("tags added: %(tags)s") % {"tags": ", ".join(data["tags_added"])})
    if data.get("tags_removed"):
        parts.append(_("tags removed: %(tags)s") % {"tags": ", ".join(data["tags_removed"])})
    if "assign" in data:
        assignee = data.get("assignee")
        if assignee:
            user = User.objects.filter(pk=assignee).first()
            parts.append(_("assigned to %(agent)s") % {"agent": user or assignee})
        elif "assignee" in data:
            parts.append(_("no agent available to assign"))
    if data.get("stop"):
        parts.append(_("later rules skipped"))
    return f"{title}: {'; '.join(parts)}" if parts else title


def _category_name(pk: int | None, rules: RuleSet) -> str:
    path = rules.category_paths.get(pk) if pk else None
    return " › ".join(name for _pk, name in path) if path else ""  # noqa: RUF001


def _shown(value: Any) -> str:
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def ticket_reroute(*, ticket: Ticket) -> Outcome | None:
    """Run the on-update rules once on a changed ticket, inside the caller's transaction.

    Saves what the rules change and records their events; the services call it after their
    own change, and nothing here calls them back, so rules never trigger rules.
    """
    rules = rule_set()
    if not rules.on_update:
        return None
    text = ticket.description
    plan = plan_rule_set(rules.on_update, facts_of(ticket, rules, text=text), rules.category_paths)
    if not any(fired.changes.changes_anything for fired in plan.fired):
        return None
    outcome = _apply(ticket, plan, rules, "update")
    if outcome.fields:
        ticket.save(update_fields=[*outcome.fields, "updated_at"])
    TicketEvent.objects.bulk_create(routed_events(outcome=outcome))
    return outcome


# --- the desk's rules, as admins change them ------------------------------------------------------


def rules_depend_on_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    """Receiver: a team, category or membership changed, so actions' ids or names may have."""
    routing_rules_changed(tenant_id=instance.tenant_id)


@transaction.atomic
def routing_rule_save(*, rule: RoutingRule) -> RoutingRule:
    """Store a rule an admin wrote (validated: its ids exist in this desk) and put it to work."""
    if rule.is_enabled:  # a broken rule may still be switched off
        rule_compile(rule, known_ids())  # RuleError names every problem with its path
    rule.save()
    routing_rules_changed(tenant_id=rule.tenant_id)
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule) -> None:
    """Remove a rule; the next ticket in every process runs without it."""
    tenant_id = rule.tenant_id
    rule.delete()
    routing_rules_changed(tenant_id=tenant_id)


# --- the "test this rule set" tool ----------------------------------------------------------------


@dataclass(frozen=True)
class RuleTrial:
    """One rule as the tester shows it: whether it fired, why, and what it would change."""

    rule: RoutingRule
    fired: bool
    explanation: list[str]
    changes: list[str]
    problem: str = ""
    skipped: bool = False  # an earlier rule stopped processing


def rule_set_try(*, ticket: Ticket, text: str, inside: bool | None, trigger: str) -> dict:
    """Which rules would fire on `ticket` and what would change, writing nothing.

    `ticket` may be unsaved (a pasted sample) or a stored one; it is not modified.
    """
    rules = rule_set()
    facts = facts_of(ticket, rules, text=text or ticket.description, inside=inside)
    if trigger == "create":
        triggers = (RoutingRule.Trigger.CREATE, RoutingRule.Trigger.BOTH)
    else:
        triggers = (RoutingRule.Trigger.UPDATE, RoutingRule.Trigger.BOTH)
    stored = list(RoutingRule.objects.filter(is_enabled=True, trigger__in=triggers))
    compiled, problems = [], {}
    for rule in stored:
        try:
            compiled.append(rule_compile(rule, rules.known))
        except RuleError as error:
            problems[rule.pk] = "; ".join(f"{path}: {text}" for path, text in error.problems)
    plan = plan_rule_set(compiled, facts, rules.category_paths)
    fired = {item.rule.pk: item for item in plan.fired}
    stopped_after = plan.stopped_by.pk if plan.stopped_by else None
    trials, stopped = [], False
    by_pk = {active.pk: active for active in compiled}
    for rule in stored:
        active = by_pk.get(rule.pk)
        item = fired.get(rule.pk)
        explanation = (
            active.conditions.explain(facts) if active and active.conditions else [_("always")]
        )
        changes = []
        if item is not None:
            data = {
                "changes": {k: [o, n] for k, (o, n) in item.changes.fields.items()},
                "tags_added": list(item.changes.tags_added),
                "tags_removed": list(item.changes.tags_removed),
                "stop": item.changes.stop,
            }
            changes = [routed_summary(rule.name, data, rules)]
            if item.changes.assignment is not None:
                how = item.changes.assignment
                changes.append(
                    _("assign to agent %(id)s") % {"id": how.agent}
                    if how.agent
                    else _("assign by strategy “%(s)s”") % {"s": how.strategy}
                )
        trials.append(
            RuleTrial(
                rule=rule,
                fired=item is not None,
                explanation=explanation if not stopped else [],
                changes=changes,
                problem=problems.get(rule.pk, ""),
                skipped=stopped,
            )
        )
        if rule.pk == stopped_after:
            stopped = True
    return {"facts": facts, "trials": trials, "plan": plan}
