"""Which ticket a mail continues or bounced from, as the integrations ask tickets for it."""

from __future__ import annotations

import pytest

from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory
from tickets import selectors, services
from tickets.models import Ticket


def open_ticket(tenant, subject: str = "Printer on fire", **fields) -> Ticket:
    requester = ContactFactory(tenant=tenant)
    with tenant_context(tenant):
        return services.ticket_open(requester=requester, subject=subject, channel="email", **fields)


@pytest.fixture
def first(acme) -> Ticket:
    return open_ticket(acme, message_id="first@mail.example")


@pytest.fixture
def second(acme) -> Ticket:
    return open_ticket(acme, subject="Toner low", message_id="second@mail.example")


def test_the_quoted_ticket_number_wins_over_the_mails_answered(acme, first, second):
    with tenant_context(acme):
        found = selectors.ticket_for_mail(number=first.number, thread_ids=["second@mail.example"])
    assert found == first


def test_a_quoted_number_that_does_not_exist_falls_back_to_the_mails_answered(acme, first, second):
    with tenant_context(acme):
        found = selectors.ticket_for_mail(number=999, thread_ids=["second@mail.example"])
    assert found == second


def test_an_answer_to_our_own_mail_finds_the_ticket_our_message_id_names(acme, first, second):
    with tenant_context(acme):
        ours = second.acknowledgement.message_id.strip("<>")
        found = selectors.ticket_for_mail(number=None, thread_ids=["unknown@x.example", ours])
    assert found == second


def test_an_answer_to_a_mail_in_a_thread_finds_the_thread_it_is_in(acme, first, second):
    with tenant_context(acme):
        found = selectors.ticket_for_mail(
            number=None, thread_ids=["unknown@x.example", "first@mail.example"]
        )
    assert found == first


def test_a_mail_answering_nothing_we_know_continues_no_ticket(acme, first):
    with tenant_context(acme):
        assert selectors.ticket_for_mail(number=None, thread_ids=["unknown@x.example"]) is None
        assert selectors.ticket_for_mail(number=None, thread_ids=[]) is None


def test_another_desks_ticket_is_never_continued_by_number_or_message_id(acme, globex, first):
    with tenant_context(acme):
        ours = first.acknowledgement.message_id
    with tenant_context(globex):
        assert selectors.ticket_for_mail(number=first.number, thread_ids=[ours]) is None
        assert selectors.ticket_for_mail(number=None, thread_ids=["first@mail.example"]) is None
        assert selectors.ticket_for_bounce(message_id=ours) is None


def test_a_bounce_of_our_acknowledgement_belongs_to_its_ticket(acme, first, second):
    with tenant_context(acme):
        found = selectors.ticket_for_bounce(message_id=first.acknowledgement.message_id)
    assert found == first


def test_a_bounce_of_a_mail_filed_in_a_thread_belongs_to_that_ticket(acme, first, second):
    with tenant_context(acme):
        found = selectors.ticket_for_bounce(message_id="second@mail.example")
    assert found == second


def test_a_bounce_of_a_mail_we_never_saw_belongs_to_no_ticket(acme, first):
    with tenant_context(acme):
        assert selectors.ticket_for_bounce(message_id="unknown@x.example") is None


def test_a_ticket_opens_with_the_requesters_first_message(acme, first, acme_agent):
    with tenant_context(acme):
        services.ticket_reply_add(
            ticket=first, text="On its way.", channel="email", author_user=acme_agent
        )
        opening = selectors.opening_message(ticket=first)
    assert opening.message_id == "first@mail.example"


def test_a_conversations_ticket_is_found_only_for_its_requester_and_channel(acme, first):
    requester, stranger = first.requester_id, ContactFactory(tenant=acme).pk
    with tenant_context(acme):
        found = selectors.requester_ticket(
            ticket_id=first.pk, contact_id=requester, channel="email"
        )
        assert found == first
        assert (
            selectors.requester_ticket(ticket_id=first.pk, contact_id=stranger, channel="email")
            is None
        )
        assert (
            selectors.requester_ticket(ticket_id=first.pk, contact_id=requester, channel="chat")
            is None
        )


def test_a_requester_reads_public_messages_only_never_internal_notes(acme, first, acme_agent):
    with tenant_context(acme):
        services.ticket_note_add(ticket=first, author=acme_agent, text="Customer is difficult.")
        reply = services.ticket_reply_add(
            ticket=first, text="On its way.", channel="email", author_user=acme_agent
        )
        opening = selectors.opening_message(ticket=first)
        read = [m.body_text for m in selectors.public_messages(ticket_id=first.pk)]
        after_opening = list(selectors.public_messages(ticket_id=first.pk, after=opening.pk))
    assert "Customer is difficult." not in read
    assert len(read) == 2
    assert after_opening == [reply]


def test_the_last_public_messages_begin_after_the_one_before_them(acme, first, acme_agent):
    with tenant_context(acme):
        replies = [
            services.ticket_reply_add(
                ticket=first, text=f"Reply {n}", channel="email", author_user=acme_agent
            )
            for n in range(3)
        ]
        services.ticket_note_add(ticket=first, author=acme_agent, text="Not counted.")
        assert selectors.public_messages_start(ticket_id=first.pk, limit=2) == replies[0].pk
        assert selectors.public_messages_start(ticket_id=first.pk, limit=10) == 0
