"""Template filters of a ticket's history: codes stored in the event log, shown as words."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from rules.vocabulary import Tier
from tickets.models import Ticket

register = template.Library()

# Where a change came from, besides the channels (a rule's or automation's name shows as is).
SOURCES = {
    "web": _("workspace"),
    "bulk": _("bulk change"),
    "admin": _("settings"),
    "sla": _("SLA"),
    "assignment": _("automatic assignment"),
    "merge": _("merge"),
    "merge_undo": _("merge undone"),
    "spam": _("spam"),
    "none": _("not sent"),
}


@register.filter
def status_label(code: Any) -> str:
    """A status code of the event log ("pending") in the reader's words ("Pending")."""
    return _choice_label(Ticket.Status, code)


@register.filter
def event_source(code: str) -> str:
    """Where a change came from, in words: a channel, the workspace, a rule's own name."""
    if code in Ticket.Channel.values:
        return str(Ticket.Channel(code).label)
    return str(SOURCES.get(code, code))


@register.filter
def field_changes(changes: Any) -> list[tuple[str, str, str]]:
    """Changes ({field: [old, new]}, of a fields event or a macro's preview) as (field, old,
    new) in words: the field's name, values of choices translated."""
    if not isinstance(changes, dict):
        return []
    rows = []
    for name, values in changes.items():
        old, new = [*values, None, None][:2] if isinstance(values, list | tuple) else (None, None)
        try:
            field = Ticket._meta.get_field(name)
        except FieldDoesNotExist:
            rows.append((name, _shown(old), _shown(new)))
            continue
        label = capfirst(str(field.verbose_name))
        choices = field.choices or (Tier.choices if name == "customer_segment" else None)
        if choices:
            rows.append((label, _label_of(choices, old), _label_of(choices, new)))
        else:
            rows.append((label, _shown(old), _shown(new)))
    return rows


def _choice_label(choices: Any, code: Any) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return _shown(code)


def _label_of(choices: Any, code: Any) -> str:
    return str(dict(choices).get(code, _shown(code)))


NOTHING = "\u2013"  # an en dash stands for an empty value, as on the macro preview


def _shown(value: Any) -> str:
    if value is None or value == "":
        return NOTHING
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or NOTHING
    return str(value)
