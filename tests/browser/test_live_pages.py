"""What people see change on pages they keep open, in a real browser, without reloading."""

from __future__ import annotations

import pytest

from helpdesk.models import User
from helpdesk.tenancy import Role, tenant_context
from tests.browser.conftest import browser_tests, open_live
from tests.conftest import member
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


@pytest.fixture
def other_agent(acme) -> User:
    return member(acme, "bob@acme.example", Role.AGENT)


@pytest.fixture
def customers_ticket(acme, acme_customer) -> Ticket:
    requester = ContactFactory(tenant=acme, user=acme_customer, email=acme_customer.email)
    with tenant_context(acme):
        return services.ticket_open(requester=requester, subject="VPN drops", channel="portal")


async def test_a_ticket_filed_in_the_portal_appears_in_an_agents_open_workspace(
    acme, acme_team, acme_agent, acme_customer, open_as
):
    workspace = await open_live(await open_as(acme, acme_agent), "/workspace/")
    portal = await open_as(acme, acme_customer)
    await portal.goto("/portal/new/")
    await portal.get_by_label("Subject").fill("Printer on fire")
    await portal.get_by_label("Describe the problem").fill("Floor 3, next to the coffee machine.")
    await portal.get_by_role("button", name="Send request").click()
    await expect(portal.get_by_role("heading", level=1)).to_contain_text("ACME-1")
    await expect(workspace.get_by_role("row").filter(has_text="Printer on fire")).to_be_visible()


async def test_an_agents_reply_appears_in_the_customers_open_ticket(
    acme, acme_agent, acme_customer, customers_ticket, open_as
):
    portal = await open_live(
        await open_as(acme, acme_customer), f"/portal/tickets/{customers_ticket.number}/"
    )
    agent = await open_as(acme, acme_agent)
    await agent.goto(f"/workspace/tickets/{customers_ticket.number}/")
    await agent.get_by_label("Message").fill("A technician is on the way.")
    await agent.get_by_role("button", name="Send", exact=True).click()
    await expect(portal.locator("#thread")).to_contain_text("A technician is on the way.")


async def test_two_agents_on_one_ticket_see_each_other_viewing_it(
    acme, acme_agent, other_agent, customers_ticket, open_as
):
    ticket_page = f"/workspace/tickets/{customers_ticket.number}/"
    first = await open_live(await open_as(acme, acme_agent), ticket_page)
    second = await open_live(await open_as(acme, other_agent), ticket_page)
    await expect(first.locator("#ticket-presence")).to_contain_text(other_agent.get_full_name())
    await expect(second.locator("#ticket-presence")).to_contain_text(acme_agent.get_full_name())


async def test_an_agent_sees_the_other_agent_typing_on_the_same_ticket(
    acme, acme_agent, other_agent, customers_ticket, open_as
):
    ticket_page = f"/workspace/tickets/{customers_ticket.number}/"
    first = await open_live(await open_as(acme, acme_agent), ticket_page)
    second = await open_live(await open_as(acme, other_agent), ticket_page)
    await expect(first.locator("#ticket-presence")).to_contain_text(other_agent.get_full_name())
    await second.get_by_label("Message").press_sequentially("On it")
    await expect(first.locator("#ticket-presence")).to_contain_text(
        f"{other_agent.get_full_name()} is typing"
    )
    await first.get_by_label("Message").press_sequentially("Thanks")
    await expect(second.locator("#ticket-presence")).to_contain_text(
        f"{acme_agent.get_full_name()} is typing"
    )
