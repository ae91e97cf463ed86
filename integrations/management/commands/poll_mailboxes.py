"""Fetch new mail from the desks' IMAP mailboxes now (beat does it every minute)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from helpdesk.models import Tenant
from integrations.email.mailboxes import mailbox_poll, mailboxes_due


class Command(BaseCommand):
    help = "Poll every active IMAP mailbox once, or forever with --every SECONDS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", help="only this desk (its slug)")
        parser.add_argument("--every", type=float, help="poll again after this many seconds")

    def handle(self, *args: Any, tenant: str | None, every: float | None, **options: Any) -> None:
        while True:
            tenants = Tenant.objects.filter(is_active=True)
            if tenant:
                tenants = tenants.filter(slug=tenant)
            for desk in tenants:
                for mailbox_id in mailboxes_due(tenant_id=desk.pk):
                    count = mailbox_poll(tenant_id=desk.pk, mailbox_id=mailbox_id)
                    self.stdout.write(f"{desk.slug} mailbox {mailbox_id}: {count} message(s)")
            if not every:
                return
            time.sleep(every)
