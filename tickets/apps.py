from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    """Tickets, requesters, teams, intake channels and the agent workspace."""

    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from helpdesk.models import Membership
        from tickets.models import Category, Team
        from tickets.routing import rules_depend_on_changed

        # Compiled routing rules hold these ids and names; a change must reach every process.
        for model in (Team, Category, Membership):
            post_save.connect(
                rules_depend_on_changed, sender=model, dispatch_uid=f"routing-{model}"
            )
            post_delete.connect(
                rules_depend_on_changed, sender=model, dispatch_uid=f"routing-del-{model}"
            )
