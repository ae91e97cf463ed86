"""Tickets, numbered per tenant, and their thread: messages, attachments, the acknowledgement."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import TenantOwned
from rules.vocabulary import OPEN_STATUSES, Channel, Level, Priority, Status
from tickets.models.desk import Category, Product, Team
from tickets.models.people import Contact


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
    """One request for help, from any channel, numbered per tenant (ACME-1042).

    Its subject is searchable in its language through the `search_vector` column, which the
    database keeps from `subject` and `language` (migration 0019) and no model field shows.
    """

    Status = Status
    Priority = Priority
    Channel = Channel
    Level = Level
    OPEN_STATUSES = OPEN_STATUSES
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

    @property
    def best_language(self) -> str:
        """The language its requester is written to in, on every channel: the ticket's own
        (what it was written in, or what a routing rule set), if the desk speaks it; else the
        requester's, else the desk's."""
        if self.language:
            try:
                return get_supported_language_variant(self.language)
            except LookupError:
                pass
        return self.requester.best_language

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

    class Delivery(models.TextChoices):
        """How a public message from the desk reached its requester, as it actually went out."""

        EMAIL = "email", _("sent by email")
        CHAT = "chat", _("sent in chat")
        PORTAL = "portal", _("shown in portal")
        NONE = "none", _("not sent")

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
    # The ticket's language when the message was written: its words are stemmed for search by
    # that language's rules (the `search_vector` column, kept by the database from this and
    # `body_text`: migration 0019; read by tickets/search/selectors.py only).
    language = models.CharField(_("language"), max_length=10, blank=True, default="", db_default="")
    body_text = models.TextField(_("text as received"), blank=True)
    body_html_raw = models.TextField(_("HTML as received"), blank=True)
    body_html = models.TextField(_("HTML shown"), blank=True)
    remote_images_allowed = models.BooleanField(
        _("remote images loaded"),
        default=False,
        db_default=False,
        help_text=_("An agent chose to show this message's pictures from other sites."),
    )
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by the delivery code for the desk's public messages; blank while on its way, and
    # for notes and requesters' own messages (their `channel` says how they came in).
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery, blank=True, default="", db_default=""
    )
    # To whom it went (an email address), or why it was not sent.
    delivery_note = models.CharField(
        _("delivery note"), max_length=300, blank=True, default="", db_default=""
    )

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

    # Pictures shown in the page; every other type, SVG included (it can carry scripts and
    # fetch remote content), downloads as a file.
    PICTURE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

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

    @property
    def is_picture(self) -> bool:
        """Whether pages show this file as a picture rather than offer it as a download."""
        return self.content_type.lower() in self.PICTURE_TYPES


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
    # Given up on: tried ACK_MAX_ATTEMPTS times, or the recipient cannot be encoded at all.
    failed_at = models.DateTimeField(_("could not be sent at"), null=True, blank=True)
    failure = models.CharField(  # a database default too: bulk inserts need not name it
        _("why it could not be sent"), max_length=500, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        indexes = [  # the sweep reads only unsent acknowledgements, oldest first
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True, failed_at__isnull=True)
                & ~models.Q(via="none"),
                name="ack_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Acknowledgement of {self.ticket_id}"

    @property
    def message_id(self) -> str:
        """Stable across retries, so a resend is recognisable as the same mail."""
        return f"<ack-{self.pk}.{self.ticket_id}@{self.tenant.slug}.{settings.BASE_DOMAIN}>"
