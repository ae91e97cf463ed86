"""Who asks for help: customer organisations, their people (contacts) and further addresses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from helpdesk.models import TIME_ZONE_HELP, validate_time_zone
from helpdesk.tenancy import TenantOwned
from rules.vocabulary import Tier


class Organization(TenantOwned):
    """A customer company whose people file tickets; its tier later selects the SLA.

    Searchable by the words of its name through the `search_vector` column, which the
    database keeps (migration 0019) and no model field shows.
    """

    Tier = Tier
    name = models.CharField(_("name"), max_length=160)
    tier = models.CharField(_("tier"), max_length=12, choices=Tier, default=Tier.STANDARD)
    region = models.CharField(_("region"), max_length=40, blank=True)
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    contract_value = models.DecimalField(
        _("yearly contract value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    is_vip = models.BooleanField(_("VIP"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer organisation")
        verbose_name_plural = _("customer organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="organization_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(TenantOwned):
    """A requester: someone who asks for help, with or without a portal login.

    Searchable by the words of its name and address through the `search_vector` column,
    which the database keeps (migration 0019) and no model field shows.
    """

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Digits only (with a leading + kept): how callers are found whatever way they are written.
    phone_normalized = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal login"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=TIME_ZONE_HELP,
    )
    is_blocked = models.BooleanField(
        _("blocked"),
        default=False,
        help_text=_("A spammer: what they send is filed as spam and never acknowledged."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                models.functions.Lower("email"),
                condition=~models.Q(email=""),
                name="contact_email_unique",
            ),
            models.UniqueConstraint(
                fields=["tenant", "user"],
                condition=models.Q(user__isnull=False),
                name="contact_user_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def best_language(self) -> str:
        """The language to write to this person in."""
        return self.language or self.tenant.language

    @property
    def best_time_zone(self) -> str:
        """The time zone to show this person times in."""
        return self.time_zone or self.tenant.time_zone


class ContactEmail(TenantOwned):
    """A further address of a contact; mail from any of them reaches the same person."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("email address"))

    class Meta:
        verbose_name = _("further email address")
        verbose_name_plural = _("further email addresses")
        constraints = [
            models.UniqueConstraint(
                "tenant", models.functions.Lower("email"), name="contact_email_extra_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.email
