"""Every write to tickets and requesters goes through these functions.

Channels (portal, email, API, chat, phone, social) and views call them; each owns its
transaction, records what happened on the ticket's event log, and queues side effects
(acknowledgements, notifications, live updates) only after commit.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

import nh3
import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape, linebreaks, urlize
from django.utils.translation import gettext as _

from helpdesk import background, live, presence
from helpdesk.models import User
from helpdesk.tenancy import require_tenant_id
from sla import services as sla_services
from tickets import assignment, routing
from tickets.models import (
    Acknowledgement,
    Attachment,
    Category,
    Contact,
    ContactEmail,
    Message,
    Organization,
    Product,
    ResponseTarget,
    SavedView,
    Team,
    TeamMember,
    Ticket,
    TicketCounter,
    TicketEvent,
)

logger = logging.getLogger(__name__)

# Tags a browser may show from a message written elsewhere (mail clients' HTML).
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


# --- input checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingFile:
    """A file as a channel received it, before it is checked and stored."""

    name: str
    content_type: str
    content: bytes
    content_id: str = ""
    is_inline: bool = False


def attachment_problem(file: IncomingFile) -> str | None:
    """Why `file` may not be stored (too big, forbidden type), or None if it may."""
    name = PurePath(file.name.replace("\\", "/")).name or "attachment"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(file.content) > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        return _("“%(name)s” is larger than %(limit)s MB.") % {"name": name, "limit": limit}
    if extension in settings.ATTACHMENT_BLOCKED_EXTENSIONS or (
        file.content_type.lower() in settings.ATTACHMENT_BLOCKED_TYPES
    ):
        return _("Files like “%(name)s” are not accepted, because they can run programs.") % {
            "name": name
        }
    return None


def attachments_check(files: Sequence[IncomingFile]) -> None:
    """Refuse the whole submission, with a clear message, if any attachment may not be kept."""
    if len(files) > settings.ATTACHMENT_MAX_COUNT:
        raise ValidationError(
            _("At most %(count)s attachments can be sent at once.")
            % {"count": settings.ATTACHMENT_MAX_COUNT}
        )
    problems = [problem for file in files if (problem := attachment_problem(file))]
    if problems:
        raise ValidationError(problems)


def sanitize_html(html: str) -> str:
    """HTML that is safe to show in an agent's or customer's browser: no script, no handlers."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def text_to_html(text: str) -> str:
    """Plain text as escaped HTML paragraphs with links."""
    return linebreaks(urlize(escape(text), nofollow=True))


def normalize_phone(phone: str) -> str:
    """A phone number reduced to digits (with a leading + kept), for matching callers."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("00") and digits.startswith("00"):
        return "+" + digits[2:]
    return ("+" if phone.strip().startswith("+") else "") + digits


# --- requesters ----------------------------------------------------------------------------


def _contact_by_email(email: str) -> Contact | None:
    contact = Contact.objects.filter(email__iexact=email).first()
    if contact is None:
        extra = ContactEmail.objects.select_related("contact").filter(email__iexact=email).first()
        contact = extra.contact if extra else None
    return contact


@transaction.atomic(savepoint=False)  # only a bug raises here; the create has its own
def contact_for_email(
    *,
    email: str,
    name: str = "",
    organization: Organization | None = None,
    user: User | None = None,
    language: str = "",
) -> Contact:
    """The requester with this email address, created on first contact.

    A known contact keeps its details; it only gains a portal login it did not have yet.
    """
    email = email.strip()
    contact = _contact_by_email(email)
    if contact is None:
        # Two messages from a new address may arrive at once: the unique index decides,
        # and the loser reads the winner's row.
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    email=email,
                    name=name.strip() or email.split("@")[0],
                    organization=organization,
                    user=user,
                    language=language,
                )
        except IntegrityError:
            contact = _contact_by_email(email)
            if contact is None:
                raise
    elif user is not None and contact.user_id is None:
        contact.user = user
        contact.save(update_fields=["user"])
    return contact


@transaction.atomic
def contact_for_phone(*, phone: str, name: str = "") -> Contact:
    """The caller with this phone number, created on first call."""
    normalized = normalize_phone(phone)
    if not normalized.lstrip("+"):
        raise ValidationError(_("A phone number needs digits."))
    contact = Contact.objects.filter(phone_normalized=normalized).order_by("pk").first()
    if contact is None:
        contact = Contact.objects.create(
            name=name.strip() or phone.strip(), phone=phone.strip(), phone_normalized=normalized
        )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, **fields: Any) -> Contact:
    """Change a contact's details (the phone number is kept findable)."""
    for field, value in fields.items():
        setattr(contact, field, value)
    if "phone" in fields:
        contact.phone_normalized = normalize_phone(contact.phone)
    contact.full_clean()
    contact.save()
    return contact


# --- tickets -------------------------------------------------------------------------------


def _enqueue(task: Any, *args: Any) -> None:
    """Queue a task off the caller's path; with the broker down, a periodic sweep sends it."""
    background.submit(_queue_task, task, *args)


def _queue_task(task: Any, *args: Any) -> None:
    try:
        task.delay(*args)
    except Exception:  # kombu and redis raise many kinds; none may break a committed change
        logger.warning("could not queue %s%r; the sweep will retry", task.name, args)


ACK_LINGER_SECONDS = 0.2  # a new acknowledgement waits this long for others to share its task


def _acknowledgement_queue(tenant_id: int, acknowledgement_id: int) -> None:
    """Queue the acknowledgement's sending, in one task with those of tickets just before it."""
    from tickets.tasks import send_acknowledgements

    background.submit_batched(
        ("acknowledgements", tenant_id),
        functools.partial(_queue_task, send_acknowledgements, tenant_id),
        acknowledgement_id,
        ACK_LINGER_SECONDS,
    )


_TARGETS: dict[int, tuple[float, dict[str, int]]] = {}
TARGETS_TTL_SECONDS = 60  # an admin's change reaches every process within a minute


def first_response_target(priority: str) -> timedelta:
    """How soon the desk promises a first answer for `priority` (the SLA engine refines it)."""
    tenant_id = require_tenant_id()
    cached = _TARGETS.get(tenant_id)
    if cached is None or cached[0] < time.monotonic():
        # Read on every ticket it would cost a round trip for a table that rarely changes.
        targets = dict(ResponseTarget.objects.values_list("priority", "minutes"))
        cached = (time.monotonic() + TARGETS_TTL_SECONDS, targets)
        _TARGETS[tenant_id] = cached
    return timedelta(minutes=cached[1].get(priority) or ResponseTarget.DEFAULTS[priority])


def _store_attachments(message: Message, files: Sequence[IncomingFile]) -> list[Attachment]:
    stored = []
    for file in files:
        name = PurePath(file.name.replace("\\", "/")).name[:200] or "attachment"
        attachment = Attachment(
            message=message,
            filename=name,
            content_type=file.content_type[:120] or "application/octet-stream",
            size=len(file.content),
            content_id=file.content_id.strip("<>")[:255],
            is_inline=file.is_inline,
        )
        attachment.tenant_id = message.tenant_id
        attachment.file.save(name, ContentFile(file.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _build_message(
    *,
    ticket: Ticket,
    kind: str,
    author_type: str,
    channel: str,
    text: str,
    html: str = "",
    author_user: User | None = None,
    author_contact: Contact | None = None,
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
) -> Message:
    message = Message(
        ticket=ticket,
        kind=kind,
        author_type=author_type,
        author_user=author_user,
        author_contact=author_contact,
        channel=channel,
        body_text=text,
        body_html_raw=html,
        body_html=sanitize_html(html) if html else text_to_html(text),
        message_id=message_id[:255],
        in_reply_to=in_reply_to[:255],
        references=references,
    )
    message.tenant_id = ticket.tenant_id
    return message


def _message(*, attachments: Sequence[IncomingFile] = (), **fields: Any) -> Message:
    message = _build_message(**fields)
    message.save()
    _store_attachments(message, attachments)
    return message


def _event(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None = None,
    contact: Contact | None = None,
    source: str = "",
    **data: Any,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, actor_contact=contact, source=source, data=data
    )


def _changed(ticket: Ticket, type: str = "ticket.changed") -> None:
    event = live.tenant_event(ticket.tenant_id, type, ticket=ticket.pk)
    ticket_group = live.ticket_group(ticket.tenant_id, ticket.pk)  # its chat, its open pages
    live.publish_on_commit(dataclasses.replace(event, groups=(*event.groups, ticket_group)))


ACK_CHANNELS_BY_EMAIL = {
    Ticket.Channel.EMAIL,
    Ticket.Channel.PORTAL,
    Ticket.Channel.API,
    Ticket.Channel.SOCIAL,
    Ticket.Channel.PHONE,
}


def _acknowledgement_plan(
    ticket: Ticket, requester: Contact, auto_submitted: str
) -> tuple[str, str, str]:
    """(via, recipient, reason not sent) for a new ticket's acknowledgement."""
    if auto_submitted:
        # Never answer an automatic message: two autoresponders would answer each other.
        return Acknowledgement.Via.NONE, "", auto_submitted
    if requester.is_blocked:
        return Acknowledgement.Via.NONE, "", _("The requester is blocked as a spammer.")
    if ticket.channel == Ticket.Channel.CHAT:
        return Acknowledgement.Via.CHAT, "", ""
    if ticket.channel in ACK_CHANNELS_BY_EMAIL and requester.email:
        return Acknowledgement.Via.EMAIL, requester.email, ""
    return Acknowledgement.Via.NONE, "", _("The requester has no email address.")


def ticket_open(
    *,
    requester: Contact,
    subject: str,
    channel: Ticket.Channel | str,
    description: str = "",
    description_html: str = "",
    priority: Ticket.Priority | str | None = None,
    impact: str = "",
    urgency: str = "",
    team: Team | None = None,
    assignee: User | None = None,
    category: Category | None = None,
    product: Product | None = None,
    department: str = "",
    tags: Iterable[str] = (),
    language: str = "",
    attachments: Sequence[IncomingFile] = (),
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    by: User | None = None,
    auto_submitted: str = "",
    follow_up_of: Ticket | None = None,
) -> Ticket:
    """Log a new ticket under the tenant's next number and queue its acknowledgement.

    `by` is the agent who logged it for the requester (a phone call); `auto_submitted` names
    why the requester must not be answered automatically (an autoresponder, a bounce).
    With an impact or urgency the priority matrix sets the priority (`tickets.priority`).
    """
    subject = " ".join(subject.split())[:250]
    if not subject:
        raise ValidationError({"subject": _("A ticket needs a subject.")})
    attachments_check(attachments)
    if impact or urgency:
        from tickets.priority import intake_priority

        organization = requester.organization
        priority = intake_priority(
            priority=priority, impact=impact, urgency=urgency, by_agent=by is not None,
            tier=organization.tier if organization else "",
        )  # fmt: skip
    # Everything the caller can fix is checked above; what follows only fails on a bug, so
    # it needs no savepoint of its own (two round trips fewer on the busiest write path).
    with transaction.atomic(savepoint=False):
        return _ticket_create(
            requester=requester, subject=subject, channel=channel, description=description,
            description_html=description_html, priority=priority or Ticket.Priority.MEDIUM,
            impact=impact, urgency=urgency, team=team,
            assignee=assignee, category=category, product=product, department=department,
            tags=tags, language=language, attachments=attachments, message_id=message_id,
            in_reply_to=in_reply_to, references=references, by=by,
            auto_submitted=auto_submitted, follow_up_of=follow_up_of,
        )  # fmt: skip


def _ticket_create(
    *,
    requester: Contact,
    subject: str,
    channel: str,
    description: str,
    description_html: str,
    priority: str,
    impact: str,
    urgency: str,
    team: Team | None,
    assignee: User | None,
    category: Category | None,
    product: Product | None,
    department: str,
    tags: Iterable[str],
    language: str,
    attachments: Sequence[IncomingFile],
    message_id: str,
    in_reply_to: str,
    references: str,
    by: User | None,
    auto_submitted: str,
    follow_up_of: Ticket | None,
) -> Ticket:
    organization = requester.organization
    ticket = Ticket(
        requester=requester,
        subject=subject,
        description=description,
        channel=channel,
        priority=priority,
        impact=impact,
        urgency=urgency,
        team=team,
        assignee=assignee,
        category=category,
        product=product,
        department=department,
        region=organization.region if organization else "",
        customer_segment=organization.tier if organization else "",
        language=language or requester.language,
        tags=sorted({tag.strip().lower() for tag in tags if tag.strip()}),
        status=Ticket.Status.OPEN if assignee else Ticket.Status.NEW,
        follow_up_of=follow_up_of,
    )
    ticket.tenant_id = require_tenant_id()
    if requester.is_blocked:
        # Kept (nothing is lost) but filed away: closed, marked as spam, never answered.
        ticket.is_spam, ticket.status = True, Ticket.Status.CLOSED
        ticket.closed_at = ticket.solved_at = ticket.created_at
    # Before the insert: the one statement that stores the ticket carries the routed values.
    routed = None if ticket.is_spam else routing.ticket_route_new(ticket=ticket, text=description)
    message = _build_message(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author_type=Message.Author.CONTACT,
        author_contact=requester,
        author_user=by,
        channel=channel,
        text=description,
        html=description_html,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
    )
    event = TicketEvent(
        ticket=ticket, kind=TicketEvent.Kind.CREATED, actor=by, actor_contact=requester,
        source=str(channel), data={}, tenant_id=ticket.tenant_id,
    )  # fmt: skip
    via, recipient, reason = _acknowledgement_plan(ticket, requester, auto_submitted)
    clocks = (
        []  # spam is filed closed: no promise runs against it
        if ticket.is_spam
        else sla_services.clocks_for_new_ticket(ticket=ticket, first_message_text=description)
    )
    ack = Acknowledgement(
        ticket=ticket,
        via=via,
        recipient=recipient,
        skipped_reason=reason,
        expected_response_at=sla_services.first_response_due(clocks)
        or ticket.created_at + first_response_target(ticket.priority),
        tenant_id=ticket.tenant_id,
    )
    # Teams that assign by themselves pick an agent before the insert (no query for manual).
    strategy = None if ticket.is_spam else assignment.ticket_team_pick(ticket=ticket)
    more: list[Any] = routing.routed_events(outcome=routed) if routed is not None else []
    if strategy:
        more.append(assignment.assignment_event(ticket=ticket, strategy=strategy))
    _insert_new_ticket(ticket, message, event, ack, *more, *clocks)
    _store_attachments(message, attachments)
    if via != Acknowledgement.Via.NONE:
        transaction.on_commit(functools.partial(_acknowledgement_queue, ticket.tenant_id, ack.pk))
    live.publish_on_commit(live.tenant_event(ticket.tenant_id, "ticket.created", ticket=ticket.pk))
    return ticket


# Fields whose Python value psycopg takes as it is (Django's preparation returns it unchanged).
_PLAIN_FIELDS = (
    models.CharField, models.TextField, models.EmailField, models.SlugField, models.BooleanField,
    models.IntegerField, models.BigIntegerField, models.SmallIntegerField,
    models.PositiveIntegerField, models.PositiveSmallIntegerField, models.FloatField,
    models.ForeignKey, models.DateTimeField,
)  # fmt: skip


@functools.cache
def _insert_columns(model: type[models.Model], link: str | None) -> tuple[tuple[Any, ...], str]:
    """The fields `model`'s INSERT writes (all but the key, `link` and generated columns),
    each with whether its value needs Django's preparation (`pre_save`, `get_db_prep_save`)."""
    fields = tuple(
        (field, not _taken_as_is(field))
        for field in model._meta.concrete_fields
        if not (field.primary_key or field.column == link or field.generated)
    )
    columns = ", ".join(connection.ops.quote_name(field.column) for field, _prep in fields)
    return fields, columns


def _taken_as_is(field: models.Field) -> bool:
    return type(field) in _PLAIN_FIELDS and not (
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    )


def _insert_params(obj: Any, link: str | None) -> list[Any]:
    """The values `obj`'s INSERT writes, prepared as its model's fields prepare them."""
    fields, _columns = _insert_columns(type(obj), link)
    return [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection)
        if prepare
        else getattr(obj, field.attname)
        for field, prepare in fields
    ]


@functools.lru_cache(maxsize=256)  # a shape per count of clocks and routed events
def _new_ticket_sql(shapes: tuple[type[models.Model], ...]) -> str:
    """The one INSERT statement of a new ticket whose rows are of `shapes` after the ticket.

    Built once per shape and written with PostgreSQL's own `$n` placeholders: psycopg does not
    cache the parsing of statements this long, and sends this one as it is.
    """
    q = connection.ops.quote_name
    counter = TicketCounter._meta.db_table
    number = itertools.count(1)

    def placeholders(count: int) -> str:
        return ", ".join(f"${next(number)}" for _n in range(count))

    tenant = placeholders(1)
    ticket_fields, ticket_cols = _insert_columns(Ticket, "number")
    ticket_vals = placeholders(len(ticket_fields))
    aliases = ["m", "e", "a", *(f"x{n}" for n in range(len(shapes) - 3))]
    parts = []
    for alias, model in zip(aliases, shapes, strict=True):
        fields, cols = _insert_columns(model, "ticket_id")
        # Names come from model metadata; every value is a parameter.
        parts.append(
            f"{alias} AS (INSERT INTO {q(model._meta.db_table)} ({cols}, ticket_id)"  # noqa: S608
            f" SELECT {placeholders(len(fields))}, t.id FROM t RETURNING id)"
        )
    return (
        f"WITH n AS (INSERT INTO {q(counter)} (tenant_id, last_number) VALUES ({tenant}, 1)"  # noqa: S608
        f" ON CONFLICT (tenant_id) DO UPDATE SET last_number = {q(counter)}.last_number + 1"
        " RETURNING last_number),"
        f" t AS (INSERT INTO {q(Ticket._meta.db_table)} ({ticket_cols}, number)"
        f" SELECT {ticket_vals}, n.last_number FROM n RETURNING id, number), "
        + ", ".join(parts)
        + " SELECT t.id, t.number, "
        + ", ".join(f"{alias}.id" for alias in aliases)
        + " FROM t, "
        + ", ".join(aliases)
    )


def _insert_new_ticket(
    ticket: Ticket, message: Message, event: TicketEvent, ack: Acknowledgement, *more: Any
) -> None:
    """Insert a new ticket with its number, first message, event and acknowledgement at once.

    `more` are further rows with a `ticket` foreign key (its SLA clocks, the routing rules'
    events), inserted by the same statement.

    One statement instead of five or more: the busiest write path of the desk (every
    channel's intake) costs one round trip, and the INSERTs are still generated from the
    models' fields, so a new column needs no change here. save() signals are not sent for
    these rows; nothing listens to them.
    """
    rows = (message, event, ack, *more)
    sql = _new_ticket_sql(tuple(type(obj) for obj in rows))
    params = [ticket.tenant_id, *_insert_params(ticket, "number")]
    for obj in rows:
        params += _insert_params(obj, "ticket_id")
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    cursor = _insert_cursor(db)
    # Prepared on the server (Django leaves psycopg's automatic preparing off): PostgreSQL
    # plans this statement of many parts once per connection instead of for every ticket.
    # The counter row stays locked until commit: concurrent tickets never share a number.
    cursor.execute(sql, params, prepare=True)
    ticket.pk, ticket.number, *ids = cursor.fetchone()
    for obj, pk in zip(rows, ids, strict=True):
        obj.pk = pk
    for obj in (ticket, *rows):
        obj._state.adding, obj._state.db = False, DEFAULT_DB_ALIAS
    for obj in rows:
        obj.ticket_id = ticket.pk


def _insert_cursor(db: Any) -> psycopg.RawCursor:
    """The connection's cursor for new tickets: kept, so it keeps its adapters for the values
    (a new cursor looks each one up again). It lives and goes with the connection's wrapper."""
    cursor = getattr(db, "_new_ticket_cursor", None)
    if cursor is None or cursor.closed or cursor.connection is not db.connection:
        cursor = db._new_ticket_cursor = psycopg.RawCursor(db.connection)
    return cursor


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(no_key=True).get(pk=ticket.pk)


def _set_status(ticket: Ticket, status: str, *, actor: User | None, source: str) -> None:
    if status == ticket.status:
        return
    if not ticket.can_become(status):
        raise ValidationError(
            _("A %(old)s ticket cannot become %(new)s.")
            % {"old": ticket.get_status_display(), "new": Ticket.Status(status).label}
        )
    old, ticket.status = ticket.status, status
    now = timezone.now()
    ticket.status_changed_at = now
    if status == Ticket.Status.SOLVED:
        ticket.solved_at = now
    elif status == Ticket.Status.CLOSED:
        ticket.closed_at = now
        ticket.solved_at = ticket.solved_at or now
    elif old in (Ticket.Status.SOLVED,):
        ticket.solved_at = None
    _event(ticket, TicketEvent.Kind.STATUS, actor=actor, source=source, old=old, new=status)
    sla_services.clocks_status_record(ticket=ticket, old=old, now=now)
    if ticket.assignee_id and old in Ticket.OPEN_STATUSES and not ticket.is_open:
        assignment.capacity_freed(ticket=ticket, agent_id=ticket.assignee_id)


@transaction.atomic
def ticket_reply_add(
    *,
    ticket: Ticket,
    text: str,
    channel: Ticket.Channel | str,
    html: str = "",
    author_user: User | None = None,
    author_contact: Contact | None = None,
    attachments: Sequence[IncomingFile] = (),
    status: Ticket.Status | str | None = None,
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
) -> Message:
    """Add a public reply to the thread, by an agent (to the requester) or by the requester.

    An agent's reply is the first response if none came before and is mailed to the
    requester; a requester writing to a solved ticket reopens it, and writing to a closed
    one opens a follow-up ticket whose thread gets the message.
    """
    if not text.strip() and not html.strip() and not attachments:
        raise ValidationError({"text": _("A reply needs some text.")})
    attachments_check(attachments)
    ticket = _lock(ticket)
    if ticket.merged_into_id is not None:
        ticket = _lock(_merged_target(ticket))
    by_agent = author_user is not None and author_contact is None
    if by_agent and ticket.status == Ticket.Status.CLOSED:
        raise ValidationError(
            _("This ticket is closed; the requester's next message opens a new one.")
        )
    if not by_agent and ticket.status == Ticket.Status.CLOSED:
        follow_up = ticket_open(
            requester=author_contact or ticket.requester,
            subject=ticket.subject,
            channel=channel,
            description=text,
            description_html=html,
            priority=ticket.priority,
            team=ticket.team,
            category=ticket.category,
            product=ticket.product,
            attachments=attachments,
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=references,
            follow_up_of=ticket,
        )
        _event(ticket, TicketEvent.Kind.FOLLOW_UP, source=str(channel), follow_up=follow_up.number)
        return follow_up.messages.get()
    message = _message(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        author_type=Message.Author.AGENT if by_agent else Message.Author.CONTACT,
        author_user=author_user,
        author_contact=author_contact,
        channel=channel,
        text=text,
        html=html,
        attachments=attachments,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
    )
    if by_agent:
        sla_services.clocks_reply_record(ticket=ticket, message=message)
        if ticket.first_responded_at is None:
            ticket.first_responded_at = message.created_at
        _event(ticket, TicketEvent.Kind.REPLIED, actor=author_user, source=str(channel))
        _set_status(
            ticket,
            status or (Ticket.Status.OPEN if ticket.status == Ticket.Status.NEW else ticket.status),
            actor=author_user,
            source=str(channel),
        )
        from tickets.tasks import send_reply_notification as send_reply_notification_task

        transaction.on_commit(
            lambda: _enqueue(send_reply_notification_task, ticket.tenant_id, message.pk)
        )
    else:
        _event(ticket, TicketEvent.Kind.REPLIED, contact=author_contact, source=str(channel))
        if ticket.status == Ticket.Status.SOLVED:
            _set_status(ticket, Ticket.Status.OPEN, actor=None, source=str(channel))
            _event(ticket, TicketEvent.Kind.REOPENED, contact=author_contact, source=str(channel))
        elif ticket.status in (Ticket.Status.PENDING, Ticket.Status.ON_HOLD):
            # The requester answered: the ball is back with the desk.
            _set_status(ticket, Ticket.Status.OPEN, actor=None, source=str(channel))
        sla_services.clocks_reply_record(ticket=ticket, message=message)
    ticket.save()
    if not by_agent:
        routing.ticket_reroute(ticket=ticket)
    _changed(ticket, "ticket.replied")
    return message


@transaction.atomic
def ticket_note_add(
    *,
    ticket: Ticket,
    author: User | None,
    text: str,
    attachments: Sequence[IncomingFile] = (),
    source: str = "",
) -> Message:
    """Add an internal note: seen by agents only, never sent to the requester.

    With no author it is the system's note (a bounce, a refused attachment).
    """
    if not text.strip():
        raise ValidationError({"text": _("A note needs some text.")})
    attachments_check(attachments)
    ticket = _lock(ticket)
    message = _message(
        ticket=ticket,
        kind=Message.Kind.NOTE,
        author_type=Message.Author.AGENT if author else Message.Author.SYSTEM,
        author_user=author,
        channel=ticket.channel,
        text=text,
        attachments=attachments,
    )
    _event(ticket, TicketEvent.Kind.NOTED, actor=author, source=source)
    if author is not None:
        _mentions_notify(ticket, message, author)
    ticket.save(update_fields=["updated_at"])
    _changed(ticket)
    return message


# An @ that starts a word: "@anna", "@anna.schmidt", "@anna@acme.example".
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]*\w(?:@[\w-]+(?:\.[\w-]+)+)?)")


def mentioned_agents(text: str) -> list[User]:
    """The desk's agents a note names with @ and their email address or its local part."""
    from helpdesk import selectors as platform_selectors
    from helpdesk.tenancy import STAFF_ROLES

    names = {name.lower() for name in MENTION.findall(text)}
    if not names:
        return []
    match = Q()
    for name in names:
        match |= Q(email__iexact=name) if "@" in name else Q(email__istartswith=f"{name}@")
    return list(platform_selectors.tenant_users(roles=STAFF_ROLES).filter(match))


def _mentions_notify(ticket: Ticket, message: Message, author: User) -> None:
    from tickets.tasks import send_mention_notification as send_mention_notification_task

    for agent in mentioned_agents(message.body_text):
        if agent.pk == author.pk:
            continue
        event = _event(
            ticket, TicketEvent.Kind.MENTIONED, actor=author, agent=agent.pk,
            agent_name=str(agent), message=message.pk, mailed=False,
        )  # fmt: skip
        live.publish_on_commit(
            live.Event(
                tenant_id=ticket.tenant_id,
                type="ticket.mentioned",
                groups=(live.user_group(ticket.tenant_id, agent.pk),),
                ids={"ticket": ticket.pk, "number": ticket.number, "by": author.pk},
            )
        )
        transaction.on_commit(
            functools.partial(_enqueue, send_mention_notification_task, ticket.tenant_id, event.pk)
        )


def mention_notification_send(*, event_id: int) -> None:
    """Mail an agent that a colleague mentioned them in a note, once."""
    from tickets import emails

    with transaction.atomic():
        event = (
            TicketEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__tenant", "actor")
            .filter(pk=event_id, kind=TicketEvent.Kind.MENTIONED, data__mailed=False)
            .first()
        )
        if event is None:
            return  # mailed already, or another worker is mailing it
        agent = User.objects.filter(pk=event.data.get("agent"), is_active=True).first()
        note = Message.objects.filter(pk=event.data.get("message")).first()
        if agent is not None and note is not None:
            emails.send_mention(note, agent, event.actor)
        event.data = {**event.data, "mailed": True}
        event.save(update_fields=["data"])


def _merged_target(ticket: Ticket) -> Ticket:
    """The ticket that now carries `ticket`'s conversation (itself unless it was merged)."""
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, by: User | None) -> Ticket:
    """Merge `source` into `target`: its thread moves over, and it closes pointing there.

    Replies to the merged ticket (mail, portal, API) then land on the target; the target
    keeps its own SLA clocks.
    """
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    # Both rows locked in id order: two agents merging A into B and B into A never deadlock.
    locked = {
        row.pk: row
        for row in Ticket.objects.select_for_update(no_key=True)
        .select_related("tenant")
        .filter(pk__in=(source.pk, target.pk))
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None:
        raise ValidationError(
            _("%(ticket)s was already merged into another ticket.") % {"ticket": source.reference}
        )
    if target.merged_into_id is not None or target.status == Ticket.Status.CLOSED:
        raise ValidationError(
            _("%(ticket)s is closed; merge into a ticket that is still open.")
            % {"ticket": target.reference}
        )
    moved = Message.objects.filter(ticket=source).update(ticket=target)
    _message(
        ticket=target,
        kind=Message.Kind.NOTE,
        author_type=Message.Author.SYSTEM,
        channel=target.channel,
        text=_("%(ticket)s (“%(subject)s”) was merged into this ticket.")
        % {"ticket": source.reference, "subject": source.subject},
    )
    target.tags = sorted(set(target.tags) | set(source.tags))
    target.save()
    source.merged_into = target
    if source.status != Ticket.Status.CLOSED:
        _set_status(source, Ticket.Status.CLOSED, actor=by, source="merge")
    source.save()
    _event(source, TicketEvent.Kind.MERGED, actor=by, into=target.reference)
    _event(target, TicketEvent.Kind.MERGED, actor=by, merged=source.reference, messages=moved)
    _changed(source)
    _changed(target, "ticket.replied")
    return target


@transaction.atomic
def ticket_spam_mark(*, ticket: Ticket, by: User | None, block_requester: bool = True) -> Ticket:
    """File a ticket as spam: closed, out of every queue, its sender blocked if asked."""
    ticket = _lock(ticket)
    if ticket.is_spam:
        return ticket
    ticket.is_spam = True
    if ticket.status != Ticket.Status.CLOSED:
        _set_status(ticket, Ticket.Status.CLOSED, actor=by, source="spam")
    ticket.save()
    if block_requester:
        Contact.objects.filter(pk=ticket.requester_id).update(is_blocked=True)
    _event(ticket, TicketEvent.Kind.SPAM, actor=by, blocked=block_requester)
    _changed(ticket)
    return ticket


def replies_since(*, ticket: Ticket, seen: int, by: User) -> list[Message]:
    """Public replies added after the message `seen` by anyone but `by` (a collision)."""
    return list(
        ticket.messages.filter(kind=Message.Kind.PUBLIC, pk__gt=seen)
        .exclude(author_user=by, author_contact__isnull=True)
        .select_related("author_user", "author_contact")
        .order_by("pk")
    )


@transaction.atomic
def ticket_status_change(
    *, ticket: Ticket, status: Ticket.Status | str, by: User | None, source: str = ""
) -> Ticket:
    """Move a ticket along its lifecycle (new → open → pending / on hold → solved → closed)."""
    ticket = _lock(ticket)
    old = ticket.status
    _set_status(ticket, status, actor=by, source=source)
    ticket.save()
    if ticket.status != old:
        routing.ticket_reroute(ticket=ticket)
    _changed(ticket)
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    agent: User | None,
    by: User | None,
    team: Team | None = None,
    source: str = "",
) -> Ticket:
    """Make `agent` the single owner of `ticket` (None: unassign), optionally moving its team."""
    from helpdesk import selectors as platform_selectors
    from helpdesk.tenancy import STAFF_ROLES

    if (
        agent is not None
        and not platform_selectors.tenant_users(roles=STAFF_ROLES).filter(pk=agent.pk).exists()
    ):
        raise ValidationError(_("Only agents of this help desk can own its tickets."))
    ticket = _lock(ticket)
    old_agent, old_team = ticket.assignee_id, ticket.team_id
    ticket.assignee = agent
    if team is not None:
        ticket.team = team
    # Into a team with no agent named: the team's strategy may pick one.
    strategy = assignment.ticket_team_pick(ticket=ticket) if team is not None else None
    if ticket.assignee_id == old_agent and ticket.team_id == old_team:
        return ticket
    if old_agent is not None and ticket.assignee_id != old_agent and ticket.is_open:
        assignment.capacity_freed(ticket=ticket, agent_id=old_agent)
    if agent is not None and ticket.status == Ticket.Status.NEW:
        _set_status(ticket, Ticket.Status.OPEN, actor=by, source=source)
    ticket.save()
    _event(
        ticket,
        TicketEvent.Kind.ASSIGNED,
        actor=by,
        source=source,
        old=old_agent,
        new=ticket.assignee_id,
        old_team=old_team,
        team=ticket.team_id,
        **({"strategy": strategy} if strategy else {}),
    )
    routing.ticket_reroute(ticket=ticket)
    _changed(ticket)
    return ticket


EDITABLE_FIELDS = (
    "priority", "category", "product", "department", "region", "language", "tags", "team",
    "subject",
)  # fmt: skip


@transaction.atomic
def ticket_update(*, ticket: Ticket, by: User | None, source: str = "", **fields: Any) -> Ticket:
    """Change a ticket's categorisation fields, recording each old and new value."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %s") % ", ".join(unknown))
    ticket = _lock(ticket)
    changes = {}
    for field, value in fields.items():
        if field == "tags":
            value = sorted({tag.strip().lower() for tag in value if tag.strip()})
        old = getattr(ticket, field)
        if old != value:
            changes[field] = [_plain(old), _plain(value)]
            setattr(ticket, field, value)
    if not changes:
        return ticket
    ticket.full_clean(exclude=["requester", "tenant"])
    strategy = assignment.ticket_team_pick(ticket=ticket) if "team" in changes else None
    ticket.save()
    sla_services.clocks_policy_apply(ticket=ticket)
    _event(ticket, TicketEvent.Kind.FIELDS, actor=by, source=source, changes=changes)
    routing.ticket_reroute(ticket=ticket)
    if strategy:
        assignment.assignment_record(ticket=ticket, strategy=strategy)
    _changed(ticket)
    return ticket


def _plain(value: Any) -> Any:
    if hasattr(value, "pk"):
        return str(value)
    return value


# --- outgoing mail -------------------------------------------------------------------------


def acknowledgement_send(*, acknowledgement_id: int) -> None:
    """Send the acknowledgement once, however often the task is delivered."""
    from tickets import emails

    with transaction.atomic():
        ack = (
            Acknowledgement.objects.select_for_update(skip_locked=True)
            .select_related("ticket__requester", "ticket__tenant")
            .filter(pk=acknowledgement_id, sent_at=None)
            .exclude(via=Acknowledgement.Via.NONE)
            .first()
        )
        if ack is None:
            return  # already sent, not to be sent, or another worker is sending it
        ack.attempts += 1
        if ack.via == Acknowledgement.Via.EMAIL:
            emails.send_acknowledgement(ack)
        else:
            _message(
                ticket=ack.ticket,
                kind=Message.Kind.PUBLIC,
                author_type=Message.Author.SYSTEM,
                channel=Ticket.Channel.CHAT,
                text=emails.acknowledgement_chat_text(ack),
            )
            _changed(ack.ticket, "ticket.replied")
        ack.sent_at = timezone.now()
        ack.save(update_fields=["sent_at", "attempts"])
        _event(ack.ticket, TicketEvent.Kind.ACKNOWLEDGED, source=ack.via, to=ack.recipient)


def reply_notification_send(*, message_id: int) -> None:
    """Mail an agent's public reply to the requester, once."""
    from tickets import emails

    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__requester", "ticket__tenant", "author_user")
            .filter(pk=message_id, notified_at=None, kind=Message.Kind.PUBLIC)
            .filter(author_type=Message.Author.AGENT)
            .first()
        )
        if message is None:
            return
        requester, ticket = message.ticket.requester, message.ticket
        # A chat visitor who has left gets the answer by mail, as the chat promised.
        in_chat = ticket.channel == Ticket.Channel.CHAT and presence.visitor_online(
            ticket.tenant_id, ticket.pk
        )
        if requester.email and not in_chat:
            emails.send_reply(message)
            _event(message.ticket, TicketEvent.Kind.NOTIFIED, source="email", to=requester.email)
        message.notified_at = timezone.now()
        message.save(update_fields=["notified_at"])


def acknowledgements_sweep(*, now: datetime, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Send acknowledgements whose task was never queued or got lost (Redis or worker down)."""
    waiting = list(
        Acknowledgement.objects.filter(sent_at=None, created_at__lt=now - older_than)
        .exclude(via=Acknowledgement.Via.NONE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    )
    for pk in waiting:
        try:
            acknowledgement_send(acknowledgement_id=pk)
        except Exception:
            logger.exception("acknowledgement %s could not be sent; retrying later", pk)
    return len(waiting)


@transaction.atomic
def team_member_add(*, team: Team, user: User, is_lead: bool = False) -> TeamMember:
    """Put an agent in a team (or change whether they lead it)."""
    member, _created = TeamMember.objects.update_or_create(
        team=team, user=user, defaults={"is_lead": is_lead}
    )
    return member


# --- saved views -----------------------------------------------------------------------------


@transaction.atomic
def saved_view_create(
    *, owner: User, name: str, is_shared: bool, filters: dict[str, Any], sort: str = ""
) -> SavedView:
    """Name a set of queue filters, for the agent alone or for every agent of the desk."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("A view needs a name."))
    if SavedView.objects.filter(owner=owner, name__iexact=name).exists():
        raise ValidationError(_("You already have a view named “%(name)s”.") % {"name": name})
    return SavedView.objects.create(
        owner=owner, name=name, is_shared=is_shared, filters=filters, sort=sort
    )


@transaction.atomic
def saved_view_delete(*, view: SavedView, by: User, as_manager: bool = False) -> None:
    """Delete a view: one's own, or as a manager any shared one."""
    if view.owner_id != by.pk and not (as_manager and view.is_shared):
        raise ValidationError(_("Only its owner or a manager can delete this view."))
    view.delete()
