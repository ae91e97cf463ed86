"""Reads of time-based automations: compiled and checked, and the tickets whose time came."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from rules import (
    AUTOMATION_ACTIONS,
    ELAPSED_FIELDS,
    MESSAGE_ACTIONS,
    Action,
    Condition,
    Group,
    KnownIds,
    Leaf,
    RuleError,
    ticket_facts,
    validate_actions,
    validate_conditions,
)
from rules.placeholders import placeholders_check
from tickets.models import (
    Automation,
    AutomationRun,
    Category,
    Message,
    Team,
    Ticket,
)

logger = logging.getLogger(__name__)


# The ticket column (or annotation) behind each elapsed-time field.
COLUMN_OF = {
    "hours_since_created": "created_at",
    "hours_since_updated": "updated_at",
    "hours_since_status_changed": "status_changed_at",
    "hours_since_requester_reply": "last_requester_reply_at",
    "hours_since_agent_reply": "last_agent_reply_at",
}


FACTS_RELATED = ("tenant", "requester__organization", "category__parent__parent", "product")


MAX_HOURS = 24 * 366 * 5


@dataclass(frozen=True)
class CompiledAutomation:
    """An automation ready to run: its parsed conditions and actions."""

    automation: Automation
    conditions: Condition
    actions: tuple[Action, ...]

    @property
    def source(self) -> str:
        """How the ticket's event log names this automation."""
        return f"automation '{self.automation.name}'"[:120]


def _top_leaves(condition: Condition) -> list[Leaf]:
    """The leaves every matching ticket meets: the condition itself, or the children of "all"."""
    if isinstance(condition, Leaf):
        return [condition]
    if isinstance(condition, Group) and condition.mode == "all":
        return [child for child in condition.children if isinstance(child, Leaf)]
    return []


def automation_check(
    *, conditions: Any, actions: Any, known: KnownIds | None = None
) -> tuple[Condition, tuple[Action, ...]]:
    """Parse an automation, or raise ValidationError naming each problem under its field."""
    errors: dict[str, list[str]] = {}
    condition, parsed = None, ()
    try:
        condition = validate_conditions(conditions)
    except RuleError as error:
        errors["conditions"] = error.messages
    else:
        timed = [
            leaf
            for leaf in _top_leaves(condition)
            if leaf.field in ELAPSED_FIELDS and leaf.op == "gt"
        ]
        if not timed:
            errors["conditions"] = [
                _(
                    "an automation needs at least one elapsed-time condition at the top level, "
                    'like {"field": "hours_since_status_changed", "op": "gt", "value": 120}; '
                    "fields: %(fields)s"
                )
                % {"fields": ", ".join(ELAPSED_FIELDS)}
            ]
        for leaf in timed:
            if leaf.value > MAX_HOURS or leaf.value < 0:
                errors.setdefault("conditions", []).append(
                    _("%(field)s: give hours between 0 and %(max)s")
                    % {"field": leaf.field, "max": MAX_HOURS}
                )
    try:
        parsed = validate_actions(actions, known, allowed=AUTOMATION_ACTIONS)
    except RuleError as error:
        errors["actions"] = error.messages
    else:
        placeholder_problems = [
            f"actions[{index}].value: {problem}"
            for index, action in enumerate(parsed)
            if action.name in MESSAGE_ACTIONS
            for problem in placeholders_check(action.value)
        ]
        if placeholder_problems:
            errors["actions"] = placeholder_problems
    if errors:
        raise ValidationError(errors)
    return condition, parsed  # type: ignore[return-value]


def known_ids() -> KnownIds:
    """The active tenant's ids that automation actions may name."""
    return KnownIds(
        team_ids=set(Team.objects.values_list("pk", flat=True)),
        category_ids=set(Category.objects.values_list("pk", flat=True)),
        agent_ids=(),
    )


def with_reply_times(tickets: QuerySet[Ticket], condition: Condition) -> QuerySet[Ticket]:
    wanted = {leaf.field for leaf in _all_leaves(condition)}
    if "hours_since_requester_reply" in wanted:
        tickets = tickets.annotate(last_requester_reply_at=_last_message(Message.Author.CONTACT))
    if "hours_since_agent_reply" in wanted:
        tickets = tickets.annotate(last_agent_reply_at=_last_message(Message.Author.AGENT))
    return tickets


def _last_message(author_type: str) -> Subquery:
    # One probe of the thread index (ticket, created_at) per candidate ticket.
    return Subquery(
        Message.objects.filter(
            ticket=OuterRef("pk"), kind=Message.Kind.PUBLIC, author_type=author_type
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def _all_leaves(condition: Condition) -> list[Leaf]:
    if isinstance(condition, Leaf):
        return [condition]
    return [leaf for child in condition.children for leaf in _all_leaves(child)]  # type: ignore[attr-defined]


def candidate_filter(condition: Condition, *, now: datetime) -> Q:
    """SQL that every ticket meeting `condition` at `now` passes (closed tickets never do)."""
    q = ~Q(status=Ticket.Status.CLOSED)
    for leaf in _top_leaves(condition):
        if leaf.field in ELAPSED_FIELDS and leaf.op == "gt":
            q &= Q(**{f"{COLUMN_OF[leaf.field]}__lt": now - timedelta(hours=leaf.value)})
        elif leaf.field in ("status", "priority") and leaf.op in ("is", "in"):
            values = leaf.value if leaf.op == "in" else (leaf.value,)
            q &= Q(**{f"{leaf.field}__in": values})
        elif leaf.field in ("assignee", "team") and leaf.op in ("is_empty", "is_not_empty"):
            q &= Q(**{f"{leaf.field}__isnull": leaf.op == "is_empty"})
    return q


def candidate_tickets(compiled: CompiledAutomation, *, now: datetime) -> QuerySet[Ticket]:
    """The tickets the SQL filters let through that this automation has not fired on yet."""
    fired = AutomationRun.objects.filter(automation=compiled.automation, ticket=OuterRef("pk"))
    tickets = with_reply_times(Ticket.objects.all(), compiled.conditions)
    return (
        tickets.filter(candidate_filter(compiled.conditions, now=now))
        .filter(~Exists(fired))
        .select_related(*FACTS_RELATED)
        .order_by("pk")
    )


def automation_facts(ticket: Ticket, *, now: datetime) -> dict[str, Any]:
    """A ticket's rule facts plus the hours elapsed since each of its moments."""
    facts = ticket_facts(ticket)
    for name, column in COLUMN_OF.items():
        moment = getattr(ticket, column, None)
        facts[name] = None if moment is None else (now - moment).total_seconds() / 3600
    return facts


def compiled_automations() -> list[CompiledAutomation]:
    """The active tenant's enabled automations in order; a broken one is logged and skipped."""
    compiled = []
    for automation in Automation.objects.filter(is_enabled=True).order_by("position", "pk"):
        try:
            conditions, actions = automation_check(
                conditions=automation.conditions, actions=automation.actions
            )
        except ValidationError as error:
            logger.warning("automation %s skipped: %s", automation.pk, error.messages)
            continue
        compiled.append(CompiledAutomation(automation, conditions, actions))
    return compiled
