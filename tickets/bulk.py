"""Bulk changes from the workspace: one change applied to many tickets, each on its own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from helpdesk.models import User
from tickets import macros, services
from tickets.models import Ticket

ACTIONS = ("assign", "status", "priority", "team", "macro", "merge")


@dataclass
class BulkResult:
    """How many tickets changed, and why each of the others did not."""

    done: int = 0
    problems: list[str] = field(default_factory=list)


def tickets_bulk_apply(
    *,
    tickets: Iterable[Ticket],
    action: str,
    by: User,
    values: dict[str, Any],
    target: Ticket | None = None,
) -> BulkResult:
    """Apply `action` with `values` to each ticket through its service, one after the other.

    Each ticket is its own transaction: one the change does not suit (a closed ticket cannot
    be assigned) is reported, and the others change all the same. `target` is the ticket to
    merge into.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    result = BulkResult()
    for ticket in tickets:
        try:
            _apply(ticket, action, by, values, target)
        except ValidationError as error:
            result.problems.append(f"{ticket.reference}: {' '.join(error.messages)}")
        else:
            result.done += 1
    return result


def _apply(
    ticket: Ticket, action: str, by: User, values: dict[str, Any], target: Ticket | None
) -> None:
    if action == "assign":
        services.ticket_assign(ticket=ticket, agent=values["agent"], by=by, source="bulk")
    elif action == "status":
        services.ticket_status_change(ticket=ticket, status=values["status"], by=by, source="bulk")
    elif action == "priority":
        services.ticket_update(ticket=ticket, by=by, source="bulk", priority=values["priority"])
    elif action == "team":
        services.ticket_assign(
            ticket=ticket, agent=ticket.assignee, by=by, team=values["team"], source="bulk"
        )
    elif action == "macro":
        macros.macro_apply(macro=values["macro"], ticket=ticket, agent=by)
    elif action == "merge" and target is not None and ticket.pk != target.pk:
        services.ticket_merge(source=ticket, target=target, by=by)
