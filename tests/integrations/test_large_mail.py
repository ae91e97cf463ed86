"""Large mail is read without holding it whole: big bodies are decoded to files as they are read.

The memory figure itself (peak RSS with a 40 MiB message) is in `make bench` (section mail).
"""

from __future__ import annotations

import base64
import os
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from helpdesk.tenancy import tenant_context
from integrations.email.imap import ImapMailbox
from integrations.email.inbound import email_receive
from integrations.email.parsing import parse_email
from tests.integrations.test_inbound_email import DESK, compose
from tickets.models import Attachment, Message, Ticket
from tickets.selectors import opening_message

MIB = 1024 * 1024


def test_an_attachment_over_the_limit_is_measured_but_never_kept():
    raw = compose(attachments=[("dump.bin", "application/octet-stream", os.urandom(3 * MIB))])
    [dump] = parse_email(raw, attachment_limit=MIB).attachments
    assert dump.content is None
    assert dump.size > MIB
    assert dump.filename == "dump.bin"


def test_a_large_attachment_within_the_limit_comes_back_byte_for_byte():
    content = os.urandom(2 * MIB + 5)  # not a multiple of three: base64 ends padded
    raw = compose(attachments=[("dump.bin", "application/octet-stream", content)])
    [dump] = parse_email(raw, attachment_limit=4 * MIB).attachments
    assert dump.size == len(content)
    dump.content.seek(0)
    assert dump.content.read() == content


def test_a_large_text_body_in_base64_is_read_as_text():
    text = "Zeile mit Umlauten: äöü\n" * 40_000
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "carol@bigbank.example", DESK, "Log"
    message.set_content(text, cte="base64")
    parsed = parse_email(message.as_bytes(), attachment_limit=MIB)
    assert parsed.text.strip() == text.strip()


def test_a_forwarded_mail_with_a_large_attachment_is_kept_as_it_came():
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "dave@bigbank.example", "The crash dump"
    inner.set_content("See attached.")
    inner.add_attachment(os.urandom(MIB), maintype="application", subtype="octet-stream")
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = "carol@bigbank.example", DESK, "Fwd"
    outer.set_content("Forwarding Dave's mail.")
    outer.add_attachment(inner)
    [forwarded] = parse_email(outer.as_bytes(), attachment_limit=4 * MIB).attachments
    assert forwarded.content == inner.as_bytes()


def test_a_large_body_that_is_not_clean_base64_is_still_read_by_the_forgiving_parser():
    content = os.urandom(MIB)
    encoded = base64.encodebytes(content).replace(b"\n", b"\n!", 1)  # one stray character
    raw = (
        b"From: carol@bigbank.example\r\nTo: " + DESK.encode() + b"\r\nSubject: dump\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="dump.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--b--\r\n"
    )
    [dump] = parse_email(raw, attachment_limit=4 * MIB).attachments
    assert dump.content == content


@pytest.mark.django_db
def test_a_mail_with_a_large_attachment_opens_a_ticket_with_the_file_stored_whole(acme, settings):
    settings.ATTACHMENT_MAX_BYTES = 4 * MIB
    content = os.urandom(3 * MIB)
    raw = compose(attachments=[("dump.bin", "application/octet-stream", content)])
    inbound = email_receive(raw, source="test")
    with tenant_context(acme):
        [stored] = Attachment.objects.filter(message__ticket=inbound.ticket)
        assert stored.size == len(content)
        assert stored.file.read() == content


@pytest.mark.django_db
def test_a_mail_with_an_attachment_over_the_limit_opens_a_ticket_that_says_so(acme, settings):
    settings.ATTACHMENT_MAX_BYTES = MIB
    raw = compose(attachments=[("dump.bin", "application/octet-stream", os.urandom(2 * MIB))])
    inbound = email_receive(raw, source="test")
    with tenant_context(acme):
        assert not Attachment.objects.filter(message__ticket=inbound.ticket).exists()
        notes = Message.objects.filter(ticket=inbound.ticket, kind=Message.Kind.NOTE)
        assert any("“dump.bin” is larger than 1 MB" in note.body_text for note in notes)


def test_of_a_mail_over_the_size_limit_only_its_beginning_is_fetched(imap_server, mailbox_user):
    raw = compose(to=mailbox_user, attachments=[("a.bin", "application/x", os.urandom(MIB))])
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # as IMAP serves it
    imap_server.deliver(mailbox_user, raw)
    with ImapMailbox(imap_server.settings(mailbox_user)) as mailbox:
        [fetched] = mailbox.unseen(max_bytes=64 * 1024)
    assert fetched.raw == raw[: 64 * 1024]
    assert fetched.size == len(raw)


@pytest.mark.django_db
def test_a_mail_over_the_size_limit_still_opens_a_ticket_that_says_what_was_left_out(
    acme, acme_mailbox, imap_server, settings
):
    settings.INBOUND_EMAIL_MAX_BYTES = MIB
    user = acme_mailbox.username
    attachment = ("video.mp4", "video/mp4", os.urandom(2 * MIB))
    imap_server.deliver(
        user, compose(to=user, subject="Screen recording", attachments=[attachment])
    )
    call_command("poll_mailboxes")
    with tenant_context(acme):
        [ticket] = Ticket.objects.all()
        assert ticket.subject == "Screen recording"
        assert "The printer on floor 3 is on fire." in opening_message(ticket=ticket).body_text
        assert not Attachment.objects.filter(message__ticket=ticket).exists()
        notes = Message.objects.filter(ticket=ticket, kind=Message.Kind.NOTE)
        assert any("more than the 1 MB an email may have" in note.body_text for note in notes)
