"""Per-object permissions (django-guardian) are available for what roles cannot express."""

from __future__ import annotations

from guardian.shortcuts import assign_perm, get_objects_for_user

from helpdesk.tenancy import tenant_context
from tests.factories import TicketFactory
from tickets.models import Ticket


def test_a_permission_on_one_ticket_grants_that_ticket_only(acme, acme_customer):
    shared, other = TicketFactory(tenant=acme), TicketFactory(tenant=acme)
    assign_perm("tickets.view_ticket", acme_customer, shared)
    assert acme_customer.has_perm("tickets.view_ticket", shared)
    assert not acme_customer.has_perm("tickets.view_ticket", other)


def test_objects_granted_in_another_tenant_stay_out_of_sight(acme, globex, acme_customer):
    foreign = TicketFactory(tenant=globex)
    assign_perm("tickets.view_ticket", acme_customer, foreign)
    with tenant_context(acme):
        visible = get_objects_for_user(acme_customer, "tickets.view_ticket", Ticket.objects.all())
        assert list(visible) == []
