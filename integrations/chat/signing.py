"""Chat visitors' tokens: how a browser comes back to its chat ticket, at one desk only."""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

# Named after the chat's first home in tickets; changing it would end every visitor's chat.
VISITOR_SALT = "tickets.channels.chat.visitor"
VISITOR_TOKEN_MAX_AGE = timedelta(days=30)


def visitor_token(*, tenant_id: int, ticket_id: int, contact_id: int) -> str:
    """A token that lets a visitor's browser come back to its chat ticket, at this desk only."""
    payload = {"tenant": tenant_id, "ticket": ticket_id, "contact": contact_id}
    # The tenant is in the salt as well as in the payload: a token issued by one desk does
    # not even verify at another.
    return signing.dumps(payload, salt=f"{VISITOR_SALT}:{tenant_id}")


def visitor_from_token(token: object, *, tenant_id: int) -> tuple[int, int] | None:
    """(ticket id, contact id) of a valid, unexpired token of this desk, else None."""
    if not isinstance(token, str) or len(token) > 1000:
        return None
    try:
        payload = signing.loads(
            token, salt=f"{VISITOR_SALT}:{tenant_id}", max_age=VISITOR_TOKEN_MAX_AGE
        )
    except signing.BadSignature:  # also an expired token
        return None
    if not isinstance(payload, dict) or payload.get("tenant") != tenant_id:
        return None
    ticket_id, contact_id = payload.get("ticket"), payload.get("contact")
    if not isinstance(ticket_id, int) or not isinstance(contact_id, int):
        return None
    return ticket_id, contact_id
