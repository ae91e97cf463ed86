from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Inbound email adapters, outgoing webhooks, chat and CRM connectors."""

    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from integrations.email import webhooks  # noqa: F401  (connects anymail's inbound signal)
