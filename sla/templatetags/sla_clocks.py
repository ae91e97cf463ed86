"""Filters and tags of SLA templates (`sla/_ticket_clocks.html`, queue rows): durations in
business time, metrics, and times left that keep counting down on an open page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django import template
from django.template.defaultfilters import date
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from sla.selectors import ClockState

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
    return span_words(value.total_seconds(), days=False)


# --- time left, counting down on the page (static/js/ticking.js) ----------------------------
# The server words a time left here; the browser words it again every half minute from the
# same translated formats (`time_words`, handed to it by `ticking_script`) and the same
# arithmetic (whole minutes, rounded down; overdue once the time left is below zero), so a
# value the page re-words reads as the server would render it at that instant.


def time_words() -> dict[str, str]:
    """The formats of a time left or overdue, in the active language (not to be changed)."""
    return _time_words(get_language())


@lru_cache(maxsize=8)
def _time_words(language: str) -> dict[str, str]:
    # Once per language: a queue page words fifty rows with them.
    return {
        "days": _("%(days)d d %(hours)d h"),
        "hm": _("%(hours)d h %(minutes)02d min"),
        "m": _("%(minutes)d min"),
        "in": _("in %(left)s"),
        "overdue": _("overdue %(ago)s"),
        "left": _("%(left)s business time left"),
        "over": _("%(over)s business time overdue"),
    }


def span_words(seconds: float, *, days: bool, words: dict[str, str] | None = None) -> str:
    """A span as "2 d 3 h" (with `days`, from a day on), "3 h 05 min" or "25 min"."""
    words = words or time_words()
    minutes = int(abs(seconds) // 60)
    if days and minutes >= 24 * 60:
        return words["days"] % {"days": minutes // (24 * 60), "hours": minutes % (24 * 60) // 60}
    if minutes >= 60:
        return words["hm"] % {"hours": minutes // 60, "minutes": minutes % 60}
    return words["m"] % {"minutes": minutes}


def due_words(left_seconds: float) -> str:
    """A due time relative to now: "in 25 min", "overdue 3 min" (calendar time)."""
    words = time_words()
    span = span_words(left_seconds, days=True, words=words)
    if left_seconds < 0:
        return words["overdue"] % {"ago": span}
    return words["in"] % {"left": span}


def business_words(left_seconds: float) -> str:
    """Business time left of a clock: "1 h 05 min business time left" or "… overdue"."""
    words = time_words()
    span = span_words(left_seconds, days=False, words=words)
    if left_seconds < 0:
        return words["over"] % {"over": span}
    return words["left"] % {"left": span}


def _instant(value: datetime) -> str:
    """An instant as the browser's Date.parse reads it exactly (UTC, milliseconds)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


@register.simple_tag
def due_in(due: datetime, now: datetime) -> str:
    """A queue row's next SLA due time relative to `now`, counting down on the page."""
    left = (due - now).total_seconds()
    return format_html(
        '<time datetime="{}" class="due{}" data-tick="due" title="{}">{}</time>',
        _instant(due),
        " overdue" if left < 0 else "",
        date(due, "SHORT_DATETIME_FORMAT"),
        due_words(left),
    )


@register.simple_tag
def business_left(state: ClockState) -> str:
    """A clock's business time left (or overdue); a running one counts down on the page."""
    ticking = state.ticking
    if ticking is None:
        return business_words((state.remaining_minutes or 0) * 60)
    return format_html(
        '<time datetime="{}" class="left{}" data-tick="business" data-at="{}" data-left="{}"'
        ' data-counting="{}" data-changes="{}">{}</time>',
        _instant(state.clock.due_at),
        " overdue" if ticking.left_seconds < 0 else "",
        _instant(ticking.at),
        f"{ticking.left_seconds:.3f}",
        "1" if ticking.counting else "",
        _instant(ticking.changes_at) if ticking.changes_at else "",
        business_words(ticking.left_seconds),
    )


@register.simple_tag
def ticking_script() -> str:
    """The script that keeps time-relative values ticking, with the words it needs."""
    return format_html(
        '<script src="{}" defer data-now="{}" data-words="{}"></script>',
        static("js/ticking.js"),
        _instant(timezone.now()),
        json.dumps(time_words()),
    )
