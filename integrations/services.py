"""Writes of the integrations app: API tokens, and the API's own ticket and reply entry points.

The API entry points add only what the channel needs (idempotent retries, a state conflict the
client can tell apart from bad input) around `tickets.services`, which do the actual work.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import User
from integrations.models import ApiIdempotencyKey, ApiToken
from rules.vocabulary import Channel, Priority
from tickets import services as ticket_services

if TYPE_CHECKING:
    from tickets.models import Category, Message, Product, Ticket

TOKEN_PREFIX = "hd_"  # noqa: S105 (marks our tokens, e.g. for secret scanners; not a secret)
# last_used_at is for admins deciding whether a token is still needed: minute precision is
# plenty, and it spares a write (and a row lock) on nearly every request.
LAST_USED_PRECISION = timedelta(minutes=1)
IDEMPOTENCY_WINDOW = timedelta(hours=24)


class TicketConflict(Exception):
    """The ticket's state does not allow the change (closed, or an illegal status move)."""


class IdempotencyKeyReused(Exception):
    """An Idempotency-Key came back with a different request body."""


def token_hash(secret: str) -> str:
    """What is stored of a token, and what a presented token is looked up by."""
    return hashlib.sha256(secret.encode()).hexdigest()


# --- tokens --------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(
    *, name: str, by: User | None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a new API token for the active tenant; the plaintext is returned this once only."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A token needs a name.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must lie in the future.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        created_by=by,
        prefix=secret[:8],
        secret_hash=token_hash(secret),
        expires_at=expires_at,
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User | None) -> ApiToken:
    """Stop a token from working, for good; revoking twice keeps the first revocation."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def api_token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record that `token` was used, at most once per LAST_USED_PRECISION."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    stale = ApiToken.objects.filter(pk=token.pk).exclude(
        last_used_at__gte=now - LAST_USED_PRECISION
    )
    # SKIP LOCKED: concurrent requests with the same token never queue behind each other's
    # row lock; whichever gets the row records the minute for all of them. NO KEY: the lock
    # must not block the key-share lock that inserting an ApiIdempotencyKey takes on the
    # token, else two retries with one key deadlock (one waits here, the other on the key).
    claimable = stale.select_for_update(no_key=True, skip_locked=True).values("pk")
    ApiToken.objects.filter(pk__in=claimable).update(last_used_at=now)
    token.last_used_at = now


# --- tickets through the API ---------------------------------------------------------------


@dataclass(frozen=True)
class ApiTicketOpened:
    """A create call's answer: ticket number, response body, and whether it is a replay."""

    number: int
    response: dict[str, Any]
    replayed: bool


def _claim_idempotency_key(
    *, token: ApiToken, key: str, request_hash: str
) -> tuple[ApiIdempotencyKey, bool]:
    """The record of `key`, and whether this call claimed it (False: an earlier call did)."""
    window_start = timezone.now() - IDEMPOTENCY_WINDOW
    ApiIdempotencyKey.objects.filter(token=token, key=key, created_at__lt=window_start).delete()
    try:
        # A concurrent call with the same key blocks on the unique index here until the
        # first one commits (then it replays) or rolls back (then it goes ahead).
        with transaction.atomic():
            claim = ApiIdempotencyKey.objects.create(
                token=token, key=key, request_hash=request_hash
            )
    except IntegrityError:
        earlier = ApiIdempotencyKey.objects.get(token=token, key=key)
        if earlier.request_hash != request_hash:
            raise IdempotencyKeyReused(
                _("This Idempotency-Key was used with a different request body.")
            ) from None
        return earlier, False
    return claim, True


@transaction.atomic(savepoint=False)  # inside the endpoint's savepoint: no second one
def api_ticket_open(
    *,
    token: ApiToken,
    requester_email: str,
    subject: str,
    description: str,
    response_for: Callable[[Ticket], dict[str, Any]],
    requester_name: str = "",
    requester_phone: str = "",
    priority: str = Priority.MEDIUM,
    impact: str = "",
    urgency: str = "",
    category: Category | None = None,
    product: Product | None = None,
    tags: Iterable[str] = (),
    language: str = "",
    attachments: Sequence[ticket_services.IncomingFile] = (),
    idempotency_key: str = "",
    request_hash: str = "",
) -> ApiTicketOpened:
    """Open a ticket for the requester with this email, once per Idempotency-Key.

    `response_for(ticket)` builds the response body, which is kept with the key so that a
    retry within 24 hours gets exactly the first answer and creates nothing.
    """
    claim = None
    if idempotency_key:
        claim, claimed = _claim_idempotency_key(
            token=token, key=idempotency_key, request_hash=request_hash
        )
        if not claimed:
            return ApiTicketOpened(
                number=claim.response["number"], response=claim.response, replayed=True
            )
    requester = ticket_services.contact_for_email(email=requester_email, name=requester_name)
    if requester_phone and not requester.phone:
        requester = ticket_services.contact_update(contact=requester, phone=requester_phone)
    ticket = ticket_services.ticket_open(
        requester=requester,
        subject=subject,
        description=description,
        channel=Channel.API,
        priority=priority,
        impact=impact,
        urgency=urgency,
        category=category,
        product=product,
        tags=tags,
        language=language,
        attachments=attachments,
    )
    response = response_for(ticket)
    if claim is not None:
        claim.ticket = ticket
        claim.response = response
        claim.save(update_fields=["ticket", "response"])
    return ApiTicketOpened(number=ticket.number, response=response, replayed=False)


@transaction.atomic
def api_reply_add(
    *,
    ticket: Ticket,
    author: User,
    text: str,
    html: str = "",
    public: bool = True,
    status: str | None = None,
    attachments: Sequence[ticket_services.IncomingFile] = (),
) -> Message:
    """Add an agent's public reply or internal note, optionally moving the ticket's status.

    Raises `TicketConflict` when the ticket's state refuses it, so the client can tell a
    conflict (409) from bad input (422).
    """
    try:
        if public:
            return ticket_services.ticket_reply_add(
                ticket=ticket,
                text=text,
                html=html,
                channel=Channel.API,
                author_user=author,
                attachments=attachments,
                status=status,
            )
        message = ticket_services.ticket_note_add(
            ticket=ticket, author=author, text=text, attachments=attachments
        )
        if status:
            ticket_services.ticket_status_change(
                ticket=ticket, status=status, by=author, source=Channel.API
            )
        return message
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise  # a field's problem: bad input
        # With input checked by the API, the ticket services' field-less refusals are all
        # about the ticket's state: it is closed, or the status may not follow the current.
        raise TicketConflict(" ".join(error.messages)) from error


@transaction.atomic
def api_status_change(*, ticket: Ticket, status: str, by: User | None) -> Ticket:
    """Move a ticket to `status` for an integration; an illegal move raises `TicketConflict`."""
    try:
        return ticket_services.ticket_status_change(
            ticket=ticket, status=status, by=by, source=Channel.API
        )
    except ValidationError as error:
        raise TicketConflict(" ".join(error.messages)) from error


def api_priority_change(*, ticket: Ticket, priority: str, by: User | None) -> Ticket:
    """Set a ticket's priority for an integration (its SLA clocks follow in the same
    transaction); a closed ticket's refusal is a `TicketConflict`."""
    try:
        return ticket_services.ticket_update(
            ticket=ticket, by=by, source=Channel.API, priority=priority
        )
    except ValidationError as error:
        raise TicketConflict(" ".join(error.messages)) from error


def idempotency_keys_purge(*, now: datetime) -> int:
    """Forget Idempotency-Keys older than the replay window; returns how many."""
    deleted, _by_model = ApiIdempotencyKey.objects.filter(
        created_at__lt=now - IDEMPOTENCY_WINDOW
    ).delete()
    return deleted
