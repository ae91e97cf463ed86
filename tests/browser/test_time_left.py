"""Times left keep ticking on an open page, with no server event, and turn overdue on time."""

from __future__ import annotations

import re

import pytest
from channels.db import database_sync_to_async

from helpdesk.tenancy import tenant_context
from sla import services as sla_services
from tests.browser.conftest import browser_tests, open_live
from tests.factories import ContactFactory, OrganizationFactory
from tickets import services
from tickets.models import Organization, Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


def urgent_ticket(tenant, team) -> Ticket:
    """A critical ticket of an enterprise customer: first response due in an hour, 24/7."""
    with tenant_context(tenant):
        sla_services.sla_defaults_create(time_zone="Europe/Berlin")
        organization = OrganizationFactory(tenant=tenant, tier=Organization.Tier.ENTERPRISE)
        requester = ContactFactory(tenant=tenant, organization=organization)
        return services.ticket_open(
            requester=requester,
            subject="Server down",
            channel="api",
            priority="critical",
            team=team,
        )


def office_hours_ticket(tenant, team) -> Ticket:
    """A critical ticket of a standard customer: its clock counts in Berlin's office hours."""
    with tenant_context(tenant):
        sla_services.sla_defaults_create(time_zone="Europe/Berlin")
        return services.ticket_open(
            requester=ContactFactory(tenant=tenant),
            subject="Printer jammed",
            channel="api",
            priority="critical",
            team=team,
        )


# Seconds left of a value as the server rendered it (its due time rounds to a whole minute, so
# a test moves the page's clock to a chosen time left, half a minute from a change of wording).
LEFT_AT_RENDER = """(time) => time.dataset.left !== undefined
  ? parseFloat(time.dataset.left)
  : (Date.parse(time.getAttribute("datetime"))
     - Date.parse(document.querySelector("script[data-words]").dataset.now)) / 1000"""


class PageClock:
    """Moves a page's clock forward until a value shown on it has a chosen time left."""

    def __init__(self, page, time) -> None:
        self.page, self.time, self.moved = page, time, 0

    async def to(self, minutes_left: float) -> None:
        left = await self.time.evaluate(LEFT_AT_RENDER)
        step = int((left - minutes_left * 60) * 1000) - self.moved
        await self.page.clock.fast_forward(step)
        self.moved += step


async def test_a_queue_rows_time_left_counts_down_and_turns_overdue_without_an_event(
    acme, acme_team, acme_agent, open_as
):
    await database_sync_to_async(urgent_ticket)(acme, acme_team)
    page = await open_as(acme, acme_agent)
    await page.clock.install()
    await open_live(page, f"/workspace/teams/{acme_team.pk}/")
    due = page.locator("#queue-rows tr.queue-row time.due")
    clock = PageClock(page, due)
    await expect(due).to_have_text(re.compile(r"^in (59 min|1 h 00 min)$"))
    await clock.to(25.5)
    await expect(due).to_have_text("in 25 min")
    await expect(due).not_to_have_class(re.compile(r"\boverdue\b"))
    await clock.to(-1.5)
    await expect(due).to_have_text("overdue 1 min")
    await expect(due).to_have_class(re.compile(r"\boverdue\b"))


async def test_a_ticket_pages_business_time_left_counts_down_and_turns_overdue(
    acme, acme_team, acme_agent, open_as
):
    ticket = await database_sync_to_async(urgent_ticket)(acme, acme_team)
    page = await open_as(acme, acme_agent)
    await page.clock.install()
    await open_live(page, f"/workspace/tickets/{ticket.number}/")
    left = page.locator("#sla-region time[data-tick=business]").first
    clock = PageClock(page, left)
    await expect(left).to_have_text(re.compile(r"^(59 min|1 h 00 min) business time left$"))
    await clock.to(14.5)
    await expect(left).to_have_text("14 min business time left")
    await clock.to(-1.5)
    await expect(left).to_have_text("1 min business time overdue")
    await expect(left).to_have_class(re.compile(r"\boverdue\b"))


async def test_a_german_ticket_page_counts_down_in_german(acme, acme_team, acme_agent, open_as):
    ticket = await database_sync_to_async(urgent_ticket)(acme, acme_team)
    page = await open_as(acme, acme_agent)
    await page.context.set_extra_http_headers({"Accept-Language": "de"})
    await page.clock.install()
    await open_live(page, f"/workspace/tickets/{ticket.number}/")
    left = page.locator("#sla-region time[data-tick=business]").first
    clock = PageClock(page, left)
    await expect(left).to_have_text(re.compile(r"^noch (59 Min\.|1 Std\. 00 Min\.) Geschäftszeit$"))
    await clock.to(14.5)
    await expect(left).to_have_text("noch 14 Min. Geschäftszeit")
    await clock.to(-1.5)
    await expect(left).to_have_text("1 Min. Geschäftszeit überfällig")


async def test_a_ticket_page_reads_its_clocks_afresh_when_business_hours_open_or_close(
    acme, acme_team, acme_agent, open_as
):
    ticket = await database_sync_to_async(office_hours_ticket)(acme, acme_team)
    page = await open_as(acme, acme_agent)
    await page.clock.install()
    await open_live(page, f"/workspace/tickets/{ticket.number}/")
    left = page.locator("#sla-region time[data-tick=business]").first
    until_change = await left.evaluate(
        """(time) => Date.parse(time.dataset.changes)
          - Date.parse(document.querySelector("script[data-words]").dataset.now)"""
    )
    async with page.expect_request(
        lambda request: request.headers.get("hx-target") == "sla-region"
    ):
        await page.clock.fast_forward(int(until_change) + 60_000)
