from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """How tickets come in from outside: inbound mail, the JSON API, website chat, social."""

    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from integrations.email import webhooks  # noqa: F401  (connects anymail's inbound signal)
