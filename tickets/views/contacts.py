"""The agents' customer profile: one contact's identities, organisation and tickets."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from helpdesk.tenancy import Role, TenantRequest, role_required
from tickets import selectors
from tickets.models import Contact
from tickets.views.common import visible_tickets

TICKETS_PER_PAGE = 25


@role_required(Role.AGENT)
@require_GET
def contact_detail(request: TenantRequest, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(
        Contact.objects.select_related("organization", "user"), pk=contact_id
    )
    tickets = selectors.contact_tickets(contact=contact, tickets=visible_tickets(request))
    page = Paginator(tickets, TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    identities = selectors.contact_identities(contact=contact)
    return render(
        request,
        "tickets/contact_detail.html",
        {"contact": contact, "identities": identities, "page": page},
    )
