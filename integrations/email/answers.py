"""Automatic answers to people who mailed a desk: rendered from templates, sent after commit.

An answer goes out only once the mail it answers is stored for good: when processing fails and
its transaction rolls back, the sender is told nothing that is no longer true. A failure to send
is logged and changes nothing that was stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from helpdesk.mail import mail_address
from helpdesk.models import Tenant
from integrations.email.parsing import ParsedEmail

logger = logging.getLogger(__name__)


def answer_undeliverable(parsed: ParsedEmail, *, recipients: str) -> None:
    """Tell the sender that no desk receives mail at the addresses they wrote to."""
    _answer_on_commit(parsed, "undeliverable", {"to": recipients, "subject": parsed.subject})


def answer_attachments_refused(
    parsed: ParsedEmail,
    *,
    tenant: Tenant,
    reference: str,
    refused: Sequence[str],
    language: str | None = None,
) -> None:
    """Tell the sender which attachments of their mail to ticket `reference` were not kept,
    in `language` (the ticket's)."""
    context = {"reference": reference, "refused": refused}
    _answer_on_commit(parsed, "attachments_refused", context, tenant=tenant, language=language)


def _answer_on_commit(
    parsed: ParsedEmail,
    name: str,
    context: dict[str, Any],
    *,
    tenant: Tenant | None = None,
    language: str | None = None,
) -> None:
    """Answer the sender with template `name` once the current transaction commits.

    RFC 3834 headers mark the answer automatic, so the sender's autoresponder stays quiet.
    """
    # Rendered now, in `language` or else the language the mail is processed in.
    with translation.override(language) if language else nullcontext():
        subject = render_to_string(f"integrations/email/{name}_subject.txt", context)
        body = render_to_string(f"integrations/email/{name}.txt", context)
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    if parsed.message_id:
        headers["In-Reply-To"] = f"<{parsed.message_id}>"
    sender = mail_address(tenant.name, tenant.reply_address) if tenant else None
    mail = EmailMessage(
        " ".join(subject.split()), body, sender, [parsed.from_address], headers=headers
    )
    transaction.on_commit(lambda: _send(mail))


def _send(mail: EmailMessage) -> None:
    try:
        mail.send()
    except Exception:  # SMTP and providers' clients raise many kinds; nothing stored depends on it
        logger.exception("automatic answer to %s was not sent", ", ".join(mail.to))
