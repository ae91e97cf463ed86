"""Managers' dashboards."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from helpdesk.tenancy import Role, TenantRequest, role_required
from tickets import selectors as ticket_selectors


@role_required(Role.MANAGER)
@require_GET
def dashboard(request: TenantRequest) -> HttpResponse:
    """The open backlog by status, priority and team."""
    return render(request, "reports/dashboard.html", {"counts": ticket_selectors.ticket_counts()})
