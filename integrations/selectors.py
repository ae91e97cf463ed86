"""Reads of the integrations app: API tokens, the agents an integration acts as, received mail.

Tickets as the API lists and shows them are read through `tickets.selectors` (`api_tickets`).
"""

from __future__ import annotations

from django.db.models import QuerySet

from helpdesk import selectors as platform_selectors
from helpdesk.models import User
from helpdesk.tenancy import STAFF_ROLES
from integrations.models import ApiToken, InboundEmail
from integrations.services import token_hash


def api_token_for_secret(*, secret: str) -> ApiToken | None:
    """The active tenant's token with this plaintext, whatever its state, or None."""
    # The scoped manager looks only at the host's tenant: another desk's token is not found.
    return (
        ApiToken.objects.select_related("created_by").filter(secret_hash=token_hash(secret)).first()
    )


def api_agent(*, email: str) -> User | None:
    """The active agent, manager or admin of this desk with this email address, or None."""
    return platform_selectors.tenant_users(roles=STAFF_ROLES).filter(email__iexact=email).first()


def inbound_emails(*, attention_only: bool) -> QuerySet[InboundEmail]:
    """Received mail newest first: only what could not be processed, or all of it."""
    mails = InboundEmail.objects.select_related("ticket").order_by("-received_at")
    return mails.filter(status=InboundEmail.Status.FAILED) if attention_only else mails


def inbound_emails_needing_attention_count() -> int:
    """How many received mails could not be processed (read from a partial index)."""
    return InboundEmail.objects.filter(status=InboundEmail.Status.FAILED).count()
