"""Inbound mail → tickets: find the desk, keep the raw message, thread or open, never loop.

Every message is stored raw before anything else is tried, in its own transaction, so a
parser or service failure loses nothing: the stored copy is flagged for an agent and the
mailbox or webhook moves on. Answers to the sender (`answers`) go out only after the
transaction that processed the mail has committed.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from helpdesk import selectors as platform_selectors
from helpdesk.models import Tenant, User
from helpdesk.tenancy import STAFF_ROLES, require_tenant_id, tenant_context, tenant_for_domain
from integrations.email import answers
from integrations.email.parsing import (
    ParsedEmail,
    normalise_message_id,
    parse_email,
    ticket_reference_in,
)
from integrations.email.quotes import strip_quoted
from integrations.models import InboundEmail, UnroutedEmail
from rules.vocabulary import Channel
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services

if TYPE_CHECKING:
    from tickets.models import Contact, Message, Ticket

logger = logging.getLogger(__name__)

# Missing headers the mail works without: kept in the record, not worth an agent's note.
HARMLESS_PROBLEMS = ("no Date header", "no Message-ID header", "unreadable Date header")
FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|vs)\s*:", re.IGNORECASE)


def tenant_for_addresses(addresses: Iterable[str]) -> Tenant | None:
    """The desk a message was sent to: its support address, a subdomain, or a custom domain."""
    for address in addresses:
        address = address.strip().lower()
        if "@" not in address:
            continue
        tenant = Tenant.objects.filter(is_active=True, support_email__iexact=address).first()
        if tenant is None:
            tenant = tenant_for_domain(address.rsplit("@", 1)[1])
        if tenant is not None:
            return tenant
    return None


def email_receive(
    raw: bytes,
    *,
    source: str,
    tenant: Tenant | None = None,
    envelope_recipients: Iterable[str] = (),
    size: int | None = None,
) -> InboundEmail | UnroutedEmail:
    """Take one raw message from a mailbox or a webhook and turn it into ticket work.

    `size`: the whole message's size, when `raw` holds only its beginning (a mail over
    INBOUND_EMAIL_MAX_BYTES): its text is used, its attachments are not kept.
    """
    parsed = parse_email(raw, attachment_limit=settings.ATTACHMENT_MAX_BYTES)
    if size is not None and size > len(raw):
        parsed = _cut_short(parsed, size)
    if tenant is None:
        tenant = tenant_for_addresses([*envelope_recipients, *parsed.recipients()])
    if tenant is None:
        return _unrouted(raw, parsed, source, envelope_recipients)
    with tenant_context(tenant):
        inbound, created = _store(raw, parsed, source)
    if not created:
        return inbound  # the same Message-ID again: nothing new
    return _process_or_flag(inbound, parsed, tenant)


def email_reprocess(*, inbound_id: int) -> InboundEmail:
    """Process a kept mail that could not be processed, again, once its cause is fixed.

    It becomes ticket work as if it had just arrived; if it fails again it stays flagged,
    with the new error. A mail that was processed since (by another agent's click) is left.
    """
    tenant = Tenant.objects.get(pk=require_tenant_id())
    with transaction.atomic():
        # Locked until done, so two clicks never file the same mail twice.
        inbound = InboundEmail.objects.select_for_update(of=("self",)).get(pk=inbound_id)
        if inbound.status != InboundEmail.Status.FAILED:
            raise ValidationError(
                _("This email does not need processing: it is %(status)s.")
                % {"status": inbound.get_status_display().lower()}
            )
        with inbound.raw.open("rb") as file:
            raw = file.read()
        parsed = parse_email(raw, attachment_limit=settings.ATTACHMENT_MAX_BYTES)
        return _process_or_flag(inbound, parsed, tenant)


def _process_or_flag(inbound: InboundEmail, parsed: ParsedEmail, tenant: Tenant) -> InboundEmail:
    try:
        with tenant_context(tenant):  # one transaction: a failure leaves nothing half done
            _process(inbound, parsed, tenant)
    except Exception as error:
        # A bug or bad data must never stop the mailbox: keep the message, flag it.
        logger.exception("inbound email %s could not be processed", inbound.pk)
        with tenant_context(tenant):
            InboundEmail.objects.filter(pk=inbound.pk).update(
                status=InboundEmail.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
            )
            inbound.refresh_from_db()  # what processing set on it before failing was undone
    return inbound


def _cut_short(parsed: ParsedEmail, size: int) -> ParsedEmail:
    """What is left of a mail of which only the beginning was read: no attachments."""
    mib = 1024 * 1024
    problem = _(
        "The email was %(size)s MB, more than the %(limit)s MB an email may have: only its "
        "beginning was read, and its attachments were not kept."
    ) % {"size": -(-size // mib), "limit": settings.INBOUND_EMAIL_MAX_BYTES // mib}
    return dataclasses.replace(parsed, attachments=[], problems=[problem, *parsed.problems])


def _mark(
    inbound: InboundEmail,
    status: str,
    *,
    ticket: Ticket | None = None,
    message: Message | None = None,
    error: str = "",
) -> None:
    inbound.status, inbound.error = status, error
    inbound.ticket, inbound.thread_message = ticket, message
    inbound.save(update_fields=["status", "ticket", "thread_message", "error"])


def _store(raw: bytes, parsed: ParsedEmail, source: str) -> tuple[InboundEmail, bool]:
    inbound = InboundEmail(
        source=source[:120],
        message_id=(parsed.message_id or "")[:255],
        sender=parsed.from_address[:254],
        subject=parsed.subject[:250],
        problems="\n".join(parsed.problems)[:4000],
    )
    inbound.raw.save("message.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            inbound.save()
    except IntegrityError:
        duplicate = InboundEmail.objects.get(message_id=inbound.message_id)
        inbound.raw.delete(save=False)
        return duplicate, False
    return inbound, True


def _unrouted(
    raw: bytes, parsed: ParsedEmail, source: str, envelope: Iterable[str]
) -> UnroutedEmail:
    unrouted = UnroutedEmail(
        source=source[:120],
        recipients=", ".join([*envelope, *parsed.recipients()])[:2000],
        sender=parsed.from_address[:254],
        subject=parsed.subject[:250],
    )
    unrouted.raw.save("message.eml", ContentFile(raw), save=False)
    unrouted.save()
    logger.warning("mail to %s matches no desk (stored as %s)", unrouted.recipients, unrouted.pk)
    if _is_human(parsed):
        answers.answer_undeliverable(parsed, recipients=unrouted.recipients)
    return unrouted


def _is_human(parsed: ParsedEmail) -> bool:
    return bool(parsed.from_address) and not (parsed.is_auto_submitted or parsed.is_bounce)


def _thread_ticket(parsed: ParsedEmail, tenant: Tenant) -> Ticket | None:
    """The ticket a message continues: by our reference token, else by its Message-ID chain."""
    reference = ticket_reference_in(parsed.subject, [tenant.ticket_prefix])
    return ticket_selectors.ticket_for_mail(
        number=reference[1] if reference is not None else None, thread_ids=parsed.thread_ids()
    )


def _may_write_to(ticket: Ticket, contact: Contact) -> bool:
    """Only the requester, their organisation's people, or the desk's staff continue a ticket.

    A stranger who copies a ticket number into a subject gets a ticket of their own instead.
    """
    if contact.pk == ticket.requester_id:
        return True
    requester = ticket.requester
    return bool(requester.organization_id) and requester.organization_id == contact.organization_id


def _files(parsed: ParsedEmail) -> tuple[list[ticket_services.IncomingFile], list[str]]:
    """The attachments to keep, and why the others were refused."""
    kept, refused = [], []
    for attachment in parsed.attachments:
        file = ticket_services.IncomingFile(
            name=attachment.filename,
            content_type=attachment.content_type,
            content=b"" if attachment.content is None else attachment.content,
            content_id=attachment.content_id or "",
            is_inline=attachment.is_inline,
            size=attachment.size,
        )
        problem = ticket_services.attachment_problem(file)
        if problem:
            refused.append(problem)
        elif len(kept) < settings.ATTACHMENT_MAX_COUNT:
            kept.append(file)
        else:
            refused.append(_("“%(name)s” is one attachment too many.") % {"name": file.name})
    return kept, refused


def _process(inbound: InboundEmail, parsed: ParsedEmail, tenant: Tenant) -> None:
    """Turn a stored mail into ticket work, or record why it is not any."""
    desk_addresses = {tenant.reply_address.lower(), (tenant.support_email or "").lower()}
    if parsed.from_address in desk_addresses and parsed.from_address:
        _mark(inbound, InboundEmail.Status.IGNORED, error=_("Sent from the desk's own address."))
    elif parsed.is_bounce:
        _record_bounce(inbound, parsed, tenant)
    elif parsed.is_read_receipt:
        _record_read_receipt(inbound, parsed, tenant)
    elif parsed.is_auto_reply and _thread_ticket(parsed, tenant) is None:
        # A machine's answer (vacation, autoresponder, delayed delivery) to no ticket of
        # ours: nobody asked for anything. Kept in the log, with why.
        reason = _("An automatic reply (%(why)s) that belongs to no ticket.")
        _mark(inbound, InboundEmail.Status.IGNORED, error=reason % {"why": parsed.auto_reason})
    else:
        _file(inbound, parsed, tenant)


def _file(inbound: InboundEmail, parsed: ParsedEmail, tenant: Tenant) -> None:
    """File a person's mail on its ticket, then note what of it could not be kept."""
    files, refused = _files(parsed)
    ticket, message = _file_on_ticket(parsed, tenant, files)
    if refused:
        _note_refused_attachments(ticket, parsed, tenant, refused)
    problems = [p for p in parsed.problems if not p.startswith(HARMLESS_PROBLEMS)]
    if problems:
        _note_unreadable_parts(ticket, problems)
    _mark(inbound, InboundEmail.Status.PROCESSED, ticket=ticket, message=message)


def _file_on_ticket(
    parsed: ParsedEmail, tenant: Tenant, files: list[ticket_services.IncomingFile]
) -> tuple[Ticket, Message | None]:
    """The ticket and message a mail became: a note, a reply on its ticket, or a new ticket."""
    agent = (
        platform_selectors.tenant_users(roles=STAFF_ROLES)
        .filter(email__iexact=parsed.from_address)
        .first()
        if parsed.from_address
        else None
    )
    if parsed.from_address:
        contact = ticket_services.contact_for_email(
            email=parsed.from_address, name=parsed.from_name, language=parsed.language or ""
        )
    else:
        # No usable sender (no From or Sender, or no address in them): still a person asking
        # for help. A requester known by name only: never acknowledged, and the ticket page
        # shows "no reply address" until an agent sets who asked.
        contact = ticket_services.contact_create(name=parsed.from_name or _("Unknown sender"))
    ticket = _thread_ticket(parsed, tenant)
    if ticket is not None and parsed.is_auto_submitted:
        return ticket, _note_automatic_reply(ticket, parsed)
    if ticket is not None and (agent is not None or _may_write_to(ticket, contact)):
        reply = _add_reply(ticket, parsed, files, agent=agent, contact=contact)
        return reply.ticket, reply  # a closed ticket's follow-up may have taken the reply
    requester = _requester(parsed, tenant, sender=contact)
    # A reply on a ticket by someone who may not write to it opens one of their own; what
    # they quote of the other ticket is not theirs to show (the full text is attached).
    ticket = _open_ticket(parsed, files, contact=requester, answers_a_ticket=ticket is not None)
    return ticket, ticket_selectors.opening_message(ticket=ticket)


def _requester(parsed: ParsedEmail, tenant: Tenant, *, sender: Contact) -> Contact:
    """Whom a new ticket answers: the Reply-To address when the mail has one (RFC 5322
    3.6.2: where its author wants replies; a web form's mail comes from the form's address
    and names the person in Reply-To), else the sender. Never the desk's own address."""
    address = (parsed.reply_to or "").strip()
    ours = {tenant.reply_address.lower(), (tenant.support_email or "").lower()}
    if not address or address.lower() in ours or address.lower() == sender.email.lower():
        return sender
    return ticket_services.contact_for_email(
        email=address, name=parsed.reply_to_name, language=parsed.language or ""
    )


def _note_automatic_reply(ticket: Ticket, parsed: ParsedEmail) -> Message:
    """An out-of-office answer to our mail: worth knowing, but it reopens and answers nothing."""
    return ticket_services.ticket_note_add(
        ticket=ticket,
        author=None,
        text=_("Automatic reply from %(sender)s:") % {"sender": parsed.from_address}
        + "\n\n"
        + strip_quoted(parsed.text),
    )


def _add_reply(
    ticket: Ticket,
    parsed: ParsedEmail,
    files: list[ticket_services.IncomingFile],
    *,
    agent: User | None,
    contact: Contact,
) -> Message:
    """The mail as a reply on its ticket, by the agent who wrote it or else by the contact."""
    forwarded = bool(FORWARD_SUBJECT.match(parsed.subject))
    return ticket_services.ticket_reply_add(
        ticket=ticket,
        # A forwarded mail is content, never quoted history: it is kept whole.
        text=parsed.text if forwarded else strip_quoted(parsed.text),
        channel=Channel.EMAIL,
        author_user=agent,
        author_contact=None if agent else contact,
        attachments=files,
        **_threading(parsed),
    )


def _open_ticket(
    parsed: ParsedEmail,
    files: list[ticket_services.IncomingFile],
    *,
    contact: Contact,
    answers_a_ticket: bool = False,
) -> Ticket:
    """A new ticket for the mail, its requester the sender. A mail answering a ticket loses
    its quoted history, as a reply would; the whole text stays, as an attachment."""
    auto = parsed.auto_reason if parsed.is_auto_submitted else ""
    text, html = parsed.text, parsed.html or ""
    if answers_a_ticket and not FORWARD_SUBJECT.match(parsed.subject):
        stripped = strip_quoted(parsed.text)
        if stripped != parsed.text:
            text, html = stripped, ""
            if len(files) < settings.ATTACHMENT_MAX_COUNT:
                whole = ticket_services.IncomingFile(
                    name="whole-message.txt",
                    content_type="text/plain",
                    content=parsed.text.encode(),
                )
                files = [*files, whole]
    return ticket_services.ticket_open(
        requester=contact,
        subject=parsed.subject or _("(no subject)"),
        channel=Channel.EMAIL,
        description=text,
        description_html=html,
        attachments=files,
        language=parsed.language or "",
        auto_submitted=auto or "",
        **_threading(parsed),
    )


def _threading(parsed: ParsedEmail) -> dict[str, str]:
    """The headers that thread our answers under this mail, as the ticket services store them."""
    return {
        "message_id": parsed.message_id or "",
        "in_reply_to": " ".join(parsed.in_reply_to)[:255],
        "references": " ".join(parsed.references),
    }


def _note_refused_attachments(
    ticket: Ticket, parsed: ParsedEmail, tenant: Tenant, refused: list[str]
) -> None:
    """Tell the agents, and a human sender, which attachments were not kept and why."""
    ticket_services.ticket_note_add(
        ticket=ticket,
        author=None,
        text=_("Attachments of this email were not kept:") + "\n" + "\n".join(refused),
    )
    if _is_human(parsed):
        answers.answer_attachments_refused(
            parsed,
            tenant=tenant,
            reference=ticket.reference,
            refused=refused,
            language=ticket.best_language,
        )


def _note_unreadable_parts(ticket: Ticket, problems: list[str]) -> None:
    """Tell the agents what of the mail could not be read; they find the original kept."""
    ticket_services.ticket_note_add(
        ticket=ticket,
        author=None,
        text=_("This email was partly unreadable; the original is kept. Problems:")
        + "\n"
        + "\n".join(problems[:20]),
    )


def _record_read_receipt(inbound: InboundEmail, parsed: ParsedEmail, tenant: Tenant) -> None:
    """A read receipt (RFC 8098) is no request: noted on the ticket its mail was about."""
    original = normalise_message_id(parsed.receipt.get("original-message-id"))
    ticket = ticket_selectors.ticket_for_bounce(message_id=original) if original else None
    if ticket is None:
        ticket = _thread_ticket(parsed, tenant)
    if ticket is None:
        _mark(inbound, InboundEmail.Status.IGNORED, error=_("A read receipt for no ticket."))
        return
    disposition = parsed.receipt.get("disposition", "").rsplit(";", 1)[-1].strip()
    who = parsed.receipt.get("final-recipient", "").split(";", 1)[-1].strip()
    ticket_services.ticket_note_add(
        ticket=ticket,
        author=None,
        text=_("Read receipt from %(who)s: %(disposition)s.")
        % {"who": who or parsed.from_address, "disposition": disposition or _("displayed")},
    )
    _mark(inbound, InboundEmail.Status.PROCESSED, ticket=ticket)


def _record_bounce(inbound: InboundEmail, parsed: ParsedEmail, tenant: Tenant) -> None:
    """A delivery failure: tell the agents on the ticket the bounced mail belonged to, found
    by the returned mail's Message-ID or by the ticket token in its subject (or the
    report's own, which some servers copy)."""
    ticket = None
    if parsed.bounced_message_id:
        ticket = ticket_selectors.ticket_for_bounce(message_id=parsed.bounced_message_id)
    for subject in (parsed.bounced_subject, parsed.subject):
        reference = ticket_reference_in(subject, [tenant.ticket_prefix])
        if ticket is None and reference is not None:
            ticket = ticket_selectors.ticket_for_mail(number=reference[1], thread_ids=[])
    if ticket is not None:
        ticket_services.ticket_note_add(
            ticket=ticket,
            author=None,
            text=_("Mail to %(who)s could not be delivered.")
            % {"who": ", ".join(parsed.bounce_recipients) or _("the requester")},
        )
    _mark(inbound, InboundEmail.Status.BOUNCE, ticket=ticket)
