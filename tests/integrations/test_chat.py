"""Website chat: a visitor's chat is a chat ticket, and agents' public replies reach them live."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from channels.testing.websocket import WebsocketCommunicator
from django.db import connection
from django.urls import reverse
from pytest_django.asserts import assertContains

from helpdesk import presence
from helpdesk.asgi import application
from helpdesk.tenancy import tenant_context
from integrations.chat.models import ChatWidget
from tickets import services
from tickets.models import Acknowledgement, Message, Ticket
from tickets.tasks import send_acknowledgement

pytestmark = pytest.mark.django_db(transaction=True)

SHOP = "https://www.acme-shop.example"
AGENT_SOCKET = "tests.chat.agent-socket"


# --- set-up (sync: database rows are made before the event loop runs) ---------------------


def chat_widget(tenant, **fields) -> ChatWidget:
    with tenant_context(tenant):
        return ChatWidget.objects.create(**{"allowed_origins": [SHOP], **fields})


@pytest.fixture
def acme_chat(acme) -> ChatWidget:
    return chat_widget(acme)


@pytest.fixture
def globex_chat(globex) -> ChatWidget:
    return chat_widget(globex, allowed_origins=[])


@pytest.fixture
def an_agent_online(acme):
    presence.mark_online(acme.pk, AGENT_SOCKET)
    yield
    presence.mark_offline(acme.pk, AGENT_SOCKET)


@pytest.fixture
def nobody_online(acme):
    presence.mark_offline(acme.pk, AGENT_SOCKET)


@pytest.fixture
def address() -> str:
    """A visitor's IP address of its own, so start limits of other tests never count."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}"


# --- the visitor's browser ----------------------------------------------------------------


def socket(address: str, host: str = "acme.localhost", origin: str = SHOP):
    communicator = WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"host", host.encode()), (b"origin", origin.encode())]
    )
    communicator.scope["client"] = (address, 50000)
    return communicator


async def opened(communicator: WebsocketCommunicator) -> bool:
    ok, _code = await communicator.connect(timeout=15)
    if ok:
        assert (await communicator.receive_json_from(timeout=15))["type"] == "ready"
    else:
        await communicator.disconnect()  # as a server would: the refused consumer finishes
    return ok


# Generous timeouts: a chat start commits a ticket and its acknowledgement, which on a
# loaded 2-core CI machine has taken longer than 5 s.
async def next_frame(communicator: WebsocketCommunicator, type: str, timeout: float = 15, **match):
    """The next frame of `type` (and matching `match`), skipping any others on the way."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await communicator.receive_json_from(timeout=max(deadline - loop.time(), 0.01))
        if frame["type"] == type and all(frame.get(k) == v for k, v in match.items()):
            return frame


async def settled(communicator: WebsocketCommunicator) -> None:
    """Read whatever the chat still has to say, until it is quiet."""
    while not await communicator.receive_nothing(timeout=0.3):
        await communicator.receive_json_from()


async def start_chat(communicator: WebsocketCommunicator, message: str = "My invoice is wrong"):
    await communicator.send_json_to(
        {"type": "start", "name": "Vera Visitor", "email": "vera@example.com", "message": message}
    )
    return await next_frame(communicator, "started")


# --- what happens elsewhere meanwhile (each in its own thread, committed, as in production) --


def elsewhere(tenant, work):
    try:
        with tenant_context(tenant):
            return work()
    finally:
        connection.close()


def acknowledge(tenant) -> None:
    ack = elsewhere(tenant, lambda: Acknowledgement.objects.get())
    try:
        send_acknowledgement(tenant.pk, ack.pk)  # what the worker does
    finally:
        connection.close()


def agent_replies(tenant, agent, text: str) -> None:
    def work():
        ticket = Ticket.objects.get()
        services.ticket_reply_add(
            ticket=ticket, text=text, channel=ticket.channel, author_user=agent
        )

    elsewhere(tenant, work)


def agent_notes(tenant, agent, text: str) -> None:
    elsewhere(
        tenant,
        lambda: services.ticket_note_add(ticket=Ticket.objects.get(), author=agent, text=text),
    )


def thread(tenant) -> list[tuple[str, str]]:
    """(author type, text) of the only ticket's messages, oldest first."""
    return elsewhere(
        tenant,
        lambda: list(
            Message.objects.filter(ticket=Ticket.objects.get())
            .order_by("pk")
            .values_list("author_type", "body_text")
        ),
    )


def tickets(tenant) -> list[tuple[str, str, str]]:
    return elsewhere(
        tenant,
        lambda: list(Ticket.objects.values_list("channel", "requester__email", "subject")),
    )


# --- starting, and the acknowledgement --------------------------------------------------


async def test_a_visitor_who_starts_a_chat_opens_a_chat_ticket(
    acme, acme_chat, an_agent_online, address
):
    communicator = socket(address)
    assert await opened(communicator)
    started = await start_chat(communicator, "My invoice is wrong")
    assert started["ticket"] == "ACME-1"
    assert await asyncio.to_thread(tickets, acme) == [
        ("chat", "vera@example.com", "My invoice is wrong")
    ]
    line = await next_frame(communicator, "message", author="you")
    assert line["text"] == "My invoice is wrong"
    await communicator.disconnect()


async def test_the_acknowledgement_reaches_the_visitor_as_a_system_message(
    acme, acme_chat, an_agent_online, address
):
    communicator = socket(address)
    assert await opened(communicator)
    await start_chat(communicator)
    await asyncio.to_thread(acknowledge, acme)
    line = await next_frame(communicator, "message", author="system")
    assert "ACME-1" in line["text"]
    assert "##-" not in line["text"]  # the mail's reply marker means nothing in a chat
    await communicator.disconnect()


async def test_with_no_agent_online_the_visitor_is_told_their_chat_became_a_ticket(
    acme, acme_chat, nobody_online, address
):
    communicator = socket(address)
    assert await opened(communicator)
    await start_chat(communicator)
    offline = await next_frame(communicator, "offline")
    assert offline["message"] == (
        "No agent is available right now; we have logged your request as ACME-1 "
        "and will answer by email."
    )
    assert await asyncio.to_thread(tickets, acme) == [
        ("chat", "vera@example.com", "My invoice is wrong")
    ]
    await communicator.disconnect()


# --- the conversation ---------------------------------------------------------------------


async def test_an_agents_reply_reaches_the_visitor_within_a_second(
    acme, acme_chat, an_agent_online, acme_agent, address
):
    communicator = socket(address)
    assert await opened(communicator)
    await start_chat(communicator)
    await settled(communicator)
    await asyncio.to_thread(agent_replies, acme, acme_agent, "Let me check that invoice.")
    line = await next_frame(communicator, "message", timeout=1, author="agent")
    assert line["text"] == "Let me check that invoice."
    await communicator.disconnect()


async def test_an_agents_reply_written_while_redis_was_down_reaches_the_open_chat(
    acme, acme_chat, live_redis, an_agent_online, acme_agent, address
):
    communicator = socket(address)
    assert await opened(communicator)
    await start_chat(communicator)
    await settled(communicator)
    await asyncio.to_thread(live_redis.stop)
    await asyncio.to_thread(agent_replies, acme, acme_agent, "Written while Redis was down.")
    await asyncio.to_thread(live_redis.start)
    line = await next_frame(communicator, "message", timeout=30, author="agent")
    assert line["text"] == "Written while Redis was down."
    await communicator.disconnect()


async def test_an_internal_note_never_reaches_the_visitor(
    acme, acme_chat, an_agent_online, acme_agent, address
):
    communicator = socket(address)
    assert await opened(communicator)
    await start_chat(communicator)
    await settled(communicator)
    await asyncio.to_thread(agent_notes, acme, acme_agent, "Customer owes us 3 invoices")
    await asyncio.to_thread(agent_replies, acme, acme_agent, "Looking into it.")
    frame = await communicator.receive_json_from(timeout=5)
    assert (frame["type"], frame["text"]) == ("message", "Looking into it.")
    await communicator.disconnect()


async def test_visitor_messages_become_messages_of_the_same_ticket(
    acme, acme_chat, an_agent_online, address
):
    communicator = socket(address)
    assert await opened(communicator)
    await start_chat(communicator, "My invoice is wrong")
    await communicator.send_json_to({"type": "message", "text": "It says 300 EUR", "ref": "a1"})
    accepted = await next_frame(communicator, "accepted")
    assert accepted["ref"] == "a1"
    assert ("contact", "It says 300 EUR") in await asyncio.to_thread(thread, acme)
    assert len(await asyncio.to_thread(tickets, acme)) == 1
    await communicator.disconnect()


async def test_a_line_for_a_chat_whose_ticket_was_deleted_asks_for_a_new_chat(
    acme, acme_chat, an_agent_online, address
):
    communicator = socket(address)
    assert await opened(communicator)
    await start_chat(communicator)
    await settled(communicator)
    await asyncio.to_thread(elsewhere, acme, lambda: Ticket.objects.get().delete())
    await communicator.send_json_to({"type": "message", "text": "Hello?", "ref": "b1"})
    error = await next_frame(communicator, "error")
    assert (error["code"], error["ref"]) == ("invalid", "b1")
    assert "start a new one" in error["message"]
    await communicator.disconnect()


async def test_a_visitor_coming_back_with_their_token_continues_the_same_ticket(
    acme, acme_chat, an_agent_online, address
):
    first = socket(address)
    assert await opened(first)
    started = await start_chat(first, "My invoice is wrong")
    await first.disconnect()

    again = socket(address)
    assert await opened(again)
    await again.send_json_to({"type": "resume", "token": started["token"]})
    resumed = await next_frame(again, "started")
    assert (resumed["ticket"], resumed["resumed"]) == ("ACME-1", True)
    earlier = await next_frame(again, "message", author="you")
    assert earlier["text"] == "My invoice is wrong"
    await again.send_json_to({"type": "message", "text": "Still there?"})
    await next_frame(again, "accepted")
    assert [text for kind, text in await asyncio.to_thread(thread, acme) if kind == "contact"] == [
        "My invoice is wrong",
        "Still there?",
    ]
    await again.disconnect()


# --- who may chat -------------------------------------------------------------------------


async def test_a_visitor_token_of_acme_is_refused_on_globex(
    acme, acme_chat, globex, globex_chat, an_agent_online, address
):
    at_acme = socket(address)
    assert await opened(at_acme)
    started = await start_chat(at_acme)
    await at_acme.disconnect()

    at_globex = socket(address, host="globex.localhost", origin=SHOP)
    assert await opened(at_globex)
    await at_globex.send_json_to({"type": "resume", "token": started["token"]})
    error = await next_frame(at_globex, "error")
    assert error["code"] == "bad_token"
    assert await asyncio.to_thread(tickets, globex) == []
    await at_globex.disconnect()


async def test_a_website_not_on_the_allowed_list_cannot_open_the_chat(acme, acme_chat, address):
    assert not await opened(socket(address, origin="https://evil.example"))


async def test_the_desks_own_pages_may_open_the_chat(acme, acme_chat, address):
    communicator = socket(address, origin="https://acme.localhost")
    assert await opened(communicator)
    await communicator.disconnect()


async def test_a_disabled_chat_refuses_visitors(acme, address):
    await asyncio.to_thread(chat_widget, acme, is_enabled=False)
    assert not await opened(socket(address))


async def test_a_desk_without_a_chat_refuses_visitors(acme, address):
    assert not await opened(socket(address))


async def test_an_unknown_desk_refuses_visitors(address):
    assert not await opened(socket(address, host="nobody.localhost"))


# --- bad input ----------------------------------------------------------------------------


async def test_an_oversized_message_gets_an_error_and_is_not_stored(
    acme, acme_chat, an_agent_online, address
):
    communicator = socket(address)
    assert await opened(communicator)
    await start_chat(communicator)
    await communicator.send_json_to({"type": "message", "text": "x" * 4001, "ref": "big"})
    error = await next_frame(communicator, "error")
    assert (error["code"], error["ref"]) == ("invalid", "big")
    assert "4000" in error["message"]
    assert [text for kind, text in await asyncio.to_thread(thread, acme) if kind == "contact"] == [
        "My invoice is wrong"
    ]
    await communicator.disconnect()


async def test_a_chat_without_a_valid_email_address_is_not_started(acme, acme_chat, address):
    communicator = socket(address)
    assert await opened(communicator)
    await communicator.send_json_to(
        {"type": "start", "name": "Vera", "email": "not an address", "message": "Hello"}
    )
    error = await next_frame(communicator, "error")
    assert list(error["fields"]) == ["email"]
    assert await asyncio.to_thread(tickets, acme) == []
    await communicator.disconnect()


async def test_a_frame_that_is_not_json_gets_an_error(acme, acme_chat, address):
    communicator = socket(address)
    assert await opened(communicator)
    await communicator.send_to(text_data="{not json")
    error = await next_frame(communicator, "error")
    assert error["code"] == "bad_frame"
    await communicator.disconnect()


async def test_a_message_before_the_chat_started_gets_an_error(acme, acme_chat, address):
    communicator = socket(address)
    assert await opened(communicator)
    await communicator.send_json_to({"type": "message", "text": "Hello?"})
    error = await next_frame(communicator, "error")
    assert error["code"] == "not_started"
    await communicator.disconnect()


async def test_one_address_may_start_ten_chats_a_minute(acme, acme_chat, an_agent_online, address):
    for _n in range(10):
        communicator = socket(address)
        assert await opened(communicator)
        await start_chat(communicator)
        await communicator.disconnect()
    eleventh = socket(address)
    assert await opened(eleventh)
    await eleventh.send_json_to(
        {"type": "start", "name": "Vera", "email": "vera@example.com", "message": "Again"}
    )
    error = await next_frame(eleventh, "error")
    assert error["code"] == "rate_limited"
    assert len(await asyncio.to_thread(tickets, acme)) == 10
    await eleventh.disconnect()


async def test_ten_chats_a_minute_hold_across_the_turn_of_a_minute(
    acme, acme_chat, an_agent_online, address
):
    # Five chats in the last second of one minute, five in the first of the next: eleven in
    # two seconds is still more than ten a minute.
    turn = datetime(2026, 12, 7, 12, 1, tzinfo=UTC)
    for n in range(10):
        at = turn - timedelta(seconds=1) if n < 5 else turn + timedelta(seconds=1)
        with time_machine.travel(at, tick=False):
            communicator = socket(address)
            assert await opened(communicator)
            await start_chat(communicator)
            await communicator.disconnect()
    with time_machine.travel(turn + timedelta(seconds=2), tick=False):
        eleventh = socket(address)
        assert await opened(eleventh)
        await eleventh.send_json_to(
            {"type": "start", "name": "Vera", "email": "vera@example.com", "message": "Again"}
        )
        error = await next_frame(eleventh, "error")
        await eleventh.disconnect()
    assert error["code"] == "rate_limited"


# --- presence -----------------------------------------------------------------------------


def test_staff_count_as_online_while_their_live_socket_is_open(acme):
    presence.mark_online(acme.pk, "tests.presence.socket")
    assert presence.staff_online(acme.pk)
    presence.mark_offline(acme.pk, "tests.presence.socket")
    assert not presence.staff_online(acme.pk)


# --- the embed page -----------------------------------------------------------------------


def test_an_admin_finds_the_snippet_for_their_desk(acme_admin_client, acme_chat):
    response = acme_admin_client.get(reverse("channels:chat_embed"))
    assertContains(
        response,
        '&lt;script src="https://acme.localhost/static/js/chat-widget.js" '
        'data-desk="https://acme.localhost" async&gt;&lt;/script&gt;',
    )


def test_agents_cannot_open_the_embed_page(acme_agent_client):
    assert acme_agent_client.get(reverse("channels:chat_embed")).status_code == 403


def test_the_embed_page_of_another_desk_shows_that_desk(globex_admin_client, acme_chat):
    response = globex_admin_client.get(reverse("channels:chat_embed"))
    assertContains(response, "https://globex.localhost")
    assert b"acme" not in response.content
