"""Social channels post signed messages; each conversation becomes one ticket, each message once."""

from __future__ import annotations

import hmac
import json
import logging
import time

import pytest
from django.test import Client

from helpdesk.tenancy import tenant_context
from integrations.social.models import SocialChannel
from tickets import services
from tickets.models import Message, Ticket

SECRET = "whatsapp-bridge-secret"


@pytest.fixture
def whatsapp(acme) -> SocialChannel:
    with tenant_context(acme):
        return SocialChannel.objects.create(name="WhatsApp", slug="whatsapp", secret=SECRET)


@pytest.fixture
def globex_instagram(globex) -> SocialChannel:
    with tenant_context(globex):
        return SocialChannel.objects.create(name="Instagram", slug="instagram", secret=SECRET)


@pytest.fixture
def bridge(acme) -> Client:
    """The sending server: no cookies, CSRF checked as for any outside caller."""
    return Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)


def message(text="My parcel never arrived", thread_id="wa-thread-1", **fields) -> dict:
    return {
        "sender": {"handle": "+4917612345678", "name": "Paula Parcel"},
        "text": text,
        "thread_id": thread_id,
        **fields,
    }


def signed(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """The documented signature: HMAC-SHA256 of "{timestamp}.{body}", hex, after "sha256="."""
    return (
        "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, "sha256").hexdigest()
    )


def post(client, payload, slug="whatsapp", secret=SECRET, timestamp=None, signature=None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    return client.post(
        f"/channels/social/{slug}/",
        data=body,
        content_type="application/json",
        headers={
            "X-Helpdesk-Timestamp": timestamp,
            "X-Helpdesk-Signature": signed(body, timestamp, secret)
            if signature is None
            else signature,
        },
    )


def desk_tickets(tenant) -> list[tuple[str, str, str, int]]:
    with tenant_context(tenant):
        return list(
            Ticket.objects.order_by("number").values_list(
                "channel", "subject", "requester__name", "number"
            )
        )


def texts(tenant, number: int) -> list[str]:
    with tenant_context(tenant):
        return list(
            Message.objects.filter(ticket__number=number)
            .order_by("pk")
            .values_list("body_text", flat=True)
        )


# --- filing messages ----------------------------------------------------------------------


def test_a_signed_message_opens_a_social_ticket(acme, whatsapp, bridge):
    response = post(bridge, message("My parcel never arrived " + "and nobody answers " * 10))
    assert (response.status_code, response.json()) == (201, {"ticket": "ACME-1"})
    [(channel, subject, requester, _number)] = desk_tickets(acme)
    assert (channel, requester) == ("social", "Paula Parcel")
    assert subject == ("My parcel never arrived " + "and nobody answers " * 10)[:80].strip()


def test_a_message_in_a_known_thread_is_added_to_its_ticket(acme, whatsapp, bridge):
    post(bridge, message("My parcel never arrived", message_id="m1"))
    response = post(bridge, message("It was due on Monday", message_id="m2"))
    assert (response.status_code, response.json()) == (202, {"ticket": "ACME-1"})
    assert texts(acme, 1) == ["My parcel never arrived", "It was due on Monday"]


def test_a_new_thread_opens_a_new_ticket_for_the_same_person(acme, whatsapp, bridge):
    post(bridge, message(thread_id="wa-thread-1"))
    response = post(bridge, message("Another question", thread_id="wa-thread-2"))
    assert response.json() == {"ticket": "ACME-2"}
    assert [requester for _c, _s, requester, _n in desk_tickets(acme)] == ["Paula Parcel"] * 2
    with tenant_context(acme):
        assert Ticket.objects.values("requester").distinct().count() == 1


def test_the_same_message_id_twice_files_it_once(acme, whatsapp, bridge):
    post(bridge, message(message_id="wamid.123"))
    response = post(bridge, message(message_id="wamid.123"))
    assert (response.status_code, response.json()) == (200, {"ticket": "ACME-1"})
    assert texts(acme, 1) == ["My parcel never arrived"]


def test_a_replayed_call_without_a_message_id_files_nothing_new(acme, whatsapp, bridge):
    body = json.dumps(message()).encode()
    timestamp = str(int(time.time()))
    post(bridge, None, raw=body, timestamp=timestamp)
    response = post(bridge, None, raw=body, timestamp=timestamp)
    assert (response.status_code, response.json()) == (200, {"ticket": "ACME-1"})
    assert texts(acme, 1) == ["My parcel never arrived"]


def test_a_message_to_a_closed_conversation_opens_a_follow_up_that_the_thread_then_uses(
    acme, acme_agent, whatsapp, bridge
):
    post(bridge, message("First question", message_id="m1"))
    with tenant_context(acme):
        ticket = Ticket.objects.get()
        services.ticket_status_change(ticket=ticket, status="closed", by=acme_agent)
    assert post(bridge, message("Second question", message_id="m2")).json() == {"ticket": "ACME-2"}
    response = post(bridge, message("More on the second", message_id="m3"))
    assert (response.status_code, response.json()) == (202, {"ticket": "ACME-2"})
    assert texts(acme, 2) == ["Second question", "More on the second"]


# --- refusals -----------------------------------------------------------------------------


def test_a_bad_signature_is_refused(acme, whatsapp, bridge):
    response = post(bridge, message(), secret="guessed-secret")
    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert desk_tickets(acme) == []


def test_a_call_without_a_signature_is_refused(acme, whatsapp, bridge):
    response = post(bridge, message(), signature="")
    assert response.status_code == 401
    assert desk_tickets(acme) == []


def test_a_replayed_call_with_an_old_timestamp_is_refused(acme, whatsapp, bridge):
    response = post(bridge, message(), timestamp=str(int(time.time()) - 6 * 60))
    assert response.status_code == 401
    assert "timestamp" in response.json()["error"]
    assert desk_tickets(acme) == []


def test_a_signature_over_another_timestamp_is_refused(acme, whatsapp, bridge):
    body = json.dumps(message()).encode()
    old = str(int(time.time()) - 3600)
    response = post(bridge, None, raw=body, signature=signed(body, old))
    assert response.status_code == 401


def test_an_unknown_channel_is_not_found(acme, whatsapp, bridge):
    response = post(bridge, message(), slug="telegram")
    assert response.status_code == 404
    assert "error" in response.json()


def test_another_desks_channel_is_not_found_on_this_desk(acme, globex, globex_instagram, bridge):
    response = post(bridge, message(), slug="instagram")
    assert response.status_code == 404
    assert desk_tickets(acme) == []
    assert desk_tickets(globex) == []


def test_a_disabled_channel_is_not_found(acme, whatsapp, bridge):
    with tenant_context(acme):
        SocialChannel.objects.filter(pk=whatsapp.pk).update(is_enabled=False)
    assert post(bridge, message()).status_code == 404


def test_a_body_that_is_not_json_is_a_bad_request(acme, whatsapp, bridge):
    response = post(bridge, None, raw=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"] == "The body is not valid JSON."


def test_missing_fields_are_named(acme, whatsapp, bridge):
    response = post(bridge, {"sender": {"name": "Paula"}, "text": "Hello"})
    assert response.status_code == 400
    assert response.json()["missing"] == ["sender.handle", "thread_id"]


def test_fields_of_the_wrong_kind_are_named(acme, whatsapp, bridge):
    response = post(bridge, message(text={"body": "Hello"}, sender={"handle": "x", "email": "no"}))
    assert response.status_code == 400
    assert sorted(response.json()["fields"]) == ["sender.email", "text"]


def test_refused_calls_are_logged(acme, whatsapp, bridge, caplog):
    with caplog.at_level(logging.WARNING, logger="integrations.social.views"):
        post(bridge, message(), secret="guessed-secret")
    assert "acme/whatsapp refused (401)" in caplog.text
