"""The placeholder language of macros and automation messages: ``{requester_name}`` and kin.

Placeholders are plain words in braces; they are looked up in a fixed table, never evaluated,
so a message cannot reach anything but the values listed in `PLACEHOLDERS`. An unknown
placeholder is a validation error when the macro or automation is saved, and is left as
written if one is met while filling (filling never fails). Pure: the ticket and the agent are
read through their attributes, as the tickets app's models offer them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PLACEHOLDER = re.compile(r"\{([^{}\s]{1,40})\}")


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else ""


# name: (what it is, how to read it from (ticket, agent)); the only values a macro can show.
PLACEHOLDERS: dict[str, tuple[Any, Callable[[Any, Any], str]]] = {
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


def placeholders_fill(text: str, *, ticket: Any, agent: Any) -> str:
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
