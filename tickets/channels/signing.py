"""Signatures of the intake channels: visitors' chat tokens and social channels' webhook calls."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

from django.core import signing

VISITOR_SALT = "tickets.channels.chat.visitor"
VISITOR_TOKEN_MAX_AGE = timedelta(days=30)
WEBHOOK_MAX_SKEW = timedelta(minutes=5)


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


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Helpdesk-Signature` value for a call: HMAC-SHA256 of "{timestamp}.{body}"."""
    signed = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook_signature_valid(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Whether `signature` was made with `secret` over exactly this timestamp and body."""
    if not timestamp.isascii():
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode("utf-8"))


def webhook_timestamp_fresh(timestamp: str, *, now: float | None = None) -> bool:
    """Whether a call's Unix timestamp lies within five minutes of now (either way)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    now = time.time() if now is None else now
    return abs(now - sent) <= WEBHOOK_MAX_SKEW.total_seconds()
