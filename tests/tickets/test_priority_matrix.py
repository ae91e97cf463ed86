"""The priority matrix sets a new ticket's priority from its impact, urgency and customer tier."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory, OrganizationFactory
from tickets import priority, services
from tickets.models import PriorityMatrix, Ticket


@pytest.fixture
def standard_requester(acme):
    organization = OrganizationFactory(tenant=acme, tier="standard")
    return ContactFactory(tenant=acme, organization=organization)


@pytest.fixture
def enterprise_requester(acme):
    organization = OrganizationFactory(tenant=acme, tier="enterprise")
    return ContactFactory(tenant=acme, organization=organization)


def open_ticket(acme, requester, **fields):
    with tenant_context(acme):
        return services.ticket_open(
            requester=requester, subject="VPN down", channel="api", **fields
        )


def test_high_impact_and_high_urgency_is_critical_by_default(acme, standard_requester):
    ticket = open_ticket(acme, standard_requester, impact="high", urgency="high")
    assert (ticket.priority, ticket.impact, ticket.urgency) == ("critical", "high", "high")


def test_low_impact_and_low_urgency_is_low_by_default(acme, standard_requester):
    assert open_ticket(acme, standard_requester, impact="low", urgency="low").priority == "low"


def test_a_missing_urgency_counts_as_medium(acme, standard_requester):
    assert open_ticket(acme, standard_requester, impact="high").priority == "high"


def test_an_enterprise_customer_with_high_impact_gets_critical(acme, enterprise_requester):
    ticket = open_ticket(acme, enterprise_requester, impact="high", urgency="medium")
    assert ticket.priority == "critical"


def test_a_requesters_own_priority_yields_to_the_matrix(acme, standard_requester):
    ticket = open_ticket(acme, standard_requester, priority="high", impact="low", urgency="low")
    assert ticket.priority == "low"


def test_an_agents_explicit_priority_wins_over_the_matrix(acme, acme_agent, standard_requester):
    ticket = open_ticket(
        acme, standard_requester, priority="high", impact="low", urgency="low", by=acme_agent
    )
    assert ticket.priority == "high"


def test_without_impact_or_urgency_the_priority_is_as_given(acme, enterprise_requester):
    assert open_ticket(acme, enterprise_requester, priority="low").priority == "low"


def test_a_desks_own_table_and_tier_minimum_apply(acme, standard_requester):
    with tenant_context(acme):
        matrix = PriorityMatrix(raise_tiers=[], standard_minimum="medium")
        matrix.cells["high"]["high"] = "high"
        priority.priority_matrix_save(matrix=matrix)
    assert open_ticket(acme, standard_requester, impact="high", urgency="high").priority == "high"
    assert open_ticket(acme, standard_requester, impact="low", urgency="low").priority == "medium"


def test_a_table_with_an_unknown_priority_is_refused(acme):
    with tenant_context(acme):
        matrix = PriorityMatrix()
        matrix.cells["low"]["low"] = "whenever"
        with pytest.raises(ValidationError, match="impact low, urgency low"):
            priority.priority_matrix_save(matrix=matrix)


def test_admin_edits_the_matrix_cell_by_cell(acme, acme_admin_client, standard_requester):
    data = {
        f"cell_{impact}_{urgency}": "medium"
        for impact in ("low", "medium", "high")
        for urgency in ("low", "medium", "high")
    }
    data.update(raise_tiers="", enterprise_minimum="", premium_minimum="", standard_minimum="")
    response = acme_admin_client.post(reverse("admin:tickets_prioritymatrix_add"), data)
    assert response.status_code == 302
    assert open_ticket(acme, standard_requester, impact="high", urgency="high").priority == "medium"


def test_the_portal_accepts_impact_and_urgency(acme, acme_customer_client):
    response = acme_customer_client.post(
        reverse("tickets:portal_new"),
        {"subject": "Payroll stuck", "description": "All of finance", "priority": "low",
         "impact": "high", "urgency": "high"},
    )  # fmt: skip
    assert response.status_code == 302
    with tenant_context(acme):
        ticket = Ticket.objects.get(subject="Payroll stuck")
    assert (ticket.priority, ticket.impact) == ("critical", "high")


def test_the_api_accepts_impact_and_urgency(acme, acme_admin):
    from integrations import services as integration_services

    with tenant_context(acme):
        _token, secret = integration_services.api_token_create(name="CRM", by=acme_admin)
    client = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {
        "subject": "Shop offline", "description": "Checkout fails for everyone",
        "requester": {"email": "ops@shop.example"}, "impact": "high", "urgency": "medium",
    }  # fmt: skip
    response = client.post("/api/v1/tickets", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["priority"] == "high"


def test_the_api_refuses_an_unknown_impact(acme, acme_admin):
    from integrations import services as integration_services

    with tenant_context(acme):
        _token, secret = integration_services.api_token_create(name="CRM", by=acme_admin)
    client = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"subject": "x", "description": "y", "requester": {"email": "a@b.example"},
            "impact": "huge"}  # fmt: skip
    response = client.post("/api/v1/tickets", body, content_type="application/json")
    assert response.status_code == 422
