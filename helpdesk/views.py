"""Accounts, the per-role landing page, the platform home page and the health check."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from helpdesk import health
from helpdesk.forms import TenantAuthenticationForm, TenantPasswordResetForm
from helpdesk.models import Tenant
from helpdesk.tenancy import Role, TenantRequest
from helpdesk.tokens import desk_tokens


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
    """Mails a reset link that points back at this desk's own address (its configured
    public host, never the request's Host header), valid on this desk only."""

    form_class = TenantPasswordResetForm
    token_generator = desk_tokens

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "tenant": getattr(self.request, "tenant", None)}

    def form_valid(self, form: TenantPasswordResetForm) -> HttpResponse:
        tenant = getattr(self.request, "tenant", None)
        self.extra_email_context = {"desk": tenant.name if tenant else _("Help desk")}
        if tenant is not None:  # the mail's context: these win over the request's host
            port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
            self.extra_email_context |= {
                "domain": f"{tenant.public_host}{port}",
                "protocol": settings.PUBLIC_SCHEME,
            }
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Sets the new password from a link this desk issued."""

    token_generator = desk_tokens


class InvitationAcceptView(PasswordResetConfirmView):
    """A new desk's first admin chooses a password from the invitation and is logged in."""

    template_name = "registration/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("admin:index")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, Redis and worker state for load balancers and operators."""
    state = health.status()
    return JsonResponse(state, status=200 if state["database"] == "ok" else 503)
