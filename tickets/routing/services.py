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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk.models import User
from rules import (
    Changes,
    RuleError,
    RuleSetPlan,
    plan_rule_set,
)
from tickets import assignment, events, lifecycle
from tickets.models import DeskSettings, RoutingRule, Team, Ticket, TicketEvent
from tickets.routing.selectors import (
    RuleSet,
    facts_of,
    known_ids,
    routing_rules_changed,
    rule_compile,
    rule_set,
)


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
    fallback: bool = False  # no rule chose a team: the desk's fallback team was given


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
        assigning = next(fired.rule for fired in reversed(plan.fired) if fired.changes.assignment)
        outcome.assigned_by = assigning.pk
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
                if trigger == "update":  # a saved ticket: its event, its SLA clocks
                    lifecycle.status_set(
                        ticket, Ticket.Status.OPEN, actor=None, source=assigning.name
                    )
                else:
                    ticket.status = Ticket.Status.OPEN
                outcome.fields.append("status")
    return outcome


def ticket_route_new(*, ticket: Ticket, text: str) -> Outcome | None:
    """Run the on-create rules on an unsaved ticket and apply their plan to it in memory.

    A ticket that no rule (nor its caller) gives a team gets the desk's fallback team. None
    when nothing changed. The ticket's insert then carries the routed values, and
    `routed_events` gives the events to insert with it.
    """
    rules = rule_set()
    outcome = None
    if rules.on_create:
        facts = facts_of(ticket, rules, text=text)
        plan = plan_rule_set(rules.on_create, facts, rules.category_paths)
        if plan.fired:
            outcome = _apply(ticket, plan, rules, "create")
    if ticket.team_id is None and (fallback := rules.team(rules.fallback_team_id)) is not None:
        ticket.team = fallback  # with its strategy, which assignment reads next: no query
        if outcome is None:
            empty = RuleSetPlan(fired=(), changes=Changes(), facts_after={})
            outcome = Outcome(ticket=ticket, plan=empty, trigger="create", rules=rules)
        outcome.fallback = True
        outcome.fields.append("team")
    return outcome


def fallback_summary(team_name: str) -> str:
    """Why a ticket is in the fallback team, in words: 'No rule matched: fallback team …'."""
    return _("No rule matched: fallback team %(team)s") % {"team": team_name}


def routed_events(*, outcome: Outcome | None) -> list[TicketEvent]:
    """One unsaved event per fired rule ("Routed to Billing by rule 'Invoices EU'").

    For a new ticket `ticket_open` inserts them with the ticket in its one statement.
    """
    if outcome is None:
        return []
    ticket, rules = outcome.ticket, outcome.rules
    logged = []
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
        logged.append(
            events.event_build(
                ticket=ticket, kind=TicketEvent.Kind.ROUTED, source=fired.rule.name, **data
            )
        )
    if outcome.fallback:
        team = ticket.team
        logged.append(
            events.event_build(
                ticket=ticket,
                kind=TicketEvent.Kind.ROUTED,
                source=str(_("fallback team")),
                trigger=outcome.trigger,
                changes={"team": [None, team.pk]},
                fallback=True,
                summary=fallback_summary(team.name),
            )
        )
    return logged


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
    events.events_record(routed_events(outcome=outcome))
    if set(outcome.fields) - {"assignee", "status"}:
        lifecycle.fields_changed(ticket, text=text)
    return outcome


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


@transaction.atomic
def desk_settings_save(*, fallback_team: Team) -> DeskSettings:
    """Make `fallback_team` the team that catches the desk's tickets no rule routes."""
    if not Team.objects.filter(pk=fallback_team.pk).exists():
        raise ValidationError({"fallback_team": _("Choose a team of this help desk.")})
    desk_settings, _created = DeskSettings.objects.update_or_create(
        defaults={"fallback_team": fallback_team}
    )
    routing_rules_changed(tenant_id=desk_settings.tenant_id)
    return desk_settings


@transaction.atomic
def desk_settings_create() -> DeskSettings:
    """A new desk's settings: its fallback team is "Support", made for it if need be."""
    existing = DeskSettings.objects.select_related("fallback_team").first()
    if existing is not None:
        return existing
    team, _created = Team.objects.get_or_create(
        name=str(_("Support")), defaults={"description": str(_("Tickets no rule routes."))}
    )
    return desk_settings_save(fallback_team=team)


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
    fallback = ""
    team_after = plan.changes.fields.get("team", (None, ticket.team_id))[1]
    if trigger == "create" and team_after is None:
        team = rules.team(rules.fallback_team_id)
        fallback = fallback_summary(team.name) if team is not None else ""
    return {"facts": facts, "trials": trials, "plan": plan, "fallback": fallback}
