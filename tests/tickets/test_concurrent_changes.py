"""Two agents changing one ticket: the second is told it changed, never silently overruled."""

from __future__ import annotations

import re

import pytest

from helpdesk.tenancy import Role, tenant_context
from tests.conftest import client_for, member
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Ticket


@pytest.fixture
def ticket(acme):
    with tenant_context(acme):
        return services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Printer on fire", channel="email"
        )


@pytest.fixture
def ann_and_bob(acme, ticket):
    """Two agents with the ticket's page open: (user, browser, when their page loaded it)."""
    agents = []
    for email in ("ann@acme.example", "bob@acme.example"):
        user = member(acme, email, Role.AGENT)
        browser = client_for(acme, user)
        agents.append((user, browser, loaded_value(browser, ticket)))
    return agents


def loaded_value(client, ticket) -> str:
    page = client.get(ticket.get_absolute_url(), secure=True).content.decode()
    return re.search(r'name="loaded" value="([^"]+)"', page).group(1)


def test_the_second_of_two_status_changes_is_told_the_ticket_changed(acme, ticket, ann_and_bob):
    (_ann, first, seen_by_first), (_bob, second, seen_by_second) = ann_and_bob
    url = f"{ticket.get_absolute_url()}status/"
    first.post(url, {"status": "pending", "loaded": seen_by_first}, secure=True)
    answer = second.post(
        url, {"status": "solved", "loaded": seen_by_second}, secure=True, follow=True
    )
    assert "changed after you opened it" in answer.content.decode()
    with tenant_context(acme):
        assert Ticket.objects.get(pk=ticket.pk).status == "pending"


def test_the_second_of_two_field_changes_is_told_the_ticket_changed(acme, ticket, ann_and_bob):
    (_ann, first, seen_by_first), (_bob, second, seen_by_second) = ann_and_bob
    url = f"{ticket.get_absolute_url()}fields/"
    first.post(url, {"priority": "high", "loaded": seen_by_first}, secure=True)
    answer = second.post(url, {"priority": "low", "loaded": seen_by_second}, secure=True)
    assert "changed after you opened it" in answer.content.decode()
    with tenant_context(acme):
        assert Ticket.objects.get(pk=ticket.pk).priority == "high"


def test_the_second_of_two_assignments_is_told_the_ticket_changed(acme, ticket, ann_and_bob):
    (ann, first, seen_by_first), (bob, second, seen_by_second) = ann_and_bob
    url = f"{ticket.get_absolute_url()}assign/"
    first.post(url, {"assignee": ann.pk, "loaded": seen_by_first}, secure=True)
    answer = second.post(url, {"assignee": bob.pk, "loaded": seen_by_second}, secure=True)
    assert "changed after you opened it" in answer.content.decode()
    with tenant_context(acme):
        assert Ticket.objects.get(pk=ticket.pk).assignee_id == ann.pk


def test_a_change_made_after_loading_the_latest_version_goes_through(acme, ticket):
    agent = client_for(acme, member(acme, "ann@acme.example", Role.AGENT))
    url = f"{ticket.get_absolute_url()}status/"
    agent.post(url, {"status": "pending", "loaded": loaded_value(agent, ticket)}, secure=True)
    agent.post(url, {"status": "solved", "loaded": loaded_value(agent, ticket)}, secure=True)
    with tenant_context(acme):
        assert Ticket.objects.get(pk=ticket.pk).status == "solved"
