"""Replies that really go out: the page says the way before sending, each reply records how
it went out, and the agent is never told "Reply sent." for a reply that went nowhere."""

from __future__ import annotations

import pytest
from django.core import mail
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk import presence
from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Message, Ticket

VISITOR_SOCKET = "tests.delivery.visitor-socket"


def opened(tenant, channel: str, **requester) -> Ticket:
    with tenant_context(tenant):
        contact = ContactFactory(tenant=tenant, name="Carol", **requester)
        return services.ticket_open(
            requester=contact, subject="Payment rejected", description="Error 0x41",
            channel=channel,
        )  # fmt: skip


def replied(tenant, ticket: Ticket, agent, capture) -> Message:
    with capture(execute=True), tenant_context(tenant):
        message = services.ticket_reply_add(
            ticket=ticket, text="We are on it.", channel=ticket.channel, author_user=agent
        )
    with tenant_context(tenant):
        message.refresh_from_db()
    return message


@pytest.fixture
def email_ticket(acme) -> Ticket:
    return opened(acme, "email", email="carol@bigbank.example")


@pytest.fixture
def phone_ticket(acme) -> Ticket:
    return opened(acme, "phone", email="", phone="+49 30 1234567")


# --- the delivery record ------------------------------------------------------------------


def test_a_reply_mailed_to_the_requester_is_recorded_as_sent_by_email(
    acme, acme_agent, email_ticket, django_capture_on_commit_callbacks
):
    message = replied(acme, email_ticket, acme_agent, django_capture_on_commit_callbacks)
    assert (message.delivery, message.delivery_note) == ("email", "carol@bigbank.example")
    assert any("We are on it." in sent.body for sent in mail.outbox)


def test_a_reply_to_a_phone_caller_without_email_is_recorded_as_not_sent_and_why(
    acme, acme_agent, phone_ticket, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    message = replied(acme, phone_ticket, acme_agent, django_capture_on_commit_callbacks)
    assert (message.delivery, message.delivery_note) == (
        "none",
        "the requester has no email address",
    )
    assert mail.outbox == []


def test_a_reply_to_a_requester_with_only_a_portal_login_is_shown_in_the_portal(
    acme, acme_agent, acme_customer, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    ticket = opened(acme, "portal", email="customer@bigbank.example", user=acme_customer)
    message = replied(acme, ticket, acme_agent, django_capture_on_commit_callbacks)
    assert (message.delivery, message.delivery_note) == ("portal", "")


def test_without_outgoing_mail_a_reply_is_not_recorded_as_mailed(
    acme, acme_agent, email_ticket, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    message = replied(acme, email_ticket, acme_agent, django_capture_on_commit_callbacks)
    assert (message.delivery, message.delivery_note) == (
        "none",
        "this server does not send email",
    )


def test_a_reply_while_the_visitor_is_in_the_chat_is_recorded_as_sent_in_chat(
    acme, acme_agent, django_capture_on_commit_callbacks
):
    ticket = opened(acme, "chat", email="vera@example.com")
    mail.outbox.clear()
    presence.visitor_mark_online(acme.pk, ticket.pk, VISITOR_SOCKET)
    try:
        message = replied(acme, ticket, acme_agent, django_capture_on_commit_callbacks)
    finally:
        presence.visitor_mark_offline(acme.pk, ticket.pk, VISITOR_SOCKET)
    assert message.delivery == "chat"
    assert not [sent for sent in mail.outbox if "We are on it." in sent.body]


def test_a_reply_after_the_visitor_left_the_chat_is_mailed_to_them(
    acme, acme_agent, django_capture_on_commit_callbacks
):
    ticket = opened(acme, "chat", email="vera@example.com")
    message = replied(acme, ticket, acme_agent, django_capture_on_commit_callbacks)
    assert (message.delivery, message.delivery_note) == ("email", "vera@example.com")


def test_a_redelivered_reply_keeps_its_first_record_and_sends_one_mail(
    acme, acme_agent, email_ticket, django_capture_on_commit_callbacks
):
    message = replied(acme, email_ticket, acme_agent, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with tenant_context(acme):
        services.reply_notification_send(message_id=message.pk)
    assert mail.outbox == []


# --- what the agent reads -----------------------------------------------------------------


def test_before_sending_the_page_says_a_phone_caller_without_email_cannot_be_reached(
    acme_agent_client, phone_ticket
):
    page = acme_agent_client.get(f"/workspace/tickets/{phone_ticket.number}/")
    assertContains(page, "No way to reach this requester: add an email address.")


def test_before_sending_the_page_says_the_reply_goes_by_email_to_the_requester(
    acme_agent_client, email_ticket
):
    page = acme_agent_client.get(f"/workspace/tickets/{email_ticket.number}/")
    assertContains(page, "This reply will be sent by email to carol@bigbank.example.")


def test_before_sending_the_page_says_a_portal_requester_reads_it_when_they_sign_in(
    acme, acme_agent_client, acme_customer, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    ticket = opened(acme, "portal", email="customer@bigbank.example", user=acme_customer)
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/")
    assertContains(
        page,
        "This requester can only be reached by the portal: they will see it when they sign in.",
    )


def test_a_reply_nobody_can_receive_is_not_called_sent(
    acme_agent_client, phone_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_agent_client.post(
            f"/workspace/tickets/{phone_ticket.number}/compose/",
            {"kind": "public", "text": "We called you back."},
            follow=True,
        )
    assertNotContains(response, "Reply sent.")
    assertContains(response, "Reply saved but not sent: the requester has no email address.")
    assertContains(response, "not sent: the requester has no email address")


def test_a_mailed_reply_says_where_it_went_and_shows_sent_by_email(
    acme_agent_client, email_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = acme_agent_client.post(
            f"/workspace/tickets/{email_ticket.number}/compose/",
            {"kind": "public", "text": "We are on it."},
            follow=True,
        )
    assertContains(response, "Reply sent by email to carol@bigbank.example.")
    assertContains(response, "sent by email to carol@bigbank.example")


def test_the_requesters_own_messages_show_the_channel_they_came_by(acme_agent_client, phone_ticket):
    page = acme_agent_client.get(f"/workspace/tickets/{phone_ticket.number}/")
    assertContains(page, "Phone")
    assertNotContains(page, "sending…")
