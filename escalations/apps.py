from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationsConfig(AppConfig):
    """The escalation matrix, escalation events, major incidents and announcements."""

    name = "escalations"
    verbose_name = _("Escalations")
