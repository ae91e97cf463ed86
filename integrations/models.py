"""Inbound mailboxes, outgoing webhooks, chat and CRM connectors, and the JSON API's tokens."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import TenantOwned


class ApiToken(TenantOwned):
    """A secret an integration of one desk sends to the JSON API; only its hash is kept."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Which integration uses it, e.g. CRM sync.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    prefix = models.CharField(
        _("starts with"),
        max_length=8,
        editable=False,
        help_text=_("The token's first characters, to recognise it; not a secret."),
    )
    # sha256 of the whole token: tokens carry 256 random bits, so a fast hash is enough
    # (a slow password hash protects guessable secrets, and would cost every request).
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Empty: valid until revoked.")
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["secret_hash"], name="api_token_secret_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class ApiIdempotencyKey(TenantOwned):
    """A ticket created through the API under a client's Idempotency-Key, replayed on retry."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of the request body: the same key with another body is the client's mistake.
    request_hash = models.CharField(max_length=64)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, related_name="+"
    )
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("API idempotency key")
        verbose_name_plural = _("API idempotency keys")
        constraints = [
            # Also the lock: a concurrent retry waits on this index until the first commits.
            models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_age")]

    def __str__(self) -> str:
        return self.key
