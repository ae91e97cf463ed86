"""The live socket: members hear their own desk's changes and nothing of another desk's."""

from __future__ import annotations

import asyncio

import pytest
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.test import Client

from helpdesk.asgi import application
from helpdesk.tenancy import tenant_context
from tests.conftest import client_for
from tests.factories import ContactFactory
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)


def socket(host: str, client: Client | None = None, origin: str | None = None):
    headers = [(b"host", host.encode()), (b"origin", f"http://{origin or host}".encode())]
    if client is not None:
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


async def connected(communicator: WebsocketCommunicator) -> bool:
    ok, _code = await communicator.connect(timeout=5)
    if ok:
        assert (await communicator.receive_json_from(timeout=5))["type"] == "live.ready"
    else:
        await communicator.disconnect()  # as a server would: the refused consumer finishes
    return ok


def open_ticket(tenant, subject: str):
    """Open a ticket the way a web process or worker would: in its own thread, committed."""
    try:
        with tenant_context(tenant):
            requester = ContactFactory.build(tenant=tenant)
            requester.save()
            return services.ticket_open(requester=requester, subject=subject, channel="api")
    finally:
        connection.close()


@pytest.fixture
def acme_agent_browser(acme, acme_agent) -> Client:
    return client_for(acme, acme_agent)


@pytest.fixture
def acme_customer_browser(acme, acme_customer) -> Client:
    return client_for(acme, acme_customer)


@pytest.fixture
def globex_agent_browser(globex, globex_agent) -> Client:
    return client_for(globex, globex_agent)


async def test_an_agent_hears_of_a_new_ticket_of_their_desk(acme, acme_agent_browser):
    communicator = socket("acme.localhost", acme_agent_browser)
    assert await connected(communicator)
    ticket = await asyncio.to_thread(open_ticket, acme, "Printer on fire")
    event = await communicator.receive_json_from(timeout=5)
    assert (event["type"], event["ticket"]) == ("ticket.created", ticket.pk)
    assert isinstance(event["seq"], int)
    await communicator.disconnect()


async def test_an_agent_hears_nothing_of_another_desks_tickets(globex, acme_agent_browser):
    communicator = socket("acme.localhost", acme_agent_browser)
    assert await connected(communicator)
    await asyncio.to_thread(open_ticket, globex, "Globex secret")
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_customers_do_not_hear_about_other_peoples_tickets(acme, acme_customer_browser):
    communicator = socket("acme.localhost", acme_customer_browser)
    assert await connected(communicator)
    await asyncio.to_thread(open_ticket, acme, "Someone else's problem")
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_anonymous_sockets_are_refused(acme):
    assert not await connected(socket("acme.localhost"))


async def test_another_desks_session_is_refused_on_this_desks_socket(acme, globex_agent_browser):
    assert not await connected(socket("acme.localhost", globex_agent_browser))


async def test_a_socket_opened_from_another_origin_is_refused(acme_agent_browser):
    communicator = socket("acme.localhost", acme_agent_browser, origin="globex.localhost")
    assert not await connected(communicator)


async def test_a_socket_on_an_unknown_desk_is_refused(acme_agent_browser):
    assert not await connected(socket("nobody.localhost", acme_agent_browser))


async def test_an_agent_with_the_desk_open_counts_as_online_for_the_chat(acme, acme_agent_browser):
    from helpdesk import presence

    assert not await asyncio.to_thread(presence.staff_online, acme.pk)
    communicator = socket("acme.localhost", acme_agent_browser)
    assert await connected(communicator)
    await asyncio.sleep(0.2)  # the presence mark is written by a task of the consumer
    assert await asyncio.to_thread(presence.staff_online, acme.pk)
    await communicator.disconnect()
    assert not await asyncio.to_thread(presence.staff_online, acme.pk)


async def test_the_desk_knows_which_agent_has_the_workspace_open(
    acme, acme_agent, acme_agent_browser
):
    from helpdesk import presence

    communicator = socket("acme.localhost", acme_agent_browser)
    assert await connected(communicator)
    await asyncio.sleep(0.2)  # the presence mark is written by a task of the consumer
    assert await asyncio.to_thread(presence.staff_online_ids, acme.pk) == {acme_agent.pk}
    await communicator.disconnect()
    assert await asyncio.to_thread(presence.staff_online_ids, acme.pk) == set()


async def test_a_burst_of_changes_reaches_each_desk_in_order_and_only_its_own(
    acme, globex, acme_agent_browser, globex_agent_browser
):
    from helpdesk import live

    sockets = {}
    for tenant, browser in ((acme, acme_agent_browser), (globex, globex_agent_browser)):
        sockets[tenant.pk] = socket(f"{tenant.slug}.localhost", browser)
        assert await connected(sockets[tenant.pk])
    # A sweep's worth of events of two desks, published at once: delivered together.
    events = [
        live.tenant_event(tenant.pk, "ticket.updated", ticket=n)
        for n in range(30)
        for tenant in (acme, globex)
    ]
    await asyncio.to_thread(live._sender.submit, tuple(events))
    for tenant in (acme, globex):
        heard = [await sockets[tenant.pk].receive_json_from(timeout=5) for _n in range(30)]
        assert [event["ticket"] for event in heard] == list(range(30))
        seqs = [event["seq"] for event in heard]
        assert seqs == sorted(seqs) and len(set(seqs)) == 30
        assert await sockets[tenant.pk].receive_nothing(timeout=0.3)
        await sockets[tenant.pk].disconnect()


async def test_with_another_channel_layer_changes_are_still_numbered_and_heard(
    acme, acme_agent_browser, settings
):
    from helpdesk import live

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": "helpdesk-tests-core"},
        }
    }
    live._layer_channels.cache_clear()
    try:
        communicator = socket("acme.localhost", acme_agent_browser)
        assert await connected(communicator)
        ticket = await asyncio.to_thread(open_ticket, acme, "Through the other layer")
        event = await communicator.receive_json_from(timeout=5)
        assert (event["type"], event["ticket"]) == ("ticket.created", ticket.pk)
        assert event["seq"] == await asyncio.to_thread(live.current_seq, acme.pk)
        await communicator.disconnect()
    finally:
        live._layer_channels.cache_clear()


async def test_a_session_made_on_another_desk_opens_no_socket_here(acme, globex):
    from tests.helpdesk.test_accounts import both_desks_member, log_in

    await asyncio.to_thread(both_desks_member, acme, globex)
    on_acme = client_for(acme)
    await asyncio.to_thread(log_in, on_acme, "both@example.com")
    here = socket("acme.localhost", on_acme)
    assert await connected(here)
    await here.disconnect()
    assert not await connected(socket("globex.localhost", on_acme))
