"""Every new ticket's requester hears from us exactly once, whatever goes wrong on the way."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from helpdesk.tenancy import tenant_context
from tests.conftest import client_for
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Acknowledgement, ResponseTarget
from tickets.tasks import acknowledgement_sweep, send_acknowledgement


@pytest.fixture
def requester(acme):
    return ContactFactory(tenant=acme, name="Carol", email="carol@bigbank.example")


def open_ticket(acme, requester, **fields):
    with tenant_context(acme):
        return services.ticket_open(
            requester=requester, subject="Printer on fire", channel="email", **fields
        )


def test_the_acknowledgement_names_the_ticket_its_link_and_the_expected_answer_time(
    acme, requester, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(acme, requester, priority="critical")
    [sent] = mail.outbox
    assert f"[{ticket.reference}]" in sent.subject
    assert f"/portal/tickets/{ticket.number}/" in sent.body
    assert "first answer by" in sent.body
    assert sent.to == ["Carol <carol@bigbank.example>"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"


def test_the_expected_answer_time_follows_the_desks_response_target(acme, requester):
    with tenant_context(acme):
        ResponseTarget.objects.create(priority="high", minutes=30)
    ticket = open_ticket(acme, requester, priority="high")
    with tenant_context(acme):
        ack = Acknowledgement.objects.get(ticket=ticket)
    assert ack.expected_response_at - ticket.created_at == timedelta(minutes=30)


def test_the_acknowledgement_speaks_the_requesters_language_and_time_zone(acme):
    requester = ContactFactory(
        tenant=acme, email="hans@example.de", language="de", time_zone="Asia/Tokyo"
    )
    ticket = open_ticket(acme, requester)
    with tenant_context(acme):
        send_acknowledgement(acme.pk, ticket.acknowledgement.pk)
    [sent] = mail.outbox
    assert "Ihre Anfrage" in sent.subject or "Anfrage" in sent.body
    assert "JST" in sent.body


def test_a_redelivered_acknowledgement_task_sends_one_email(acme, requester):
    ticket = open_ticket(acme, requester)
    with tenant_context(acme):
        ack_id = ticket.acknowledgement.pk
    send_acknowledgement(acme.pk, ack_id)
    send_acknowledgement(acme.pk, ack_id)
    assert len(mail.outbox) == 1


def test_a_lost_acknowledgement_task_is_made_good_by_the_sweep_once(acme, requester):
    ticket = open_ticket(acme, requester)  # its on-commit task never ran: as if Redis was down
    acknowledgement_sweep()
    assert mail.outbox == []  # too fresh: the queued task may still be on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        acknowledgement_sweep()
        acknowledgement_sweep()
    assert len(mail.outbox) == 1
    with tenant_context(acme):
        assert Acknowledgement.objects.get(ticket=ticket).sent_at is not None


def test_an_autoresponders_mail_is_never_acknowledged(acme, requester):
    open_ticket(acme, requester, auto_submitted="Auto-Submitted: auto-replied")
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        acknowledgement_sweep()
    assert mail.outbox == []


def test_replying_to_the_acknowledgement_threads_into_the_ticket(acme, requester):
    ticket = open_ticket(acme, requester, message_id="original@mail.example")
    with tenant_context(acme):
        send_acknowledgement(acme.pk, ticket.acknowledgement.pk)
    [sent] = mail.outbox
    assert sent.extra_headers["In-Reply-To"] == "<original@mail.example>"
    assert sent.reply_to == [acme.reply_address]


@pytest.mark.django_db(transaction=True)
def test_a_portal_ticket_is_acknowledged_by_a_real_worker_through_redis(
    acme, acme_customer, celery_worker_process, smtp_sink
):
    ContactFactory(tenant=acme, user=acme_customer, email=acme_customer.email)
    client = client_for(acme, acme_customer)
    response = client.post(
        "/portal/new/",
        {"subject": "Cannot log in", "description": "Since this morning", "priority": "high"},
    )
    assert response.status_code == 302
    [received] = smtp_sink.wait_for(1)
    assert "[ACME-1]" in received["Subject"]
    assert received["Auto-Submitted"] == "auto-replied"
    assert received["To"].addresses[0].addr_spec == acme_customer.email


def test_a_chat_acknowledgement_reads_as_a_chat_line_without_mail_wording(acme):
    requester = ContactFactory(tenant=acme, email="vera@example.com")
    with tenant_context(acme):
        ticket = services.ticket_open(requester=requester, subject="Hello?", channel="chat")
        send_acknowledgement(acme.pk, ticket.acknowledgement.pk)
        line = ticket.messages.get(author_type="system").body_text
    assert f"{ticket.reference}" in line
    assert "email" in line  # it says replies come by email if the visitor leaves
    assert "reply to this email" not in line
    assert "##-" not in line
    assert mail.outbox == []


def test_tickets_opened_together_are_acknowledged_and_a_refused_one_retries_alone(
    acme, monkeypatch
):
    from smtplib import SMTPRecipientsRefused

    from tickets import emails
    from tickets.tasks import send_acknowledgements

    tickets = [
        open_ticket(acme, ContactFactory(tenant=acme, email=f"c{n}@bigbank.example"))
        for n in range(3)
    ]
    mail.outbox.clear()
    send = emails.send_acknowledgement

    def refuse_the_second(ack):
        if ack.recipient == "c1@bigbank.example":
            raise SMTPRecipientsRefused({ack.recipient: (550, b"mailbox full")})
        send(ack)

    monkeypatch.setattr(emails, "send_acknowledgement", refuse_the_second)
    retried = []
    monkeypatch.setattr(send_acknowledgement, "delay", lambda *args: retried.append(args))
    with tenant_context(acme):
        ids = [ticket.acknowledgement.pk for ticket in tickets]
    send_acknowledgements(acme.pk, ids)
    assert retried == [(acme.pk, ids[1])]  # its own task, with its own back-off
    assert sorted(m.to[0].split("<")[-1].rstrip(">") for m in mail.outbox) == [
        "c0@bigbank.example", "c2@bigbank.example",
    ]  # fmt: skip
    with tenant_context(acme):
        unsent = list(Acknowledgement.objects.filter(pk__in=ids, sent_at=None))
    assert [ack.recipient for ack in unsent] == ["c1@bigbank.example"]  # left for its retries
