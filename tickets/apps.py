import functools
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    """Tickets, requesters, teams, intake channels and the agent workspace."""

    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from helpdesk.models import Membership
        from sla.signals import sla_recorded, sla_replanned
        from tickets import receivers
        from tickets.models import Category, DeskSettings, Product, Team, TeamMember
        from tickets.routing import rules_depend_on_changed
        from tickets.selectors import desk_directory_rows_changed

        # Compiled routing rules hold these ids and names; a change must reach every process.
        for model in (Team, Category, Membership, DeskSettings):
            post_save.connect(
                rules_depend_on_changed, sender=model, dispatch_uid=f"routing-{model}"
            )
            post_delete.connect(
                rules_depend_on_changed, sender=model, dispatch_uid=f"routing-del-{model}"
            )

        # Each process keeps the desk directory (queue pickers, team links, private teams)
        # until one of its rows changes.
        for model in (Team, TeamMember, Category, Product, Membership):
            post_save.connect(
                desk_directory_rows_changed, sender=model, dispatch_uid=f"directory-{model}"
            )
            post_delete.connect(
                desk_directory_rows_changed, sender=model, dispatch_uid=f"directory-del-{model}"
            )
        m2m_changed.connect(
            desk_directory_rows_changed, sender=TeamMember, dispatch_uid="directory-m2m-members"
        )

        # The SLA engine's warnings and breaches go on the tickets' log, pages and mail; so
        # do clocks re-planned after a calendar or policy edit, which needs tickets' statuses.
        sla_recorded.connect(receivers.sla_recorded, dispatch_uid="tickets-sla-recorded")
        # A desk an operator opens starts with its fallback team.
        from helpdesk.signals import tenant_opened

        tenant_opened.connect(receivers.tenant_opened, dispatch_uid="tickets-tenant-opened")
        sla_replanned.connect(receivers.sla_replanned, dispatch_uid="tickets-sla-replanned")
        from sla import replanning
        from tickets.selectors import ticket_statuses

        replanning.ticket_statuses = ticket_statuses

        # The rule builder lists the desk's own teams, categories, agents ... by name.
        from rules import builder
        from tickets.rule_choices import SOURCES

        builder.VALUE_SOURCES.update(SOURCES)

        # Each process keeps a desk's response targets and priority matrix until they change.
        from tickets.models import PriorityMatrix, ResponseTarget
        from tickets.priority import PRIORITY_MATRIX
        from tickets.services.intake import RESPONSE_TARGETS

        for model, memo in ((ResponseTarget, RESPONSE_TARGETS), (PriorityMatrix, PRIORITY_MATRIX)):
            changed = functools.partial(_memo_rows_changed, memo)
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"memo-{model}")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"memo-d-{model}")


def _memo_rows_changed(memo: Any, sender: type, instance: Any, **kwargs: Any) -> None:
    """Receiver: a row `memo` holds was saved or deleted; every process reloads the desk's."""
    memo.changed(instance.tenant_id)
