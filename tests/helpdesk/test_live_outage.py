"""Live pages through a Redis outage: no change made meanwhile goes unnoticed by an open page.

The live updates' Redis is a server of the test's own (`live_redis`), stopped and started
again: with its data kept (an append-only file, as docker-compose runs it) or lost (as the
embedded server of `make run`, which keeps nothing on disk).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from helpdesk import live
from tests.conftest import ThrowawayRedis, client_for
from tests.helpdesk.test_live import connected, open_ticket, socket

pytestmark = pytest.mark.django_db(transaction=True)


async def open_page(tenant, user):
    """A page's socket that has told the server where it stands, as live.js does on open, and
    whose server has taken it in."""
    communicator = socket(
        f"{tenant.slug}.localhost", await asyncio.to_thread(client_for, tenant, user)
    )
    assert await connected(communicator)
    since = await asyncio.to_thread(live.current_seq, tenant.pk)
    await communicator.send_json_to({"type": "catch_up", "since": since})
    # A socket handles its page's messages one after another: the pong says the catch-up
    # read Redis before the test stops it. Otherwise it may read a Redis already gone, and
    # the page is rightly told to resync, whatever the outage was about.
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    return communicator


async def news_of(communicator, tickets) -> set[int]:
    """The tickets of `tickets` the page heard were created; {-1} if it was told to resync
    instead, which Redis keeping its data never calls for."""
    wanted, heard = {ticket.pk for ticket in tickets}, set()
    while heard != wanted:
        event = await communicator.receive_json_from(timeout=15)
        if event["type"] == "live.resync":
            return {-1}
        if event["type"] == "ticket.created":
            heard.add(event["ticket"])
    return heard


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


def test_tickets_are_opened_while_redis_is_down(acme, live_redis):
    live_redis.stop()
    opened = [open_ticket(acme, f"Printer {n} on fire") for n in range(3)]
    assert [ticket.number for ticket in opened] == [1, 2, 3]


def test_opening_a_ticket_does_not_wait_for_a_redis_that_hangs(acme, live_redis):
    open_ticket(acme, "The first of the day")  # what the process loads once is loaded
    live_redis.freeze()
    started = time.monotonic()
    open_ticket(acme, "Printer on fire")
    assert time.monotonic() - started < 2  # a Redis command gives up after 2 s


async def test_a_page_that_reconnects_after_an_outage_hears_of_tickets_opened_during_it(
    acme, acme_agent, live_redis
):
    since = await asyncio.to_thread(live.current_seq, acme.pk)
    opened = await outage(live_redis, acme, 3)
    page = socket("acme.localhost", await asyncio.to_thread(client_for, acme, acme_agent))
    assert await connected(page)
    await page.send_json_to({"type": "catch_up", "since": since})
    assert await news_of(page, opened) == {ticket.pk for ticket in opened}
    await page.disconnect()


async def test_a_page_open_through_an_outage_hears_of_tickets_opened_during_it(
    acme, acme_agent, live_redis
):
    page = await open_page(acme, acme_agent)
    opened = await outage(live_redis, acme, 3)
    assert await news_of(page, opened) == {ticket.pk for ticket in opened}
    await page.disconnect()


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


async def test_a_page_open_while_redis_lost_its_data_refreshes_everything(
    acme, acme_agent, live_redis
):
    page = await open_page(acme, acme_agent)
    await outage(live_redis, acme, 3, empty=True)
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


@pytest.fixture
def small_outage_buffer(monkeypatch):
    """A process that keeps only two changes while Redis is away."""
    monkeypatch.setattr(live, "WAITING_LIMIT", 2)
    monkeypatch.setattr(live, "_sender", live._Sender())


async def test_a_page_open_through_an_outage_longer_than_kept_refreshes_everything(
    acme, acme_agent, live_redis, small_outage_buffer
):
    page = await open_page(acme, acme_agent)
    await outage(live_redis, acme, 5)
    assert await told_to_resync(page)
    await page.disconnect()


async def test_a_page_that_reconnects_after_an_outage_longer_than_kept_refreshes_everything(
    acme, acme_agent, live_redis, small_outage_buffer
):
    since = await asyncio.to_thread(live.current_seq, acme.pk)
    await outage(live_redis, acme, 5)
    await asyncio.to_thread(live._sender.drain)
    page = socket("acme.localhost", await asyncio.to_thread(client_for, acme, acme_agent))
    assert await connected(page)
    await page.send_json_to({"type": "catch_up", "since": since})
    assert await told_to_resync(page)
    await page.disconnect()


async def test_an_outage_longer_than_kept_at_one_desk_refreshes_no_page_of_another(
    acme, acme_agent, globex, globex_agent, live_redis, small_outage_buffer
):
    acme_page = await open_page(acme, acme_agent)
    globex_page = await open_page(globex, globex_agent)
    await outage(live_redis, acme, 5)
    assert await told_to_resync(acme_page)
    assert await globex_page.receive_nothing(timeout=1)
    await acme_page.disconnect()
    await globex_page.disconnect()
