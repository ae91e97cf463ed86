"""The "Breaching soon" count in the navigation agrees with the list beside it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.utils import timezone

from helpdesk.tenancy import tenant_context
from sla import services as sla_services
from tests.browser.conftest import browser_tests, open_live
from tests.factories import ContactFactory
from tickets import services

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


def desk_with_late_and_fresh_tickets(tenant, team) -> None:
    """Two tickets opened 30 days ago and swept (overdue), and one opened now (on track)."""
    with tenant_context(tenant):
        sla_services.sla_defaults_create(time_zone="Europe/Berlin")
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        for subject in ("Late one", "Late two"):
            with tenant_context(tenant):
                services.ticket_open(
                    requester=ContactFactory(tenant=tenant),
                    subject=subject,
                    channel="api",
                    priority="critical",
                    team=team,
                )
    with tenant_context(tenant):
        sla_services.clocks_sweep(now=timezone.now())
        services.ticket_open(
            requester=ContactFactory(tenant=tenant),
            subject="Fresh one",
            channel="api",
            priority="low",
            team=team,
        )


async def test_the_breaching_soon_count_agrees_with_its_list(acme, acme_team, acme_agent, open_as):
    await database_sync_to_async(desk_with_late_and_fresh_tickets)(acme, acme_team)
    page = await open_live(await open_as(acme, acme_agent), "/workspace/queues/breaching/")
    rows = page.locator("#queue-rows tr.queue-row")
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="Fresh one")).to_have_count(0)
    await expect(page.locator("#count-breaching")).to_have_text("2")
