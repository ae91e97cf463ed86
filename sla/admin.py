"""Tenant admins manage their business calendars and SLA policies here, with validation."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from helpdesk.admin import TenantInlineAdmin, TenantModelAdmin
from sla.models import BusinessCalendar, Holiday, SlaPolicy, SlaTarget, WorkingHours


class WorkingHoursFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        by_hours = self.instance.coverage == BusinessCalendar.Coverage.WORKING_HOURS
        if not by_hours and kept:
            raise ValidationError(_("A calendar open around the clock takes no working hours."))
        if by_hours and not kept:
            raise ValidationError(
                _("Give the calendar working hours, or open it around the clock.")
            )


class WorkingHoursInline(TenantInlineAdmin):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class HolidayInline(TenantInlineAdmin):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(TenantModelAdmin):
    list_display = ["name", "region", "time_zone", "coverage", "holiday_country"]
    inlines = [WorkingHoursInline, HolidayInline]


class SlaTargetInline(TenantInlineAdmin):
    model = SlaTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(TenantModelAdmin):
    list_display = ["name", "position", "is_active", "calendar", "warn_percent"]
    list_editable = ["position", "is_active"]
    list_select_related = ["calendar"]
    inlines = [SlaTargetInline]
