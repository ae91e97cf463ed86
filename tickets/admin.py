"""Tenant admins' pages of the tickets app; its feature packages register their own."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from helpdesk.admin import TenantInlineAdmin, TenantModelAdmin
from tickets import priority, services
from tickets.automations import admin as automations_admin  # noqa: F401 (registers its pages)
from tickets.category_field import CategoryChoiceField
from tickets.macros import admin as macros_admin  # noqa: F401 (registers its pages)
from tickets.models import (
    AgentProfile,
    Category,
    Contact,
    ContactEmail,
    DeskSettings,
    Organization,
    PriorityMatrix,
    Product,
    ResponseTarget,
    Team,
    TeamMember,
    Ticket,
    TicketEvent,
)
from tickets.routing import admin as routing_admin  # noqa: F401 (registers its pages)


class TeamMemberInline(TenantInlineAdmin):
    model = TeamMember


@admin.register(Team)
class TeamAdmin(TenantModelAdmin):
    list_display = ["name", "department", "assignment_strategy"]
    list_filter = ["assignment_strategy"]
    search_fields = ["name", "department"]
    inlines = [TeamMemberInline]

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        # The database refuses it anyway (PROTECT); this says why, and what to do instead.
        if object_id.isdigit() and DeskSettings.objects.filter(fallback_team_id=object_id).exists():
            self.message_user(
                request,
                _(
                    "This team is the desk's fallback team: new tickets no rule routes land "
                    "in it. Choose another fallback team in the desk settings first."
                ),
                messages.ERROR,
            )
            return redirect("admin:tickets_team_change", object_id)
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: Team) -> None:
        services.team_delete(team=obj, by=request.user)  # its open tickets: to the fallback

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for team in queryset:
            services.team_delete(team=team, by=request.user)


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin, TenantModelAdmin):
    list_display = ["name", "tier", "region", "industry", "is_vip"]
    list_filter = ["tier", "is_vip", "region"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Through the service: a new tier re-targets the open tickets' SLA clocks.
        changed = {field: form.cleaned_data[field] for field in form.changed_data}
        services.organization_update(organization=obj, by=request.user, source="admin", **changed)
        obj.refresh_from_db()


class ContactEmailInline(TenantInlineAdmin):
    model = ContactEmail


@admin.register(Contact)
class ContactAdmin(TenantModelAdmin):
    inlines = [ContactEmailInline]
    exclude = ["phone_normalized"]
    list_display = ["name", "email", "phone", "organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "email", "phone"]
    list_filter = ["organization__tier"]


@admin.register(Category)
class CategoryAdmin(TenantModelAdmin):
    list_display = ["__str__", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Category.objects.select_related("parent__parent")
            kwargs["form_class"] = CategoryChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Product)
class ProductAdmin(TenantModelAdmin):
    list_display = ["name", "is_active"]
    search_fields = ["name"]


@admin.register(ResponseTarget)
class ResponseTargetAdmin(TenantModelAdmin):
    """First-response promises per priority, quoted in acknowledgements."""

    list_display = ["priority", "minutes"]


class TicketEventInline(TenantInlineAdmin):
    """The ticket's change log (who, what, when, from which channel or rule)."""

    model = TicketEvent
    fields = ["created_at", "kind", "actor", "actor_contact", "source", "data"]
    readonly_fields = fields
    ordering = ["-created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(TenantModelAdmin):
    """Tickets are worked in the workspace; admin shows them read-only for inspection."""

    inlines = [TicketEventInline]

    list_display = ["number", "subject", "status", "priority", "channel", "team", "created_at"]
    list_filter = ["status", "priority", "channel", "team"]
    list_select_related = ["team"]
    search_fields = ["subject", "number"]
    readonly_fields = [field.name for field in Ticket._meta.fields if field.name != "tenant"]

    def has_add_permission(self, request, *args):  # created only through the ticket services
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AgentProfile)
class AgentProfileAdmin(TenantModelAdmin):
    """What automatic assignment knows of each agent: availability, capacity, skills."""

    list_display = ["user", "availability", "capacity", "skills", "languages"]
    list_filter = ["availability"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__full_name", "skills"]


LEVEL_LABELS = dict(Ticket.Level.choices)


CELLS = [
    (impact, urgency)
    for impact in reversed(priority.LEVELS)
    for urgency in reversed(priority.LEVELS)
]


def _cell_field(impact: str, urgency: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Impact %(impact)s, urgency %(urgency)s")
        % {"impact": LEVEL_LABELS[impact], "urgency": LEVEL_LABELS[urgency]},
        choices=Ticket.Priority.choices,
    )


class PriorityMatrixForm(forms.ModelForm):
    """The table as nine choices, one per impact and urgency."""

    cell_high_high = _cell_field("high", "high")
    cell_high_medium = _cell_field("high", "medium")
    cell_high_low = _cell_field("high", "low")
    cell_medium_high = _cell_field("medium", "high")
    cell_medium_medium = _cell_field("medium", "medium")
    cell_medium_low = _cell_field("medium", "low")
    cell_low_high = _cell_field("low", "high")
    cell_low_medium = _cell_field("low", "medium")
    cell_low_low = _cell_field("low", "low")

    class Meta:
        model = PriorityMatrix
        fields = [
            "raise_tiers", "enterprise_minimum", "premium_minimum", "standard_minimum",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for impact, urgency in CELLS:
            self.fields[f"cell_{impact}_{urgency}"].initial = self.instance.cells.get(
                impact, {}
            ).get(urgency)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.instance.cells = {
            impact: {urgency: data.get(f"cell_{impact}_{urgency}") for urgency in priority.LEVELS}
            for impact in priority.LEVELS
        }
        return data


@admin.register(PriorityMatrix)
class PriorityMatrixAdmin(TenantModelAdmin):
    """Impact × urgency → priority for new tickets, raised for chosen customer tiers."""  # noqa: RUF002

    form = PriorityMatrixForm
    list_display = ["__str__", "table"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request) and not PriorityMatrix.objects.exists()

    fields = [
        *(f"cell_{impact}_{urgency}" for impact, urgency in CELLS),
        "raise_tiers", "enterprise_minimum", "premium_minimum", "standard_minimum",
    ]  # fmt: skip

    @admin.display(description=_("table"))
    def table(self, matrix: PriorityMatrix) -> str:
        return format_html("<code>{}</code>", json.dumps(matrix.cells))

    def save_model(
        self, request: HttpRequest, obj: PriorityMatrix, form: Any, change: bool
    ) -> None:
        priority.priority_matrix_save(matrix=obj)
