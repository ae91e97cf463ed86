"""Filters of SLA templates (`sla/_ticket_clocks.html`): durations in business time, metrics."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def metric_label(value: str) -> str:
    """An SLA metric's name in the reader's language ("first_response" -> "First response")."""
    from sla.metrics import Metric

    try:
        return str(Metric(value).label)
    except ValueError:
        return value


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
