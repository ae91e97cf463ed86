"""Tickets, their requesters and customer organisations, and the teams that work them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from helpdesk.models import TIME_ZONE_HELP, validate_time_zone
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


class TicketCounter(TenantOwned):
    """The last ticket number handed out in one tenant."""

    last_number = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_counter_per_tenant")]


# Which rows the open-ticket queue indexes cover (Ticket.OPEN_STATUSES).
OPEN_TICKET = models.Q(status__in=["new", "open", "pending", "on_hold"])


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

    class Level(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
    # Which status may follow which. Closed is final: a requester writing to a closed
    # ticket gets a follow-up ticket instead.
    TRANSITIONS = {
        Status.NEW: {Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
        Status.OPEN: {Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
        Status.PENDING: {Status.OPEN, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
        Status.ON_HOLD: {Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED},
        Status.SOLVED: {Status.OPEN, Status.CLOSED},
        Status.CLOSED: set(),
    }

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
    impact = models.CharField(
        _("impact"),
        max_length=10,
        choices=Level,
        blank=True,
        help_text=_("How much of the customer's business is affected (priority matrix)."),
    )
    urgency = models.CharField(
        _("urgency"),
        max_length=10,
        choices=Level,
        blank=True,
        help_text=_("How soon the customer is hurt without a fix (priority matrix)."),
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product line"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    department = models.CharField(_("department"), max_length=80, blank=True)
    region = models.CharField(_("region"), max_length=40, blank=True)
    customer_segment = models.CharField(
        _("customer segment"),
        max_length=12,
        blank=True,
        help_text=_("The requester's organisation tier when the ticket arrived."),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    tags = ArrayField(
        models.CharField(max_length=50), verbose_name=_("tags"), default=list, blank=True
    )
    is_vip = models.BooleanField(
        _("VIP"),
        default=False,
        db_default=False,
        help_text=_("Marked by a routing rule; the organisation's VIP flag counts as well."),
    )
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-up of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
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
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_tickets",
    )
    is_spam = models.BooleanField(_("spam"), default=False)
    # Queues sort "most urgent first" on a number, and an index can serve that order.
    priority_rank = models.GeneratedField(
        expression=models.Case(
            *(models.When(priority=value, then=rank) for rank, value in enumerate(Priority)),
            default=0,
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    status_changed_at = models.DateTimeField(
        _("status changed"), default=timezone.now, editable=False
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="ticket_number_unique"),
        ]
        # Every queue is one index range read in its sort order (keyset pages stay fast deep
        # into a large queue): open tickets newest first, by owner, by team, most urgent first.
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at", "-id"], name="ticket_queue"),
            models.Index(fields=["tenant", "-created_at", "-id"], name="ticket_recent"),
            models.Index(
                fields=["tenant", "-created_at", "-id"],
                condition=OPEN_TICKET,
                name="ticket_open_recent",
            ),
            models.Index(
                fields=["tenant", "assignee", "-created_at", "-id"],
                condition=OPEN_TICKET,
                name="ticket_open_assignee",
            ),
            models.Index(
                fields=["tenant", "team", "-created_at", "-id"],
                condition=OPEN_TICKET,
                name="ticket_open_team",
            ),
            models.Index(
                fields=["tenant", "-priority_rank", "created_at", "id"],
                condition=OPEN_TICKET,
                name="ticket_open_urgent",
            ),
            models.Index(fields=["tenant", "-updated_at", "-id"], name="ticket_updated"),
            # Assignment counts an agent's open tickets (capacity) and finds a team's
            # waiting ones (assignee NULL) without reading closed history.
            models.Index(
                fields=["assignee", "team", "created_at"],
                condition=OPEN_TICKET,
                name="ticket_open_owner",
            ),
            GinIndex(fields=["tags"], name="ticket_tags"),
            # time-based automations select tickets by how long their status or they idled
            models.Index(
                fields=["tenant", "status", "status_changed_at"], name="ticket_status_age"
            ),
            models.Index(fields=["tenant", "status", "updated_at"], name="ticket_idle"),
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

    def portal_url(self) -> str:
        """The absolute address of this ticket in the requester's portal, for emails."""
        return self.tenant.url(reverse("tickets:portal_ticket", args=[self.number]))

    def can_become(self, status: str) -> bool:
        return status == self.status or status in self.TRANSITIONS[self.Status(self.status)]


def attachment_path(attachment: Attachment, filename: str) -> str:
    # Random folder per file: names never collide and cannot be guessed from the ticket.
    return f"attachments/{attachment.tenant_id}/{uuid.uuid4().hex}/{filename}"


class Message(TenantOwned):
    """One entry of a ticket's thread: a public reply or an internal note."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        NOTE = "note", _("Internal note")

    class Author(models.TextChoices):
        AGENT = "agent", _("Agent")
        CONTACT = "contact", _("Requester")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.PUBLIC)
    author_type = models.CharField(max_length=10, choices=Author)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    channel = models.CharField(max_length=10, choices=Ticket.Channel)
    body_text = models.TextField(_("text as received"), blank=True)
    body_html_raw = models.TextField(_("HTML as received"), blank=True)
    body_html = models.TextField(_("HTML shown"), blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "message_id"],
                condition=~models.Q(message_id=""),
                name="message_id_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="note", author_type="contact"),
                name="notes_are_staff_only",
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="thread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.PUBLIC

    @property
    def author_name(self) -> str:
        if self.author_user_id:
            return str(self.author_user)
        if self.author_contact_id:
            return str(self.author_contact)
        return str(_("System"))


class Attachment(TenantOwned):
    """A file sent with a message; only people who may see the message may download it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    content_id = models.CharField(max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


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


class TicketEvent(TenantOwned):
    """Something that happened to a ticket: who, what, when, from which channel or rule."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        REPLIED = "replied", _("Public reply")
        NOTED = "noted", _("Internal note")
        STATUS = "status", _("Status changed")
        REOPENED = "reopened", _("Reopened")
        ASSIGNED = "assigned", _("Assigned")
        FIELDS = "fields", _("Fields changed")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        NOTIFIED = "notified", _("Requester notified")
        FOLLOW_UP = "follow_up", _("Follow-up created")
        MERGED = "merged", _("Merged")
        SPAM = "spam", _("Marked as spam")
        MENTIONED = "mentioned", _("Agent mentioned")
        SLA_WARNED = "sla_warned", _("SLA warning")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        ROUTED = "routed", _("Routing rule applied")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(
        _("source"), max_length=120, blank=True, help_text=_("Channel or rule behind it.")
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_event_log")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.ticket_id})"


class ResponseTarget(TenantOwned):
    """The first-response time a desk promises per priority, until SLA policies set it."""

    priority = models.CharField(_("priority"), max_length=10, choices=Ticket.Priority)
    minutes = models.PositiveIntegerField(_("first response within (minutes)"))

    DEFAULTS = {"critical": 60, "high": 4 * 60, "medium": 24 * 60, "low": 48 * 60}

    class Meta:
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "priority"], name="response_target_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.minutes} min"


class Acknowledgement(TenantOwned):
    """The one automatic 'we have your request' a ticket's requester gets."""

    class Via(models.TextChoices):
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Chat message")
        NONE = "none", _("Not sent")

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="acknowledgement")
    via = models.CharField(max_length=10, choices=Via)
    recipient = models.CharField(max_length=254, blank=True)
    skipped_reason = models.CharField(max_length=200, blank=True)
    expected_response_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        indexes = [  # the sweep reads only unsent acknowledgements, oldest first
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True) & ~models.Q(via="none"),
                name="ack_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"Acknowledgement of {self.ticket_id}"

    @property
    def message_id(self) -> str:
        """Stable across retries, so a resend is recognisable as the same mail."""
        return f"<ack-{self.pk}.{self.ticket_id}@{self.tenant.slug}.{settings.BASE_DOMAIN}>"


# --- intake channels: live chat and social messaging ------------------------------------------


def validate_web_origin(value: str) -> None:
    """Accept a website origin such as https://www.acme.com (scheme, host, optional port)."""
    # Imported here: this section is appended to the module and leaves its header alone.
    from urllib.parse import urlsplit

    from django.core.exceptions import ValidationError

    parts = urlsplit(value.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ValidationError(
            _("“%(origin)s” is not a website origin like https://www.example.com."),
            params={"origin": value},
        )


def normalized_origin(origin: str) -> str:
    """An origin as browsers send it: lower case, no trailing slash, no default port."""
    origin = origin.strip().lower().rstrip("/")
    for scheme, port in (("http://", ":80"), ("https://", ":443")):
        if origin.startswith(scheme) and origin.endswith(port):
            return origin.removesuffix(port)
    return origin


class ChatWidget(TenantOwned):
    """The desk's live-chat widget: whether it answers, on which websites, and what it says."""

    is_enabled = models.BooleanField(_("enabled"), default=True)
    allowed_origins = ArrayField(
        models.CharField(max_length=200, validators=[validate_web_origin]),
        verbose_name=_("allowed websites"),
        default=list,
        blank=True,
        help_text=_(
            "Origins of the websites that may show the chat, comma-separated, e.g. "
            "https://www.acme.com. Empty: any website."
        ),
    )
    greeting = models.TextField(
        _("greeting"), blank=True, help_text=_("Shown when a visitor opens the chat.")
    )
    offline_message = models.TextField(
        _("offline message"),
        blank=True,
        help_text=_(
            "Shown when no agent is online; {ticket} becomes the ticket number. "
            "Empty: a standard text."
        ),
    )

    class Meta:
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_chat_widget")]

    def __str__(self) -> str:
        return str(_("Chat widget"))

    def clean(self) -> None:
        # Stored as browsers send them, so checking an Origin header is a plain comparison.
        self.allowed_origins = [
            normalized_origin(origin) for origin in self.allowed_origins if origin.strip()
        ]

    def allows_origin(self, origin: str) -> bool:
        """Whether a page of `origin` may open the chat (no list: every website may)."""
        if not self.allowed_origins:
            return True
        return normalized_origin(origin) in {normalized_origin(o) for o in self.allowed_origins}

    @property
    def greeting_text(self) -> str:
        return self.greeting or str(_("Hello! How can we help you today?"))

    def offline_text(self, reference: str) -> str:
        """What a visitor reads when no agent is online to take their chat."""
        if self.offline_message:
            return self.offline_message.replace("{ticket}", reference)
        return str(
            _(
                "No agent is available right now; we have logged your request as %(ticket)s "
                "and will answer by email."
            )
            % {"ticket": reference}
        )


def new_channel_secret() -> str:
    """A fresh secret for signing a social channel's webhook calls."""
    import secrets

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
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="social_identities",
    )

    class Meta:
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
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="social_threads")

    class Meta:
        verbose_name = _("social thread")
        verbose_name_plural = _("social threads")
        constraints = [
            models.UniqueConstraint(fields=["channel", "thread_id"], name="social_thread_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.thread_id}"


# --- routing rules ------------------------------------------------------------------------------


class RoutingRule(TenantOwned):
    """One of a desk's ordered routing rules: when its conditions match, its actions apply."""

    class Trigger(models.TextChoices):
        CREATE = "create", _("When a ticket is created")
        UPDATE = "update", _("When a ticket is updated")
        BOTH = "both", _("When a ticket is created or updated")

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Rules run from the lowest number to the highest.")
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    trigger = models.CharField(_("runs"), max_length=10, choices=Trigger, default=Trigger.CREATE)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    description = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="routing_rule_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


# --- time-based automations, macros and the priority matrix ------------------------------------


class Automation(TenantOwned):
    """A time-based rule: tickets that meet its conditions long enough get its actions, once."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Automations run in this order, lowest first.")
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    conditions = models.JSONField(_("conditions"))
    actions = models.JSONField(_("actions"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="automation_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class AutomationRun(TenantOwned):
    """One automation having fired on one ticket: unique, so it fires once per ticket."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="automation_runs")
    fired_at = models.DateTimeField(default=timezone.now, editable=False)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("automation run")
        verbose_name_plural = _("automation runs")
        constraints = [
            models.UniqueConstraint(fields=["automation", "ticket"], name="automation_run_once"),
        ]

    def __str__(self) -> str:
        return f"{self.automation_id} on {self.ticket_id}"


class Macro(TenantOwned):
    """A canned response: reply text with placeholders, and field changes applied with it."""

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        help_text=_("Empty: shared with every agent of the desk; set: that agent's own macro."),
    )
    body = models.TextField(_("reply text"), blank=True)
    set_status = models.CharField(
        _("then set status"), max_length=10, choices=Ticket.Status, blank=True
    )
    set_priority = models.CharField(
        _("set priority"), max_length=10, choices=Ticket.Priority, blank=True
    )
    set_team = models.ForeignKey(
        Team,
        verbose_name=_("move to team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    add_tags = ArrayField(
        models.CharField(max_length=50), verbose_name=_("add tags"), default=list, blank=True
    )
    remove_tags = ArrayField(
        models.CharField(max_length=50), verbose_name=_("remove tags"), default=list, blank=True
    )
    assign_to_me = models.BooleanField(_("assign to the agent applying it"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "owner", "name"], nulls_distinct=False, name="macro_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    def clean(self) -> None:
        from tickets.macros import macro_check  # the placeholder language lives with macros

        macro_check(self)


def default_priority_cells() -> dict[str, dict[str, str]]:
    """ITIL's impact by urgency table: impact first, then urgency."""
    return {
        "high": {"high": "critical", "medium": "high", "low": "medium"},
        "medium": {"high": "high", "medium": "medium", "low": "low"},
        "low": {"high": "medium", "medium": "low", "low": "low"},
    }


def default_raise_tiers() -> list[str]:
    return [Organization.Tier.ENTERPRISE]


class PriorityMatrix(TenantOwned):
    """The desk's impact by urgency → priority table, and how customer tiers raise the result."""

    cells = models.JSONField(_("impact by urgency"), default=default_priority_cells)
    raise_tiers = ArrayField(
        models.CharField(max_length=12, choices=Organization.Tier),
        verbose_name=_("tiers raised one step"),
        default=default_raise_tiers,
        blank=True,
        help_text=_(
            "Tickets of these customer tiers get one priority higher than the table says, "
            "e.g. enterprise: high impact with medium urgency becomes critical."
        ),
    )
    enterprise_minimum = models.CharField(
        _("enterprise at least"), max_length=10, choices=Ticket.Priority, blank=True
    )
    premium_minimum = models.CharField(
        _("premium at least"), max_length=10, choices=Ticket.Priority, blank=True
    )
    standard_minimum = models.CharField(
        _("standard at least"), max_length=10, choices=Ticket.Priority, blank=True
    )

    class Meta:
        verbose_name = _("priority matrix")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_priority_matrix")]

    def __str__(self) -> str:
        return str(_("Priority matrix"))

    def clean(self) -> None:
        from tickets.priority import cells_check

        cells_check(self.cells)


# --- assignment: agents' availability, capacity, skills and languages -------------------------


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
