"""Macros (canned responses): placeholders filled from the ticket, and the changes they make.

Placeholders are plain words in braces, such as ``{requester_name}``; they are looked up in a
fixed table, never evaluated, so a macro cannot reach anything but the values listed in
`PLACEHOLDERS`. An unknown placeholder is a validation error when the macro is saved, and is
left as written if one is met while rendering (rendering never fails).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.models import User
from rules.actions import MAX_TAG_LENGTH
from tickets.models import Macro, Ticket

PLACEHOLDER = re.compile(r"\{([^{}\s]{1,40})\}")


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else ""


# name: (what it is, how to read it from (ticket, agent)); the only values a macro can show.
PLACEHOLDERS: dict[str, tuple[Any, Callable[[Ticket, User | None], str]]] = {
    "requester_name": (gettext_lazy("the requester's name"), lambda t, a: t.requester.name),
    "requester_first_name": (
        gettext_lazy("the requester's first name"),
        lambda t, a: _first_name(t.requester.name),
    ),
    "requester_email": (gettext_lazy("the requester's email"), lambda t, a: t.requester.email),
    "ticket_number": (gettext_lazy("the ticket's number"), lambda t, a: str(t.number)),
    "ticket_reference": (
        gettext_lazy("the ticket's reference, ACME-1042"),
        lambda t, a: t.reference,
    ),
    "ticket_subject": (gettext_lazy("the ticket's subject"), lambda t, a: t.subject),
    "ticket_status": (gettext_lazy("the ticket's status"), lambda t, a: t.get_status_display()),
    "agent_name": (
        gettext_lazy("the agent applying it"),
        lambda t, a: (a.get_full_name() or a.email) if a else t.tenant.name,
    ),
    "agent_first_name": (
        gettext_lazy("the agent's first name"),
        lambda t, a: _first_name(a.get_full_name()) if a else "",
    ),
    "desk_name": (gettext_lazy("the help desk's name"), lambda t, a: t.tenant.name),
    "portal_url": (gettext_lazy("the ticket's page in the portal"), lambda t, a: t.portal_url()),
}


def placeholder_help() -> str:
    """The placeholders a macro or automation message may use, for help texts."""
    return ", ".join(f"{{{name}}} ({label})" for name, (label, _read) in PLACEHOLDERS.items())


def placeholders_check(text: str) -> list[str]:
    """The problems of `text`'s placeholders: every unknown one, named with the known ones."""
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if not unknown:
        return []
    return [
        _("unknown placeholder {%(name)s}; use one of %(known)s")
        % {"name": name, "known": ", ".join(f"{{{known}}}" for known in PLACEHOLDERS)}
        for name in unknown
    ]


def placeholders_fill(text: str, *, ticket: Ticket, agent: User | None) -> str:
    """`text` with its placeholders replaced by the ticket's values; unknown ones stay."""

    def value(match: re.Match[str]) -> str:
        entry = PLACEHOLDERS.get(match.group(1))
        if entry is None:
            return match.group(0)
        try:
            return str(entry[1](ticket, agent) or "")
        except Exception:  # a missing relation must not stop a reply from being written
            return ""

    return PLACEHOLDER.sub(value, text)


def tags_normalized(words: list[str]) -> list[str]:
    return sorted({word.strip().lower() for word in words if word.strip()})


def macro_check(macro: Macro) -> None:
    """Refuse a macro with unknown placeholders, bad tags, or that would do nothing."""
    errors: dict[str, list[str]] = {}
    if problems := placeholders_check(macro.body):
        errors["body"] = problems
    for name in ("add_tags", "remove_tags"):
        bad = [
            tag
            for tag in getattr(macro, name)
            if not tag.strip() or len(tag) > MAX_TAG_LENGTH or any(c.isspace() for c in tag.strip())
        ]
        if bad:
            errors[name] = [_("a tag is one word: %s") % ", ".join(bad)]
    changes = (macro.set_status, macro.set_priority, macro.set_team_id, macro.assign_to_me)
    if not (macro.body.strip() or any(changes) or macro.add_tags or macro.remove_tags):
        errors.setdefault("body", []).append(_("A macro needs reply text or at least one change."))
    if errors:
        raise ValidationError(errors)


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
