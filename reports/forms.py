"""Forms of the managers' reports."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports import selectors
from sla.models import BusinessCalendar, SlaPolicy


class PolicyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: SlaPolicy) -> str:
        return obj.name if obj.is_active else _("%(name)s (draft)") % {"name": obj.name}


class SlaReplayForm(forms.Form):
    """What to replay: a policy (inactive ones are drafts), perhaps a calendar, and a period."""

    LAST_QUARTER, DATES = "last_quarter", "dates"

    policy = PolicyChoice(queryset=None, label=_("Policy"))
    calendar = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Calendar"),
        empty_label=_("The policy's own calendar"),
    )
    period = forms.ChoiceField(
        label=_("Period"),
        choices=[(LAST_QUARTER, _("Last quarter")), (DATES, _("From … to …"))],
        initial=LAST_QUARTER,
        widget=forms.RadioSelect,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (inclusive)"), required=False, widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, *args: Any, time_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        self.fields["policy"].queryset = SlaPolicy.objects.order_by("-is_active", "position", "pk")
        self.fields["calendar"].queryset = BusinessCalendar.objects.all()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("period") == self.DATES:
            first, last = data.get("date_from"), data.get("date_to")
            if first is None or last is None:
                raise forms.ValidationError(_("Give the first and the last day of the period."))
            zone = ZoneInfo(self.time_zone)
            data["start"] = datetime.combine(first, time(0), tzinfo=zone)
            data["end"] = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
        else:
            data["start"], data["end"] = selectors.last_quarter(
                now=timezone.now(), time_zone=self.time_zone
            )
        return data
