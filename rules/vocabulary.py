"""The words tickets are described in: statuses, priorities, channels, levels, customer tiers.

Defined below every app, so that the rule language, the SLA engine and the integrations speak
of tickets without importing the tickets app. `tickets.models.Ticket.Status` and the other
choices of the tickets' models are these very classes.
"""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Status(TextChoices):
    """Where a ticket is in its lifecycle."""

    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


class Priority(TextChoices):
    """How urgent a ticket is, lowest first."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Channel(TextChoices):
    """How a ticket or a message arrived."""

    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Portal")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    SOCIAL = "social", _("Social")


class Level(TextChoices):
    """An impact or an urgency, the two halves of the priority matrix."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Tier(TextChoices):
    """A customer organisation's contract tier."""

    ENTERPRISE = "enterprise", _("Enterprise")
    PREMIUM = "premium", _("Premium")
    STANDARD = "standard", _("Standard")


# The statuses in which a ticket still needs work (queues, capacity, SLA clocks).
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
# Solved and closed end a ticket's clocks.
DONE_STATUSES = (Status.SOLVED, Status.CLOSED)
