"""Acknowledgements are never lost: not to a neighbour's lock, not to one bad recipient."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.utils import getaddresses
from smtplib import SMTPServerDisconnected

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from helpdesk.tenancy import tenant_context
from tests.conftest import client_for
from tests.factories import ContactFactory
from tickets import emails, services
from tickets.models import Acknowledgement, Contact, TicketEvent
from tickets.services import ACK_MAX_ATTEMPTS, AckOutcome
from tickets.tasks import acknowledgement_sweep


@pytest.fixture
def requester(acme):
    return ContactFactory(tenant=acme, name="Carol", email="carol@bigbank.example")


def open_ticket(acme, requester):
    """A new ticket whose acknowledgement waits to be sent (as if its task had not run yet)."""
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=requester, subject="Printer on fire", channel="email"
        )
    with tenant_context(acme):  # after the commit, and the task it queued
        Acknowledgement.objects.filter(ticket=ticket).update(sent_at=None, attempts=0)
    mail.outbox.clear()
    return ticket


@contextmanager
def held_elsewhere(tenant, lock: Callable[[], object]) -> Iterator[None]:
    """Another connection holds `lock`'s row locks until the block ends."""
    locked, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            with tenant_context(tenant), transaction.atomic():
                lock()
                locked.set()
                release.wait(30)
        except BaseException as error:  # surfaced in the test's thread
            failure.append(error)
            locked.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(30)
    assert not failure, failure
    try:
        yield
    finally:
        release.set()
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_a_neighbour_locking_the_requester_does_not_hold_up_the_acknowledgement(acme, requester):
    ticket = open_ticket(acme, requester)
    with tenant_context(acme):
        ack_id = ticket.acknowledgement.pk

    def lock_requester() -> None:
        list(Contact.objects.select_for_update().filter(pk=requester.pk))

    with held_elsewhere(acme, lock_requester), tenant_context(acme):
        outcome = services.acknowledgement_send(acknowledgement_id=ack_id)
    assert outcome == AckOutcome.SENT
    assert [message.to for message in mail.outbox] == [["Carol <carol@bigbank.example>"]]


@pytest.mark.django_db(transaction=True)
def test_an_acknowledgement_another_worker_holds_is_busy_not_sent(acme, requester):
    ticket = open_ticket(acme, requester)
    with tenant_context(acme):
        ack_id = ticket.acknowledgement.pk

    def lock_acknowledgement() -> None:
        list(Acknowledgement.objects.select_for_update().filter(pk=ack_id))

    with held_elsewhere(acme, lock_acknowledgement), tenant_context(acme):
        assert services.acknowledgement_send(acknowledgement_id=ack_id) == AckOutcome.BUSY
    assert mail.outbox == []
    with tenant_context(acme):
        assert services.acknowledgement_send(acknowledgement_id=ack_id) == AckOutcome.SENT
        assert services.acknowledgement_send(acknowledgement_id=ack_id) == AckOutcome.DONE
    assert len(mail.outbox) == 1


def test_a_failing_acknowledgement_counts_its_attempts_and_gives_up_visibly(
    acme, requester, acme_agent, monkeypatch
):
    ticket = open_ticket(acme, requester)

    def server_gone(ack):
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(emails, "send_acknowledgement", server_gone)
    with tenant_context(acme):
        ack_id = ticket.acknowledgement.pk
    for attempt in range(1, ACK_MAX_ATTEMPTS):
        with tenant_context(acme), pytest.raises(SMTPServerDisconnected):
            services.acknowledgement_send(acknowledgement_id=ack_id)
        with tenant_context(acme):
            assert Acknowledgement.objects.get(pk=ack_id).attempts == attempt  # not rolled back
    with tenant_context(acme):
        assert services.acknowledgement_send(acknowledgement_id=ack_id) == AckOutcome.GAVE_UP
        ack = Acknowledgement.objects.get(pk=ack_id)
        assert ack.attempts == ACK_MAX_ATTEMPTS and ack.failed_at is not None
        assert "Connection unexpectedly closed" in ack.failure
        assert TicketEvent.objects.filter(
            ticket=ticket, kind=TicketEvent.Kind.NOT_NOTIFIED
        ).exists()
    page = client_for(acme, acme_agent).get(ticket.get_absolute_url(), secure=True)
    assert "could not be sent" in page.content.decode()
    # The sweep no longer tries it: the agent sees why, and can answer by hand.
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        acknowledgement_sweep()
    with tenant_context(acme):
        assert Acknowledgement.objects.get(pk=ack_id).attempts == ACK_MAX_ATTEMPTS


def test_a_stored_name_with_line_breaks_still_gets_its_acknowledgement(acme):
    carol = ContactFactory(tenant=acme, name="Carol", email="carol@bigbank.example")
    with tenant_context(acme):  # as stored before names were cleaned at input
        Contact.objects.filter(pk=carol.pk).update(name="Carol\nBcc: all@victim.example")
    open_ticket(acme, carol)
    acknowledgement_sweep_now()
    [sent] = mail.outbox
    assert getaddresses(sent.to) == [("Carol Bcc: all@victim.example", "carol@bigbank.example")]


def test_one_unsendable_acknowledgement_does_not_hold_up_the_rest_of_the_batch(acme, monkeypatch):
    from tickets.tasks import send_acknowledgement, send_acknowledgements

    contacts = [ContactFactory(tenant=acme, email=f"c{n}@bigbank.example") for n in range(3)]
    tickets = [open_ticket(acme, contact) for contact in contacts]
    send = emails.send_acknowledgement

    def cannot_encode_the_second(ack):
        if ack.recipient == "c1@bigbank.example":
            raise UnicodeEncodeError("ascii", "jos\xe9", 3, 4, "no SMTPUTF8")
        send(ack)

    monkeypatch.setattr(emails, "send_acknowledgement", cannot_encode_the_second)
    retried = []
    monkeypatch.setattr(send_acknowledgement, "delay", lambda *args: retried.append(args))
    with tenant_context(acme):
        ids = [ticket.acknowledgement.pk for ticket in tickets]
    send_acknowledgements(acme.pk, ids)
    assert retried == []  # given up at once: no server could ever take it
    assert len(mail.outbox) == 2
    with tenant_context(acme):
        failed = Acknowledgement.objects.get(pk=ids[1])
    assert failed.failed_at is not None and "UnicodeEncodeError" in failed.failure


def sending_through(settings, sink) -> None:
    settings.EMAIL_BACKEND = "helpdesk.mail.EmailBackend"  # what EMAIL_URL=smtp://... selects
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port


def test_an_internationalised_address_is_acknowledged_with_smtputf8(acme, settings, smtputf8_sink):
    sending_through(settings, smtputf8_sink)
    jorg = ContactFactory(tenant=acme, name="Jörg", email="jörg@müller.example")
    ticket = open_ticket(acme, jorg)
    with tenant_context(acme):
        outcome = services.acknowledgement_send(acknowledgement_id=ticket.acknowledgement.pk)
    assert outcome == AckOutcome.SENT
    assert smtputf8_sink.envelope_recipients == [["jörg@xn--mller-kva.example"]]
    [received] = smtputf8_sink.messages
    assert received["To"].addresses[0].username == "jörg"


def test_an_internationalised_address_the_server_cannot_take_fails_at_once_and_says_why(
    acme, settings, smtp_sink
):
    sending_through(settings, smtp_sink)
    jorg = ContactFactory(tenant=acme, name="Jörg", email="jörg@müller.example")
    ticket = open_ticket(acme, jorg)
    with tenant_context(acme):
        outcome = services.acknowledgement_send(acknowledgement_id=ticket.acknowledgement.pk)
        ack = Acknowledgement.objects.get(ticket=ticket)
    assert outcome == AckOutcome.GAVE_UP and ack.attempts == 1
    assert "does not accept internationalised addresses (SMTPUTF8)" in ack.failure
    assert smtp_sink.messages == []


def test_an_internationalised_domain_is_written_in_its_ascii_form(acme, settings, smtp_sink):
    sending_through(settings, smtp_sink)
    carol = ContactFactory(tenant=acme, name="Carol", email="carol@bücher.example")
    ticket = open_ticket(acme, carol)
    with tenant_context(acme):
        services.acknowledgement_send(acknowledgement_id=ticket.acknowledgement.pk)
    assert smtp_sink.envelope_recipients == [["carol@xn--bcher-kva.example"]]


def acknowledgement_sweep_now() -> None:
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        acknowledgement_sweep()
