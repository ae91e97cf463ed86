"""A priority or tier change, by any path, re-targets a ticket's clocks in the same transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from helpdesk.tenancy import tenant_context
from integrations import services as integration_services
from sla.models import SlaClock
from tests.factories import (
    ContactFactory,
    OrganizationFactory,
    SlaPolicyFactory,
    SlaTargetFactory,
)
from tickets import services
from tickets.models import Organization, TicketEvent

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
HOUR = timedelta(hours=1)


@pytest.fixture
def enterprise_policy(acme, standard_policy):
    """Enterprise customers: a first response within one business hour, tried first."""
    policy = SlaPolicyFactory(tenant=acme, name="Enterprise", position=1, tier="enterprise")
    SlaTargetFactory(tenant=acme, policy=policy, priority="high", first_response_minutes=60)
    return policy


@pytest.fixture
def bigbank(acme):
    return OrganizationFactory(tenant=acme, name="BigBank", tier="standard")


def open_ticket(acme, organization, priority="high"):
    with time_machine.travel(MONDAY_9, tick=False), tenant_context(acme):
        return services.ticket_open(
            requester=ContactFactory(tenant=acme, organization=organization),
            subject="Down", channel="email", priority=priority,
        )  # fmt: skip


def first_response(acme, ticket):
    with tenant_context(acme):
        return SlaClock.objects.get(ticket=ticket, metric="first_response", state="running")


def test_an_organisation_moved_to_enterprise_gets_enterprise_targets_on_its_open_tickets(
    acme, acme_admin, bigbank, enterprise_policy
):
    ticket = open_ticket(acme, bigbank)
    assert first_response(acme, ticket).target_minutes == 240
    later = MONDAY_9 + 10 * timedelta(minutes=1)
    with time_machine.travel(later, tick=False), tenant_context(acme):
        services.organization_update(organization=bigbank, by=acme_admin, tier="enterprise")
    clock = first_response(acme, ticket)
    assert (clock.policy_id, clock.target_minutes, clock.due_at) == (
        enterprise_policy.pk,
        60,
        MONDAY_9 + HOUR,
    )
    with tenant_context(acme):
        change = TicketEvent.objects.get(ticket=ticket, kind="fields")
    assert change.data["changes"] == {"customer_segment": ["standard", "enterprise"]}


def test_a_tier_changed_in_admin_re_targets_the_open_tickets(
    acme, acme_admin_client, bigbank, enterprise_policy
):
    ticket = open_ticket(acme, bigbank)
    response = acme_admin_client.post(
        f"/admin/tickets/organization/{bigbank.pk}/change/",
        {"name": "BigBank", "tier": "enterprise", "region": "", "industry": "", "domains": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert first_response(acme, ticket).target_minutes == 60
    with tenant_context(acme):
        assert Organization.objects.get(pk=bigbank.pk).tier == "enterprise"


def test_a_solved_ticket_of_an_organisation_that_changes_tier_is_left_as_it_was(
    acme, acme_admin, acme_agent, bigbank, enterprise_policy
):
    ticket = open_ticket(acme, bigbank)
    with tenant_context(acme):
        services.ticket_status_change(ticket=ticket, status="solved", by=acme_agent)
        services.organization_update(organization=bigbank, by=acme_admin, tier="enterprise")
        ticket.refresh_from_db()
    assert ticket.customer_segment == "standard"


def test_a_priority_raised_through_the_api_re_targets_the_clocks(
    acme, acme_admin, bigbank, standard_policy
):
    ticket = open_ticket(acme, bigbank, priority="medium")  # first response 8 business hours
    with tenant_context(acme):
        _token, secret = integration_services.api_token_create(name="Monitoring", by=acme_admin)
    api = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    with time_machine.travel(MONDAY_9 + HOUR, tick=False):
        response = api.post(
            f"/api/v1/tickets/{ticket.number}/priority",
            json.dumps({"priority": "critical"}),
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["priority"] == "critical"
    # Critical: one business hour from the ticket's start, which the hour already used.
    assert first_response(acme, ticket).due_at == MONDAY_9 + HOUR


def test_an_unknown_priority_through_the_api_is_refused_and_changes_nothing(
    acme, acme_admin, bigbank, standard_policy
):
    ticket = open_ticket(acme, bigbank, priority="medium")
    with tenant_context(acme):
        _token, secret = integration_services.api_token_create(name="Monitoring", by=acme_admin)
    api = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.post(
        f"/api/v1/tickets/{ticket.number}/priority",
        json.dumps({"priority": "urgent!!"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "priority" in response.json()["error"]["fields"]
    assert first_response(acme, ticket).priority == "medium"
