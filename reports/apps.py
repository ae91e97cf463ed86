from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Metrics, rollups, dashboards, exports and CSAT/NPS results."""

    name = "reports"
    verbose_name = _("Reports")
