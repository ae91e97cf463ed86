"""Mail in, tickets out: from providers' webhooks and IMAP mailboxes, threaded, never looping."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
from django.utils import timezone, translation

from helpdesk.tenancy import tenant_context
from integrations.email.inbound import email_receive
from integrations.models import InboundEmail, Mailbox, UnroutedEmail
from tests.asgi_client import asgi_request
from tests.conftest import free_port
from tests.integrations.conftest import sample
from tickets import services
from tickets.emails import automation_message_id
from tickets.models import Acknowledgement, Message, Ticket

DESK = "support@acme.localhost"


def compose(
    *,
    sender: str = "Carol <carol@bigbank.example>",
    to: str = DESK,
    subject: str = "Printer on fire",
    body: str = "The printer on floor 3 is on fire.",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="mail.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def tickets_of(tenant) -> list[Ticket]:
    with tenant_context(tenant):
        return list(Ticket.objects.order_by("number"))


def tickets_of_closing(tenant) -> list[Ticket]:
    """tickets_of, from a thread that outlives the test: it closes its connection."""
    try:
        return tickets_of(tenant)
    finally:
        connection.close()


def test_a_new_mail_opens_a_ticket_for_a_new_contact_and_keeps_the_raw_message(acme):
    raw = compose()
    inbound = email_receive(raw, source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        inbound.refresh_from_db()
        assert inbound.raw.read() == raw
        assert ticket.requester.email == "carol@bigbank.example"
        assert ticket.acknowledgement.via == Acknowledgement.Via.EMAIL
    assert (ticket.channel, ticket.subject, inbound.status) == (
        "email",
        "Printer on fire",
        "processed",
    )


def test_the_same_message_id_twice_creates_nothing_new(acme):
    raw = compose(message_id="<once@mail.example>")
    email_receive(raw, source="test")
    email_receive(raw, source="test")
    assert len(tickets_of(acme)) == 1


def test_a_reply_with_the_ticket_token_threads_in_without_the_quoted_history(acme):
    email_receive(compose(), source="test")
    [ticket] = tickets_of(acme)
    body = "It is still burning.\n\nOn Mon, 23 Nov 2026, Acme wrote:\n> We received your request"
    email_receive(compose(subject=f"Re: [ACME-{ticket.number}] Printer on fire", body=body),
                  source="test")  # fmt: skip
    with tenant_context(acme):
        texts = list(ticket.messages.values_list("body_text", flat=True))
    assert texts[-1] == "It is still burning."
    assert len(tickets_of(acme)) == 1


def test_a_reply_to_our_acknowledgement_threads_in_by_its_message_id(acme):
    email_receive(compose(), source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        ack_id = ticket.acknowledgement.message_id
    email_receive(compose(subject="Re: something else", body="More info",
                          headers={"In-Reply-To": ack_id, "References": ack_id}),
                  source="test")  # fmt: skip
    assert len(tickets_of(acme)) == 1
    with tenant_context(acme):
        assert ticket.messages.count() == 2


def test_a_stranger_quoting_a_ticket_number_gets_a_ticket_of_their_own(acme):
    email_receive(compose(), source="test")
    email_receive(compose(sender="eve@evil.example", subject="Re: [ACME-1] hello"),
                  source="test")  # fmt: skip
    first, second = tickets_of(acme)
    with tenant_context(acme):
        assert first.messages.count() == 1
        assert second.requester.email == "eve@evil.example"


def test_an_out_of_office_reply_is_never_acknowledged_and_reopens_nothing(acme, acme_agent):
    email_receive(compose(), source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        services.ticket_reply_add(ticket=ticket, text="Fixed?", channel="email",
                                  author_user=acme_agent, status="pending")  # fmt: skip
    email_receive(compose(subject=f"Automatic reply: [ACME-{ticket.number}]",
                          body="I am away until Monday.",
                          headers={"Auto-Submitted": "auto-replied"}), source="test")  # fmt: skip
    with tenant_context(acme):
        ticket.refresh_from_db()
        note = ticket.messages.order_by("-pk").first()
    assert ticket.status == "pending"
    assert (note.kind, note.author_type) == ("note", "system")


def test_a_new_mail_from_a_no_reply_sender_gets_no_acknowledgement(acme):
    email_receive(compose(sender="noreply@shop.example", subject="Your order"), source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        assert ticket.acknowledgement.via == Acknowledgement.Via.NONE


def bounce_of(message_id: str, subject: str = "[ACME-1] About your request") -> bytes:
    """A mail server's delivery failure report about our mail with `message_id` to Carol."""
    return (
        "From: MAILER-DAEMON@mx.example\r\nTo: support@acme.localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        ' boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n'
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example"
        "\r\n\r\nFinal-Recipient: rfc822; carol@bigbank.example\r\nAction: failed\r\n"
        "Status: 5.1.1\r\n\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {message_id}\r\nSubject: {subject}\r\n\r\n--B--\r\n"
    ).encode()


def test_a_bounce_of_our_mail_is_noted_on_the_ticket_and_opens_nothing(acme):
    email_receive(compose(), source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        ack_id = ticket.acknowledgement.message_id
    inbound = email_receive(bounce_of(ack_id), source="test")
    assert len(tickets_of(acme)) == 1
    with tenant_context(acme):
        note = ticket.messages.filter(kind="note").get()
    assert "carol@bigbank.example" in note.body_text
    assert inbound.status == "bounce"


def test_a_bounce_of_an_automations_reminder_is_noted_on_its_ticket(acme):
    email_receive(compose(), source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        reminder_id = automation_message_id(3, ticket, "requester")
    inbound = email_receive(bounce_of(reminder_id), source="test")
    with tenant_context(acme):
        note = ticket.messages.filter(kind="note").get()
    assert "carol@bigbank.example" in note.body_text
    assert (inbound.status, inbound.ticket_id) == ("bounce", ticket.pk)


def test_a_bounce_of_someone_elses_mail_is_kept_without_a_ticket(acme):
    email_receive(compose(), source="test")
    bounce = bounce_of("<CAF=4f2a@mail.gmail.com>", subject="Lunch on Friday?")
    inbound = email_receive(bounce, source="test")
    assert (inbound.status, inbound.ticket_id) == ("bounce", None)


def test_a_bounce_whose_message_id_a_relay_rewrote_ties_by_the_ticket_token(acme):
    email_receive(compose(), source="test")
    [ticket] = tickets_of(acme)
    bounce = bounce_of("<rewritten-by-relay@outbound.example>", subject="[ACME-1] Re: Printer")
    inbound = email_receive(bounce, source="test")
    assert (inbound.status, inbound.ticket_id) == ("bounce", ticket.pk)
    with tenant_context(acme):
        assert "carol@bigbank.example" in ticket.messages.filter(kind="note").get().body_text


def test_mail_to_an_unknown_address_is_kept_for_operators_and_the_sender_told(
    acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = email_receive(compose(to="help@nowhere.example"), source="test")
    assert isinstance(result, UnroutedEmail)
    assert tickets_of(acme) == []
    [notice] = mail.outbox
    assert notice.to == ["carol@bigbank.example"]
    assert notice.subject == "Your message could not be delivered"
    assert "(help@nowhere.example)" in notice.body
    assert '"Printer on fire"' in notice.body
    assert notice.extra_headers["Auto-Submitted"] == "auto-replied"


def test_the_notice_that_a_mail_reached_no_desk_is_translated(
    acme, django_capture_on_commit_callbacks
):
    with translation.override("de"), django_capture_on_commit_callbacks(execute=True):
        email_receive(compose(to="help@nowhere.example"), source="test")
    [notice] = mail.outbox
    assert notice.subject == "Ihre Nachricht konnte nicht zugestellt werden"
    assert "(help@nowhere.example), empfängt kein Helpdesk E-Mails" in notice.body


def test_an_answer_that_cannot_be_sent_is_logged_and_the_mail_is_kept(
    acme, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    with django_capture_on_commit_callbacks(execute=True):
        result = email_receive(compose(to="help@nowhere.example"), source="test")
    assert UnroutedEmail.objects.filter(pk=result.pk).exists()
    assert "automatic answer to carol@bigbank.example was not sent" in caplog.text


def test_mail_from_the_desks_own_address_is_ignored(acme):
    inbound = email_receive(compose(sender=DESK), source="test")
    assert inbound.status == "ignored"
    assert tickets_of(acme) == []


def test_an_unreadable_message_is_kept_and_never_crashes(acme):
    garbage = b"To: support@acme.localhost\r\nFrom: x@y.example\r\nContent-Type: multipart/mixed;"
    garbage += b' boundary="nope"\r\n\r\n--wrong\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!'
    inbound = email_receive(garbage, source="test")
    with tenant_context(acme):
        inbound.refresh_from_db()
        assert inbound.raw.read() == garbage
    assert inbound.status in {"processed", "failed"}


REFUSED = "[ACME-1] Some attachments were not accepted"
HUGE_AND_SMALL = [("huge.pdf", "application/pdf", b"x" * 500), ("ok.txt", "text/plain", b"fine")]


def test_refused_attachments_are_dropped_noted_and_the_sender_told(
    acme, settings, django_capture_on_commit_callbacks
):
    settings.ATTACHMENT_MAX_BYTES = 100
    with django_capture_on_commit_callbacks(execute=True):
        email_receive(compose(attachments=HUGE_AND_SMALL), source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        first = ticket.messages.order_by("pk").first()
        assert [a.filename for a in first.attachments.all()] == ["ok.txt"]
        assert "huge.pdf" in ticket.messages.get(kind="note").body_text
    [answer] = [sent for sent in mail.outbox if sent.subject == REFUSED]
    assert "huge.pdf" in answer.body
    assert answer.from_email == "Acme Corporation <support@acme.localhost>"


def test_the_sender_hears_about_refused_attachments_only_once_their_mail_is_stored(
    acme, settings, django_capture_on_commit_callbacks
):
    settings.ATTACHMENT_MAX_BYTES = 100
    with django_capture_on_commit_callbacks(execute=True):
        email_receive(compose(attachments=HUGE_AND_SMALL), source="test")
        assert mail.outbox == []  # the mail's transaction has not committed yet
    assert [sent.subject for sent in mail.outbox if sent.subject == REFUSED] == [REFUSED]


def test_a_mail_whose_processing_fails_sends_no_attachments_not_accepted_answer(
    acme, settings, django_capture_on_commit_callbacks
):
    settings.ATTACHMENT_MAX_BYTES = 100
    with connection.cursor() as cursor:
        # The database refuses to record the mail as processed: a failure after the answer
        # about its attachments was prepared, as any late bug or outage would be.
        cursor.execute(
            "ALTER TABLE integrations_inboundemail ADD CONSTRAINT never_processed"
            " CHECK (status <> 'processed') NOT VALID"
        )
    with django_capture_on_commit_callbacks(execute=True):
        inbound = email_receive(compose(attachments=HUGE_AND_SMALL), source="test")
    assert inbound.status == "failed"
    assert tickets_of(acme) == []
    assert [sent for sent in mail.outbox if sent.subject == REFUSED] == []


def test_mail_to_a_custom_domain_reaches_its_desk(acme):
    from tests.factories import DomainFactory

    DomainFactory(tenant=acme, domain="help.acme-corp.example")
    email_receive(compose(to="support@help.acme-corp.example"), source="test")
    assert len(tickets_of(acme)) == 1


def test_mail_to_a_closed_desk_is_kept_for_operators(acme):
    acme.is_active = False
    acme.save()
    result = email_receive(compose(to="support@acme.localhost"), source="test")
    assert isinstance(result, UnroutedEmail)


def test_an_agent_answering_by_mail_replies_as_the_agent(acme, acme_agent):
    email_receive(compose(), source="test")
    [ticket] = tickets_of(acme)
    email_receive(compose(sender=acme_agent.email, subject=f"Re: [ACME-{ticket.number}]",
                          body="Fire brigade is on the way."), source="test")  # fmt: skip
    with tenant_context(acme):
        reply = ticket.messages.order_by("-pk").first()
        ticket.refresh_from_db()
    assert (reply.author_type, reply.author_user_id) == ("agent", acme_agent.pk)
    assert ticket.first_responded_at is not None


# --- providers' webhooks ------------------------------------------------------------------


def test_a_mailgun_inbound_webhook_with_a_valid_signature_opens_a_ticket(acme, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "mg-key", "WEBHOOK_SECRET": "hook:secret"}
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(b"mg-key", f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    response = Client(HTTP_HOST="localhost").post(
        "/anymail/mailgun/inbound_mime/",
        {
            "body-mime": compose().decode(),
            "recipient": DESK,
            "sender": "carol@bigbank.example",
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
        },
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
    )
    assert response.status_code == 200
    assert [t.subject for t in tickets_of(acme)] == ["Printer on fire"]


def test_a_mailgun_webhook_with_a_forged_signature_is_refused(acme, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "mg-key", "WEBHOOK_SECRET": "hook:secret"}
    response = Client(HTTP_HOST="localhost").post(
        "/anymail/mailgun/inbound_mime/",
        {"body-mime": compose().decode(), "timestamp": "1", "token": "t", "signature": "bad"},
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
    )
    assert response.status_code == 400
    assert tickets_of(acme) == []


@pytest.mark.django_db(transaction=True)  # the web process answers in a thread of its own
async def test_a_12_mb_mail_posted_to_the_mailgun_webhook_opens_a_ticket(acme, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "mg-key", "WEBHOOK_SECRET": "hook:secret"}
    timestamp, token = str(int(time.time())), "b" * 50
    signature = hmac.new(b"mg-key", f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    scan = ("scan.pdf", "application/pdf", b"%PDF" + bytes(range(256)) * (9 * 4096))  # 9 MB
    raw = compose(subject="Signed contract", attachments=[scan])
    assert len(raw) > 12_000_000  # base64 makes the 9 MB scan 12 MB of mail
    fields = {"body-mime": raw.decode(), "timestamp": timestamp, "token": token,
              "signature": signature}  # fmt: skip
    body = encode_multipart(BOUNDARY, fields)
    answer = await asgi_request(
        "POST",
        "/anymail/mailgun/inbound_mime/",
        host="localhost",
        headers=[
            ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),
            ("Content-Length", str(len(body))),
            ("Authorization", "Basic " + base64.b64encode(b"hook:secret").decode()),
        ],
        body=[body[i : i + 65536] for i in range(0, len(body), 65536)],
    )
    assert answer.status == 200, answer.text()[:500]
    [ticket] = await sync_to_async(tickets_of_closing)(acme)
    assert ticket.subject == "Signed contract"


def test_a_postmark_inbound_webhook_with_the_shared_secret_opens_a_ticket(acme, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    payload = {
        "FromFull": {"Email": "carol@bigbank.example", "Name": "Carol"},
        "ToFull": [{"Email": DESK, "Name": ""}],
        "OriginalRecipient": DESK,
        "Subject": "Invoice missing",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "Headers": [{"Name": "Message-ID", "Value": "<pm-1@mail.example>"}],
        "TextBody": "Where is my invoice?",
        "HtmlBody": "<p>Where is my invoice?</p>",
        "Attachments": [{"Name": "order.txt", "Content": base64.b64encode(b"4711").decode(),
                         "ContentType": "text/plain", "ContentLength": 4}],
    }  # fmt: skip
    response = Client(HTTP_HOST="localhost").post(
        "/anymail/postmark/inbound/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
    )
    assert response.status_code == 200
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        message = ticket.messages.get()
        assert [a.filename for a in message.attachments.all()] == ["order.txt"]
    assert "Where is my invoice?" in message.body_text


def test_a_postmark_webhook_without_the_shared_secret_is_refused(acme, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    response = Client(HTTP_HOST="localhost").post(
        "/anymail/postmark/inbound/", "{}", content_type="application/json"
    )
    assert response.status_code == 400
    assert tickets_of(acme) == []


# --- IMAP mailboxes -----------------------------------------------------------------------


def test_the_poller_turns_new_mailbox_mail_into_tickets_once(acme, acme_mailbox, imap_server):
    user = "support@acme.example"
    imap_server.deliver(user, compose(to=user, subject="Broken login"))
    imap_server.deliver(user, compose(to=user, subject="Second problem"))
    call_command("poll_mailboxes")
    call_command("poll_mailboxes")
    assert sorted(t.subject for t in tickets_of(acme)) == ["Broken login", "Second problem"]
    assert "Processed" in imap_server.folders(user)


def test_the_beat_task_polls_every_active_mailbox(acme, acme_mailbox, imap_server):
    from integrations.tasks import poll_mailboxes

    imap_server.deliver("support@acme.example", compose(to="x@y.example", subject="Via task"))
    poll_mailboxes()  # tasks run eagerly in tests
    assert [t.subject for t in tickets_of(acme)] == ["Via task"]


def test_a_mailbox_with_a_wrong_password_records_the_error_and_loses_nothing(
    acme, acme_mailbox, imap_server
):
    imap_server.deliver("support@acme.example", compose(subject="Waiting"))
    with tenant_context(acme):
        Mailbox.objects.filter(pk=acme_mailbox.pk).update(password="wrong")
    call_command("poll_mailboxes")
    with tenant_context(acme):
        acme_mailbox.refresh_from_db()
    assert "authentication" in acme_mailbox.last_error.lower()
    assert acme_mailbox.password not in acme_mailbox.last_error
    assert tickets_of(acme) == []


def test_mail_of_one_desk_never_lands_in_another(acme, globex):
    email_receive(compose(to="support@globex.localhost"), source="test")
    assert tickets_of(acme) == []
    assert len(tickets_of(globex)) == 1
    with tenant_context(acme):
        assert not InboundEmail.objects.exists()
        assert not Message.objects.exists()


def test_a_new_mail_with_a_reply_to_is_acknowledged_and_answered_there(acme):
    raw = compose(
        sender="Web form <forms@webform.example>",
        headers={"Reply-To": "Erin Example <erin@customer.example>"},
    )
    email_receive(raw, source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        assert (ticket.requester.email, ticket.requester.name) == (
            "erin@customer.example",
            "Erin Example",
        )
        assert ticket.acknowledgement.recipient == "erin@customer.example"


def test_a_reply_to_naming_the_desk_itself_is_not_the_requester(acme):
    raw = compose(headers={"Reply-To": DESK})
    email_receive(raw, source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        assert ticket.requester.email == "carol@bigbank.example"


def read_receipt_of(message_id: str, *, disposition: str = "displayed") -> bytes:
    """Carol's mail program telling us she opened our mail with `message_id` (RFC 8098)."""
    return (
        "From: Carol <carol@bigbank.example>\r\nTo: support@acme.localhost\r\n"
        "Subject: Read: About your request\r\nMessage-ID: <r1@bigbank.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report;"
        ' report-type=disposition-notification; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n"
        "--R\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: mail.bigbank.example; Mailer\r\n"
        "Final-Recipient: rfc822; carol@bigbank.example\r\n"
        f"Original-Message-ID: {message_id}\r\n"
        f"Disposition: manual-action/MDN-sent-manually; {disposition}\r\n\r\n--R--\r\n"
    ).encode()


def test_a_read_receipt_opens_no_ticket_and_is_noted_on_its_ticket(acme):
    email_receive(compose(), source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        acknowledgement_id = ticket.acknowledgement.message_id
    mail.outbox.clear()
    inbound = email_receive(read_receipt_of(acknowledgement_id), source="test")
    assert tickets_of(acme) == [ticket]
    assert mail.outbox == []
    with tenant_context(acme):
        inbound.refresh_from_db()
        assert (inbound.status, inbound.ticket_id) == ("processed", ticket.pk)
        note = Message.objects.filter(ticket=ticket).order_by("pk").last()
        assert "Read receipt from carol@bigbank.example: displayed" in note.body_text


def test_a_read_receipt_for_no_ticket_is_only_logged(acme):
    inbound = email_receive(read_receipt_of("<unknown@elsewhere.example>"), source="test")
    assert tickets_of(acme) == []
    with tenant_context(acme):
        inbound.refresh_from_db()
    assert inbound.status == "ignored"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied; vacation"},
        {"X-Autoreply": "yes"},
        {"Precedence": "auto_reply"},
    ],
)
def test_an_automatic_reply_to_no_ticket_opens_none_and_is_logged(acme, headers):
    inbound = email_receive(compose(subject="Out of office", headers=headers), source="test")
    assert tickets_of(acme) == []
    assert mail.outbox == []
    with tenant_context(acme):
        inbound.refresh_from_db()
    assert inbound.status == "ignored"
    assert "automatic reply" in inbound.error


def test_a_delivery_delay_notice_to_no_ticket_opens_none(acme):
    delayed = (
        b"From: MAILER-DAEMON@mx.example\r\nTo: support@acme.localhost\r\n"
        b"Subject: Delayed Mail (still being retried)\r\nMessage-ID: <d1@mx.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        b' boundary="D"\r\n\r\n--D\r\nContent-Type: text/plain\r\n\r\nStill trying.\r\n'
        b"--D\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example"
        b"\r\n\r\nFinal-Recipient: rfc822; someone@elsewhere.example\r\nAction: delayed\r\n"
        b"Status: 4.4.7\r\n\r\n--D--\r\n"
    )
    inbound = email_receive(delayed, source="test")
    assert tickets_of(acme) == []
    with tenant_context(acme):
        inbound.refresh_from_db()
    assert inbound.status == "ignored"


def test_an_automatically_generated_notice_still_opens_a_ticket_without_acknowledgement(acme):
    email_receive(
        compose(subject="Disk almost full", headers={"Auto-Submitted": "auto-generated"}),
        source="test",
    )
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        assert ticket.acknowledgement.via == Acknowledgement.Via.NONE


def test_someone_elses_reply_opens_a_ticket_without_the_quoted_history(acme):
    email_receive(compose(), source="test")
    reply = (
        "I have the same problem on floor 5.\n\n"
        "On Mon, 7 Dec 2026 at 10:00, Acme Support <support@acme.localhost> wrote:\n"
        "> The printer on floor 3 is on fire.\n> We are on it.\n"
    )
    email_receive(
        compose(sender="dave@bigbank-partner.example", subject="Re: [ACME-1] Printer", body=reply),
        source="test",
    )
    _first, second = tickets_of(acme)
    with tenant_context(acme):
        opening = second.messages.order_by("pk").first()
        assert "floor 5" in opening.body_text
        assert "floor 3" not in opening.body_text
        [whole] = opening.attachments.all()
        assert b"floor 3" in whole.file.read()


def without_sender(from_header: str | None) -> bytes:
    lines = [f"From: {from_header}"] if from_header is not None else []
    return "\r\n".join(
        [
            *lines,
            "To: support@acme.localhost",
            "Subject: Printer on fire",
            "Message-ID: <nosender@mail.example>",
            "",
            "Please help, the printer is on fire.",
        ]
    ).encode()


@pytest.mark.parametrize("from_header", [None, "Printer Room", "<>", "not an address at all"])
def test_mail_without_a_usable_sender_still_opens_a_ticket_flagged_no_reply_address(
    acme, acme_agent, from_header
):
    from tests.conftest import client_for

    inbound = email_receive(without_sender(from_header), source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        inbound.refresh_from_db()
        assert inbound.status == "processed"
        assert ticket.requester.email == ""
        assert ticket.acknowledgement.via == Acknowledgement.Via.NONE
    agent = client_for(acme, acme_agent)
    page = agent.get(ticket.get_absolute_url(), secure=True).content.decode()
    assert "No reply address" in page
    url = f"{ticket.get_absolute_url()}requester/"
    agent.post(url, {"email": "not an address"}, secure=True)
    with tenant_context(acme):
        assert Ticket.objects.get(pk=ticket.pk).requester.email == ""
    agent.post(url, {"email": "frank@bigbank.example", "name": "Frank"}, secure=True)
    with tenant_context(acme):
        changed = Ticket.objects.get(pk=ticket.pk)
        assert (changed.requester.email, changed.requester.name) == (
            "frank@bigbank.example",
            "Frank",
        )
    assert (
        "No reply address" not in agent.get(ticket.get_absolute_url(), secure=True).content.decode()
    )


# --- pictures ---------------------------------------------------------------------------------


def picture_sources(page: str) -> list[str]:
    return re.findall(r"<img\b[^>]*?\ssrc=\"([^\"]*)\"", page)


def test_a_picture_inside_a_received_mail_shows_from_its_stored_file(acme, acme_agent_client):
    # Gmail's layout: multipart/related holding the text and HTML versions and the picture,
    # which the HTML names by its Content-ID.
    raw = sample("inline_image.eml").replace(b"support@acme.example", DESK.encode())
    email_receive(raw, source="test")
    [ticket] = tickets_of(acme)
    with tenant_context(acme):
        picture = ticket.messages.get().attachments.get(content_id="ii_lt8x2k0a0")
    page = acme_agent_client.get(ticket.get_absolute_url()).content.decode()
    url = f"/workspace/tickets/{ticket.number}/attachments/{picture.pk}/"
    assert picture_sources(page) == [url]
    assert "Remote images are hidden" not in page
    assert acme_agent_client.get(url)["Content-Type"] == "image/png"


def test_a_tracking_pixel_in_a_received_mail_is_not_requested_when_an_agent_views_it(
    acme, acme_agent_client
):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "carol@bigbank.example", DESK, "Hi"
    message["Message-ID"] = make_msgid(domain="mail.example")
    message.set_content("The invoice is wrong.")
    message.add_alternative(
        '<p>The invoice is wrong.</p><img src="https://tracker.example/o.gif?c=42" width="1">',
        subtype="html",
    )
    email_receive(message.as_bytes(), source="test")
    [ticket] = tickets_of(acme)
    page = acme_agent_client.get(ticket.get_absolute_url()).content.decode()
    assert "The invoice is wrong." in page
    assert picture_sources(page) == []
    assert "Remote images are hidden to protect your privacy." in page
