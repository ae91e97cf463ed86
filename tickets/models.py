"""Tickets, their requesters and customer organisations, and the teams that work them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from helpdesk.models import TIME_ZONE_HELP, validate_time_zone
from helpdesk.tenancy import TenantOwned


class Team(TenantOwned):
    """A group of agents working one queue (L1 support, Billing, the IT service desk)."""

    name = models.CharField(_("name"), max_length=80)
    department = models.CharField(
        _("department"),
        max_length=80,
        blank=True,
        help_text=_("Support tier or business function, e.g. L2 support, Billing, HR."),
    )
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMember", related_name="teams", blank=True
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="team_name_unique")]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantOwned):
    """An agent's place in a team; a lead hears about the team's trouble first."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    is_lead = models.BooleanField(_("team lead"), default=False)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class Organization(TenantOwned):
    """A customer company whose people file tickets; its tier later selects the SLA."""

    class Tier(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        PREMIUM = "premium", _("Premium")
        STANDARD = "standard", _("Standard")

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
    """A requester: someone who asks for help, with or without a portal login."""

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
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


class TicketCounter(TenantOwned):
    """The last ticket number handed out in one tenant."""

    last_number = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_counter_per_tenant")]


class Ticket(TenantOwned):
    """One request for help, from any channel, numbered per tenant (ACME-1042)."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        ON_HOLD = "on_hold", _("On hold")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PORTAL = "portal", _("Portal")
        CHAT = "chat", _("Chat")
        PHONE = "phone", _("Phone")
        API = "api", _("API")
        SOCIAL = "social", _("Social")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)

    number = models.PositiveBigIntegerField(_("number"), editable=False)
    subject = models.CharField(_("subject"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    requester = models.ForeignKey(
        Contact, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="tickets"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.NEW)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority, default=Priority.MEDIUM
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="ticket_number_unique"),
        ]
        indexes = [  # queues read a tenant's open tickets, newest first
            models.Index(fields=["tenant", "status", "-created_at"], name="ticket_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        """The number people quote: <PREFIX>-<n>."""
        return f"{self.tenant.ticket_prefix}-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def get_absolute_url(self) -> str:
        return reverse("tickets:ticket_detail", args=[self.number])
