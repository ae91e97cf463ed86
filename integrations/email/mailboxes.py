"""Polling the desks' own IMAP mailboxes (on-premise mail servers)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings as django_settings
from django.db.models import Q
from django.utils import timezone

from helpdesk.models import Tenant
from helpdesk.tenancy import tenant_context
from integrations.email.imap import ImapMailbox, MailboxError, MailboxSettings
from integrations.email.inbound import email_receive
from integrations.models import InboundEmail, Mailbox

logger = logging.getLogger(__name__)
# A poll that has not finished by then (a killed worker) no longer keeps others out.
CLAIM = timedelta(minutes=5)


def _claim(tenant_id: int, mailbox_id: int) -> tuple[MailboxSettings, str] | None:
    """Take the mailbox for this poll, unless another worker is polling it right now."""
    now = timezone.now()
    with tenant_context(tenant_id):
        claimed = (
            Mailbox.objects.filter(pk=mailbox_id, is_active=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(claimed_until=now + CLAIM)
        )
        if not claimed:
            return None
        mailbox = Mailbox.objects.get(pk=mailbox_id)
        return mailbox.imap_settings(), mailbox.name


def _release(tenant_id: int, mailbox_id: int, *, error: str = "", fetched: int = 0) -> None:
    with tenant_context(tenant_id):
        Mailbox.objects.filter(pk=mailbox_id).update(
            claimed_until=None,
            last_polled_at=timezone.now(),
            last_error=error[:2000],
        )
    if fetched:
        logger.info("mailbox %s: %s message(s) received", mailbox_id, fetched)


def mailbox_poll(*, tenant_id: int, mailbox_id: int, limit: int = 100) -> int:
    """Fetch a mailbox's new mail into tickets; returns how many messages were taken."""
    claim = _claim(tenant_id, mailbox_id)
    if claim is None:
        return 0
    settings, name = claim
    tenant = Tenant.objects.get(pk=tenant_id)
    fetched = 0
    try:
        with ImapMailbox(settings) as mailbox:
            for message in mailbox.unseen(limit, max_bytes=django_settings.INBOUND_EMAIL_MAX_BYTES):
                # Stored (committed) before the server forgets it: a crash here means the
                # same message comes again, and its Message-ID makes that a no-op.
                received = email_receive(
                    message.raw, source=f"imap:{name}", tenant=tenant, size=message.size
                )
                if getattr(received, "status", "") == InboundEmail.Status.FAILED:
                    mailbox.mark_failed(message.uid)
                else:
                    mailbox.mark_processed(message.uid)
                fetched += 1
    except MailboxError as error:
        logger.warning("mailbox %s could not be polled: %s", mailbox_id, error)
        _release(tenant_id, mailbox_id, error=str(error), fetched=fetched)
        return fetched
    _release(tenant_id, mailbox_id, fetched=fetched)
    return fetched


def mailboxes_due(*, tenant_id: int) -> list[int]:
    """The tenant's active mailboxes, for the periodic poll."""
    with tenant_context(tenant_id):
        return list(Mailbox.objects.filter(is_active=True).values_list("pk", flat=True))
