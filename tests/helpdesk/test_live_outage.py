"""Live pages through a Redis outage: no change made meanwhile goes unnoticed by an open page.

The live updates' Redis is a server of the test's own (`live_redis`), stopped and started
again: with its data kept (an append-only file, as docker-compose runs it) or lost (as the
embedded server of `make run`, which keeps nothing on disk).
"""

from __future__ import annotations

import asyncio

import pytest

from helpdesk import live
from tests.conftest import ThrowawayRedis, client_for
from tests.helpdesk.test_live import connected, open_ticket, socket

pytestmark = pytest.mark.django_db(transaction=True)


async def told_to_resync(communicator) -> bool:
    while True:
        event = await communicator.receive_json_from(timeout=15)
        if event["type"] == "live.resync":
            return True


async def outage(server: ThrowawayRedis, tenant, count: int, *, empty: bool = False) -> list:
    """Stop Redis, open `count` tickets as intake does, start Redis again."""
    await asyncio.to_thread(server.stop)
    opened = [
        await asyncio.to_thread(open_ticket, tenant, f"During the outage {n}") for n in range(count)
    ]
    await asyncio.to_thread(server.start, empty=empty)
    return opened


async def test_a_page_that_reconnects_after_redis_lost_its_data_refreshes_everything(
    acme, acme_agent, live_redis
):
    since = await asyncio.to_thread(live.current_seq, acme.pk)
    await outage(live_redis, acme, 3, empty=True)
    page = socket("acme.localhost", await asyncio.to_thread(client_for, acme, acme_agent))
    assert await connected(page)
    await page.send_json_to({"type": "catch_up", "since": since})
    assert await told_to_resync(page)
    await page.disconnect()


async def test_changes_after_redis_lost_its_data_are_numbered_after_every_earlier_one(
    acme, live_redis
):
    await asyncio.to_thread(open_ticket, acme, "Before")
    await asyncio.to_thread(live._sender.drain)
    before = await asyncio.to_thread(live.current_seq, acme.pk)
    await asyncio.to_thread(live_redis.stop)
    await asyncio.to_thread(live_redis.start, empty=True)
    await asyncio.to_thread(open_ticket, acme, "After")
    await asyncio.to_thread(live._sender.drain)
    assert await asyncio.to_thread(live.current_seq, acme.pk) > before
