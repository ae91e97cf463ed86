"""`{% sla_clocks ticket %}`: a ticket's SLA clocks, for its page and for queue rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils.translation import gettext as _

from sla import selectors

register = template.Library()


@register.inclusion_tag("sla/_ticket_clocks.html")
def sla_clocks(ticket: Any) -> dict[str, Any]:
    """Render `sla/_ticket_clocks.html` with the ticket's clocks and the business time left."""
    return {"ticket": ticket, "clocks": selectors.ticket_clocks(ticket_id=ticket.pk)}


@register.filter
def duration_hm(value: timedelta | None) -> str:
    """A span of business time as hours and minutes, e.g. "3 h 05 min"."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}
