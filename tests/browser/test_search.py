"""Search in a real browser: the header's box (or "/"), highlighted results, open the ticket."""

from __future__ import annotations

import re

import pytest
from channels.db import database_sync_to_async

from helpdesk.tenancy import tenant_context
from tests.browser.conftest import browser_tests
from tests.factories import ContactFactory
from tickets import services

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


def ticket_with_reply(tenant, subject: str, reply: str) -> tuple[str, str]:
    """A ticket whose reply holds `reply`: its reference and address."""
    with tenant_context(tenant):
        requester = ContactFactory(tenant=tenant, name="Carol Jones")
        ticket = services.ticket_open(
            requester=requester, subject=subject, description="It will not print.",
            channel="email", language="en",
        )  # fmt: skip
        services.ticket_reply_add(
            ticket=ticket, text=reply, channel="email", author_contact=requester
        )
        return ticket.reference, ticket.get_absolute_url()


async def test_an_agent_types_in_the_header_search_and_opens_the_highlighted_ticket(
    acme, acme_agent, open_as
):
    reference, address = await database_sync_to_async(ticket_with_reply)(
        acme, "Printer trouble", "The fuser makes a grinding noise since Monday."
    )
    page = await open_as(acme, acme_agent)
    await page.goto("/workspace/macros/")  # any workspace page without a queue filter
    await page.keyboard.press("/")
    box = page.locator("#header-search")
    await expect(box).to_be_focused()
    await box.type("grinding")
    await box.press("Enter")
    hit = page.locator(".search-hits li").filter(has_text=reference)
    await expect(hit.locator(".search-snippet mark")).to_have_text("grinding")
    await hit.get_by_role("link", name=reference).click()
    await expect(page).to_have_url(re.compile(re.escape(address) + "$"))
    await expect(page.locator("h1")).to_contain_text("Printer trouble")


async def test_a_ticket_reference_in_the_header_search_opens_the_ticket(acme, acme_agent, open_as):
    reference, _address = await database_sync_to_async(ticket_with_reply)(
        acme, "Toner empty", "Still empty."
    )
    page = await open_as(acme, acme_agent)
    await page.goto("/workspace/macros/")
    box = page.locator("#header-search")
    await box.fill(reference)
    await box.press("Enter")
    await expect(page.locator("h1")).to_contain_text("Toner empty")
    await page.get_by_role("link", name="Carol Jones").first.click()
    await expect(page.locator("h1")).to_have_text("Carol Jones")
    await expect(page.locator("#contact-tickets")).to_contain_text("1 ticket")
