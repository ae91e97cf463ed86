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
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from helpdesk.tenancy import require_tenant_id, tenant_context
from rules import (
    MESSAGE_ACTIONS,
    Action,
    plan,
    prepare_facts,
    ticket_facts,
)
from rules.placeholders import placeholders_fill
from tickets import emails, events, services
from tickets.automations.selectors import (
    FACTS_RELATED,
    CompiledAutomation,
    automation_check,
    automation_facts,
    candidate_tickets,
    compiled_automations,
    known_ids,
    with_reply_times,
)
from tickets.models import (
    Automation,
    AutomationRun,
    Category,
    Team,
    TeamMember,
    Ticket,
    TicketEvent,
)

logger = logging.getLogger(__name__)


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
    events.event_record(
        ticket=ticket,
        kind=kind,
        source=compiled.source,
        automation=compiled.automation.pk,
        **data,
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
        tickets = with_reply_times(Ticket.objects.all(), compiled.conditions)
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
