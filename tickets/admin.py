from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from helpdesk.admin import TenantInlineAdmin, TenantModelAdmin
from tickets.models import (
    AgentProfile,
    Category,
    Contact,
    ContactEmail,
    Organization,
    Product,
    ResponseTarget,
    Team,
    TeamMember,
    Ticket,
    TicketEvent,
)


class TeamMemberInline(TenantInlineAdmin):
    model = TeamMember


@admin.register(Team)
class TeamAdmin(TenantModelAdmin):
    list_display = ["name", "department", "assignment_strategy"]
    list_filter = ["assignment_strategy"]
    search_fields = ["name", "department"]
    inlines = [TeamMemberInline]


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin, TenantModelAdmin):
    list_display = ["name", "tier", "region", "industry", "is_vip"]
    list_filter = ["tier", "is_vip", "region"]
    search_fields = ["name"]


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


from tickets import admin_automation as _automation_admin  # noqa: E402,F401
from tickets.routing import admin as _routing_admin  # noqa: E402,F401


@admin.register(AgentProfile)
class AgentProfileAdmin(TenantModelAdmin):
    """What automatic assignment knows of each agent: availability, capacity, skills."""

    list_display = ["user", "availability", "capacity", "skills", "languages"]
    list_filter = ["availability"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__full_name", "skills"]


from tickets.channels import admin as _channels_admin  # noqa: E402,F401
