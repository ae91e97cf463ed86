"""Inbound mailboxes, outgoing webhooks, chat and CRM connectors, and the JSON API's tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import TenantOwned

# Each integration keeps its models in its own package; importing them here is how Django
# registers them with the integrations app.
from integrations.chat.models import ChatWidget  # noqa: F401
from integrations.email.imap import MailboxSettings
from integrations.social.models import SocialChannel, SocialIdentity, SocialThread  # noqa: F401


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


def raw_email_path(instance: models.Model, filename: str) -> str:
    tenant = getattr(instance, "tenant_id", None) or "unrouted"
    return f"mail/{tenant}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.eml"


class InboundEmail(TenantOwned):
    """One received mail, kept raw whatever became of it, so nothing is ever lost."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        BOUNCE = "bounce", _("Delivery failure")
        FAILED = "failed", _("Needs attention")

    source = models.CharField(_("arrived through"), max_length=120)
    raw = models.FileField(_("original message"), upload_to=raw_email_path, max_length=300)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    sender = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.RECEIVED)
    problems = models.TextField(_("parsing problems"), blank=True)
    error = models.TextField(_("error"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    thread_message = models.ForeignKey(
        "tickets.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-received_at"]
        constraints = [
            # The same Message-ID twice (a retried webhook, a re-polled mailbox) is one mail.
            models.UniqueConstraint(
                fields=["tenant", "message_id"],
                condition=~models.Q(message_id=""),
                name="inbound_message_id_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["received_at"], condition=models.Q(status="failed"), name="inbound_failed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


class UnroutedEmail(models.Model):
    """Mail to an address no desk owns: kept for the operators, never shown to a tenant."""

    source = models.CharField(max_length=120)
    raw = models.FileField(upload_to=raw_email_path, max_length=300)
    recipients = models.TextField()
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=250, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("unrouted email")
        verbose_name_plural = _("unrouted emails")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipients}"


class Mailbox(TenantOwned):
    """An IMAP mailbox of the desk's own mail server, polled for new mail."""

    name = models.CharField(_("name"), max_length=80)
    host = models.CharField(_("server"), max_length=253)
    port = models.PositiveIntegerField(_("port"), default=993)
    username = models.CharField(_("user name"), max_length=254)
    # Stored as given: the poller must log in unattended. Protect the database accordingly.
    password = models.CharField(_("password"), max_length=254)
    use_ssl = models.BooleanField(_("TLS from the start (IMAPS)"), default=True)
    starttls = models.BooleanField(_("STARTTLS"), default=False)
    folder = models.CharField(_("folder"), max_length=120, default="INBOX")
    processed_folder = models.CharField(
        _("move processed mail to"), max_length=120, blank=True, default="Processed",
        help_text=_("Empty: leave it in the folder, marked as read."),
    )  # fmt: skip
    failed_folder = models.CharField(_("move unreadable mail to"), max_length=120, blank=True)
    is_active = models.BooleanField(_("poll"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="mailbox_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def imap_settings(self) -> MailboxSettings:
        """How the poller reaches this mailbox."""
        return MailboxSettings(
            host=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_ssl=self.use_ssl,
            starttls=self.starttls,
            folder=self.folder,
            processed_folder=self.processed_folder or None,
            failed_folder=self.failed_folder or None,
        )
