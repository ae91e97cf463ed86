"""An open page through a Redis outage, in a real browser: what changed meanwhile shows after."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from helpdesk.tenancy import tenant_context
from tests.browser.conftest import browser_tests, open_live
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Ticket

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests

# ms: after Redis is back, the server's subscriptions return within seconds (redis-py's
# reconnection backs off), then the page refreshes its rows.
RECOVERY_TIMEOUT_MS = 30_000


def open_ticket(tenant, subject: str, **fields) -> Ticket:
    with tenant_context(tenant):
        requester = ContactFactory(tenant=tenant)
        return services.ticket_open(requester=requester, subject=subject, channel="api", **fields)


@pytest.mark.parametrize("data", ["kept", "lost"])
async def test_tickets_opened_while_redis_was_down_appear_in_an_open_queue_once_it_is_back(
    data, acme, acme_team, acme_agent, live_redis, open_on_live_redis
):
    queue = await open_live(
        await open_on_live_redis(acme, acme_agent), f"/workspace/teams/{acme_team.pk}/"
    )
    await asyncio.to_thread(live_redis.stop)
    for n in range(40):
        await database_sync_to_async(open_ticket)(acme, f"Opened in the outage {n}", team=acme_team)
    await asyncio.to_thread(live_redis.start, empty=data == "lost")
    rows = queue.locator("#queue-rows tr.queue-row").filter(has_text="Opened in the outage")
    await expect(rows).to_have_count(40, timeout=RECOVERY_TIMEOUT_MS)
