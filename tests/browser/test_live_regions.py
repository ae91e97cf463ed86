"""Live regions in a real browser: every change shows, each region fetching its fragment alone."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from channels.db import database_sync_to_async

from helpdesk.models import User
from helpdesk.tenancy import Role, tenant_context
from tests.browser.conftest import browser_tests, open_live
from tests.conftest import member
from tests.factories import ContactFactory, TeamMemberFactory
from tickets import services
from tickets.models import Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


@pytest.fixture
def other_agent(acme, acme_team) -> User:
    bob = member(acme, "bob@acme.example", Role.AGENT)
    TeamMemberFactory(tenant=acme, team=acme_team, user=bob)
    return bob


def open_ticket(tenant, subject: str, **fields) -> Ticket:
    with tenant_context(tenant):
        requester = fields.pop("requester", None) or ContactFactory(tenant=tenant)
        return services.ticket_open(requester=requester, subject=subject, channel="api", **fields)


def assign(tenant, ticket: Ticket, agent: User) -> None:
    with tenant_context(tenant):
        services.ticket_assign(ticket=ticket, agent=agent, by=agent)


def reply(tenant, ticket: Ticket, agent: User, text: str) -> None:
    with tenant_context(tenant):
        services.ticket_reply_add(ticket=ticket, text=text, channel="email", author_user=agent)


class Fetches:
    """What a page asks its own view for after it has loaded (its live regions' requests)."""

    def __init__(self, page, path: str) -> None:
        self.requests = []
        page.on(
            "request",
            lambda request: (
                self.requests.append(request) if urlsplit(request.url).path == path else None
            ),
        )

    async def bodies(self) -> list[tuple[str, str, str]]:
        """(region asked for, query, response) of each request made so far."""
        seen = []
        for request in self.requests:
            response = await request.response()
            body = await response.text() if response else ""
            seen.append((request.headers.get("hx-target", ""), urlsplit(request.url).query, body))
        return seen


async def test_two_tickets_opened_200_ms_apart_both_appear_in_an_open_team_queue(
    acme, acme_team, acme_agent, open_as
):
    path = f"/workspace/teams/{acme_team.pk}/"
    queue = await open_live(await open_as(acme, acme_agent), path)
    fetches = Fetches(queue, path)
    await database_sync_to_async(open_ticket)(acme, "Printer on fire", team=acme_team)
    await asyncio.sleep(0.2)  # the second arrives while the first is being fetched
    await database_sync_to_async(open_ticket)(acme, "Coffee machine leaks", team=acme_team)
    rows = queue.locator("#queue-rows tr.queue-row")
    await expect(rows.filter(has_text="Printer on fire")).to_be_visible()
    await expect(rows.filter(has_text="Coffee machine leaks")).to_be_visible()
    await expect(rows.first).to_contain_text("Coffee machine leaks")  # newest first
    for target, query, body in await fetches.bodies():
        assert target == "queue-rows"
        assert "rows=" in query
        assert "<html" not in body


async def test_a_ticket_assigned_away_leaves_the_queue_of_tickets_without_owner(
    acme, acme_team, acme_agent, other_agent, open_as
):
    waiting = await database_sync_to_async(open_ticket)(acme, "Waiting here", team=acme_team)
    path = "/workspace/queues/unassigned/"
    queue = await open_live(await open_as(acme, acme_agent), path)
    fetches = Fetches(queue, path)
    row = queue.locator("#queue-rows tr.queue-row").filter(has_text="Waiting here")
    await expect(row).to_be_visible()
    await database_sync_to_async(assign)(acme, waiting, other_agent)
    await expect(row).to_have_count(0)
    await expect(queue.locator("#queue-rows")).to_contain_text("No tickets here.")
    for target, _query, body in await fetches.bodies():
        assert target == "queue-rows"
        assert "<html" not in body


async def test_a_reply_appears_in_an_open_ticket_pages_thread(
    acme, acme_team, acme_agent, other_agent, open_as
):
    ticket = await database_sync_to_async(open_ticket)(acme, "VPN drops", team=acme_team)
    path = f"/workspace/tickets/{ticket.number}/"
    page = await open_live(await open_as(acme, acme_agent), path)
    fetches = Fetches(page, path)
    await database_sync_to_async(reply)(acme, ticket, other_agent, "Restarted the tunnel.")
    await expect(page.locator("#thread")).to_contain_text("Restarted the tunnel.")
    await expect(page.locator("#history-region")).to_contain_text(other_agent.get_full_name())
    asked = await fetches.bodies()
    assert {target for target, _query, _body in asked} <= {
        "thread-region",
        "sla-region",
        "history-region",
        "alerts-region",
    }
    assert all("<html" not in body for _target, _query, body in asked)
