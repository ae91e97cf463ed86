"""Every intake channel, end to end: the real entry point, PostgreSQL, Redis and a running
Celery worker that sends the acknowledgement (by mail to an SMTP sink, or into the chat)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from helpdesk.asgi import application
from helpdesk.tenancy import tenant_context
from integrations.chat.models import ChatWidget
from integrations.services import api_token_create
from integrations.social.models import SocialChannel
from tests.conftest import client_for, worker_idle
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sink(mail_worker):
    mail_worker.messages.clear()
    yield mail_worker
    worker_idle()


def acknowledgement_for(sink, address: str):
    """The acknowledgement the worker mailed to `address` (waits for it)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for received in sink.messages:
            if address in str(received["To"]):
                return received
        time.sleep(0.05)
    raise AssertionError(f"no acknowledgement reached {address}")


def only_ticket(tenant) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.get()


def test_email_through_a_provider_webhook(acme, sink, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    payload = {
        "FromFull": {"Email": "carol@bigbank.example", "Name": "Carol"},
        "ToFull": [{"Email": "support@acme.localhost", "Name": ""}],
        "OriginalRecipient": "support@acme.localhost",
        "Subject": "Printer on fire",
        "Headers": [{"Name": "Message-ID", "Value": "<first@bigbank.example>"}],
        "TextBody": "Floor 3.",
    }
    Client(HTTP_HOST="localhost").post(
        "/anymail/postmark/inbound/", json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
    )  # fmt: skip
    ack = acknowledgement_for(sink, "carol@bigbank.example")
    ticket = only_ticket(acme)
    assert f"[{ticket.reference}]" in ack["Subject"]
    assert ack["In-Reply-To"] == "<first@bigbank.example>"


def test_api(acme, acme_admin, sink):
    with tenant_context(acme):
        _token, secret = api_token_create(name="CRM", by=acme_admin)
    response = Client(HTTP_HOST="acme.localhost").post(
        "/api/v1/tickets",
        json.dumps({"subject": "Sync failed", "description": "502",
                    "requester": {"email": "ops@shop.example"}}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}",
    )  # fmt: skip
    assert response.status_code == 201
    assert "[ACME-1]" in acknowledgement_for(sink, "ops@shop.example")["Subject"]


def test_social_webhook(acme, sink):
    with tenant_context(acme):
        SocialChannel.objects.create(name="WhatsApp", slug="whatsapp", secret="s3cret")
    body = json.dumps({"sender": {"handle": "+491701234567", "name": "Sam",
                                  "email": "sam@example.org"},
                       "text": "Where is my parcel?", "thread_id": "t-1"}).encode()  # fmt: skip
    stamp = str(int(time.time()))
    signature = hmac.new(b"s3cret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    response = Client(HTTP_HOST="acme.localhost").post(
        "/channels/social/whatsapp/", body, content_type="application/json",
        HTTP_X_HELPDESK_TIMESTAMP=stamp, HTTP_X_HELPDESK_SIGNATURE=f"sha256={signature}",
    )  # fmt: skip
    assert response.status_code == 201
    assert "[ACME-1]" in acknowledgement_for(sink, "sam@example.org")["Subject"]


def test_phone_call_logged_by_an_agent(acme, acme_agent, sink):
    client_for(acme, acme_agent).post(
        "/workspace/phone/",
        {"phone": "+49 30 1234567", "name": "Dan", "email": "dan@corner.example",
         "subject": "Card reader offline", "description": "Since the update",
         "priority": "high"},
    )  # fmt: skip
    assert "[ACME-1]" in acknowledgement_for(sink, "dan@corner.example")["Subject"]
    assert only_ticket(acme).channel == "phone"


def test_an_agents_reply_reaches_the_requester_by_mail(acme, acme_agent, sink):
    test_phone_call_logged_by_an_agent(acme, acme_agent, sink)
    ticket = only_ticket(acme)
    sink.messages.clear()
    client_for(acme, acme_agent).post(
        f"/workspace/tickets/{ticket.number}/compose/",
        {"kind": "public", "text": "A technician is on the way."},
    )
    reply = acknowledgement_for(sink, "dan@corner.example")
    assert "technician" in reply.get_body(preferencelist=("plain",)).get_content()


async def test_chat_acknowledged_in_the_chat_by_the_worker(acme, sink):
    from asgiref.sync import sync_to_async

    def switch_chat_on() -> None:
        with tenant_context(acme):
            ChatWidget.objects.create(allowed_origins=["https://shop.example"])

    await sync_to_async(switch_chat_on)()
    visitor = WebsocketCommunicator(
        application, "/ws/chat/",
        headers=[(b"host", b"acme.localhost"), (b"origin", b"https://shop.example")],
    )  # fmt: skip
    visitor.scope["client"] = ("2001:db8::e2e", 50000)
    connected, _code = await visitor.connect(timeout=5)
    assert connected
    await visitor.send_json_to(
        {"type": "start", "name": "Vera", "email": "vera@example.com", "message": "Hello?"}
    )
    deadline = time.monotonic() + 20
    acknowledged = False
    while not acknowledged and time.monotonic() < deadline:
        frame = await visitor.receive_json_from(timeout=20)
        acknowledged = frame["type"] == "message" and frame.get("author") == "system"
    assert acknowledged
    await visitor.disconnect()
