"""Tenant admins manage their business calendars and SLA policies here, with validation."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from helpdesk.admin import TenantInlineAdmin, TenantModelAdmin
from sla import selectors
from sla.models import BusinessCalendar, Holiday, SlaPolicy, SlaTarget, WorkingHours


class WorkingHoursFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        if self.instance.always_open and kept:
            raise ValidationError(_("A 24/7 calendar takes no working hours."))
        if not self.instance.always_open and not kept:
            raise ValidationError(_("Give the calendar working hours, or make it 24/7."))


class WorkingHoursInline(TenantInlineAdmin):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class HolidayInline(TenantInlineAdmin):
    model = Holiday
    extra = 0


class SlaConfigAdmin(TenantModelAdmin):
    """Saving any part of the SLA set-up makes this process forget its compiled copy."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        selectors.sla_config_forget()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        selectors.sla_config_forget()


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(SlaConfigAdmin):
    list_display = ["name", "region", "time_zone", "always_open", "holiday_country"]
    inlines = [WorkingHoursInline, HolidayInline]


class SlaTargetInline(TenantInlineAdmin):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SlaConfigAdmin):
    list_display = ["name", "position", "is_active", "calendar", "warn_percent"]
    list_editable = ["position", "is_active"]
    list_select_related = ["calendar"]
    inlines = [SlaTargetInline]
