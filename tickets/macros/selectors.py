"""Reads of macros: which an agent may use, and what one would do to a ticket.

A macro's text is filled from the ticket by the placeholder language (`rules.placeholders`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from helpdesk.models import User
from rules.placeholders import placeholders_fill
from tickets.models import Macro, Ticket


def tags_normalized(words: list[str]) -> list[str]:
    """Tags as tickets store them: trimmed, lower case, sorted, each once."""
    return sorted({word.strip().lower() for word in words if word.strip()})


def macros_for(*, agent: User) -> QuerySet[Macro]:
    """The macros an agent may apply: the desk's shared ones and their own."""
    return Macro.objects.filter(Q(owner=None) | Q(owner=agent)).select_related("set_team")


def personal_macros(*, agent: User) -> QuerySet[Macro]:
    """The macros an agent owns and may change."""
    return Macro.objects.filter(owner=agent).select_related("set_team")


@dataclass(frozen=True)
class MacroPreview:
    """What applying a macro to a ticket would do: the reply text and each field change."""

    text: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field: (old, new)
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    assignee: User | None = None

    @property
    def changes_anything(self) -> bool:
        return bool(self.text or self.changes or self.tags_added or self.tags_removed)


def macro_render(*, macro: Macro, ticket: Ticket, agent: User) -> MacroPreview:
    """The reply `macro` would send on `ticket` and the changes it would make; changes nothing."""
    changes: dict[str, tuple[Any, Any]] = {}
    if macro.set_status and macro.set_status != ticket.status:
        changes["status"] = (ticket.status, macro.set_status)
    if macro.set_priority and macro.set_priority != ticket.priority:
        changes["priority"] = (ticket.priority, macro.set_priority)
    if macro.set_team_id and macro.set_team_id != ticket.team_id:
        changes["team"] = (ticket.team, macro.set_team)
    tags = list(ticket.tags)
    added = tuple(tag for tag in tags_normalized(macro.add_tags) if tag not in tags)
    removed = tuple(
        tag for tag in tags_normalized(macro.remove_tags) if tag in tags and tag not in added
    )
    assignee = agent if macro.assign_to_me and ticket.assignee_id != agent.pk else None
    return MacroPreview(
        text=placeholders_fill(macro.body, ticket=ticket, agent=agent).strip(),
        changes=changes,
        tags_added=added,
        tags_removed=removed,
        assignee=assignee,
    )
