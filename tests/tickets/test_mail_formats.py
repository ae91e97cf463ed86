"""Our mail is recognised when answers come back: its Message-IDs name the ticket they are about."""

from __future__ import annotations

import pytest

from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory
from tickets import emails, services
from tickets.models import Ticket


@pytest.fixture
def ticket(acme) -> Ticket:
    requester = ContactFactory(tenant=acme, email="carol@bigbank.example")
    with tenant_context(acme):
        return services.ticket_open(requester=requester, subject="Printer on fire", channel="email")


def test_our_acknowledgements_message_id_names_its_ticket(acme, ticket):
    with tenant_context(acme):
        message_id = ticket.acknowledgement.message_id
    assert emails.message_id_ticket(message_id) == ticket.pk


def test_our_replys_message_id_names_its_ticket(acme, ticket, acme_agent):
    with tenant_context(acme):
        reply = services.ticket_reply_add(
            ticket=ticket, text="On its way.", channel="email", author_user=acme_agent
        )
        message_id = emails.reply_message_id(reply)
    assert emails.message_id_ticket(message_id) == ticket.pk


@pytest.mark.parametrize("recipient", ["requester", "agent12"])
def test_our_automations_message_ids_name_their_ticket(acme, ticket, recipient):
    with tenant_context(acme):
        message_id = emails.automation_message_id(7, ticket, recipient)
    assert emails.message_id_ticket(message_id) == ticket.pk


def test_a_message_id_without_its_angle_brackets_still_names_its_ticket(acme, ticket):
    with tenant_context(acme):
        message_id = ticket.acknowledgement.message_id.strip("<>")
    assert emails.message_id_ticket(message_id) == ticket.pk


@pytest.mark.parametrize(
    "message_id",
    [
        "CAF=4f2a@mail.gmail.com",
        "<ack-x.12@acme.localhost>",
        "reply-12@acme.localhost",
        "social.3.9f86d081884c7d65@localhost",
        "mention-4.12@acme.localhost",
        "",
    ],
)
def test_anyone_elses_message_id_names_no_ticket(message_id):
    assert emails.message_id_ticket(message_id) is None
