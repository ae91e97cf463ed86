"""Social messaging accounts (WhatsApp, Instagram, a bridge), their people and conversations."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import TenantOwned


def new_channel_secret() -> str:
    """A fresh secret for signing a social channel's webhook calls."""
    return secrets.token_urlsafe(32)


class SocialChannel(TenantOwned):
    """A messaging account (WhatsApp, Instagram, a bridge) whose messages arrive by webhook."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(
        _("address name"),
        max_length=40,
        help_text=_("Messages are posted to /channels/social/<address name>/ on this desk."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=128,
        default=new_channel_secret,
        help_text=_("The sender signs every call with HMAC-SHA256 under this secret."),
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "tickets_socialchannel"  # made in tickets; kept when it moved
        verbose_name = _("social channel")
        verbose_name_plural = _("social channels")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="social_channel_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SocialIdentity(TenantOwned):
    """Who a handle on a social channel is: the contact its messages are filed under."""

    channel = models.ForeignKey(
        SocialChannel,
        verbose_name=_("channel"),
        on_delete=models.CASCADE,
        related_name="identities",
    )
    handle = models.CharField(_("handle"), max_length=255)
    contact = models.ForeignKey(
        "tickets.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="social_identities",
    )

    class Meta:
        db_table = "tickets_socialidentity"  # made in tickets; kept when it moved
        verbose_name = _("social identity")
        verbose_name_plural = _("social identities")
        constraints = [
            models.UniqueConstraint(fields=["channel", "handle"], name="social_identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.handle} ({self.channel})"


class SocialThread(TenantOwned):
    """A conversation on a social channel and the ticket its messages are added to."""

    channel = models.ForeignKey(SocialChannel, on_delete=models.CASCADE, related_name="threads")
    thread_id = models.CharField(max_length=255)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="social_threads"
    )

    class Meta:
        db_table = "tickets_socialthread"  # made in tickets; kept when it moved
        verbose_name = _("social thread")
        verbose_name_plural = _("social threads")
        constraints = [
            models.UniqueConstraint(fields=["channel", "thread_id"], name="social_thread_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.thread_id}"
