from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Business-hours calendars, SLA policies and the clocks that run against tickets."""

    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from helpdesk.models import Tenant
        from sla.models import (
            BusinessCalendar,
            Holiday,
            SlaPauseRule,
            SlaPolicy,
            SlaTarget,
            SlaWarning,
            WorkingHours,
        )
        from sla.selectors import sla_config_rows_changed

        # Each process keeps a desk's compiled SLA set-up until one of its rows changes.
        models = (BusinessCalendar, WorkingHours, Holiday, SlaPolicy, SlaTarget, SlaPauseRule)
        for model in (*models, SlaWarning, Tenant):
            post_save.connect(sla_config_rows_changed, sender=model, dispatch_uid=f"sla-{model}")
            post_delete.connect(
                sla_config_rows_changed, sender=model, dispatch_uid=f"sla-del-{model}"
            )

        # A desk an operator opens starts with office hours and the standard policies.
        from helpdesk.signals import tenant_opened
        from sla import receivers

        tenant_opened.connect(receivers.tenant_opened, dispatch_uid="sla-tenant-opened")
