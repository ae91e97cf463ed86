from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Business-hours calendars, SLA policies and the clocks that run against tickets."""

    name = "sla"
    verbose_name = _("Service levels")
