from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    """Platform: tenancy, accounts, the shared UI shell, ASGI and Celery wiring."""

    default = True
    name = "helpdesk"
    verbose_name = _("Help desk")

    def ready(self) -> None:
        from helpdesk import checks  # noqa: F401  (registers the database role check)


class HelpdeskAdminConfig(admin_apps.AdminConfig):
    """Django admin, scoped to the tenant of the host it is opened on."""

    default = False
    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
