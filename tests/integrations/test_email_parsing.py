"""Reading inbound mail: bodies, encodings, threading, loops, bounces, quotes and broken mail.

The samples in mail/ imitate what real mail programs send; small variations are built inline.
"""

# ruff: noqa: RUF001 - mail in German and English is full of typographic dashes and quotes.

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.email.parsing import (
    html_to_text,
    normalise_message_id,
    parse_email,
    ticket_reference_in,
)
from integrations.email.quotes import strip_quoted
from tests.integrations.conftest import sample
from tickets.emails import REPLY_MARKER

HUMAN_HEADERS = (
    "From: Paul Weber <paul.weber@kunde.example>",
    "To: support@acme.example",
    "Date: Mon, 2 Mar 2026 13:37:00 +0100",
    "Message-ID: <inline-test@kunde.example>",
)


def mail(*headers: str, subject: str = "Printer broken", body: str = "Hello") -> bytes:
    """A small text mail from a person, with extra `headers`."""
    lines = [*HUMAN_HEADERS, f"Subject: {subject}", *headers, "", body, ""]
    return "\r\n".join(lines).encode()


# A plain mail


def test_a_plain_mail_gives_sender_subject_date_and_body():
    parsed = parse_email(sample("plain.eml"))

    assert parsed.from_address == "max.mustermann@kunde.example"
    assert parsed.from_name == "Max Mustermann"
    assert parsed.subject == "Printer on the 3rd floor is on fire"
    assert parsed.date == datetime(2026, 3, 3, 8, 58, 7, tzinfo=UTC)
    assert parsed.text.startswith("Hello,\n\nthe printer next to the kitchen")
    assert parsed.text.endswith("Thanks,\nMax")
    assert parsed.html is None
    assert parsed.problems == []


def test_a_plain_mail_keeps_its_message_id_without_brackets():
    assert parse_email(sample("plain.eml")).message_id == "CAFx8q=Zk3V9m@mail.kunde.example"


def test_recipients_are_lower_case_envelope_first_and_without_duplicates():
    parsed = parse_email(sample("plain.eml"))

    assert parsed.delivered_to == ["support@acme.example"]
    assert parsed.to == ["support@acme.example"]
    assert parsed.cc == ["erika@kunde.example", "support@acme.example"]
    assert parsed.recipients() == ["support@acme.example", "erika@kunde.example"]


def test_content_language_is_kept():
    assert parse_email(sample("plain.eml")).language == "en-GB"


def test_reply_to_is_read_as_an_address():
    parsed = parse_email(mail('Reply-To: "Paul (private)" <Paul@Home.Example>'))

    assert parsed.reply_to == "paul@home.example"


def test_a_date_in_another_zone_becomes_utc():
    parsed = parse_email(sample("japanese.eml"))

    assert parsed.date == datetime(2026, 3, 9, 1, 5, tzinfo=UTC)


def test_an_unreadable_date_is_none_and_reported():
    parsed = parse_email(mail().replace(b"Mon, 2 Mar 2026 13:37:00 +0100", b"next Tuesday"))

    assert parsed.date is None
    assert any("Date" in problem for problem in parsed.problems)


# Bodies


def test_multipart_alternative_uses_the_text_part_and_keeps_the_html():
    parsed = parse_email(sample("alternative.eml"))

    assert parsed.text == (
        "Hi team,\n\nsince this morning the VPN client disconnects every 10 minutes – the log"
        ' says "keepalive timeout".\n\nJane'
    )
    assert parsed.html.startswith('<div dir="ltr"><div>Hi team,</div>')


def test_an_html_only_mail_is_rendered_as_text_with_paragraphs_and_list_items():
    parsed = parse_email(sample("html_only.eml"))

    assert parsed.text == (
        "Good morning,\n"
        "\n"
        "three people start on Monday and need access badges:\n"
        "\n"
        "- Anna Schmidt – Finance\n"
        "- Ben Okafor – IT\n"
        "- Chloé Martin – Sales\n"
        "\n"
        "Please send the forms to\n"
        "Building A, Reception.\n"
        "\n"
        "Details are on the intranet page <https://intranet.kunde.example/badges>.\n"
        "\n"
        "Kind regards\n"
        "Facilities"
    )


def test_html_rendering_leaves_out_head_styles_and_scripts():
    text = parse_email(sample("html_only.eml")).text

    assert "Ignored title" not in text
    assert "color: red" not in text
    assert "never shown" not in text


def test_html_quotes_are_rendered_as_quoted_lines():
    html = (
        "<div>Yes.</div><blockquote><div>Can you?</div><blockquote>Deep</blockquote></blockquote>"
    )

    assert html_to_text(html) == "Yes.\n> Can you?\n> > Deep"


def test_an_empty_text_part_gives_way_to_the_html_part():
    plain_text = sample("alternative.eml").split(b"quoted-printable\n\n")[1].split(b"\n--")[0]
    raw = sample("alternative.eml").replace(plain_text, b"")

    assert parse_email(raw).text.startswith("Hi team,\n\nsince this morning")


def test_a_format_flowed_reply_has_its_soft_line_breaks_joined():
    text = parse_email(sample("thunderbird_flowed_de.eml")).text

    assert text.startswith(
        "Guten Morgen,\nder Zugriff auf Laufwerk P: funktioniert jetzt wieder, auch von zu Hause"
        " über das VPN.\n"
    )


def test_nul_characters_never_reach_the_text():
    parsed = parse_email(mail(subject="Null\x00byte", body="before\x00after"))

    assert parsed.text == "beforeafter"
    assert parsed.subject == "Nullbyte"


# Encodings


def test_a_latin1_body_and_rfc2047_headers_are_decoded():
    parsed = parse_email(sample("german_latin1.eml"))

    assert parsed.subject == "Programm startet nicht mehr – Büro Süd"
    assert parsed.from_name == "Jürgen Weiß"
    assert "„Zugriff verweigert“ – das betrifft alle Rechner im Büro Süd." in parsed.text
    assert parsed.text.endswith("Mit freundlichen Grüßen\nJürgen Weiß")
    assert parsed.problems == []


def test_a_japanese_mail_in_iso_2022_jp_is_decoded():
    parsed = parse_email(sample("japanese.eml"))

    assert parsed.subject == "プリンターが動きません"
    assert parsed.from_name == "山田 太郎"
    assert "3階のプリンターが印刷できません。" in parsed.text


def test_a_display_name_with_an_encoded_comma_stays_one_address():
    parsed = parse_email(mail("Cc: =?utf-8?q?M=C3=BCller=2C_Hans?= <H.Mueller@Kunde.Example>"))

    assert parsed.cc == ["h.mueller@kunde.example"]


# Attachments


def test_an_attachment_name_in_rfc2231_continuations_is_decoded():
    pdf = parse_email(sample("attachment_rfc2231.eml")).attachments[0]

    assert pdf.filename == "Rechnung März 2026.pdf"
    assert pdf.content_type == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3")
    assert pdf.size == len(pdf.content)
    assert not pdf.is_inline


def test_attachment_names_lose_their_folders():
    csv = parse_email(sample("attachment_rfc2231.eml")).attachments[1]

    assert csv.filename == "uebersicht.csv"
    assert csv.content == "Datum;Betrag\n01.03.2026;42,00 €\n".encode()


def test_an_attached_text_file_is_not_part_of_the_body():
    text = parse_email(sample("attachment_rfc2231.eml")).text

    assert text == (
        "Guten Tag,\n\nanbei die Rechnung für März und die Übersicht als CSV.\n\n"
        "Viele Grüße\nBuchhaltung"
    )


def test_a_text_file_sent_as_attachment_is_an_attachment_not_body():
    raw = (
        b"From: a@kunde.example\nSubject: Log\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nLog attached.\n"
        b"--b\nContent-Type: text/plain; charset=utf-8\n"
        b'Content-Disposition: attachment; filename="vpn.log"\n\nERROR keepalive timeout\n'
        b"--b--\n"
    )

    parsed = parse_email(raw)

    assert parsed.text == "Log attached."
    assert [(a.filename, a.content) for a in parsed.attachments] == [
        ("vpn.log", b"ERROR keepalive timeout")
    ]


def test_an_inline_image_keeps_its_content_id():
    parsed = parse_email(sample("inline_image.eml"))

    [image] = parsed.attachments
    assert image.filename == "screenshot.png"
    assert image.content_type == "image/png"
    assert image.content_id == "ii_lt8x2k0a0"
    assert image.is_inline
    assert image.content.startswith(b"\x89PNG")
    assert 'src="cid:ii_lt8x2k0a0"' in parsed.html


def test_a_forwarded_message_is_one_attachment_named_after_its_subject():
    parsed = parse_email(sample("forwarded_rfc822.eml"))

    [forwarded] = parsed.attachments
    assert forwarded.filename == "Server down.eml"
    assert forwarded.content_type == "message/rfc822"
    assert parse_email(forwarded.content).text == "Host web-01 has been unreachable for 5 minutes."
    assert parsed.text == "Please see the monitoring alert below, forwarded as attachment.\n\nErika"


# Threading


def test_reply_threading_ids_are_kept_in_order_without_brackets():
    parsed = parse_email(sample("reply_threading.eml"))

    assert parsed.in_reply_to == ["ticket-1042-reply-3@acme.example"]
    assert parsed.references == [
        "CAFx8q=Zk3V9m@mail.kunde.example",
        "ticket-1042-ack@acme.example",
        "ticket-1042-reply-3@acme.example",
    ]
    assert parsed.headers["In-Reply-To"] == "<ticket-1042-reply-3@acme.example>"


def test_thread_ids_put_the_most_specific_first():
    parsed = parse_email(sample("reply_threading.eml"))

    assert parsed.thread_ids() == [
        "ticket-1042-reply-3@acme.example",
        "ticket-1042-ack@acme.example",
        "CAFx8q=Zk3V9m@mail.kunde.example",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<abc@Example.COM>", "abc@Example.COM"),
        ("  <abc@example.com>  ", "abc@example.com"),
        ("abc@example.com", "abc@example.com"),
        ("<abc@example.com> (added by a gateway)", "abc@example.com"),
        ("<>", None),
        ("", None),
        (None, None),
    ],
)
def test_message_ids_are_normalised(value, expected):
    assert normalise_message_id(value) == expected


# Replies: only the new text is kept


def test_an_outlook_reply_loses_its_german_header_block_and_history():
    text = parse_email(sample("outlook_reply_de.eml")).text

    assert strip_quoted(text) == (
        "Hallo zusammen,\n\ndanke für die schnelle Hilfe, der Drucker läuft wieder.\n\n"
        "Viele Grüße\nMax Müller"
    )


def test_a_gmail_reply_loses_its_wrapped_attribution_quote_and_signature():
    text = parse_email(sample("gmail_reply.eml")).text

    assert (
        strip_quoted(text) == "Yes, after installing version 5.2 it has been stable for two hours."
    )


def test_a_gmail_html_reply_strips_the_same_way():
    html = parse_email(sample("gmail_reply.eml")).html

    assert strip_quoted(html_to_text(html)) == (
        "Yes, after installing version 5.2 it has been stable for two hours."
    )


def test_a_thunderbird_reply_loses_its_german_attribution_and_quote():
    text = parse_email(sample("thunderbird_flowed_de.eml")).text

    assert strip_quoted(text) == (
        "Guten Morgen,\nder Zugriff auf Laufwerk P: funktioniert jetzt wieder, auch von zu Hause"
        " über das VPN."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Merci, c'est réglé.\n\nLe mar. 3 mars 2026 à 10:12, Acme Support"
            " <support@acme.example> a\u00a0écrit\u00a0:\n> Bonjour,\n",
            "Merci, c'est réglé.",
            id="french-attribution",
        ),
        pytest.param(
            "Gracias.\n\nEl mar, 3 mar 2026 a las 10:12, Acme Support (<support@acme.example>)"
            " escribió:\n\n> Hola\n",
            "Gracias.",
            id="spanish-attribution",
        ),
        pytest.param(
            "Danke!\n\n> Am 03.03.2026 um 10:12 schrieb Acme Support <support@acme.example>:\n>\n"
            "> Hallo\n",
            "Danke!",
            id="quoted-attribution-apple-mail",
        ),
        pytest.param(
            "Fine.\n\nOn Tue, Mar 3, 2026 at 10:12 AM Acme Support via\nHelpdesk"
            " <support@acme.example>\nwrote:\n> old\n",
            "Fine.",
            id="attribution-wrapped-over-three-lines",
        ),
        pytest.param(
            "Done.\n\n-----Original Message-----\nFrom: Acme Support\nSent: Tuesday\n\nold",
            "Done.",
            id="outlook-original-message",
        ),
        pytest.param(
            "Erledigt.\n\n-----Ursprüngliche Nachricht-----\nVon: Acme Support\nold",
            "Erledigt.",
            id="outlook-urspruengliche-nachricht",
        ),
        pytest.param(
            "Works now.\n\n________________________________\nFrom: Acme Support"
            " <support@acme.example>\nSent: Tuesday, March 3, 2026 10:12 AM\nTo: Max\n"
            "Subject: [ACME-1] Printer\n\nold text",
            "Works now.",
            id="outlook-underscores-and-header-block",
        ),
        pytest.param(
            "Works now.\n\nFrom: Acme Support <support@acme.example>\nSent: Tuesday\n"
            "To: Max\nCc: Erika\nSubject: [ACME-1] Printer\n\nold text",
            "Works now.",
            id="outlook-english-header-block",
        ),
        pytest.param(
            f"Yes please.\n\n{REPLY_MARKER}\n\nHello, we need more details.",
            "Yes please.",
            id="our-marker",
        ),
        pytest.param("Thanks!\n-- \nJane Doe\nGlobex IT", "Thanks!", id="signature"),
    ],
)
def test_quoted_history_is_stripped(text, expected):
    assert strip_quoted(text) == expected


def test_a_forwarded_message_in_the_body_is_kept_with_the_signature_above_it():
    text = (
        "FYI, see below.\n\n-- \nErika\n\n---------- Forwarded message ---------\n"
        "From: Monitoring <alerts@kunde.example>\nDate: Thu, 12 Mar 2026 at 07:12\n"
        "Subject: Server down\nTo: <erika@kunde.example>\n\nHost web-01 down."
    )

    assert strip_quoted(text) == text


def test_a_reply_that_is_only_a_quote_is_kept_whole():
    text = "On Tue, 3 Mar 2026, Jane wrote:\n> hello"

    assert strip_quoted(text) == text


def test_a_reply_written_below_the_quote_is_kept_whole():
    text = "On Tue, 3 Mar 2026, Jane wrote:\n> Does it work now?\n\nYes, it does."

    assert strip_quoted(text) == text


def test_a_mail_that_is_only_a_signature_is_kept_whole():
    assert strip_quoted("-- \nJane Doe") == "-- \nJane Doe"


def test_a_human_writing_on_and_wrote_in_a_sentence_keeps_the_text():
    text = "On Monday I wrote to your sales team, nobody answered.\nPlease help."

    assert strip_quoted(text) == text


# Automatic mail: never acknowledged, or mail loops start


@pytest.mark.parametrize(
    "name",
    ["plain.eml", "alternative.eml", "outlook_reply_de.eml", "gmail_reply.eml", "japanese.eml"],
)
def test_mail_written_by_people_is_not_automatic(name):
    parsed = parse_email(sample(name))

    assert not parsed.is_auto_submitted
    assert parsed.auto_reason is None


def test_a_vacation_reply_with_auto_submitted_is_automatic():
    parsed = parse_email(sample("out_of_office.eml"))

    assert parsed.is_auto_submitted
    assert parsed.auto_reason == "Auto-Submitted: auto-replied (vacation)"
    assert not parsed.is_bounce


def test_an_exchange_out_of_office_reply_is_automatic():
    parsed = parse_email(sample("exchange_oof.eml"))

    assert parsed.is_auto_submitted
    assert parsed.auto_reason == "X-Auto-Response-Suppress: All"


def test_a_mailing_list_mail_is_automatic():
    parsed = parse_email(sample("mailing_list.eml"))

    assert parsed.is_auto_submitted
    assert parsed.auto_reason == "mailing list (List-Id)"


def test_a_noreply_sender_is_automatic():
    parsed = parse_email(sample("noreply.eml"))

    assert parsed.is_auto_submitted
    assert parsed.auto_reason == "automatic sender in From: no-reply@shop.example"


def test_a_person_asking_about_auto_insurance_is_not_automatic():
    assert not parse_email(sample("auto_insurance.eml")).is_auto_submitted


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-generated",
        "X-Autoreply: yes",
        "X-Autorespond: Thank you for your mail",
        "X-Auto-Response-Suppress: OOF",
        "X-Auto-Response-Suppress: DR, RN, NRN, AutoReply",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: list",
        "Precedence: auto_reply",
        "List-Unsubscribe: <mailto:leave@lists.example>",
        "X-Loop: helpdesk@acme.example",
        "Return-Path: <>",
    ],
)
def test_a_mail_with_an_automatic_header_is_automatic(header):
    assert parse_email(mail(header)).is_auto_submitted


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.kunde.example",
        "postmaster@kunde.example",
        "noreply@shop.example",
        "no_reply@shop.example",
        "accounts-noreply@shop.example",
        "do-not-reply@shop.example",
        "DoNotReply@shop.example",
        "bounce@lists.example",
        "bounces+8812-abc=acme.example@mailer.example",
    ],
)
def test_a_mail_from_an_automatic_sender_is_automatic(sender):
    raw = mail().replace(b"paul.weber@kunde.example", sender.encode())

    assert parse_email(raw).is_auto_submitted


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: [ACME-1042] Printer broken",
        "Auto: [ACME-1042] Printer broken",
        "Out of Office: [ACME-1042] Printer broken",
    ],
)
def test_an_automatic_reply_subject_alone_is_automatic(subject):
    assert parse_email(mail(subject=subject)).is_auto_submitted


@pytest.mark.parametrize(
    "subject",
    [
        "Out of office until Monday - who covers the printer?",
        "Abwesenheitsnotiz für das Team einrichten",
        "Re: Automatic reply: [ACME-1042] Printer broken",
        "Autoreply rules in Outlook do not work",
        "automobile fleet: auto insurance",
    ],
)
def test_out_of_office_words_alone_do_not_make_a_mail_automatic(subject):
    assert not parse_email(mail(subject=subject)).is_auto_submitted


def test_out_of_office_words_with_an_inbox_rule_header_are_automatic():
    parsed = parse_email(
        mail("X-MS-Exchange-Inbox-Rules-Loop: lisa@kunde.example", subject="Abwesenheitsnotiz")
    )

    assert parsed.auto_reason == "out-of-office subject with X-MS-Exchange-Inbox-Rules-Loop"


@pytest.mark.parametrize(
    "header",
    ["Auto-Submitted: no", "X-Auto-Response-Suppress: DR, RN, NRN", "Precedence: first-class"],
)
def test_harmless_header_values_do_not_make_a_mail_automatic(header):
    assert not parse_email(mail(header)).is_auto_submitted


# Bounces


def test_a_delivery_failure_report_names_the_failed_recipient_and_our_message():
    parsed = parse_email(sample("bounce_dsn.eml"))

    assert parsed.is_bounce
    assert parsed.is_auto_submitted
    assert parsed.bounce_recipients == ["gone@kunde.example"]
    assert parsed.bounced_message_id == "ticket-1043-ack@acme.example"


def test_a_delivery_failure_report_with_headers_only_names_our_message():
    parsed = parse_email(sample("bounce_headers_only.eml"))

    assert parsed.is_bounce
    assert parsed.bounce_recipients == ["left.company@kunde.example"]
    assert parsed.bounced_message_id == "ticket-1044-ack@acme.example"


def test_a_delay_notice_is_automatic_but_not_a_bounce():
    parsed = parse_email(sample("dsn_delayed.eml"))

    assert parsed.is_auto_submitted
    assert not parsed.is_bounce
    assert parsed.bounced_message_id is None


def test_an_out_of_office_reply_is_not_a_bounce():
    assert not parse_email(sample("exchange_oof.eml")).is_bounce


# Broken mail never raises


def test_a_multipart_whose_boundary_never_appears_still_gives_its_text():
    parsed = parse_email(sample("broken_boundary.eml"))

    assert parsed.text == "The weekly report is below.\nTotal tickets: 17"
    assert any("boundary" in problem for problem in parsed.problems)


def test_broken_base64_is_reported_and_what_decodes_is_kept():
    parsed = parse_email(sample("bad_base64.eml"))

    assert parsed.text.startswith("Scan completed")
    assert [a.filename for a in parsed.attachments] == ["scan.pdf"]
    assert any("Base64" in problem for problem in parsed.problems)


def test_undeclared_8bit_header_bytes_are_read_and_reported():
    parsed = parse_email(sample("undeclared_8bit.eml"))

    assert parsed.subject == "Straße und München: Adresse ändern"
    assert parsed.from_name == "José García"
    assert parsed.from_address == "jose@kunde.example"
    assert "Bitte die Adresse auf München ändern." in parsed.text
    assert any("Subject header: undeclared 8-bit" in problem for problem in parsed.problems)
    assert any("From header: undeclared 8-bit" in problem for problem in parsed.problems)


def test_an_unknown_charset_is_read_as_utf8_and_reported():
    parsed = parse_email(sample("unknown_charset.eml"))

    assert parsed.subject == "Café machine broken"
    assert parsed.from_name == "René"
    assert parsed.text == "The café machine on floor 2 is broken again."
    assert "text/plain part: unknown charset 'x-unknown'; read as UTF-8" in parsed.problems


def test_empty_input_gives_an_empty_mail_and_says_so():
    parsed = parse_email(b"")

    assert parsed.text == ""
    assert parsed.from_address == ""
    assert parsed.message_id is None
    assert "empty message" in parsed.problems


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\x00\xff\xfe\r\n\r\n", id="binary-noise"),
        pytest.param(b"just some text\nwithout any headers\n", id="no-headers"),
        pytest.param(b"From:\nTo: ,,,\nSubject: =?utf-8?B?###?=\n\n", id="empty-headers"),
        pytest.param(b"Subject: =?utf-8?Q?=FF=FE?=\nFrom: <@>\n\nx", id="bad-encoded-word"),
        pytest.param(b"Content-Type: multipart/mixed\n\n--\n--\n", id="multipart-without-boundary"),
        pytest.param(
            b"Content-Type: text/plain; charset=base64\nContent-Transfer-Encoding: base64\n\n@@@",
            id="charset-that-is-no-text-encoding",
        ),
        pytest.param(
            b'Content-Type: multipart/mixed; boundary="b"\n\n'
            + b'--b\nContent-Type: multipart/mixed; boundary="b"\n\n' * 200,
            id="deeply-nested",
        ),
        pytest.param(
            b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nnot base64 !!",
            id="encoded-message-rfc822",
        ),
        pytest.param(
            b"Content-Type: application/pdf; name*=x-unknown''%FF%FE\n"
            b"Content-Disposition: attachment; filename*=x-unknown''%FF%FE\n\n%PDF",
            id="undecodable-file-name",
        ),
        pytest.param(b"\r\n" * 1000, id="only-line-ends"),
    ],
)
def test_broken_input_never_raises_and_reports_problems(raw):
    parsed = parse_email(raw)

    assert parsed.problems


def test_mail_nested_too_deeply_to_parse_still_gives_its_headers_and_text():
    raw = b"From: Deep <deep@kunde.example>\nSubject: Matryoshka\n" + (
        b"Content-Type: message/rfc822\n\nSubject: one level deeper\n" * 1500
    )

    parsed = parse_email(raw)

    assert parsed.subject == "Matryoshka"
    assert parsed.from_address == "deep@kunde.example"
    assert parsed.text.startswith("Subject: one level deeper")
    assert "MIME structure unreadable; the raw body is kept as text" in parsed.problems


def test_headers_without_a_body_are_read():
    parsed = parse_email(b"From: a@b.example\r\nSubject: Only headers\r\n")

    assert parsed.subject == "Only headers"
    assert parsed.from_address == "a@b.example"
    assert parsed.text == ""


# Ticket references in subjects


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[ACME-1042] Printer on fire", ("ACME", 1042)),
        ("Re: [ACME-1042] Printer on fire", ("ACME", 1042)),
        ("AW: WG: SV: TR: Fwd: RE: [ACME-1042] Drucker", ("ACME", 1042)),
        ("Re: [#ACME-1042] Printer", ("ACME", 1042)),
        ("Re: [ #ACME-1042 ] Printer", ("ACME", 1042)),
        ("Re: [Acme Support ACME-1042] Printer", ("ACME", 1042)),
        ("Re: Printer [ACME-1042]", ("ACME", 1042)),
        ("Re: 【ACME-1042】 プリンター", ("ACME", 1042)),
        ("[HD2-7] Laptop", ("HD2", 7)),
        ("Re: [ACME-1042] [GLX-5] two tickets", ("ACME", 1042)),
        ("Printer on fire", None),
        ("Re: ACME-1042 without brackets", None),
        ("COVID-19 rules [update]", None),
        ("[2024-05] monthly report", None),
        ("[acme-1042] lower case", None),
        ("", None),
    ],
)
def test_ticket_reference_is_found_in_a_subject(subject, expected):
    assert ticket_reference_in(subject) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: [GLX-5] [ACME-1042] two tickets", ("ACME", 1042)),
        ("Re: [acme-1042] lower-cased by a phone", ("ACME", 1042)),
        ("Re: [GLX-5] another help desk", None),
    ],
)
def test_ticket_reference_is_limited_to_the_given_prefixes(subject, expected):
    assert ticket_reference_in(subject, prefixes=["ACME"]) == expected
