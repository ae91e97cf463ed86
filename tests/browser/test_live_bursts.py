"""Bursts of changes on every live region: each change shows, none is lost inside a window."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from helpdesk.models import User
from helpdesk.tenancy import Role, tenant_context
from tests.browser.conftest import browser_tests, open_live
from tests.conftest import member
from tests.factories import ContactFactory, TeamMemberFactory
from tickets import assignment, services
from tickets.models import Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests

# The navigation's counts refresh at most about every 10 s (5 to 15 s), always after the
# last change: a burst's final counts show within that.
COUNTS_TIMEOUT_MS = 20_000


def teammate(tenant, team, email: str) -> User:
    agent = member(tenant, email, Role.AGENT)
    TeamMemberFactory(tenant=tenant, team=team, user=agent)
    return agent


def open_ticket(tenant, subject: str, **fields) -> Ticket:
    with tenant_context(tenant):
        requester = ContactFactory(tenant=tenant)
        return services.ticket_open(requester=requester, subject=subject, channel="api", **fields)


def reply(tenant, ticket: Ticket, agent: User, text: str) -> None:
    with tenant_context(tenant):
        services.ticket_reply_add(ticket=ticket, text=text, channel="email", author_user=agent)


def go_online(tenant, agent: User) -> None:
    with tenant_context(tenant):
        assignment.agent_availability_set(agent=agent, availability="online")


async def test_two_replies_200_ms_apart_both_appear_in_an_open_ticket_page(
    acme, acme_team, acme_agent, open_as
):
    bob = await database_sync_to_async(teammate)(acme, acme_team, "bob@acme.example")
    ticket = await database_sync_to_async(open_ticket)(acme, "VPN drops", team=acme_team)
    page = await open_live(await open_as(acme, acme_agent), f"/workspace/tickets/{ticket.number}/")
    await database_sync_to_async(reply)(acme, ticket, bob, "Restarted the tunnel.")
    await asyncio.sleep(0.2)  # the second arrives while the first is being fetched
    await database_sync_to_async(reply)(acme, ticket, bob, "Swapped the certificate too.")
    await expect(page.locator("#thread")).to_contain_text("Restarted the tunnel.")
    await expect(page.locator("#thread")).to_contain_text("Swapped the certificate too.")


async def test_the_queue_counts_end_right_after_a_burst_of_new_tickets(
    acme, acme_team, acme_agent, open_as
):
    page = await open_live(await open_as(acme, acme_agent), f"/workspace/teams/{acme_team.pk}/")
    count = page.locator(f"#count-team-{acme_team.pk}")
    await expect(count).to_have_text("0")
    for n in range(3):
        await database_sync_to_async(open_ticket)(acme, f"Burst {n}", team=acme_team)
        await asyncio.sleep(0.2)
    await expect(count).to_have_text("3", timeout=COUNTS_TIMEOUT_MS)
    await expect(page.locator("#count-unassigned")).to_have_text("3")


async def test_two_teammates_coming_online_200_ms_apart_both_show_online(
    acme, acme_team, acme_agent, open_as
):
    bob = await database_sync_to_async(teammate)(acme, acme_team, "bob@acme.example")
    carol = await database_sync_to_async(teammate)(acme, acme_team, "carol@acme.example")
    page = await open_live(await open_as(acme, acme_agent), "/workspace/")
    people = page.locator("#teammates li")
    await expect(people.filter(has_text=str(bob))).to_contain_text("Offline")
    await database_sync_to_async(go_online)(acme, bob)
    await asyncio.sleep(0.2)
    await database_sync_to_async(go_online)(acme, carol)
    await expect(people.filter(has_text=str(bob))).to_contain_text("Online")
    await expect(people.filter(has_text=str(carol))).to_contain_text("Online")
