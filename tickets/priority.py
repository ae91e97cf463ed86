"""The priority matrix: a ticket's impact and urgency, and its customer's tier, give its priority.

Who wins when both are given: `ticket_open` uses the matrix whenever the ticket arrives with an
impact or an urgency, unless an agent logs the ticket (`by`) and names a priority themselves; an
agent's explicit choice wins, a requester's own "how urgent" never outranks the matrix. With
neither impact nor urgency the given priority (or medium) stands, as before the matrix.
A missing half counts as medium. A desk without its own matrix uses ITIL's table and raises
enterprise customers one step.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from helpdesk.process_cache import TenantMemo
from tickets.models import PriorityMatrix, Ticket, default_priority_cells, default_raise_tiers

LEVELS = tuple(Ticket.Level.values)
ORDER = tuple(Ticket.Priority.values)  # low → critical


def _matrix_load() -> dict[str, Any]:
    matrix = PriorityMatrix.objects.first()
    if matrix is None:
        return {
            "cells": default_priority_cells(),
            "raise": set(default_raise_tiers()),
            "minimum": {},
        }
    return {
        "cells": matrix.cells,
        "raise": set(matrix.raise_tiers),
        "minimum": {
            "enterprise": matrix.enterprise_minimum,
            "premium": matrix.premium_minimum,
            "standard": matrix.standard_minimum,
        },
    }


# ticket_open is the desk's busiest write: each process keeps the desk's matrix until it
# changes (see tickets/apps.py).
PRIORITY_MATRIX: TenantMemo[dict[str, Any]] = TenantMemo("priority-matrix", _matrix_load)


def matrix_priority(*, impact: str, urgency: str, tier: str = "") -> str:
    """The priority the desk's matrix gives this impact and urgency for a customer of `tier`."""
    data = PRIORITY_MATRIX.get()
    priority = data["cells"][impact or "medium"][urgency or "medium"]
    if tier in data["raise"]:
        priority = ORDER[min(ORDER.index(priority) + 1, len(ORDER) - 1)]
    minimum = data["minimum"].get(tier)
    if minimum and ORDER.index(minimum) > ORDER.index(priority):
        priority = minimum
    return priority


def intake_priority(
    *, priority: str | None, impact: str, urgency: str, tier: str, by_agent: bool
) -> str:
    """The priority a new ticket gets (see the module docstring for who wins)."""
    if (impact or urgency) and not (by_agent and priority):
        return matrix_priority(impact=impact, urgency=urgency, tier=tier)
    return priority or Ticket.Priority.MEDIUM


@transaction.atomic
def priority_matrix_save(*, matrix: PriorityMatrix) -> PriorityMatrix:
    """Store the desk's matrix after checking it; this process uses it at once."""
    matrix.full_clean(exclude=["tenant"])
    matrix.save()  # every process reads the matrix again (tickets/apps.py)
    return matrix
