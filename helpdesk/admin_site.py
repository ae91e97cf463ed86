"""The admin site class, apart from admin.py: the lazy `admin.site` imports it early."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import Role, has_role


class HelpdeskAdminSite(admin.AdminSite):
    """One admin for everyone: what a user sees depends on the host and their role there."""

    site_title = _("Help desk admin")
    index_title = _("Configuration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or has_role(request, Role.ADMIN))

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # One login page for the whole desk: it knows about tenants, the admin's does not.
        # A logged-in user who may not use the admin gets 403, not a login redirect loop.
        if request.user.is_authenticated:
            raise PermissionDenied(_("Only this help desk's admins may change its settings."))
        return redirect_to_login(request.GET.get("next", "/admin/"))

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        context["site_header"] = (
            _("%(desk)s — help desk admin") % {"desk": tenant.name}
            if tenant
            else _("Help desk platform admin")
        )
        return context
