"""The agents' search page: tickets, contacts and organisations, or straight to the one meant."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from helpdesk.tenancy import Role, TenantRequest, role_required
from tickets import search as ticket_search
from tickets.views.common import hidden_teams, ticket_by_reference


def _exact_target(request: TenantRequest, text: str) -> str | None:
    """Where a ticket reference ("ACME-42", "42") or a contact's email address leads, if at all."""
    ticket = ticket_by_reference(request, text)
    if ticket is not None:
        return ticket.get_absolute_url()
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            return None
        contact = ticket_search.contact_by_email(email=text)
        if contact is not None:
            return reverse("tickets:contact_detail", args=[contact.pk])
    return None


@role_required(Role.AGENT)
@require_GET
def search(request: TenantRequest) -> HttpResponse:
    text = " ".join(request.GET.get("q", "").split())
    # "all" asks for the full-text results of what would otherwise jump (a number in a text).
    target = None if request.GET.get("all") else _exact_target(request, text)
    if target is not None:
        return redirect(target)
    results = ticket_search.search_results(
        text=text, hidden_teams=hidden_teams(request), agent=request.user
    )
    return render(request, "tickets/search.html", {"results": results, "q": text})
