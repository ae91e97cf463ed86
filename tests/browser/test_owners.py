"""Nothing lands on nobody, in a real browser: a waiting ticket says why, on its page and in
the queue; an SLA breach shows on the ticket's open page and as a notice to those told."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from helpdesk.models import Tenant, User
from helpdesk.tenancy import tenant_context
from sla import services as sla_services
from tests.browser.conftest import browser_tests, open_live
from tests.factories import AgentProfileFactory, ContactFactory, TeamFactory, TeamMemberFactory
from tickets import services
from tickets.models import Team, Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


@pytest.fixture
def l2(acme, acme_agent) -> Team:
    """A round-robin team whose one agent takes one ticket at a time."""
    team = TeamFactory(tenant=acme, name="L2", assignment_strategy="round_robin")
    TeamMemberFactory(tenant=acme, team=team, user=acme_agent)
    AgentProfileFactory(tenant=acme, user=acme_agent, availability="online", capacity=1)
    return team


def open_ticket(tenant: Tenant, subject: str, **fields) -> Ticket:
    with tenant_context(tenant):
        return services.ticket_open(
            requester=ContactFactory(tenant=tenant), subject=subject, channel="api", **fields
        )


def solve(tenant: Tenant, ticket: Ticket, agent: User) -> None:
    with tenant_context(tenant):
        services.ticket_status_change(ticket=ticket, status="solved", by=agent)


def where(tenant: Tenant, ticket: Ticket) -> tuple[str, str]:
    """The ticket's page and its reference, as the desk shows them."""
    with tenant_context(tenant):
        ticket = Ticket.objects.select_related("tenant").get(pk=ticket.pk)
        return ticket.get_absolute_url(), ticket.reference


def with_sla(tenant: Tenant) -> None:
    with tenant_context(tenant):
        sla_services.sla_defaults_create(time_zone="Europe/Berlin")


def sweep_days_later(tenant: Tenant, days: int = 10) -> None:
    """The SLA sweep as it runs once every clock of today's tickets is long overdue."""
    with tenant_context(tenant):
        sla_services.clocks_sweep(now=timezone.now() + timedelta(days=days))


async def test_the_queue_and_the_ticket_page_say_why_a_ticket_waits_until_it_has_an_owner(
    acme, acme_agent, l2, open_as
):
    first = await database_sync_to_async(open_ticket)(acme, "First", team=l2)
    await database_sync_to_async(open_ticket)(acme, "Left over", team=l2)
    page = await open_as(acme, acme_agent)
    queue = await open_live(page, f"/workspace/teams/{l2.pk}/")
    row = queue.locator("#queue-rows tr.queue-row").filter(has_text="Left over")
    await expect(row.locator(".waiting-reason")).to_have_text(
        "Waiting: every agent of L2 is at capacity."
    )
    await row.locator("a.row-link").click()
    await expect(page.locator("#alerts-region")).to_contain_text(
        "Waiting: every agent of L2 is at capacity."
    )
    await open_live(page, f"/workspace/teams/{l2.pk}/")
    await database_sync_to_async(solve)(acme, first, acme_agent)  # room again: it is given out
    await expect(row.locator(".waiting-reason")).to_have_count(0)
    await expect(row).to_contain_text(str(acme_agent))


async def test_an_open_ticket_page_shows_an_sla_breach_the_moment_it_is_recorded(
    acme, acme_agent, l2, open_as
):
    await database_sync_to_async(with_sla)(acme)
    ticket = await database_sync_to_async(open_ticket)(
        acme, "Checkout down", team=l2, priority="high"
    )
    url, _reference = await database_sync_to_async(where)(acme, ticket)
    page = await open_live(await open_as(acme, acme_agent), url)
    alerts = page.locator("#alerts-region [data-sla-alert=breached]")
    await expect(alerts).to_have_count(0)
    await database_sync_to_async(sweep_days_later)(acme)
    first_response = alerts.filter(has_text="First response")
    await expect(first_response).to_be_visible()
    await expect(first_response).to_contain_text("SLA breached:")


async def test_the_desks_admin_sees_a_notice_when_a_ticket_without_team_or_owner_breaches(
    acme, acme_admin, open_as
):
    await database_sync_to_async(with_sla)(acme)
    ticket = await database_sync_to_async(open_ticket)(acme, "Lost mail", priority="high")
    url, reference = await database_sync_to_async(where)(acme, ticket)
    await open_live(page := await open_as(acme, acme_admin), "/workspace/")
    await database_sync_to_async(sweep_days_later)(acme)
    notice = page.locator("#sla-toasts .sla-toast-breached")
    await expect(notice).to_have_text(re.compile(f"^SLA breached: {reference} is overdue."))
    await notice.get_by_role("link", name=reference).click()
    await expect(page).to_have_url(re.compile(re.escape(url) + "$"))
