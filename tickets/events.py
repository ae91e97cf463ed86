"""What happened to a ticket: its event log (written here and nowhere else) and its live news.

Every row of `TicketEvent` is built and written by this module, so the log has one schema that
reports, escalations and the audit trail can read. `event_build` makes an unsaved event (the
intake statement inserts it with its ticket), `event_record` saves one, `events_record` saves
many in one statement, `event_data_update` adds to one's data (a mention mailed).

Every event has the ticket, its kind, when (`created_at`), who (`actor`: an agent;
`actor_contact`: a requester; neither: the system) and where from (`source`: a channel, "web",
"bulk", "api", "sla", "assignment", a rule's or automation's name). Its `data` holds per kind:

- created: {} (source: the channel; actor: the agent who logged it for the requester)
- replied: {} (actor: the agent who replied, or actor_contact: the requester)
- noted: {}
- status: old, new (statuses)
- reopened: {} (the requester wrote to a solved ticket)
- assigned: old, new (agent ids or null), team (team id), old_team (when moved by hand),
  strategy (when a team's strategy picked the agent)
- fields: changes ({field: [old, new]}, values as shown)
- acknowledged: to (the address; empty for chat)
- notified: to (an address or a list of them); by an automation also automation (its id)
  and notice (the action)
- not_notified: to (the address; empty for chat), reason (the last error), attempts (tries
  made); source: how it was to go (email, chat). The acknowledgement was given up on.
- follow_up: follow_up (the number of the ticket that took a message for this closed one)
- merged: into (the reference merged into) and was (the merged ticket before: status,
  status_changed_at, solved_at, closed_at, clocks as `sla.services.clocks_snapshot` gives
  them), or merged (the reference merged here), messages (how many moved), moved (their ids),
  note (the id of the note saying so) and tags_added (the tags the merge brought); what
  `ticket_merge_undo` puts back
- unmerged: out_of (the reference it was merged into), or restored (the reference that
  left) and messages (how many moved back)
- spam: blocked (whether the requester was blocked)
- mentioned: agent, agent_name, message (the note's id), mailed (whether the agent was mailed)
- sla_warned, sla_breached: clock (id), metric, target_minutes, at (the warning or due
  instant, ISO 8601); a warning also warning (its label: "50%" of the target, "30m" before due)
- sla_replanned: reason (the calendar or policy change, in words), clocks (a list of {clock,
  metric, old, new}: due instants before and after, ISO 8601, null while paused)
- routed: rule (id), trigger (create or update), changes ({field: [old, new]}), tags_added,
  tags_removed, stop, summary (in words); assign ({strategy, agent}) and assignee when the
  rule assigned

Live news: `ticket_publish` tells, after commit, every page that may show a ticket that it
changed. The message carries ids and where the ticket now sits in the queues (team, assignee,
status, and when it was created, in microseconds since the epoch) and, when that changed, where
it sat before (from_team, from_assignee, from_status), so a page can tell whether it shows the
ticket at all; it never carries the ticket's text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from helpdesk import live
from helpdesk.models import User
from tickets import selectors
from tickets.models import Contact, Ticket, TicketEvent

Kind = TicketEvent.Kind

# The keys each kind's `data` may hold (see the table above).
DATA_KEYS: dict[str, frozenset[str]] = {
    Kind.CREATED: frozenset(),
    Kind.REPLIED: frozenset(),
    Kind.NOTED: frozenset(),
    Kind.STATUS: frozenset({"old", "new"}),
    Kind.REOPENED: frozenset(),
    Kind.ASSIGNED: frozenset({"old", "new", "team", "old_team", "strategy"}),
    Kind.FIELDS: frozenset({"changes"}),
    Kind.ACKNOWLEDGED: frozenset({"to"}),
    Kind.NOTIFIED: frozenset({"to", "automation", "notice"}),
    Kind.NOT_NOTIFIED: frozenset({"to", "reason", "attempts"}),
    Kind.FOLLOW_UP: frozenset({"follow_up"}),
    Kind.MERGED: frozenset({"into", "was", "merged", "messages", "moved", "note", "tags_added"}),
    Kind.UNMERGED: frozenset({"out_of", "restored", "messages"}),
    Kind.SPAM: frozenset({"blocked"}),
    Kind.MENTIONED: frozenset({"agent", "agent_name", "message", "mailed"}),
    Kind.SLA_WARNED: frozenset({"clock", "metric", "target_minutes", "at", "warning"}),
    Kind.SLA_BREACHED: frozenset({"clock", "metric", "target_minutes", "at"}),
    Kind.SLA_REPLANNED: frozenset({"reason", "clocks"}),
    Kind.ROUTED: frozenset(
        {"rule", "trigger", "changes", "tags_added", "tags_removed", "stop", "summary"}
        | {"assign", "assignee", "fallback"}
    ),
}


def _checked(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - DATA_KEYS[kind]
    if unknown:  # a programming error: the schema above is what readers rely on
        raise ValueError(f"{kind} events carry no {', '.join(sorted(unknown))}")
    return data


def event_build(
    *,
    ticket: Ticket | int,
    kind: str,
    actor: User | None = None,
    contact: Contact | None = None,
    source: str = "",
    created_at: datetime | None = None,
    tenant_id: int | None = None,
    **data: Any,
) -> TicketEvent:
    """An unsaved event of `ticket` (a ticket, or a ticket's id with its `tenant_id`)."""
    event = TicketEvent(
        kind=kind,
        actor=actor,
        actor_contact=contact,
        source=str(source)[:120],
        data=_checked(kind, data),
    )
    if isinstance(ticket, Ticket):
        event.ticket, event.tenant_id = ticket, ticket.tenant_id
    else:
        event.ticket_id, event.tenant_id = ticket, tenant_id
    if created_at is not None:
        event.created_at = created_at
    return event


def event_record(
    *,
    ticket: Ticket,
    kind: str,
    actor: User | None = None,
    contact: Contact | None = None,
    source: str = "",
    **data: Any,
) -> TicketEvent:
    """Write one event to `ticket`'s log."""
    event = event_build(
        ticket=ticket, kind=kind, actor=actor, contact=contact, source=source, **data
    )
    event.save()
    return event


def events_record(events: Iterable[TicketEvent]) -> list[TicketEvent]:
    """Write events built with `event_build` in one statement."""
    events = list(events)
    return TicketEvent.objects.bulk_create(events) if events else []


def event_data_update(*, event: TicketEvent, **data: Any) -> None:
    """Add to an event's data (e.g. that a mentioned agent was mailed); the caller holds it."""
    event.data = _checked(event.kind, {**event.data, **data})
    event.save(update_fields=["data"])


# --- live news ---------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Placement:
    """Where a ticket sits in the queues: its team, its owner and its status."""

    team_id: int | None
    assignee_id: int | None
    status: str


def placement(ticket: Ticket) -> Placement:
    """`ticket`'s place in the queues now (take it before a change to announce the move)."""
    return Placement(ticket.team_id, ticket.assignee_id, ticket.status)


def ticket_news(ticket: Ticket, type: str, *, before: Placement | None = None) -> live.Event:
    """The live message that `ticket` changed, for every group whose pages may show it."""
    now = placement(ticket)
    ids: dict[str, Any] = {
        "ticket": ticket.pk,
        "team": now.team_id,
        "assignee": now.assignee_id,
        "status": now.status,
        # Its place in queues sorted by age: a page showing the first of many pages can tell
        # that a ticket moved into its queue sorts past its rows, and ask for nothing.
        "created": (ticket.created_at - _EPOCH) // timedelta(microseconds=1),
    }
    if before is not None:
        for name, old, new in (
            ("team", before.team_id, now.team_id),
            ("assignee", before.assignee_id, now.assignee_id),
            ("status", before.status, now.status),
        ):
            if old != new:
                ids[f"from_{name}"] = old
    groups = ticket_news_groups(ticket.tenant_id, ticket.pk, now, before or now)
    return live.Event(tenant_id=ticket.tenant_id, type=type, groups=groups, ids=ids)


def ticket_news_groups(
    tenant_id: int, ticket_id: int, now: Placement, before: Placement
) -> tuple[str, ...]:
    """The groups of the pages that show, or showed, a ticket placed `before` and `now`.

    The ticket's own page; the queues of its team and of the team it left; its owner's and
    its former owner's pages; the desk group (every agent) while it has or had no team;
    else, while it is or was in a public team, pages listing every team. A private team's
    ticket reaches only its team's members, managers (who join every team's group) and its
    owners.
    """
    groups = [live.ticket_group(tenant_id, ticket_id)]
    teams = [team for team in dict.fromkeys((now.team_id, before.team_id)) if team is not None]
    groups += [live.team_group(tenant_id, team) for team in teams]
    owners = dict.fromkeys((now.assignee_id, before.assignee_id))
    groups += [live.user_group(tenant_id, user) for user in owners if user is not None]
    if None in (now.team_id, before.team_id):
        groups.append(live.tenant_group(tenant_id))
    elif set(teams) - selectors.private_team_ids():
        groups.append(live.all_teams_group(tenant_id))
    return tuple(groups)


def ticket_publish(
    ticket: Ticket, type: str = "ticket.changed", *, before: Placement | None = None
) -> None:
    """After commit, tell the pages that may show `ticket` that it changed (ids only).

    `before`: where it sat before this transaction's change, when that may have moved it.
    """
    live.publish_on_commit(ticket_news(ticket, type, before=before))


def mention_publish(*, ticket: Ticket, agent_id: int, by: User) -> None:
    """After commit, tell an agent's open pages that a colleague mentioned them on `ticket`."""
    live.publish_on_commit(
        live.Event(
            tenant_id=ticket.tenant_id,
            type="ticket.mentioned",
            groups=(live.user_group(ticket.tenant_id, agent_id),),
            # The reference as the desk writes it (ACME-9), for the notice to show.
            ids={
                "ticket": ticket.pk,
                "number": ticket.number,
                "reference": ticket.reference,
                "by": by.pk,
            },
        )
    )


def sla_alert_publish(*, ticket: Ticket, clock: Any, what: str, people: Iterable[User]) -> None:
    """After commit, show the people told of `ticket`'s SLA warning or breach a notice on
    their open pages (`what`: warned or breached)."""
    groups = tuple(live.user_group(ticket.tenant_id, person.pk) for person in people)
    if groups:
        live.publish_on_commit(
            live.Event(
                tenant_id=ticket.tenant_id,
                type="sla.alerted",
                groups=groups,
                ids={
                    "ticket": ticket.pk,
                    "number": ticket.number,
                    "reference": ticket.reference,
                    "what": what,
                    "metric": clock.metric,
                },
            )
        )
