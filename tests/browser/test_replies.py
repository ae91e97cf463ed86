"""Replies that really go out, in a real browser: the way a reply takes is shown before
sending, and afterwards on the reply itself; "Reply sent." only for a reply that went."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from helpdesk.tenancy import tenant_context
from tests.browser.conftest import browser_tests, open_live
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


def open_ticket(tenant, channel: str, **requester) -> Ticket:
    with tenant_context(tenant):
        contact = ContactFactory(tenant=tenant, name="Carol", **requester)
        return services.ticket_open(
            requester=contact, subject="Router down", description="Since this morning.",
            channel=channel,
        )  # fmt: skip


async def test_a_reply_to_a_caller_without_email_warns_first_and_is_never_called_sent(
    acme, acme_agent, open_as
):
    ticket = await database_sync_to_async(open_ticket)(acme, "phone", email="", phone="+4930123")
    page = await open_live(await open_as(acme, acme_agent), f"/workspace/tickets/{ticket.number}/")
    await expect(page.locator("#reply-path")).to_contain_text(
        "No way to reach this requester: add an email address."
    )
    await page.get_by_label("Message").fill("We tried to call you back.")
    await page.get_by_role("button", name="Send", exact=True).click()
    await expect(page.locator(".messages")).to_contain_text("Reply saved but not sent")
    await expect(page.locator(".messages")).not_to_contain_text("Reply sent.")
    reply = page.locator("#thread li.entry").filter(has_text="We tried to call you back.")
    await expect(reply).to_contain_text("not sent: the requester has no email address")


async def test_a_reply_on_an_email_ticket_shows_it_was_sent_by_email(acme, acme_agent, open_as):
    ticket = await database_sync_to_async(open_ticket)(acme, "email", email="carol@bank.example")
    page = await open_live(await open_as(acme, acme_agent), f"/workspace/tickets/{ticket.number}/")
    await expect(page.locator("#reply-path")).to_contain_text(
        "This reply will be sent by email to carol@bank.example."
    )
    await page.get_by_label("Message").fill("The router is replaced today.")
    await page.get_by_role("button", name="Send", exact=True).click()
    await expect(page.locator(".messages")).to_contain_text(
        "Reply sent by email to carol@bank.example."
    )
    reply = page.locator("#thread li.entry").filter(has_text="The router is replaced today.")
    await expect(reply).to_contain_text("sent by email")
