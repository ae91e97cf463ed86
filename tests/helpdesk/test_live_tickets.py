"""Ticket pages over the live socket: catching up after a disconnect, viewers and typing."""

from __future__ import annotations

import asyncio

import pytest

from helpdesk import live
from helpdesk.tenancy import Role, tenant_context
from tests.conftest import client_for, member
from tests.helpdesk.test_live import connected, open_ticket, socket

pytestmark = pytest.mark.django_db(transaction=True)


async def next_of(communicator, kind: str) -> dict:
    while True:
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] == kind:
            return event


async def test_a_page_that_reconnects_receives_what_it_missed(acme, acme_agent):
    since = await asyncio.to_thread(live.current_seq, acme.pk)
    missed = await asyncio.to_thread(open_ticket, acme, "While you were away")
    await asyncio.to_thread(live._sender.drain)
    communicator = socket("acme.localhost", await asyncio.to_thread(client_for, acme, acme_agent))
    assert await connected(communicator)
    await communicator.send_json_to({"type": "catch_up", "since": since})
    event = await next_of(communicator, "ticket.created")
    assert event["ticket"] == missed.pk
    await communicator.disconnect()


async def test_a_page_too_far_behind_is_told_to_refresh_everything(acme, acme_agent):
    await asyncio.to_thread(open_ticket, acme, "Recent")
    await asyncio.to_thread(live._sender.drain)
    await asyncio.to_thread(live._redis().delete, live._log_key(acme.pk))  # log expired
    communicator = socket("acme.localhost", await asyncio.to_thread(client_for, acme, acme_agent))
    assert await connected(communicator)
    await communicator.send_json_to({"type": "catch_up", "since": 0})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "live.resync"
    await communicator.disconnect()


async def test_catching_up_replays_nothing_of_another_desk(acme, globex, acme_agent):
    since = await asyncio.to_thread(live.current_seq, acme.pk)
    await asyncio.to_thread(open_ticket, globex, "Globex secret")
    await asyncio.to_thread(live._sender.drain)
    communicator = socket("acme.localhost", await asyncio.to_thread(client_for, acme, acme_agent))
    assert await connected(communicator)
    await communicator.send_json_to({"type": "catch_up", "since": since})
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_two_agents_on_one_ticket_see_each_other_and_their_typing(acme, acme_agent):
    ticket = await asyncio.to_thread(open_ticket, acme, "Shared ticket")
    bea = await asyncio.to_thread(member, acme, "bea@acme.example", Role.AGENT)
    first = socket("acme.localhost", await asyncio.to_thread(client_for, acme, acme_agent))
    second = socket("acme.localhost", await asyncio.to_thread(client_for, acme, bea))
    assert await connected(first) and await connected(second)
    await first.send_json_to({"type": "ticket.watch", "ticket": ticket.pk})
    await next_of(first, "ticket.viewers")
    await second.send_json_to({"type": "ticket.watch", "ticket": ticket.pk})
    viewers = await next_of(first, "ticket.viewers")
    assert {viewer["id"] for viewer in viewers["viewers"]} == {acme_agent.pk, bea.pk}
    await second.send_json_to({"type": "ticket.typing", "ticket": ticket.pk})
    typing = await next_of(first, "ticket.typing")
    assert typing["user"] == bea.pk
    await second.disconnect()
    left = await next_of(first, "ticket.viewers")
    assert [viewer["id"] for viewer in left["viewers"]] == [acme_agent.pk]
    await first.disconnect()


async def test_a_customer_cannot_follow_someone_elses_ticket(acme, acme_customer):
    ticket = await asyncio.to_thread(open_ticket, acme, "Not yours")
    communicator = socket(
        "acme.localhost", await asyncio.to_thread(client_for, acme, acme_customer)
    )
    assert await connected(communicator)
    await communicator.send_json_to({"type": "ticket.watch", "ticket": ticket.pk})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "ticket.refused"
    await communicator.disconnect()


async def test_an_agent_cannot_follow_another_desks_ticket(acme, globex, acme_agent):
    theirs = await asyncio.to_thread(open_ticket, globex, "Globex ticket")
    communicator = socket("acme.localhost", await asyncio.to_thread(client_for, acme, acme_agent))
    assert await connected(communicator)
    await communicator.send_json_to({"type": "ticket.watch", "ticket": theirs.pk})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "ticket.refused"
    await communicator.disconnect()


async def test_an_agent_going_online_is_announced_to_the_desk_live(acme, acme_agent):
    from tickets import assignment

    browser = await asyncio.to_thread(client_for, acme, acme_agent)
    communicator = socket("acme.localhost", browser)
    assert await connected(communicator)

    def go_online():
        with tenant_context(acme):
            assignment.agent_availability_set(agent=acme_agent, availability="online")

    await asyncio.to_thread(go_online)
    event = await communicator.receive_json_from(timeout=5)
    assert (event["type"], event["agent"]) == ("agent.status_changed", acme_agent.pk)
    await communicator.disconnect()
