"""Form fields of the SLA set-up: targets are typed and shown in hours and minutes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django import forms
from django.template import loader
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from sla.matrix import PRIORITIES, MatrixRow, RowEdit
from sla.metrics import RULES, Metric
from sla.models import BusinessCalendar, SlaTarget, SlaWarning, Weekday

# "2d 4h", "4h", "1h 30m", "1h30m", "45m", "0m" or "1:30"; ASCII digits only, and few enough
# of them that any accepted duration fits the target columns (a 32-bit integer of minutes).
_UNITS = re.compile(
    r"(?:(?P<days>[0-9]{1,4})\s*d)?\s*(?:(?P<hours>[0-9]{1,6})\s*h)?\s*"
    r"(?:(?P<minutes>[0-9]{1,7})\s*m)?"
)
_CLOCK = re.compile(r"(?P<hours>[0-9]{1,6}):(?P<minutes>[0-5][0-9])")
DAY = 24 * 60


def duration_text(minutes: int | None, day: int | None = None) -> str:
    """Minutes as an admin reads them: "2d 4h", "4h", "1h 30m", "45m", "0m" ("" for no target).

    `day`: the minutes of one day of the policy's time ("1d"); None: hours only.
    """
    if minutes is None:
        return ""
    days, rest = divmod(minutes, day) if day else (0, minutes)
    hours, rest = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{rest}m" if rest else ""]
    return " ".join(part for part in parts if part) or "0m"


def duration_minutes(text: str, day: int | None = None) -> int | None:
    """The minutes of "2d 4h", "4h", "1h 30m", "45m" or "1:30" (any case and spacing); None if
    neither, or if it names days and `day` (the minutes of one day) is None."""
    text = text.strip().lower()
    found = _CLOCK.fullmatch(text) or _UNITS.fullmatch(text)
    if not text or found is None:
        return None
    days = int(found.groupdict().get("days") or 0)
    if days and not day:
        return None
    return days * (day or 0) + int(found["hours"] or 0) * 60 + int(found["minutes"] or 0)


def day_minutes(calendar: BusinessCalendar | None) -> int | None:
    """How long one day ("1d") of targets counted in `calendar` is, in minutes.

    A calendar day (24h) when the calendar counts every hour or 24 hours of each working day;
    the working day when all working days are equally long (09:00-17:00: 8h); None when they
    differ (days are then not offered). Without a calendar: the desk's default one.
    """
    if calendar is None:
        calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is None or calendar.coverage != BusinessCalendar.Coverage.WORKING_HOURS:
        return DAY
    totals: dict[int, int] = {}
    for hours in calendar.working_hours.all():
        start = hours.start.hour * 60 + hours.start.minute
        end = hours.end.hour * 60 + hours.end.minute
        length = end - start if end > start else DAY - start + end  # past midnight
        totals[hours.weekday] = totals.get(hours.weekday, 0) + length
    lengths = set(totals.values())
    return lengths.pop() if len(lengths) == 1 else None


def time_basis(calendar: BusinessCalendar | None) -> str:
    """How targets under `calendar` are counted, and what a day is: for admin pages."""
    if calendar is None:
        calendar = BusinessCalendar.objects.filter(is_default=True).first()
    day = day_minutes(calendar)
    if calendar is None or calendar.coverage == BusinessCalendar.Coverage.ALWAYS:
        return str(_("Calendar time: every hour counts; 1d = 24h."))
    if day is None:
        return str(
            _("Business time of “%(calendar)s”; its working days differ in length, so targets "
              "are given in hours.") % {"calendar": calendar}
        )  # fmt: skip
    return str(
        _("Business time of “%(calendar)s”: only its working hours count; 1d = %(day)s.")
        % {"calendar": calendar, "day": duration_text(day)}
    )


class BusinessDurationField(forms.Field):
    """Minutes of the policy's time, typed and shown as days, hours and minutes; empty: none.

    `day`: the minutes of one day ("1d") under the policy's calendar (`day_minutes`); None:
    hours and minutes only.
    """

    default_error_messages = {
        "invalid": _("Write hours and minutes, e.g. 4h, 1h 30m or 45m."),
        "invalid_days": _("Write days, hours and minutes, e.g. 2d, 1d 4h, 1h 30m or 45m."),
    }

    def __init__(self, *, day: int | None = None, **kwargs: Any) -> None:
        self.day = day
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 7, "placeholder": "—"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        # Stored minutes are shown as days and hours; what the admin typed is shown as typed.
        if value is None or isinstance(value, int):
            return duration_text(value, self.day)
        return value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, int):
            return value
        minutes = duration_minutes(str(value), self.day)
        if minutes is None:
            code = "invalid_days" if self.day else "invalid"
            raise forms.ValidationError(self.error_messages[code], code=code)
        return minutes


def target_field(metric: str, day: int | None = None) -> BusinessDurationField:
    """The cell of one metric's target: its label and the metric's help text."""
    return BusinessDurationField(label=Metric(metric).label, help_text=RULES[metric].help, day=day)


TARGET_COLUMNS = [f"{metric}_minutes" for metric in Metric]


class SlaTargetForm(forms.ModelForm):
    """A policy's targets for one priority, in days, hours and minutes (the matrix edits the
    same); `day`: the minutes of one day under the policy's calendar."""

    day: int | None = DAY

    class Meta:
        model = SlaTarget
        fields = ["priority", *TARGET_COLUMNS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for metric in Metric:
            self.fields[f"{metric}_minutes"] = target_field(metric, self.day)


class SlaWarningForm(forms.ModelForm):
    """A warning's lead time typed as a duration, like the targets ("30m", "2h", "1d")."""

    day: int | None = DAY

    class Meta:
        model = SlaWarning
        fields = ["metric", "percent", "minutes_before"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["minutes_before"] = BusinessDurationField(
            label=_("time before due"),
            help_text=_("E.g. 30m or 2h of the policy's time before the target falls due."),
            day=self.day,
        )


@dataclass(frozen=True)
class MatrixCell:
    """One cell of the matrix form: its input, and the value it had when the page was shown."""

    field: forms.BoundField
    shown: str

    @property
    def shown_name(self) -> str:
        return self.field.html_initial_name


class PolicyMatrixForm(forms.Form):
    """The whole policy matrix as one form: per row `<row>-calendar`, per cell
    `<row>-<priority>-<metric>`.

    Each input carries the value it was shown with, and only what the admin changed is
    written: an edit made meanwhile in the policy admin to another cell survives the save.
    """

    def __init__(self, *args: Any, rows: list[MatrixRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        calendars = BusinessCalendar.objects.all()
        self.days: dict[str, int | None] = {}
        self.bases: dict[str, str] = {}
        for row in rows:
            self.days[row.key] = day_minutes(row.calendar)
            self.bases[row.key] = time_basis(row.calendar)
            self.fields[f"{row.key}-calendar"] = forms.ModelChoiceField(
                label=_("calendar"),
                queryset=calendars,
                required=False,
                empty_label=_("The ticket's region's calendar, else the desk's default"),
                initial=row.calendar,
                show_hidden_initial=True,
            )
            for (priority, metric), minutes in row.cells.items():
                cell = target_field(metric, self.days[row.key])
                # The metric's help is shown once, on its line of the grid.
                cell.initial, cell.show_hidden_initial, cell.help_text = minutes, True, ""
                self.fields[f"{row.key}-{priority}-{metric}"] = cell

    def _cell(self, name: str) -> MatrixCell:
        bound = self[name]
        if self.is_bound:  # shown again after an error: keep the value of the first showing
            shown = self.data.get(bound.html_initial_name, "")
        else:
            shown = bound.field.prepare_value(bound.initial)
            shown = "" if shown is None else str(getattr(shown, "pk", shown))
        return MatrixCell(field=bound, shown=shown)

    def sections(self) -> list[dict[str, Any]]:
        """Per row: the row, its calendar cell, and per metric its label, help and cells."""
        return [
            {
                "row": row,
                "basis": self.bases[row.key],
                "calendar": self._cell(f"{row.key}-calendar"),
                "metrics": [
                    {
                        "label": Metric(metric).label,
                        "help": RULES[metric].help,
                        "cells": [
                            self._cell(f"{row.key}-{priority}-{metric}") for priority in PRIORITIES
                        ],
                    }
                    for metric in Metric
                ],
            }
            for row in self.rows
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for row in self.rows:
            calendar = f"{row.key}-calendar"
            filled = any(
                data.get(f"{row.key}-{priority}-{metric}") is not None
                for priority in PRIORITIES
                for metric in Metric
            )
            if row.policy is None and data.get(calendar) is not None and not filled:
                self.add_error(
                    calendar,
                    _("Fill in at least one target: a calendar alone creates no policy."),
                )
        return data

    def edits(self) -> list[RowEdit]:
        """What the admin changed, row by row (from a valid form)."""
        changed = set(self.changed_data)
        return [
            RowEdit(
                key=row.key,
                cells={
                    (priority, metric): self.cleaned_data[name]
                    for priority in PRIORITIES
                    for metric in Metric
                    if (name := f"{row.key}-{priority}-{metric}") in changed
                },
                calendar_changed=f"{row.key}-calendar" in changed,
                calendar=self.cleaned_data[f"{row.key}-calendar"],
            )
            for row in self.rows
        ]


# --- a calendar's week as a grid -----------------------------------------------------------

SPAN_SLOTS = 3  # empty from/to pairs offered per day (more once a day has more)


@dataclass(frozen=True)
class Span:
    """One stretch of working time on a weekday."""

    weekday: int
    start: time
    end: time


def _parse_time(text: str) -> time | None:
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()  # noqa: DTZ007 (a time of day)
    except ValueError:
        return None


class WeeklyHoursWidget(forms.Widget):
    """A row per weekday: closed, or several from/to spans in the calendar's own time zone.

    Plain `<input type="time">`: not the admin's clock shortcuts, whose "you are N hours
    behind server time" note is wrong here (these times are the calendar's, not the server's).
    """

    template_name = "admin/sla/weekly_hours.html"

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> str:
        context = self.get_context(name, value, attrs)
        return mark_safe(loader.render_to_string(self.template_name, context))  # noqa: S308

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        rows = []
        entries = value or []
        for weekday in Weekday:
            mine = [entry for entry in entries if entry["weekday"] == weekday.value]
            spans = [entry for entry in mine if entry.get("start") or entry.get("end")]
            slots = [*spans, *[{}] * max(SPAN_SLOTS - len(spans), 1 if len(spans) else 0)]
            rows.append(
                {
                    "weekday": weekday.value,
                    "label": weekday.label,
                    "closed": not spans,
                    "spans": [
                        {"index": index, "start": slot.get("start", ""), "end": slot.get("end", "")}
                        for index, slot in enumerate(slots)
                    ],
                }
            )
        context["days"] = rows
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if f"{name}-shown" not in data:
            return None
        entries = []
        for weekday in Weekday:
            prefix = f"{name}-{weekday.value}"
            closed = f"{prefix}-closed" in data
            index = 0
            found = False
            while f"{prefix}-{index}-start" in data:
                start = data.get(f"{prefix}-{index}-start", "").strip()
                end = data.get(f"{prefix}-{index}-end", "").strip()
                if (start or end) and not closed:
                    entries.append({"weekday": weekday.value, "start": start, "end": end})
                    found = True
                index += 1
            if not found:
                entries.append({"weekday": weekday.value, "closed": True})
        return entries


def spans_shown(spans: list[Span]) -> list[dict[str, Any]]:
    """Stored working hours as the grid shows them."""
    return [
        {"weekday": span.weekday, "start": f"{span.start:%H:%M}", "end": f"{span.end:%H:%M}"}
        for span in spans
    ]


class WeeklyHoursField(forms.Field):
    """A calendar's working hours as a weekly grid; cleaned to a list of `Span`."""

    widget = WeeklyHoursWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if value and isinstance(value[0], Span):
            return spans_shown(value)
        return value

    def to_python(self, value: Any) -> list[Span]:
        if not value:
            return []
        if isinstance(value[0], Span):
            return list(value)
        spans, problems = [], []
        for entry in value:
            if entry.get("closed"):
                continue
            day = Weekday(entry["weekday"]).label
            start, end = _parse_time(entry["start"]), _parse_time(entry["end"])
            if start is None or end is None:
                problems.append(
                    _("%(day)s: give both times of each span as hours and minutes, e.g. 09:00.")
                    % {"day": day}
                )
                continue
            spans.append(Span(entry["weekday"], start, end))
        if problems:
            raise forms.ValidationError(problems)
        return spans

    def has_changed(self, initial: Any, data: Any) -> bool:
        if data is None:
            return False
        try:
            now = self.to_python(data)
        except forms.ValidationError:
            return True
        return sorted(spans_shown(now), key=str) != sorted(
            spans_shown(self.to_python(self.prepare_value(initial) or [])), key=str
        )
