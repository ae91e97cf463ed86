"""Polling a help desk mailbox over IMAP, against a real Dovecot (see conftest.py)."""

from __future__ import annotations

import socket
import traceback

import pytest

from integrations.email.imap import FetchedMessage, ImapMailbox, MailboxError
from integrations.email.parsing import parse_email
from tests.integrations.conftest import sample

INVOICE = sample("attachment_rfc2231.eml")  # CRLF line ends: IMAP serves every mail that way
PLAIN = sample("plain.eml").replace(b"\n", b"\r\n")
REPLY = sample("reply_threading.eml").replace(b"\n", b"\r\n")


def test_an_unseen_mail_is_fetched_with_its_bytes_intact(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, INVOICE)

    with ImapMailbox(imap_server.settings(mailbox_user)) as mailbox:
        fetched = mailbox.fetch_unseen()

    assert [message.raw for message in fetched] == [INVOICE]


def test_a_fetched_mail_keeps_its_utf8_subject_and_attachment(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, INVOICE)

    with ImapMailbox(imap_server.settings(mailbox_user)) as mailbox:
        parsed = parse_email(mailbox.fetch_unseen()[0].raw)

    assert parsed.subject == "Rechnung März \u2013 Übersicht"
    assert parsed.attachments[0].content == parse_email(INVOICE).attachments[0].content
    assert parsed.attachments[0].content.startswith(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3")


def test_a_fetched_mail_is_named_by_uid_and_uidvalidity(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, PLAIN)

    with ImapMailbox(imap_server.settings(mailbox_user)) as mailbox:
        fetched = mailbox.fetch_unseen()

    uid = int(imap_server.messages(mailbox_user)[0]["uid"])
    assert fetched == [FetchedMessage(uid=uid, uidvalidity=mailbox.uidvalidity, raw=PLAIN)]
    assert mailbox.uidvalidity > 0


def test_fetching_does_not_mark_mail_seen(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, PLAIN)
    settings = imap_server.settings(mailbox_user)

    with ImapMailbox(settings) as mailbox:
        first = mailbox.fetch_unseen()
    with ImapMailbox(settings) as mailbox:
        second = mailbox.fetch_unseen()

    assert first == second
    assert imap_server.messages(mailbox_user)[0]["flags"] == set()


def test_unseen_mail_comes_oldest_first_up_to_the_limit(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, PLAIN)
    imap_server.deliver(mailbox_user, REPLY)
    imap_server.deliver(mailbox_user, INVOICE)

    with ImapMailbox(imap_server.settings(mailbox_user)) as mailbox:
        fetched = mailbox.fetch_unseen(limit=2)

    assert [message.raw for message in fetched] == [PLAIN, REPLY]


def test_an_empty_mailbox_fetches_nothing(imap_server, mailbox_user):
    with ImapMailbox(imap_server.settings(mailbox_user)) as mailbox:
        assert mailbox.fetch_unseen() == []


def test_processed_mail_moves_to_a_processed_folder_created_on_demand(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, PLAIN)
    assert "Processed" not in imap_server.folders(mailbox_user)

    with ImapMailbox(imap_server.settings(mailbox_user)) as mailbox:
        mailbox.mark_processed(mailbox.fetch_unseen()[0].uid)

    assert imap_server.messages(mailbox_user) == []
    assert [m["flags"] for m in imap_server.messages(mailbox_user, "Processed")] == [{"\\Seen"}]


def test_processed_mail_is_not_fetched_again(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, PLAIN)
    imap_server.deliver(mailbox_user, REPLY)
    settings = imap_server.settings(mailbox_user)

    with ImapMailbox(settings) as mailbox:
        mailbox.mark_processed(mailbox.fetch_unseen()[0].uid)
    with ImapMailbox(settings) as mailbox:
        fetched = mailbox.fetch_unseen()

    assert [message.raw for message in fetched] == [REPLY]


def test_processed_mail_goes_into_an_existing_processed_folder(imap_server, mailbox_user):
    imap_server.create_folder(mailbox_user, "Processed")
    imap_server.deliver(mailbox_user, REPLY, folder="Processed")
    imap_server.deliver(mailbox_user, PLAIN)

    with ImapMailbox(imap_server.settings(mailbox_user)) as mailbox:
        mailbox.mark_processed(mailbox.fetch_unseen()[0].uid)

    assert len(imap_server.messages(mailbox_user, "Processed")) == 2


def test_processed_folder_may_have_a_non_ascii_name(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, PLAIN)
    settings = imap_server.settings(mailbox_user, processed_folder="Erledigt & geprüft")

    with ImapMailbox(settings) as mailbox:
        mailbox.mark_processed(mailbox.fetch_unseen()[0].uid)

    assert len(imap_server.messages(mailbox_user, "Erledigt & geprüft")) == 1


def test_without_processed_folder_processed_mail_stays_in_the_inbox_as_seen(
    imap_server, mailbox_user
):
    imap_server.deliver(mailbox_user, PLAIN)
    settings = imap_server.settings(mailbox_user, processed_folder=None)

    with ImapMailbox(settings) as mailbox:
        mailbox.mark_processed(mailbox.fetch_unseen()[0].uid)
        assert mailbox.fetch_unseen() == []

    assert [m["flags"] for m in imap_server.messages(mailbox_user)] == [{"\\Seen"}]
    assert imap_server.folders(mailbox_user) == ["INBOX"]


@pytest.mark.parametrize(
    ("host", "missing"),
    [
        pytest.param("127.0.0.2", {"MOVE"}, id="UID-EXPUNGE"),
        pytest.param("127.0.0.3", {"MOVE", "UIDPLUS"}, id="EXPUNGE"),
    ],
)
def test_a_server_without_move_gets_processed_mail_copied_and_expunged(
    imap_server, mailbox_user, host, missing
):
    if host not in imap_server.legacy_hosts:
        pytest.skip(f"{host} cannot be bound here")
    imap_server.deliver(mailbox_user, PLAIN)
    imap_server.deliver(mailbox_user, REPLY)

    with ImapMailbox(imap_server.settings(mailbox_user, host=host)) as mailbox:
        assert not missing & mailbox.capabilities
        mailbox.mark_processed(mailbox.fetch_unseen()[0].uid)

    assert [m["hdr.subject"] for m in imap_server.messages(mailbox_user)] == [
        "Re: [ACME-1042] Printer on the 3rd floor is on fire"
    ]
    assert [m["flags"] for m in imap_server.messages(mailbox_user, "Processed")] == [{"\\Seen"}]


def test_a_failed_mail_is_flagged_and_not_fetched_again(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, PLAIN)
    settings = imap_server.settings(mailbox_user)

    with ImapMailbox(settings) as mailbox:
        mailbox.mark_failed(mailbox.fetch_unseen()[0].uid)
    with ImapMailbox(settings) as mailbox:
        fetched = mailbox.fetch_unseen()

    assert fetched == []
    assert [m["flags"] for m in imap_server.messages(mailbox_user)] == [{"\\Flagged", "\\Seen"}]


def test_a_failed_mail_moves_to_the_failed_folder_when_there_is_one(imap_server, mailbox_user):
    imap_server.deliver(mailbox_user, PLAIN)
    settings = imap_server.settings(mailbox_user, failed_folder="Failed")

    with ImapMailbox(settings) as mailbox:
        mailbox.mark_failed(mailbox.fetch_unseen()[0].uid)

    assert imap_server.messages(mailbox_user) == []
    assert [m["flags"] for m in imap_server.messages(mailbox_user, "Failed")] == [
        {"\\Flagged", "\\Seen"}
    ]


def test_a_password_that_is_not_ascii_logs_in(imap_server):
    user = "help@globex.example"
    imap_server.clear(user)
    imap_server.deliver(user, PLAIN)

    with ImapMailbox(imap_server.settings(user)) as mailbox:
        assert len(mailbox.fetch_unseen()) == 1


def test_a_missing_folder_is_a_mailbox_error(imap_server, mailbox_user):
    settings = imap_server.settings(mailbox_user, folder="Support Queue")

    with pytest.raises(MailboxError, match="'Support Queue'") as caught:
        ImapMailbox(settings).open()

    assert caught.value.kind == MailboxError.FOLDER


def test_a_wrong_password_is_a_mailbox_error_that_does_not_show_it(imap_server, mailbox_user):
    # Over ::1 where possible: Dovecot delays the next login from a failing address for seconds.
    settings = imap_server.settings(
        mailbox_user, host=imap_server.auth_failure_host, password="not-the-secret-4711"
    )

    with pytest.raises(MailboxError) as caught:
        ImapMailbox(settings).open()

    error = caught.value
    assert error.kind == MailboxError.AUTHENTICATION
    assert "support@acme.example" in str(error)
    assert "not-the-secret-4711" not in "".join(traceback.format_exception(error))
    assert "not-the-secret-4711" not in repr(settings)


def test_a_refused_connection_is_a_mailbox_error(imap_server, mailbox_user):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = imap_server.settings(mailbox_user, port=port)

    with pytest.raises(MailboxError, match="connection refused") as caught:
        ImapMailbox(settings).open()

    assert caught.value.kind == MailboxError.CONNECT
    assert f"127.0.0.1:{port}" in str(caught.value)


def test_a_server_that_never_greets_times_out_with_a_mailbox_error(imap_server, mailbox_user):
    with socket.socket() as silent:  # accepts connections (backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings = imap_server.settings(mailbox_user, port=silent.getsockname()[1], timeout=0.3)

        with pytest.raises(MailboxError, match=r"no answer within 0\.3 s") as caught:
            ImapMailbox(settings).open()

    assert caught.value.kind == MailboxError.TIMEOUT


def test_mail_is_fetched_over_imaps(imap_server, mailbox_user):
    if imap_server.imaps_port is None:
        pytest.skip("openssl is not installed: no certificate for IMAPS")
    imap_server.deliver(mailbox_user, PLAIN)
    settings = imap_server.settings(mailbox_user, port=imap_server.imaps_port, use_ssl=True)

    with ImapMailbox(settings, ssl_context=imap_server.ssl_context()) as mailbox:
        assert [message.raw for message in mailbox.fetch_unseen()] == [PLAIN]


def test_mail_is_fetched_after_starttls(imap_server, mailbox_user):
    if imap_server.imaps_port is None:
        pytest.skip("openssl is not installed: no certificate for STARTTLS")
    imap_server.deliver(mailbox_user, PLAIN)
    settings = imap_server.settings(mailbox_user, starttls=True)

    with ImapMailbox(settings, ssl_context=imap_server.ssl_context()) as mailbox:
        assert [message.raw for message in mailbox.fetch_unseen()] == [PLAIN]


def test_an_untrusted_certificate_is_a_tls_mailbox_error(imap_server, mailbox_user):
    if imap_server.imaps_port is None:
        pytest.skip("openssl is not installed: no certificate for IMAPS")
    settings = imap_server.settings(mailbox_user, port=imap_server.imaps_port, use_ssl=True)

    with pytest.raises(MailboxError, match="certificate verify failed") as caught:
        ImapMailbox(settings).open()  # the system's trust store does not know our test CA

    assert caught.value.kind == MailboxError.TLS
