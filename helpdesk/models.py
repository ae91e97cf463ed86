"""Platform models: tenants and their domains, global users, and per-tenant memberships."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from helpdesk.tenancy import Role, TenantOwned


def validate_time_zone(value: str) -> None:
    """Accept only IANA time zone names (Europe/Berlin), never offsets or abbreviations."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(zone)s” is not an IANA time zone name."), params={"zone": value}
        )


TIME_ZONE_HELP = _("An IANA time zone name, e.g. Europe/Berlin.")


class TenantQuerySet(models.QuerySet):
    """Tenants, as platform code sees them."""

    def active_ids(self) -> list[int]:
        """Ids of the tenants whose desks are open: what periodic sweeps loop over."""
        return list(self.filter(is_active=True).order_by("pk").values_list("pk", flat=True))


class Tenant(models.Model):
    """One customer organisation's help desk: its own agents, customers, rules and data."""

    slug = models.SlugField(
        _("address name"),
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                r"\A[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z",
                _("Lower-case letters, digits and inner hyphens only: it becomes a host name."),
            ),
            RegexValidator(
                r"\A..--",
                _("A hyphen pair in the third and fourth place marks an encoded (IDNA) name."),
                inverse_match=True,
            ),
        ],
        help_text=_(
            "The desk is served at this name under the base domain, e.g. acme.example.com."
        ),
    )
    name = models.CharField(_("name"), max_length=120)
    ticket_prefix = models.CharField(
        _("ticket prefix"),
        max_length=10,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]*$", _("Capital letters and digits only."))],
        help_text=_("Ticket numbers start with it, e.g. ACME-1042."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=TIME_ZONE_HELP,
    )
    language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    brand_color = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#1f4e8c",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #1f4e8c."))],
    )
    logo_url = models.URLField(_("logo address"), blank=True)
    support_email = models.EmailField(_("support address"), blank=True)
    is_active = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TenantQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]
        constraints = [
            # The database holds the slug rules too: a host name label in lower-case ASCII
            # (so unique whatever the case, and no look-alike letters from other scripts),
            # never an IDNA-encoded one ("xn--", and any "--" in places 3 and 4, RFC 5891).
            models.CheckConstraint(
                condition=models.Q(slug__regex=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
                & ~models.Q(slug__regex=r"^..--"),
                name="tenant_slug_host_label",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def reply_address(self) -> str:
        """Where requesters write and reply to; mail to it is routed back to this desk."""
        return self.support_email or f"support@{self.slug}.{settings.BASE_DOMAIN}"

    @cached_property
    def public_host(self) -> str:
        """The host people reach this desk at: its primary custom domain, else its subdomain."""
        domain = self.domains.filter(is_primary=True).values_list("domain", flat=True).first()
        return domain or f"{self.slug}.{settings.BASE_DOMAIN}"

    def url(self, path: str = "/") -> str:
        """The absolute address of `path` on this tenant's desk, for emails and links."""
        host = self.public_host
        port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
        return f"{settings.PUBLIC_SCHEME}://{host}{port}{path}"


class Domain(models.Model):
    """A custom host name a tenant's desk is also served at (support.acme.com).

    Platform data, not tenant-owned: the tenant middleware reads it to find the tenant.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("host name"), max_length=253, unique=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("custom domain")
        verbose_name_plural = _("custom domains")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(is_primary=True), name="one_primary_domain"
            ),
            models.CheckConstraint(condition=models.Q(domain=Lower("domain")), name="domain_lower"),
        ]

    def __str__(self) -> str:
        return self.domain


class UserManager(BaseUserManager):
    """Creates users by email address."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        """A user who logs in with `email` (and `password`, or none usable)."""
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        """A platform operator: manages tenants, sees every desk's admin."""
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with a login; global, so one login may serve several tenants."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
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
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("platform staff"),
        default=False,
        help_text=_("Operators of the whole deployment; tenant admins do not need this."),
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]


class Membership(TenantOwned):
    """What one user is in one tenant: customer, agent, manager or admin."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.CUSTOMER)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="one_membership_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_staff(self) -> bool:
        """Agents, managers and admins work the desk; customers use the portal."""
        return Role(self.role).includes(Role.AGENT)

    def get_absolute_url(self) -> str:
        return reverse("admin:helpdesk_membership_change", args=[self.pk])
