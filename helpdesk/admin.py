"""Django admin, scoped: tenant admins see their own tenant's rows, operators manage tenants."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from helpdesk import selectors, services
from helpdesk.models import Domain, Membership, Tenant, User
from helpdesk.tenancy import Role, has_role


class TenantAdminMixin:
    """Permissions and choices of tenant-owned rows: that tenant's admins, on its own host."""

    def _allowed(self, request: HttpRequest) -> bool:
        if getattr(request, "tenant", None) is None:
            return False  # no tenant active: tenant-owned rows are nobody's to list here
        return request.user.is_superuser or has_role(request, Role.ADMIN)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Users are global: offer only the members of this tenant, never everyone's logins.
        if db_field.remote_field.model is User:
            kwargs["queryset"] = selectors.tenant_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.remote_field.model is User:
            kwargs["queryset"] = selectors.tenant_users()
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class TenantModelAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Admin page of a tenant-owned model."""


class TenantInlineAdmin(TenantAdminMixin, admin.TabularInline):
    """Inline rows of a tenant-owned model inside a tenant admin page."""

    extra = 0


class PlatformModelAdmin(admin.ModelAdmin):
    """Admin of platform data (tenants, global users): operators only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class TenantOpenForm(forms.ModelForm):
    """A new desk, and who administers it: they are invited by mail to choose a password."""

    admin_email = forms.EmailField(
        label=_("first admin's email address"),
        help_text=_("They get an invitation to choose a password and set the desk up."),
    )
    admin_name = forms.CharField(label=_("first admin's name"), max_length=150, required=False)

    class Meta:
        model = Tenant
        fields = [
            "slug", "name", "ticket_prefix", "time_zone", "language", "brand_color", "logo_url",
            "support_email", "is_active",
        ]  # fmt: skip


@admin.register(Tenant)
class TenantAdmin(SimpleHistoryAdmin, PlatformModelAdmin):
    list_display = ["name", "slug", "ticket_prefix", "time_zone", "language", "is_active"]
    list_filter = ["is_active", "language"]
    search_fields = ["name", "slug"]
    inlines = [DomainInline]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = TenantOpenForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new desk is opened, not only recorded: set up by the apps, its admin invited.
        data = form.cleaned_data
        tenant = services.tenant_open(
            admin_email=data["admin_email"],
            admin_name=data["admin_name"],
            **{name: data[name] for name in TenantOpenForm.Meta.fields},
        )
        obj.pk, obj.created_at = tenant.pk, tenant.created_at
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A desk is closed (is_active off), never deleted from here: its data is kept for
        # export and retention, and deleting across tenants would bypass the tenancy fence.
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin, PlatformModelAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "is_superuser", "last_login"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "language", "time_zone"]}),
        (_("Platform"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal: list[str] = []
    list_filter = ["is_active", "is_staff", "is_superuser"]


class MembershipForm(forms.ModelForm):
    """Add someone to this desk by email address; a new address gets a new login."""

    email = forms.EmailField(label=_("Email address"))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)

    class Meta:
        model = Membership
        fields = ["role", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True
            self.fields["full_name"].initial = self.instance.user.full_name
            self.fields["full_name"].disabled = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if not self.instance.pk and selectors.tenant_users().filter(email__iexact=email).exists():
            raise forms.ValidationError(_("This person is already a member of this help desk."))
        return email


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin, TenantModelAdmin):
    form = MembershipForm
    list_display = ["user_email", "user_name", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["user"]
    fields = ["email", "full_name", "role", "is_active"]

    @admin.display(description=_("email address"), ordering="user__email")
    def user_email(self, membership: Membership) -> str:
        return membership.user.email

    @admin.display(description=_("name"), ordering="user__full_name")
    def user_name(self, membership: Membership) -> str:
        return membership.user.full_name

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        membership = services.membership_grant(
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            role=Role(form.cleaned_data["role"]),
        )
        obj.pk, obj.user, obj.tenant_id = membership.pk, membership.user, membership.tenant_id
        obj._state.adding = False
