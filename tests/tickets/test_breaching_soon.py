"""The "Breaching soon" queue: its count in the navigation and its list are one definition."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpdesk.tenancy import tenant_context
from sla import services as sla_services
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Ticket

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
MINUTE = timedelta(minutes=1)


@pytest.fixture
def acme_sla(acme):
    with tenant_context(acme):
        sla_services.sla_defaults_create(time_zone="Europe/Berlin")


def open_ticket(tenant, subject: str, at: datetime, **fields) -> Ticket:
    with time_machine.travel(at, tick=False), tenant_context(tenant):
        requester = ContactFactory(tenant=tenant)
        return services.ticket_open(
            requester=requester, subject=subject, channel="portal", **fields
        )


def sweep(tenant, at: datetime) -> None:
    with time_machine.travel(at, tick=False), tenant_context(tenant):
        sla_services.clocks_sweep(now=at)


def listed(response) -> list[str]:
    return re.findall(r'class="row-link">([A-Z]+-\d+)<', response.content.decode())


def breaching_count(response) -> str:
    return re.search(r'id="count-breaching"[^>]*>([^<]*)<', response.content.decode()).group(1)


@pytest.fixture
def desk_at_10_20(acme, acme_sla):
    """Swept at 10:20: a critical ticket opened at 9:00 (first response due 10:00: breached),
    one opened at 9:30 (warned at 10:15, due 10:30) and a low one with two days to go."""
    overdue = open_ticket(acme, "Overdue", MONDAY_9, priority="critical")
    warned = open_ticket(acme, "Warned", MONDAY_9 + 30 * MINUTE, priority="critical")
    relaxed = open_ticket(acme, "Relaxed", MONDAY_9, priority="low")
    sweep(acme, MONDAY_9 + 80 * MINUTE)
    return overdue, warned, relaxed


def test_breaching_soon_lists_warned_and_overdue_tickets_most_overdue_first(
    desk_at_10_20, acme_agent_client
):
    overdue, warned, _relaxed = desk_at_10_20
    page = acme_agent_client.get("/workspace/queues/breaching/")
    assert listed(page) == [overdue.reference, warned.reference]


def test_the_breaching_soon_count_is_the_number_of_tickets_its_list_shows(
    desk_at_10_20, acme_agent_client
):
    page = acme_agent_client.get("/workspace/queues/breaching/")
    counts = acme_agent_client.get("/workspace/counts/", headers={"HX-Request": "true"})
    assert breaching_count(counts) == str(len(listed(page))) == "2"


def test_a_ticket_with_time_to_spare_is_neither_counted_nor_listed_as_breaching(
    acme, acme_sla, acme_agent_client
):
    open_ticket(acme, "Relaxed", MONDAY_9, priority="low")
    sweep(acme, MONDAY_9 + 10 * MINUTE)
    counts = acme_agent_client.get("/workspace/counts/", headers={"HX-Request": "true"})
    assert listed(acme_agent_client.get("/workspace/queues/breaching/")) == []
    assert breaching_count(counts) == "0"


def test_the_breaching_soon_link_says_that_overdue_tickets_count_too(acme_agent_client):
    page = acme_agent_client.get("/workspace/").content.decode()
    assert re.search(r'id="count-breaching" title="[^"]*overdue', page)


def test_the_breaching_soon_page_says_that_overdue_tickets_are_listed_too(acme_agent_client):
    page = acme_agent_client.get("/workspace/queues/breaching/").content.decode()
    assert "past a warning of their service level, or already overdue" in page
