"""Reads of social channels: the enabled channel a webhook call is addressed to."""

from __future__ import annotations

from integrations.social.models import SocialChannel


def social_channel(*, slug: str) -> SocialChannel | None:
    """The desk's enabled social channel at `slug`."""
    return SocialChannel.objects.filter(slug=slug, is_enabled=True).first()
