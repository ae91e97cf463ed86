"""Celery entry points of integrations: ids in, enter the tenant, call one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from helpdesk.models import Tenant
from helpdesk.tenancy import tenant_context


@shared_task(name="integrations.poll_mailboxes", ignore_result=True)
def poll_mailboxes() -> None:
    """Queue a poll of every active IMAP mailbox of every open desk."""
    from integrations.email.mailboxes import mailboxes_due

    for tenant_id in Tenant.objects.active_ids():
        for mailbox_id in mailboxes_due(tenant_id=tenant_id):
            poll_mailbox.delay(tenant_id, mailbox_id)


@shared_task(name="integrations.poll_mailbox", ignore_result=True)
def poll_mailbox(tenant_id: int, mailbox_id: int) -> None:
    """Fetch one mailbox's new mail (a no-op while another worker polls it)."""
    from integrations.email.mailboxes import mailbox_poll

    mailbox_poll(tenant_id=tenant_id, mailbox_id=mailbox_id)


@shared_task(name="integrations.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> None:
    """Forget API Idempotency-Keys past their replay window."""
    from integrations.services import idempotency_keys_purge

    for tenant_id in Tenant.objects.active_ids():
        with tenant_context(tenant_id):
            idempotency_keys_purge(now=timezone.now())
