"""Time-based automations: "pending for 5 days → remind the requester", checked by a sweep.

An automation is written in the rule language (`rules`) plus elapsed-time fields
(``hours_since_status_changed`` …) and automation actions (notify, add a note, set status).
Every enabled automation needs an elapsed-time condition ``gt`` at its top level: the sweep
turns those, and the plain status / priority / owner tests beside them, into indexed SQL
filters, so it reads only tickets old enough to qualify, never every open ticket. The full
condition is then checked in Python, and again under the ticket's lock before firing.

An automation fires at most once per ticket: the (automation, ticket) row is claimed with
INSERT … ON CONFLICT DO NOTHING, and tickets are locked with SKIP LOCKED, so two sweeps running
at once never fire twice. Actions go through the ticket services and are logged with the
source "automation '<name>'".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from helpdesk.tenancy import require_tenant_id, tenant_context
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
    plan,
    prepare_facts,
    ticket_facts,
    validate_actions,
    validate_conditions,
)
from tickets import emails, services
from tickets.macros import placeholders_check, placeholders_fill
from tickets.models import (
    Automation,
    AutomationRun,
    Category,
    Message,
    Team,
    TeamMember,
    Ticket,
    TicketEvent,
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


# --- selecting tickets -------------------------------------------------------------------


def _with_reply_times(tickets: QuerySet[Ticket], condition: Condition) -> QuerySet[Ticket]:
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
    tickets = _with_reply_times(Ticket.objects.all(), compiled.conditions)
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


# --- firing ------------------------------------------------------------------------------


def _claim(compiled: CompiledAutomation, ticket: Ticket, now: datetime) -> int | None:
    """The new run's id, or None if this automation already fired on this ticket."""
    table = connection.ops.quote_name(AutomationRun._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, automation_id, ticket_id, fired_at, error)"  # noqa: S608
            " VALUES (%s, %s, %s, %s, '')"
            " ON CONFLICT (automation_id, ticket_id) DO NOTHING RETURNING id",
            [require_tenant_id(), compiled.automation.pk, ticket.pk, now],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _event(ticket: Ticket, kind: str, compiled: CompiledAutomation, **data: Any) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        source=compiled.source,
        data={"automation": compiled.automation.pk, **data},
    )


def _notify(ticket: Ticket, action: Action, compiled: CompiledAutomation, run_id: int) -> None:
    if action.name == "add_note":
        text = placeholders_fill(action.value, ticket=ticket, agent=None)
        services.ticket_note_add(ticket=ticket, author=None, text=text, source=compiled.source)
        return
    if action.name == "notify_requester":
        if not ticket.requester.email:
            return
        text = placeholders_fill(action.value, ticket=ticket, agent=None)
        emails.send_automation_reminder(ticket, text, run_id)
        _event(ticket, TicketEvent.Kind.NOTIFIED, compiled, to=ticket.requester.email)
        return
    if action.name == "notify_assignee":
        agents = [ticket.assignee] if ticket.assignee_id else []
    else:  # notify_team_lead
        agents = [
            member.user
            for member in TeamMember.objects.filter(team_id=ticket.team_id, is_lead=True)
            .select_related("user")
            .order_by("pk")
        ]
    sent = []
    for agent in agents:
        if agent.is_active and agent.email:
            text = placeholders_fill(action.value, ticket=ticket, agent=agent)
            emails.send_automation_notice(ticket, text, run_id, agent)
            sent.append(agent.email)
    _event(ticket, TicketEvent.Kind.NOTIFIED, compiled, to=sent, notice=action.name)


def _apply(compiled: CompiledAutomation, ticket: Ticket, run_id: int) -> None:
    """Make the automation's changes through the ticket services, then send its messages."""
    changes = plan(compiled.actions, ticket_facts(ticket))
    fields: dict[str, Any] = {}
    for name, (_old, new) in changes.fields.items():
        if name == "team":
            fields["team"] = Team.objects.get(pk=new)
        elif name == "category":
            fields["category"] = Category.objects.get(pk=new)
        elif name != "status":
            fields[name] = new
    if changes.tags_added or changes.tags_removed:
        fields["tags"] = [tag for tag in ticket.tags if tag not in changes.tags_removed] + list(
            changes.tags_added
        )
    if fields:
        ticket = services.ticket_update(ticket=ticket, by=None, source=compiled.source, **fields)
    # Messages before the status change, so "remind, then close" reads in that order.
    for action in compiled.actions:
        if action.name in MESSAGE_ACTIONS:
            _notify(ticket, action, compiled, run_id)
    if "status" in changes.fields:
        services.ticket_status_change(
            ticket=ticket, status=changes.fields["status"][1], by=None, source=compiled.source
        )


def automation_fire(*, compiled: CompiledAutomation, ticket_id: int, now: datetime) -> bool:
    """Fire one automation on one ticket if it still qualifies and never fired there before."""
    with transaction.atomic():
        tickets = _with_reply_times(Ticket.objects.all(), compiled.conditions)
        # SKIP LOCKED: a ticket an agent is writing to, or another sweep holds, waits for the
        # next sweep instead of blocking this one.
        ticket = (
            tickets.select_for_update(no_key=True, skip_locked=True, of=("self",))
            .select_related(*FACTS_RELATED)
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None or ticket.status == Ticket.Status.CLOSED:
            return False
        if not compiled.conditions.matches(automation_facts(ticket, now=now)):
            return False
        run_id = _claim(compiled, ticket, now)
        if run_id is None:
            return False
        try:
            with transaction.atomic():
                _apply(compiled, ticket, run_id)
        except ValidationError as error:
            # Claimed all the same: an action the ticket refuses (a closed ticket cannot be
            # reopened) would be refused again on every sweep.
            AutomationRun.objects.filter(pk=run_id).update(error=" ".join(error.messages))
            logger.info("automation %s on ticket %s: %s", compiled.source, ticket.pk, error)
        return True


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


def automations_run_due(*, tenant_id: int, now: datetime, limit: int | None = None) -> int:
    """Fire one desk's enabled automations on the tickets whose time has come; how many fired.

    Each firing is its own transaction, so a ticket is locked only while its automation acts
    on it, never for the whole sweep; at most `limit` tickets (AUTOMATION_BATCH) are fired per
    sweep and desk, the rest wait for the next sweep, so one busy desk cannot hold up the others.
    """
    limit = settings.AUTOMATION_BATCH if limit is None else limit
    with tenant_context(tenant_id):
        due = []
        for compiled in compiled_automations():
            due += [
                (compiled, ticket.pk)
                for ticket in candidate_tickets(compiled, now=now).iterator(chunk_size=500)
                if compiled.conditions.matches(prepare_facts(automation_facts(ticket, now=now)))
            ]
            if len(due) >= limit:
                break
    fired = 0
    for compiled, ticket_id in due[:limit]:
        try:
            with tenant_context(tenant_id):
                fired += automation_fire(compiled=compiled, ticket_id=ticket_id, now=now)
        except Exception:  # one ticket's trouble (mail server down) must not stop the rest
            logger.exception("automation %s on ticket %s failed", compiled.source, ticket_id)
    return fired


@transaction.atomic
def automation_save(*, automation: Automation) -> Automation:
    """Store an automation after checking its conditions and actions against this desk."""
    automation_check(
        conditions=automation.conditions, actions=automation.actions, known=known_ids()
    )
    automation.full_clean(exclude=["tenant"])
    automation.save()
    return automation
