from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    """Tickets, requesters, teams, intake channels and the agent workspace."""

    name = "tickets"
    verbose_name = _("Tickets")
