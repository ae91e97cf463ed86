"""State is never shown by colour alone: the live indicator, presence and overdue SLAs in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.utils import timezone

from helpdesk.tenancy import Role, tenant_context
from sla import services as sla_services
from tests.browser.conftest import browser_tests, open_live
from tests.conftest import member
from tests.factories import ContactFactory, OrganizationFactory, TeamMemberFactory
from tickets import assignment, services
from tickets.models import Organization, Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


def late_ticket(tenant, team) -> Ticket:
    """A critical 24/7 ticket opened two days ago: its first response is long overdue."""
    two_days_ago = timezone.now() - timedelta(days=2)
    with time_machine.travel(two_days_ago, tick=False), tenant_context(tenant):
        sla_services.sla_defaults_create(time_zone="Europe/Berlin")
        organization = OrganizationFactory(tenant=tenant, tier=Organization.Tier.ENTERPRISE)
        return services.ticket_open(
            requester=ContactFactory(tenant=tenant, organization=organization),
            subject="Server down",
            channel="api",
            priority="critical",
            team=team,
        )


def sweep(tenant) -> None:
    with tenant_context(tenant):
        sla_services.clocks_sweep(now=timezone.now())


def teammate_online(tenant, team):
    bob = member(tenant, "bob@acme.example", Role.AGENT)
    TeamMemberFactory(tenant=tenant, team=team, user=bob)
    with tenant_context(tenant):
        assignment.agent_availability_set(agent=bob, availability="online")
    return bob


async def test_the_live_indicator_says_in_words_that_the_page_is_live(acme, acme_agent, open_as):
    page = await open_live(await open_as(acme, acme_agent), "/workspace/")
    await expect(page.locator("#live-status")).to_have_text("Live")


async def test_a_teammates_presence_is_said_in_words_beside_the_dot(
    acme, acme_team, acme_agent, open_as
):
    bob = await database_sync_to_async(teammate_online)(acme, acme_team)
    page = await open_live(await open_as(acme, acme_agent), "/workspace/")
    await expect(page.locator("#teammates li").filter(has_text=str(bob))).to_contain_text("Online")


async def test_an_overdue_sla_says_overdue_in_the_queue_and_on_the_ticket(
    acme, acme_team, acme_agent, open_as
):
    ticket = await database_sync_to_async(late_ticket)(acme, acme_team)
    await database_sync_to_async(sweep)(acme)
    page = await open_live(await open_as(acme, acme_agent), f"/workspace/teams/{acme_team.pk}/")
    await expect(page.locator("#queue-rows time.due")).to_contain_text("overdue")
    await open_live(page, f"/workspace/tickets/{ticket.number}/")
    clock = page.locator("#sla-region li.sla-clock").first
    await expect(clock).to_contain_text("Breached")
    await expect(clock).to_contain_text("business time overdue")
