"""Reads of social channels: the enabled channel a webhook call is addressed to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from integrations.social.models import SocialChannel, SocialIdentity
from tickets.selectors import Identity

if TYPE_CHECKING:
    from tickets.models import Contact


def social_channel(*, slug: str) -> SocialChannel | None:
    """The desk's enabled social channel at `slug`."""
    return SocialChannel.objects.filter(slug=slug, is_enabled=True).first()


def contact_social_identities(contact: Contact) -> list[Identity]:
    """`contact`'s handles on the desk's social channels, for their profile page."""
    return [
        Identity(kind=channel, value=handle)
        for handle, channel in SocialIdentity.objects.filter(contact=contact)
        .order_by("channel__name", "handle")
        .values_list("handle", "channel__name")
    ]
