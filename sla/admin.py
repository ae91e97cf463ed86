"""Tenant admins manage their business calendars and SLA policies here, with validation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from helpdesk.admin import TenantInlineAdmin, TenantModelAdmin
from rules import RuleError, validate_conditions
from rules.builder import RuleBuilderFormMixin, RuleConditionsField
from rules.vocabulary import DONE_STATUSES, Priority, Status
from sla import matrix
from sla.forms import (
    PolicyMatrixForm,
    SlaTargetForm,
    SlaWarningForm,
    Span,
    WeeklyHoursField,
    day_minutes,
    time_basis,
)
from sla.models import (
    BusinessCalendar,
    Holiday,
    SlaPauseRule,
    SlaPolicy,
    SlaReplan,
    SlaTarget,
    SlaWarning,
)
from sla.replanning import replan_request
from sla.services import calendar_hours_set


class BusinessCalendarForm(forms.ModelForm):
    """A calendar with its week as a grid: per weekday closed, or several from/to spans."""

    weekly_hours = WeeklyHoursField(label=gettext_lazy("weekly hours"))

    class Meta:
        model = BusinessCalendar
        fields = ["name"]  # the admin adds the others

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["weekly_hours"] = [
                Span(hours.weekday, hours.start, hours.end)
                for hours in self.instance.working_hours.all()
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        spans = data.get("weekly_hours")
        if spans is None:
            return data  # its own error is shown
        by_hours = data.get("coverage") == BusinessCalendar.Coverage.WORKING_HOURS
        if not by_hours and spans:
            self.add_error(
                "weekly_hours", _("A calendar open around the clock takes no working hours.")
            )
        if by_hours and not spans:
            self.add_error(
                "weekly_hours", _("Give the calendar working hours, or open it around the clock.")
            )
        return data


class HolidayInline(TenantInlineAdmin):
    model = Holiday
    extra = 0
    # The browser's own date picker: the admin's calendar shortcut adds a note on how far the
    # browser's clock is from the server's, which says nothing about a day off.
    formfield_overrides = {
        models.DateField: {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
    }


class ReplansRunningClocks:
    """An edit that changes when running clocks fall due re-plans them (after it commits).

    `replan_subject`: the re-plan's keyword naming the edited row; `replan_reason`: how the
    tickets' history names the change.
    """

    replan_subject: str
    replan_reason: Any

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            replan = replan_request(
                reason=self.replan_reason % {"name": form.instance},
                by=request.user,
                **{self.replan_subject: form.instance.pk},
            )
            if replan is not None:
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    _(
                        "%(count)s running clocks are being re-planned; see SLA re-plans for"
                        " the progress."
                    )
                    % {"count": f"{replan.total:,}"},
                )


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ReplansRunningClocks, TenantModelAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "region", "time_zone", "coverage", "holiday_country"]
    fields = ["name", "region", "is_default", "time_zone", "coverage", "weekly_hours",
              "holiday_country", "holiday_subdivision"]  # fmt: skip
    inlines = [HolidayInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if "weekly_hours" in form.changed_data or not change:
            calendar_hours_set(calendar=form.instance, spans=form.cleaned_data["weekly_hours"])
        super().save_related(request, form, formsets, change)

    replan_subject, replan_reason = "calendar_id", gettext_lazy("Calendar “%(name)s” changed")


class PolicyDurations:
    """Durations of an inline typed and shown in days of the policy's calendar ("2d 4h")."""

    form: Any

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        day = day_minutes(obj.calendar if obj is not None else None)
        kwargs["form"] = type(self.form.__name__, (self.form,), {"day": day})
        return super().get_formset(request, obj, **kwargs)  # type: ignore[misc]


class SlaTargetInline(PolicyDurations, TenantInlineAdmin):
    """Targets per priority in days, hours and minutes, as the policy matrix shows them."""

    model = SlaTarget
    form = SlaTargetForm
    extra = 0


class SlaPauseRuleForm(forms.ModelForm):
    statuses = forms.MultipleChoiceField(
        label=SlaPauseRule._meta.get_field("statuses").verbose_name,
        choices=[(status.value, status.label) for status in Status if status not in DONE_STATUSES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=SlaPauseRule._meta.get_field("statuses").help_text,
    )

    class Meta:
        model = SlaPauseRule
        fields = ["metric", "statuses"]


class SlaPauseRuleInline(TenantInlineAdmin):
    """Per metric, the statuses that pause it (a metric without a row pauses as usual)."""

    model = SlaPauseRule
    form = SlaPauseRuleForm
    extra = 0


class SlaWarningInline(PolicyDurations, TenantInlineAdmin):
    model = SlaWarning
    form = SlaWarningForm
    extra = 0


class SlaPolicyForm(RuleBuilderFormMixin, forms.ModelForm):
    """A policy whose conditions are picked from lists (or written as JSON), checked per row."""

    conditions = RuleConditionsField(
        label=SlaPolicy._meta.get_field("conditions").verbose_name,
        required=False,
        help_text=gettext_lazy("Which tickets it applies to. None: every ticket (of its tier)."),
    )

    class Meta:
        model = SlaPolicy
        fields = ["conditions"]  # the admin adds the others, the calendar with its tenant's rows

    def clean_conditions(self) -> Any:
        conditions = self.cleaned_data["conditions"] or {}
        if conditions:
            try:
                validate_conditions(conditions)
            except RuleError as error:
                raise ValidationError(
                    [f"{path}: {problem}" if path else problem for path, problem in error.problems]
                ) from error
        return conditions


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ReplansRunningClocks, TenantModelAdmin):
    form = SlaPolicyForm
    list_display = ["name", "position", "is_active", "tier", "calendar", "counted_in"]
    readonly_fields = ["counted_in"]
    list_editable = ["position", "is_active"]
    list_select_related = ["calendar"]
    inlines = [SlaTargetInline, SlaPauseRuleInline, SlaWarningInline]
    replan_subject, replan_reason = "policy_id", gettext_lazy("Policy “%(name)s” changed")

    def get_queryset(self, request: HttpRequest) -> Any:
        # "targets counted in" reads each calendar's working hours.
        return super().get_queryset(request).prefetch_related("calendar__working_hours")

    @admin.display(description=gettext_lazy("targets counted in"))
    def counted_in(self, policy: SlaPolicy) -> str:
        return time_basis(policy.calendar if policy.pk else None)

    def get_urls(self) -> list[Any]:
        grid = self.admin_site.admin_view(self.policy_matrix)
        return [path("matrix/", grid, name="sla_slapolicy_matrix"), *super().get_urls()]

    def policy_matrix(self, request: HttpRequest) -> HttpResponse:
        """Targets as one grid of contract tier, priority and metric, saved all at once."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = PolicyMatrixForm(request.POST or None, rows=matrix.policy_matrix())
        if request.method == "POST" and form.is_valid():
            changed, clocks = matrix.policy_matrix_save(rows=form.edits(), by=request.user)
            if not changed:
                self.message_user(request, _("Nothing changed."))
            elif clocks:
                message = ngettext(
                    "Saved. %(count)s running clock is being re-planned.",
                    "Saved. %(count)s running clocks are being re-planned.",
                    clocks,
                )
                self.message_user(request, message % {"count": f"{clocks:,}"})
            else:
                self.message_user(request, _("Saved."))
            return redirect("admin:sla_slapolicy_matrix")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Policy matrix"),
            "form": form,
            "sections": form.sections(),
            "priorities": [Priority(priority).label for priority in matrix.PRIORITIES],
        }
        return TemplateResponse(request, "admin/sla/policy_matrix.html", context)


@admin.register(SlaReplan)
class SlaReplanAdmin(TenantModelAdmin):
    """Re-plans of running clocks after calendar and policy edits, with their progress."""

    list_display = ["reason", "state", "progress", "failed", "requested_by", "requested_at",
                    "finished_at"]  # fmt: skip
    list_filter = ["state"]
    list_select_related = ["requested_by"]
    readonly_fields = ["calendar", "policy", "reason", "requested_by", "state", "total", "done",
                       "failed", "requested_at", "started_at", "finished_at"]  # fmt: skip

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
