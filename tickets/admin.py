from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from helpdesk.admin import TenantInlineAdmin, TenantModelAdmin
from tickets.models import Contact, Organization, Team, TeamMember, Ticket


class TeamMemberInline(TenantInlineAdmin):
    model = TeamMember


@admin.register(Team)
class TeamAdmin(TenantModelAdmin):
    list_display = ["name", "department"]
    search_fields = ["name", "department"]
    inlines = [TeamMemberInline]


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin, TenantModelAdmin):
    list_display = ["name", "tier", "region", "industry", "is_vip"]
    list_filter = ["tier", "is_vip", "region"]
    search_fields = ["name"]


@admin.register(Contact)
class ContactAdmin(TenantModelAdmin):
    list_display = ["name", "email", "phone", "organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "email", "phone"]
    list_filter = ["organization__tier"]


@admin.register(Ticket)
class TicketAdmin(SimpleHistoryAdmin, TenantModelAdmin):
    """Tickets are worked in the workspace; admin shows them read-only for inspection."""

    list_display = ["number", "subject", "status", "priority", "channel", "team", "created_at"]
    list_filter = ["status", "priority", "channel", "team"]
    list_select_related = ["team"]
    search_fields = ["subject", "number"]
    readonly_fields = [field.name for field in Ticket._meta.fields if field.name != "tenant"]

    def has_add_permission(self, request, *args):  # created only through the ticket services
        return False

    def has_delete_permission(self, request, obj=None):
        return False
