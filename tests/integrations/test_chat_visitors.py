"""What a chat visitor is told: an agent joining (not a first-response date) while the chat's
team is there, when to expect an answer by email while it is not, all in their language."""

from __future__ import annotations

import uuid

import pytest
from channels.testing.websocket import WebsocketCommunicator

from helpdesk import presence
from helpdesk.asgi import application
from helpdesk.tenancy import Role, tenant_context
from integrations.chat.models import ChatWidget
from tests.conftest import member
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory
from tests.integrations.test_chat import next_frame, start_chat
from tickets import services
from tickets.models import Ticket
from tickets.tasks import send_acknowledgement

pytestmark = pytest.mark.django_db(transaction=True)

SHOP = "https://www.acme-shop.example"


@pytest.fixture
def team_agent_online(acme, acme_agent):
    socket = presence.staff_socket(acme_agent.pk, f"tests.visitors.{uuid.uuid4().hex}")
    presence.mark_online(acme.pk, socket)
    yield
    presence.mark_offline(acme.pk, socket)


@pytest.fixture
def other_team_agent_online(acme):
    bob = member(acme, "bob@acme.example", Role.AGENT)
    TeamMemberFactory(tenant=acme, team=TeamFactory(tenant=acme, name="Billing"), user=bob)
    socket = presence.staff_socket(bob.pk, f"tests.visitors.{uuid.uuid4().hex}")
    presence.mark_online(acme.pk, socket)
    yield
    presence.mark_offline(acme.pk, socket)


def chat_acknowledged(tenant, team) -> str:
    """The acknowledgement line a new chat of `team` shows its visitor."""
    with tenant_context(tenant):
        requester = ContactFactory(tenant=tenant, email="vera@example.com")
        ticket = services.ticket_open(
            requester=requester, subject="Hello?", channel="chat", team=team
        )
        send_acknowledgement(tenant.pk, ticket.acknowledgement.pk)
        return ticket.messages.get(author_type="system").body_text


def test_a_visitor_in_a_live_chat_is_told_an_agent_joins_shortly_not_a_first_answer_date(
    acme, acme_team, team_agent_online
):
    line = chat_acknowledged(acme, acme_team)
    assert "An agent will join you here shortly" in line
    assert "expect our first answer" not in line


def test_with_nobody_of_the_team_online_the_visitor_learns_the_answer_comes_by_email_and_when(
    acme, acme_team, other_team_agent_online
):
    line = chat_acknowledged(acme, acme_team)
    assert "No agent is online right now: we will answer you by email." in line
    assert "You can expect our first answer by" in line
    assert "join you here" not in line


def test_the_chat_acknowledgement_is_shown_as_sent_in_chat(acme, acme_team, team_agent_online):
    chat_acknowledged(acme, acme_team)
    with tenant_context(acme):
        ticket = Ticket.objects.get()
        assert ticket.messages.get(author_type="system").delivery == "chat"


# --- the widget's language ------------------------------------------------------------------


@pytest.fixture
def acme_chat(acme) -> ChatWidget:
    with tenant_context(acme):
        return ChatWidget.objects.create(allowed_origins=[SHOP])


def socket(path: str = "/ws/chat/", **headers: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application,
        path,
        headers=[
            (b"host", b"acme.localhost"),
            (b"origin", SHOP.encode()),
            *((name.encode(), value.encode()) for name, value in headers.items()),
        ],
    )
    communicator.scope["client"] = (f"2001:db8::{uuid.uuid4().hex[:4]}", 50000)
    return communicator


async def ready(communicator: WebsocketCommunicator) -> dict:
    ok, _code = await communicator.connect(timeout=15)
    assert ok
    return await next_frame(communicator, "ready")


async def test_a_german_browser_gets_the_widget_in_german(acme, acme_chat):
    communicator = socket("/ws/chat/?lang=de-DE")
    frame = await ready(communicator)
    assert frame["language"] == "de"
    assert frame["texts"]["start"] == "Chat starten"
    assert frame["greeting"] == "Hallo! Wie können wir Ihnen heute helfen?"
    await communicator.disconnect()


async def test_without_lang_the_widget_follows_the_browsers_accept_language(acme, acme_chat):
    communicator = socket(**{"accept-language": "de-AT,de;q=0.9,en;q=0.5"})
    frame = await ready(communicator)
    assert frame["texts"]["send"] == "Senden"
    await communicator.disconnect()


async def test_a_language_the_desk_does_not_speak_falls_back_to_the_desks(acme, acme_chat):
    communicator = socket("/ws/chat/?lang=ja-JP")
    frame = await ready(communicator)
    assert (frame["language"], frame["texts"]["start"]) == ("en", "Start chat")
    await communicator.disconnect()


async def test_the_desks_messages_in_a_german_chat_are_german(acme, acme_chat):
    communicator = socket("/ws/chat/?lang=de")
    await ready(communicator)
    await communicator.send_json_to({"type": "message", "text": "Hallo"})
    error = await next_frame(communicator, "error")
    assert error["message"] == "Bitte starten Sie zuerst den Chat."
    await start_chat(communicator)
    offline = await next_frame(communicator, "offline")
    assert offline["message"].startswith("Zurzeit ist kein Agent verfügbar")
    await communicator.disconnect()
