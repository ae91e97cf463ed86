"""The desk's own set-up: teams and their members, agents' profiles, categories, product lines
and saved queue views."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import TenantOwned


class Team(TenantOwned):
    """A group of agents working one queue (L1 support, Billing, the IT service desk)."""

    class Strategy(models.TextChoices):
        MANUAL = "manual", _("Manual: agents take tickets from the queue")
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_OPEN = "least_open", _("Fewest open tickets")
        SKILLS = "skills", _("Skills and language match")

    name = models.CharField(_("name"), max_length=80)
    department = models.CharField(
        _("department"),
        max_length=80,
        blank=True,
        help_text=_("Support tier or business function, e.g. L2 support, Billing, HR."),
    )
    description = models.TextField(_("description"), blank=True)
    assignment_strategy = models.CharField(
        _("assignment"),
        max_length=12,
        choices=Strategy,
        default=Strategy.MANUAL,
        help_text=_("How a new ticket of this team finds its agent among those online."),
    )
    is_private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_(
            "Only this team's members (and managers) see its tickets, e.g. HR or legal cases "
            "of an internal service desk."
        ),
    )
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


class DeskSettings(TenantOwned):
    """The desk's own choices about its tickets; one row per desk, created with the desk."""

    fallback_team = models.ForeignKey(
        Team,
        verbose_name=_("fallback team"),
        # Deleting the team would leave the desk's unrouted tickets on nobody: refused.
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("New tickets that no routing rule sends to a team land in this team."),
    )

    class Meta:
        verbose_name = _("desk settings")
        verbose_name_plural = _("desk settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_desk_settings")]

    def __str__(self) -> str:
        return str(_("Desk settings (fallback team: %(team)s)") % {"team": self.fallback_team})


class TeamMember(TenantOwned):
    """An agent's place in a team; a lead hears about the team's trouble first."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    is_lead = models.BooleanField(_("team lead"), default=False)
    # Round robin's turn: the member who got a ticket of this team longest ago goes next.
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class AgentProfile(TenantOwned):
    """How an agent takes tickets at one desk: available or not, how many, which ones."""

    class Availability(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="agent_profiles",
    )
    availability = models.CharField(
        _("availability"),
        max_length=10,
        choices=Availability,
        default=Availability.OFFLINE,
        help_text=_("Only online agents are given new tickets; away agents keep theirs."),
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        default=10,
        help_text=_(
            "Most open tickets (new, open, pending, on hold) the agent is given automatically."
        ),
    )
    skills = ArrayField(
        models.CharField(max_length=50),
        verbose_name=_("skills"),
        default=list,
        blank=True,
        help_text=_("Comma-separated; matched against tickets' tags, category and product."),
    )
    languages = ArrayField(
        models.CharField(max_length=10),
        verbose_name=_("languages"),
        default=list,
        blank=True,
        help_text=_("Language codes, comma-separated, e.g. en,de. Empty: any language."),
    )
    availability_changed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="agent_profile_unique"),
        ]

    def __str__(self) -> str:
        return str(self.user)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if (
            self.user_id
            and AgentProfile.objects.filter(user_id=self.user_id).exclude(pk=self.pk).exists()
        ):
            raise ValidationError({"user": _("This agent has a profile already.")})
        # Stored as matched: lower case, no blanks, no repeats.
        self.skills = sorted({skill.strip().lower() for skill in self.skills if skill.strip()})
        self.languages = sorted({code.strip().lower() for code in self.languages if code.strip()})


class Category(TenantOwned):
    """A node of the tenant's category tree (Billing > Invoices > VAT)."""

    name = models.CharField(_("name"), max_length=80)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "parent", "name"],
                nulls_distinct=False,
                name="category_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return " › ".join(node.name for node in self.path())  # noqa: RUF001

    def path(self) -> list[Category]:
        """This category and its ancestors, root first."""
        nodes, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            nodes.append(node)
            node = node.parent
        return nodes[::-1]

    def tree_key(self) -> tuple[str, ...]:
        """Where this category sorts in its tree: after its parent, among its siblings by name."""
        return tuple(node.name.casefold() for node in self.path())


class Product(TenantOwned):
    """A product line customers can name when they ask for help."""

    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="product_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SavedView(TenantOwned):
    """A queue an agent defined with filters, for themselves or shared with the whole desk."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(_("name"), max_length=80)
    is_shared = models.BooleanField(
        _("shared"), default=False, help_text=_("Every agent of the desk sees it.")
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    sort = models.CharField(_("sort"), max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "owner", "name"], name="saved_view_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name
