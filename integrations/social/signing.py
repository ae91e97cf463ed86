"""Signatures of social channels' webhook calls: HMAC-SHA256 over timestamp and body."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

WEBHOOK_MAX_SKEW = timedelta(minutes=5)


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
