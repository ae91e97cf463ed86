"""Agents see their work, customers their own tickets, and numbers are per desk."""

from __future__ import annotations

import pytest
from django.db import connection
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import tenant_context
from tests.conftest import at_once
from tests.factories import ContactFactory, TeamFactory
from tickets import services
from tickets.models import Contact, Ticket


@pytest.fixture
def acme_requester(acme, acme_customer) -> Contact:
    return ContactFactory(tenant=acme, user=acme_customer, email=acme_customer.email)


def open_ticket(tenant, requester, subject, **fields) -> Ticket:
    with tenant_context(tenant):
        return services.ticket_open(
            requester=requester, subject=subject, channel="portal", **fields
        )


def test_ticket_numbers_count_per_desk_and_read_with_the_prefix(acme, globex, acme_requester):
    first = open_ticket(acme, acme_requester, "One")
    second = open_ticket(acme, acme_requester, "Two")
    globex_first = open_ticket(globex, ContactFactory(tenant=globex), "Other desk")
    assert (first.reference, second.reference, globex_first.reference) == (
        "ACME-1",
        "ACME-2",
        "GLX-1",
    )


@pytest.mark.django_db(transaction=True)
def test_tickets_opened_at_the_same_moment_never_share_a_number(acme):
    requester = ContactFactory(tenant=acme)
    numbers: list[int] = []

    def open_some() -> None:
        try:
            for n in range(10):
                numbers.append(open_ticket(acme, requester, f"Burst {n}").number)
        finally:
            connection.close()

    at_once(open_some, 4)
    assert sorted(numbers) == list(range(1, 41))


def test_the_workspace_lists_my_tickets_and_my_teams_unassigned_ones(
    acme, acme_agent, acme_team, acme_agent_client, acme_requester
):
    other_team = TeamFactory(tenant=acme, name="Billing")
    open_ticket(acme, acme_requester, "Unassigned in my team", team=acme_team)
    open_ticket(acme, acme_requester, "Assigned to me", team=other_team, assignee=acme_agent)
    open_ticket(acme, acme_requester, "Another team's problem", team=other_team)
    page = acme_agent_client.get("/workspace/")
    assertContains(page, "Unassigned in my team")
    assertContains(page, "Assigned to me")
    assertNotContains(page, "Another team&#x27;s problem")


def test_the_workspace_page_costs_the_same_queries_with_many_tickets(
    acme, acme_team, acme_agent_client, acme_requester, django_assert_max_num_queries
):
    for n in range(30):
        open_ticket(acme, acme_requester, f"Ticket {n}", team=acme_team)
    # Rows are one query. Filter, bulk and navigation choices come from the desk directory,
    # read here for the first time (four queries; later loads none).
    with django_assert_max_num_queries(18):
        acme_agent_client.get("/workspace/")


def test_a_customer_sees_their_own_tickets_only(
    acme, acme_customer_client, acme_requester, acme_agent_client
):
    mine = open_ticket(acme, acme_requester, "My printer")
    open_ticket(acme, ContactFactory(tenant=acme), "Someone else's printer")
    page = acme_customer_client.get("/portal/")
    assertContains(page, "My printer")
    assertNotContains(page, "Someone else")
    assert acme_customer_client.get(f"/portal/tickets/{mine.number}/").status_code == 200
    assertContains(acme_agent_client.get(f"/workspace/tickets/{mine.number}/"), "My printer")


def test_a_customer_cannot_open_someone_elses_ticket(acme, acme_customer_client, acme_requester):
    other = open_ticket(acme, ContactFactory(tenant=acme), "Someone else's printer")
    assert acme_customer_client.get(f"/portal/tickets/{other.number}/").status_code == 404


def test_the_dashboard_counts_the_open_backlog(acme, acme_manager_client, acme_requester):
    open_ticket(acme, acme_requester, "A", priority="critical")
    open_ticket(acme, acme_requester, "B", priority="critical")
    page = acme_manager_client.get("/reports/")
    assertContains(page, '<th scope="row">Critical</th><td>2</td>', html=False)
