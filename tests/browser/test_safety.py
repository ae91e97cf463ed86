"""Dangerous one-click actions ask first or can be undone: merge, macros, blocking a sender."""

from __future__ import annotations

import re

import pytest
from channels.db import database_sync_to_async

from helpdesk.tenancy import tenant_context
from tests.browser.conftest import browser_tests
from tests.factories import ContactFactory
from tickets import macros, services
from tickets.models import Macro, Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


def open_ticket(tenant, subject: str) -> Ticket:
    with tenant_context(tenant):
        requester = ContactFactory(tenant=tenant, name=f"Requester of {subject}")
        ticket = services.ticket_open(requester=requester, subject=subject, channel="api")
        return Ticket.objects.select_related("tenant").get(pk=ticket.pk)


def ticket_now(tenant, ticket: Ticket) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.get(pk=ticket.pk)


def solved_macro(tenant) -> Macro:
    with tenant_context(tenant):
        return macros.macro_save(
            macro=Macro(name="Solved", body="All done.", set_status="solved"), owner=None
        )


async def test_a_merge_shows_both_tickets_first_and_can_be_undone(acme, acme_agent, open_as):
    first = await database_sync_to_async(open_ticket)(acme, "Printer jams")
    second = await database_sync_to_async(open_ticket)(acme, "Printer still jams")
    page = await open_as(acme, acme_agent)
    await page.goto(first.get_absolute_url())
    await page.fill("#merge-target", second.reference)
    await page.get_by_role("button", name="Merge into", exact=True).click()

    for ticket in (first, second):
        side = page.get_by_role("region", name=ticket.reference)
        await expect(side).to_contain_text(ticket.subject)
        await expect(side).to_contain_text(f"Requester of {ticket.subject}")
        await expect(side).to_contain_text("1 message")
    assert (await database_sync_to_async(ticket_now)(acme, first)).merged_into_id is None

    await page.get_by_role("button", name=f"Merge into {second.reference}").click()
    await expect(page).to_have_url(re.compile(f"{second.get_absolute_url()}$"))
    await page.get_by_role("button", name="Undo merge").click()
    await expect(page.get_by_role("status").first).to_contain_text("The merge was undone")
    await expect(page.locator("h1")).to_contain_text("Printer jams")
    restored = await database_sync_to_async(ticket_now)(acme, first)
    assert (restored.merged_into_id, restored.status) == (None, first.status)


async def test_a_macro_shows_what_it_does_before_it_is_applied(acme, acme_agent, open_as):
    ticket = await database_sync_to_async(open_ticket)(acme, "Printer jams")
    await database_sync_to_async(solved_macro)(acme)
    page = await open_as(acme, acme_agent)
    await page.goto(ticket.get_absolute_url())
    await expect(page.get_by_role("button", name="Apply", exact=True)).to_have_count(0)
    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator("#macro-preview")).to_contain_text("All done.")
    assert (await database_sync_to_async(ticket_now)(acme, ticket)).status == "new"

    await page.get_by_role("button", name="Apply “Solved”").click()
    await expect(page.get_by_role("status").first).to_contain_text("Macro “Solved” applied.")
    assert (await database_sync_to_async(ticket_now)(acme, ticket)).status == "solved"


async def test_marking_spam_does_not_block_the_sender_unless_asked(acme, acme_agent, open_as):
    ticket = await database_sync_to_async(open_ticket)(acme, "Cheap pills")
    page = await open_as(acme, acme_agent)
    await page.goto(ticket.get_absolute_url())
    await expect(page.get_by_label("Block the sender")).not_to_be_checked()
