from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """How tickets come in from outside: inbound mail, the JSON API, website chat, social."""

    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from integrations.email import webhooks  # noqa: F401  (connects anymail's inbound signal)
        from integrations.social.selectors import contact_social_identities
        from tickets.selectors import identity_source_add

        identity_source_add(contact_social_identities)  # handles on the contact profile
