"""Accounts, the per-role landing page, the platform home page and the health check."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from helpdesk import health
from helpdesk.forms import TenantAuthenticationForm, TenantPasswordResetForm
from helpdesk.models import Tenant
from helpdesk.tenancy import Role, TenantRequest


@require_GET
def landing(request: TenantRequest) -> HttpResponse:
    """Send each person where their work is: agents to the workspace, customers to the portal."""
    if request.tenant is None:
        tenants = Tenant.objects.order_by("name") if request.user.is_superuser else []
        return render(request, "helpdesk/platform_home.html", {"tenants": tenants})
    if not request.user.is_authenticated:
        return redirect("login")
    membership = request.membership
    if membership is None:
        if request.user.is_superuser:
            return redirect("admin:index")
        raise PermissionDenied(_("Your account has no access to this help desk."))
    role = Role(membership.role)
    if role.includes(Role.MANAGER):
        return redirect("reports:dashboard")
    if role.includes(Role.AGENT):
        return redirect("tickets:workspace")
    return redirect("tickets:portal")


class LoginView(auth_views.LoginView):
    """The one login page of a desk (the admin's login sends people here too)."""

    authentication_form = TenantAuthenticationForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Mails a reset link that points back at this desk's own address."""

    form_class = TenantPasswordResetForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "tenant": getattr(self.request, "tenant", None)}

    def form_valid(self, form: TenantPasswordResetForm) -> HttpResponse:
        tenant = getattr(self.request, "tenant", None)
        self.extra_email_context = {"desk": tenant.name if tenant else _("Help desk")}
        return super().form_valid(form)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, Redis and worker state for load balancers and operators."""
    state = health.status()
    return JsonResponse(state, status=200 if state["database"] == "ok" else 503)
