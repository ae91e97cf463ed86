"""The agent workspace and the customer portal."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from helpdesk.tenancy import Role, TenantRequest, role_required
from tickets import selectors
from tickets.models import Ticket


@role_required(Role.AGENT)
@require_GET
def workspace(request: TenantRequest) -> HttpResponse:
    """An agent's start page: their open tickets and their teams' unassigned ones."""
    tickets = selectors.workspace_tickets(agent=request.user)
    return render(request, "tickets/workspace.html", {"tickets": tickets})


@role_required(Role.AGENT)
@require_GET
def ticket_detail(request: TenantRequest, number: int) -> HttpResponse:
    """One ticket as agents see it."""
    ticket = get_object_or_404(
        Ticket.objects.select_related("requester__organization", "team", "assignee"),
        number=number,
    )
    return render(request, "tickets/ticket_detail.html", {"ticket": ticket})


@role_required(Role.CUSTOMER)
@require_GET
def portal(request: TenantRequest) -> HttpResponse:
    """A customer's start page: the tickets they filed."""
    tickets = selectors.requester_tickets(user=request.user)
    return render(request, "tickets/portal.html", {"tickets": tickets})


@role_required(Role.CUSTOMER)
@require_GET
def portal_ticket(request: TenantRequest, number: int) -> HttpResponse:
    """One of the customer's own tickets; anyone else's is not found."""
    ticket = get_object_or_404(selectors.requester_tickets(user=request.user), number=number)
    return render(request, "tickets/portal_ticket.html", {"ticket": ticket})
