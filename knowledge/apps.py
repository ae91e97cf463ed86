from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """Articles, categories, search and deflection."""

    name = "knowledge"
    verbose_name = _("Knowledge base")
