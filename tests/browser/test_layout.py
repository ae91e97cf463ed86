"""Look and layout in a real browser: a dense queue at 1,440 px, every page usable at 390 px."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from channels.db import database_sync_to_async

from helpdesk.models import User
from helpdesk.tenancy import Role, tenant_context
from tests.browser.conftest import ACTION_TIMEOUT_MS, browser_tests, open_live
from tests.conftest import member
from tests.factories import (
    ContactFactory,
    OrganizationFactory,
    SlaTargetFactory,
    TeamMemberFactory,
    TicketFactory,
)
from tickets import services
from tickets.models import Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
LONG_SUBJECT = (
    "The invoice portal rejects every upload of our quarterly statements with an error about"
    " a missing cost centre, although the cost centre is filled in on every single line"
)
LONG_NAME = "Maximiliane Alexandra von Hohenzollern-Sigmaringen-Wittelsbach"

# Whether the page can be scrolled sideways: wider than the window it is shown in.
SCROLLS_SIDEWAYS = "document.scrollingElement.scrollWidth > window.innerWidth"


@pytest.fixture
def other_agent(acme, acme_team) -> User:
    bob = member(acme, "bob@acme.example", Role.AGENT)
    TeamMemberFactory(tenant=acme, team=acme_team, user=bob)
    return bob


def crowded_queue(tenant, team, count: int = 50) -> None:
    """`count` tickets of `team` with long subjects and long requester names."""
    with tenant_context(tenant):
        org = OrganizationFactory(tenant=tenant, name="Hohenzollern Holding International GmbH")
        for n in range(count):
            requester = ContactFactory(tenant=tenant, name=f"{LONG_NAME} {n}", organization=org)
            TicketFactory(
                tenant=tenant, team=team, requester=requester, subject=f"{LONG_SUBJECT} ({n})",
                tags=["invoices", "upload", "cost-centre"],
            )  # fmt: skip


def open_ticket(tenant, subject: str, **fields) -> Ticket:
    with tenant_context(tenant):
        requester = fields.pop("requester", None) or ContactFactory(tenant=tenant, name=LONG_NAME)
        return services.ticket_open(requester=requester, subject=subject, channel="api", **fields)


def ticket_with_sla(tenant, team) -> Ticket:
    """A ticket of `team` whose first response is due in an hour."""
    with tenant_context(tenant):
        SlaTargetFactory(tenant=tenant, priority=Ticket.Priority.MEDIUM, first_response_minutes=60)
    return open_ticket(tenant, LONG_SUBJECT, team=team, priority=Ticket.Priority.MEDIUM)


def customers_ticket(tenant, customer: User) -> Ticket:
    with tenant_context(tenant):
        requester = ContactFactory(tenant=tenant, user=customer, email=customer.email)
    ticket = open_ticket(tenant, LONG_SUBJECT, requester=requester)
    with tenant_context(tenant):
        services.ticket_reply_add(
            ticket=ticket, text=LONG_SUBJECT + " " + "x" * 120, channel="portal",
            author_contact=requester,
        )  # fmt: skip
    return ticket


# --- the queue at 1,440 px --------------------------------------------------------------------


async def test_each_ticket_of_a_long_queue_takes_one_line_on_a_1440_px_screen(
    acme, acme_team, acme_agent, open_as
):
    await database_sync_to_async(crowded_queue)(acme, acme_team)
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(DESKTOP)
    await page.goto(f"/workspace/teams/{acme_team.pk}/")
    rows = page.locator("#queue-rows tr.queue-row")
    await expect(rows).to_have_count(50)
    heights = await page.evaluate(
        """() => Array.from(document.querySelectorAll("#queue-rows tr.queue-row"), (row) => {
            const cell = row.querySelector("td.subject");
            const line = parseFloat(getComputedStyle(cell).lineHeight);
            return row.getBoundingClientRect().height / line;
        })"""
    )
    assert max(heights) < 2, "a row wraps onto a second line"
    first = rows.first
    await expect(first.locator("td.subject")).to_have_attribute("title", f"{LONG_SUBJECT} (49)")
    await expect(first.locator("td.requester")).to_have_attribute(
        "title", re.compile(f"^{LONG_NAME} 49")
    )
    table = await page.locator("table.queue-table").bounding_box()
    assert table["width"] >= 1100, "the queue leaves the width of the screen unused"
    assert not await page.evaluate(SCROLLS_SIDEWAYS)


async def test_two_statuses_picked_by_clicking_both_filter_the_queue(
    acme, acme_team, acme_agent, open_as
):
    def tickets() -> None:
        with tenant_context(acme):
            for status, subject in (("new", "Fresh one"), ("pending", "Waiting one")):
                TicketFactory(tenant=acme, team=acme_team, status=status, subject=subject)
            TicketFactory(tenant=acme, team=acme_team, status="open", subject="Busy one")

    await database_sync_to_async(tickets)()
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(DESKTOP)
    await page.goto(f"/workspace/teams/{acme_team.pk}/")
    await page.get_by_text("Filter and sort").click()
    statuses = page.get_by_role("group", name="Status")
    await statuses.locator("summary").click()
    await statuses.get_by_label("New").click()
    await statuses.get_by_label("Pending").click()
    await page.get_by_role("button", name="Apply", exact=True).click()
    await page.wait_for_url("**status=pending**")
    assert parse_qs(urlsplit(page.url).query)["status"] == ["new", "pending"]
    rows = page.locator("#queue-rows tr.queue-row")
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="Fresh one")).to_have_count(1)
    await expect(rows.filter(has_text="Waiting one")).to_have_count(1)
    await expect(statuses.locator("summary")).to_contain_text("New, Pending")


# --- the ticket page --------------------------------------------------------------------------


async def test_the_ticket_page_shows_the_conversation_with_the_details_beside_it_at_1440_px(
    acme, acme_team, acme_agent, open_as
):
    ticket = await database_sync_to_async(open_ticket)(acme, "VPN drops", team=acme_team)
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(DESKTOP)
    await page.goto(f"/workspace/tickets/{ticket.number}/")
    conversation = await page.locator("#thread-region").bounding_box()
    details = await page.locator("aside.ticket-side").bounding_box()
    assert await page.evaluate(
        """() => Boolean(document.getElementById("thread-region").compareDocumentPosition(
            document.querySelector("aside.ticket-side")) & Node.DOCUMENT_POSITION_FOLLOWING)"""
    ), "the details come before the conversation"
    assert details["x"] >= conversation["x"] + conversation["width"]
    assert conversation["width"] >= 2 * details["width"]


async def test_the_history_of_a_ticket_opens_with_one_click(acme, acme_team, acme_agent, open_as):
    ticket = await database_sync_to_async(open_ticket)(acme, "VPN drops", team=acme_team)
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(DESKTOP)
    await page.goto(f"/workspace/tickets/{ticket.number}/")
    events = page.locator("#history-region .events li")
    await expect(events.first).to_be_hidden()
    await page.get_by_text("History", exact=False).first.click()
    await expect(events.first).to_be_visible()


async def test_the_ticket_details_come_below_the_conversation_on_a_phone(
    acme, acme_team, acme_agent, open_as
):
    ticket = await database_sync_to_async(open_ticket)(acme, LONG_SUBJECT, team=acme_team)
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(PHONE)
    await page.goto(f"/workspace/tickets/{ticket.number}/")
    conversation = await page.locator("#thread-region").bounding_box()
    details = await page.locator("aside.ticket-side").bounding_box()
    assert details["y"] >= conversation["y"] + conversation["height"]
    assert not await page.evaluate(SCROLLS_SIDEWAYS)


# --- 390 px -----------------------------------------------------------------------------------


async def test_no_workspace_page_scrolls_sideways_on_a_phone(acme, acme_team, acme_agent, open_as):
    await database_sync_to_async(crowded_queue)(acme, acme_team, 5)
    ticket = await database_sync_to_async(ticket_with_sla)(acme, acme_team)
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(PHONE)
    for path in (
        "/workspace/",
        f"/workspace/teams/{acme_team.pk}/",
        f"/workspace/tickets/{ticket.number}/",
        "/workspace/phone/",
    ):
        await page.goto(path)
        assert not await page.evaluate(SCROLLS_SIDEWAYS), path


async def test_no_managers_page_scrolls_sideways_on_a_phone(acme, acme_manager, open_as):
    page = await open_as(acme, acme_manager)
    await page.set_viewport_size(PHONE)
    for path in ("/reports/", "/reports/sla-replay/", "/workspace/macros/"):
        await page.goto(path)
        assert not await page.evaluate(SCROLLS_SIDEWAYS), path


async def test_no_portal_page_scrolls_sideways_on_a_phone(acme, acme_customer, open_as):
    ticket = await database_sync_to_async(customers_ticket)(acme, acme_customer)
    page = await open_as(acme, acme_customer)
    await page.set_viewport_size(PHONE)
    for path in ("/portal/", "/portal/new/", f"/portal/tickets/{ticket.number}/"):
        await page.goto(path)
        assert not await page.evaluate(SCROLLS_SIDEWAYS), path


async def test_the_login_page_does_not_scroll_sideways_on_a_phone(acme, browser, web_server):
    context = await browser.new_context(base_url=web_server.url(acme), viewport=PHONE)
    try:
        page = await context.new_page()
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        for path in ("/accounts/login/", "/portal/start/"):
            await page.goto(path)
            assert not await page.evaluate(SCROLLS_SIDEWAYS), path
    finally:
        await context.close()


async def test_the_header_menu_opens_from_a_button_on_a_phone(acme, acme_team, acme_agent, open_as):
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(PHONE)
    await page.goto("/workspace/")
    header = page.locator("header.topbar")
    workspace_link = header.get_by_role("link", name="Log a call")
    await expect(workspace_link).to_be_hidden()
    menu = header.get_by_role("button", name="Menu")
    await expect(menu).to_have_attribute("aria-expanded", "false")
    await menu.click()
    await expect(menu).to_have_attribute("aria-expanded", "true")
    await expect(workspace_link).to_be_visible()
    await expect(header.get_by_role("button", name="Log out")).to_be_visible()
    assert not await page.evaluate(SCROLLS_SIDEWAYS)


async def test_the_header_menu_is_open_on_a_wide_screen(acme, acme_team, acme_agent, open_as):
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(DESKTOP)
    await page.goto("/workspace/")
    header = page.locator("header.topbar")
    await expect(header.get_by_role("link", name="Log a call")).to_be_visible()
    await expect(header.get_by_role("button", name="Menu")).to_be_hidden()


async def test_queue_rows_are_cards_with_reference_subject_status_and_sla_on_a_phone(
    acme, acme_team, acme_agent, open_as
):
    ticket = await database_sync_to_async(ticket_with_sla)(acme, acme_team)
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(PHONE)
    await page.goto(f"/workspace/teams/{acme_team.pk}/")
    card = page.locator("#queue-rows tr.queue-row").first
    await expect(page.locator("table.queue-table thead")).to_be_hidden()
    for part, text in (
        ("td.reference", f"{acme.ticket_prefix}-{ticket.number}"),
        ("td.subject", LONG_SUBJECT[:20]),
        ("td.status", "New"),
        ("td.sla", "in "),
    ):
        cell = card.locator(part)
        await expect(cell).to_be_visible()
        await expect(cell).to_contain_text(text)
        box = await cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], part
    await expect(card.locator("td.sla")).to_contain_text("SLA")  # labelled in a card
    box = await card.bounding_box()
    assert box["width"] <= PHONE["width"]


async def test_teammates_and_other_viewers_are_named_on_a_phone(
    acme, acme_team, acme_agent, other_agent, open_as
):
    ticket = await database_sync_to_async(open_ticket)(acme, "VPN drops", team=acme_team)
    path = f"/workspace/tickets/{ticket.number}/"
    page = await open_as(acme, acme_agent)
    await page.set_viewport_size(PHONE)
    await open_live(page, path)
    await open_live(await open_as(acme, other_agent), path)
    presence = page.locator("#ticket-presence")
    await expect(presence).to_contain_text(other_agent.get_full_name())
    await expect(presence).to_be_visible()
    await page.goto("/workspace/")
    teammates = page.locator("#teammates")
    await expect(teammates.get_by_text(other_agent.get_full_name())).to_be_visible()
    box = await teammates.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]
