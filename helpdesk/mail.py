"""Sending mail over SMTP to every address people really have, internationalised ones included.

Django's SMTP backend writes a non-ASCII local part (`jörg@…`, RFC 6532) as an RFC 2047
encoded word, which is not an address at all: the server refuses it or, worse, delivers it to
a mailbox nobody owns. Here such mail goes out with SMTPUTF8 (RFC 6531) when the server offers
it, its headers in UTF-8; when the server does not, sending stops with a clear permanent
error naming the address, for the caller to record. Domains are always written as IDNA
A-labels (`bücher.example` → `xn--bcher-kva.example`), which every server takes.
"""

from __future__ import annotations

import email.policy
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import Message
from email.utils import formataddr, getaddresses
from io import BytesIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as DjangoSmtpBackend
from django.utils.encoding import punycode

from helpdesk.text import single_line


class AddressNotDeliverable(ValueError):
    """An address that no try could deliver: mail to it fails for good, not for now."""


def envelope_address(address: str) -> str:
    """`address` (with or without a display name) as SMTP's MAIL FROM / RCPT TO take it."""
    parsed = getaddresses([address])
    addr_spec = parsed[0][1] if len(parsed) == 1 else ""
    local, at, domain = addr_spec.rpartition("@")
    if not (local and at and domain) or any(c in addr_spec for c in "\r\n"):
        raise AddressNotDeliverable(f"{address!r} is not an email address")
    try:
        return f"{local}@{punycode(domain)}"
    except UnicodeError as error:
        raise AddressNotDeliverable(f"the domain of {addr_spec!r} is not valid: {error}") from None


def mail_address(name: str, address: str) -> str:
    """A From or To header's "Name <address>", the name on one line whatever is stored."""
    name = single_line(name)
    if not address.isascii():  # internationalised (RFC 6532): formataddr refuses these
        local, _, domain = address.rpartition("@")
        return str(Address(display_name=name, username=local, domain=domain))
    return formataddr((name, address))


class EmailBackend(DjangoSmtpBackend):
    """Django's SMTP backend, sending mail for internationalised addresses with SMTPUTF8."""

    def _send(self, email_message: EmailMessage) -> bool:
        if not email_message.recipients():
            return False
        sender = envelope_address(email_message.from_email)
        recipients = [envelope_address(address) for address in email_message.recipients()]
        if sender.isascii() and all(address.isascii() for address in recipients):
            return super()._send(email_message)
        return self._send_smtputf8(email_message, sender, recipients)

    def _send_smtputf8(
        self, email_message: EmailMessage, sender: str, recipients: list[str]
    ) -> bool:
        self.connection.ehlo_or_helo_if_needed()
        if not self.connection.has_extn("smtputf8"):
            unsayable = ", ".join(a for a in [sender, *recipients] if not a.isascii())
            raise AddressNotDeliverable(
                f"{unsayable} can only be written in UTF-8, and the mail server "
                f"{self.host}:{self.port} does not accept internationalised addresses (SMTPUTF8)"
            )
        message = email_message.message()
        # Django wrote each non-ASCII local part as an encoded word, which is no address; an
        # SMTPUTF8 message carries the addresses as they are, in UTF-8 (RFC 6532).
        for name, value in _address_headers(email_message).items():
            if value and name in message:
                message.replace_header(name, value)
        self.connection.sendmail(
            sender,
            recipients,
            _utf8_bytes(message),
            mail_options=["SMTPUTF8"],
        )
        return True


def _utf8_bytes(message: Message) -> bytes:
    out = BytesIO()
    policy = email.policy.SMTPUTF8.clone(linesep="\r\n")
    BytesGenerator(out, mangle_from_=False, policy=policy).flatten(message)
    return out.getvalue()


def _address_headers(email_message: EmailMessage) -> dict[str, str]:
    extra = email_message.extra_headers
    return {
        "From": extra.get("From", email_message.from_email),
        "To": extra.get("To", ", ".join(map(str, email_message.to))),
        "Cc": extra.get("Cc", ", ".join(map(str, email_message.cc))),
        "Reply-To": extra.get("Reply-To", ", ".join(map(str, email_message.reply_to))),
    }


# Backends that take mail and deliver it to nobody: with one of these, nothing goes out.
MAIL_NOWHERE = frozenset({"django.core.mail.backends.dummy.EmailBackend"})


def outbound_mail_configured() -> bool:
    """Whether this deployment sends mail at all (EMAIL_URL=dummymail:// switches it off)."""
    return settings.EMAIL_BACKEND not in MAIL_NOWHERE
