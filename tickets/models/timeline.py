"""The event log of a ticket: everything that happened to it, by whom, from where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import TenantOwned
from tickets.models.people import Contact
from tickets.models.tickets import Ticket


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
        NOT_NOTIFIED = "not_notified", _("Requester could not be notified")
        FOLLOW_UP = "follow_up", _("Follow-up created")
        MERGED = "merged", _("Merged")
        UNMERGED = "unmerged", _("Merge undone")
        SPAM = "spam", _("Marked as spam")
        MENTIONED = "mentioned", _("Agent mentioned")
        SLA_WARNED = "sla_warned", _("SLA warning")
        SLA_REPLANNED = "sla_replanned", _("SLA due times changed")
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
