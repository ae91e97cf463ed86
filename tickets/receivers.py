"""What tickets do when other apps tell them something happened (their signals, received here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk import live
from helpdesk.tasks import task_enqueue
from sla.models import SlaClock
from tickets import events, routing
from tickets.models import TicketEvent

KINDS = {"warned": TicketEvent.Kind.SLA_WARNED, "breached": TicketEvent.Kind.SLA_BREACHED}


def sla_recorded(
    sender: type, clocks: list[SlaClock], what: str, at: datetime, **kwargs: Any
) -> None:
    """SLA warnings or breaches were recorded: log them on their tickets, tell, mail.

    Runs in the recording transaction: the events (one statement for the batch) commit with
    the record; the pages hear of it and the owners get mail after commit, in one task for
    the batch (a sweep can record hundreds at once).
    """
    events.events_record(
        events.event_build(
            ticket=clock.ticket_id,
            tenant_id=clock.tenant_id,
            kind=KINDS[what],
            source="sla",
            created_at=at,
            clock=clock.pk,
            metric=clock.metric,
            target_minutes=clock.target_minutes,
            at=(clock.warned_at if what == "warned" else clock.breached_at).isoformat(),
            **({"warning": clock.warning} if what == "warned" else {}),
        )
        for clock in clocks
    )
    tenant_id = clocks[0].tenant_id
    # Each ticket's own group hears of its clock; the staff's group hears once per batch.
    live.publish_all_on_commit(
        [
            live.tenant_event(
                tenant_id, f"sla.{what}", tickets=sorted({clock.ticket_id for clock in clocks})
            ),
            *(
                live.Event(
                    tenant_id,
                    f"sla.{what}",
                    (live.ticket_group(tenant_id, clock.ticket_id),),
                    {"ticket": clock.ticket_id, "clock": clock.pk, "metric": clock.metric},
                )
                for clock in clocks
            ),
        ]
    )
    task_enqueue(
        "tickets.send_clock_notifications", tenant_id, [clock.pk for clock in clocks], what
    )


def sla_replanned(
    sender: type,
    moves: list[tuple[SlaClock, datetime | None]],
    reason: str,
    at: datetime,
    **kwargs: Any,
) -> None:
    """Clocks were re-planned after a calendar or policy edit: one history entry per ticket,
    and the staff's pages showing those tickets refresh their due times (after commit)."""
    by_ticket: dict[int, list[tuple[SlaClock, datetime | None]]] = {}
    for clock, old in moves:
        by_ticket.setdefault(clock.ticket_id, []).append((clock, old))
    tenant_id = moves[0][0].tenant_id
    events.events_record(
        events.event_build(
            ticket=ticket_id,
            tenant_id=tenant_id,
            kind=TicketEvent.Kind.SLA_REPLANNED,
            source="sla",
            created_at=at,
            reason=reason,
            clocks=[
                {
                    "clock": clock.pk,
                    "metric": clock.metric,
                    "old": _iso(old),
                    "new": _iso(clock.due_at),
                }
                for clock, old in clocks
            ],
        )
        for ticket_id, clocks in by_ticket.items()
    )
    # One event for the batch (a re-plan moves thousands of clocks): the staff's pages read
    # the ticket ids from it; a ticket page whose ticket is among them refreshes its clocks.
    live.publish_on_commit(live.tenant_event(tenant_id, "sla.replanned", tickets=sorted(by_ticket)))


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def tenant_opened(sender: type, tenant: Any, **kwargs: Any) -> None:
    """A desk was opened: give it its settings, whose fallback team catches unrouted tickets."""
    routing.desk_settings_create()
