"""What runs on tickets by itself: routing rules, time-based automations, macros and the
priority matrix."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import TenantOwned
from rules.actions import MAX_TAG_LENGTH
from rules.placeholders import placeholders_check
from rules.vocabulary import Level, Priority
from tickets.models.desk import Team
from tickets.models.people import Organization
from tickets.models.tickets import Ticket


class RoutingRule(TenantOwned):
    """One of a desk's ordered routing rules: when its conditions match, its actions apply."""

    class Trigger(models.TextChoices):
        CREATE = "create", _("When a ticket is created")
        UPDATE = "update", _("When a ticket is updated")
        BOTH = "both", _("When a ticket is created or updated")

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Rules run from the lowest number to the highest.")
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    trigger = models.CharField(_("runs"), max_length=10, choices=Trigger, default=Trigger.CREATE)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    description = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="routing_rule_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Automation(TenantOwned):
    """A time-based rule: tickets that meet its conditions long enough get its actions, once."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Automations run in this order, lowest first.")
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    conditions = models.JSONField(_("conditions"))
    actions = models.JSONField(_("actions"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="automation_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class AutomationRun(TenantOwned):
    """One automation having fired on one ticket: unique, so it fires once per ticket."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="automation_runs")
    fired_at = models.DateTimeField(default=timezone.now, editable=False)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("automation run")
        verbose_name_plural = _("automation runs")
        constraints = [
            models.UniqueConstraint(fields=["automation", "ticket"], name="automation_run_once"),
        ]

    def __str__(self) -> str:
        return f"{self.automation_id} on {self.ticket_id}"


class Macro(TenantOwned):
    """A canned response: reply text with placeholders, and field changes applied with it."""

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        help_text=_("Empty: shared with every agent of the desk; set: that agent's own macro."),
    )
    body = models.TextField(_("reply text"), blank=True)
    set_status = models.CharField(
        _("then set status"), max_length=10, choices=Ticket.Status, blank=True
    )
    set_priority = models.CharField(
        _("set priority"), max_length=10, choices=Ticket.Priority, blank=True
    )
    set_team = models.ForeignKey(
        Team,
        verbose_name=_("move to team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    add_tags = ArrayField(
        models.CharField(max_length=50), verbose_name=_("add tags"), default=list, blank=True
    )
    remove_tags = ArrayField(
        models.CharField(max_length=50), verbose_name=_("remove tags"), default=list, blank=True
    )
    assign_to_me = models.BooleanField(_("assign to the agent applying it"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "owner", "name"], nulls_distinct=False, name="macro_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    def clean(self) -> None:
        """Refuse a macro with unknown placeholders, bad tags, or that would do nothing."""
        errors: dict[str, list[str]] = {}
        if problems := placeholders_check(self.body):
            errors["body"] = problems
        for name in ("add_tags", "remove_tags"):
            bad = [
                tag
                for tag in getattr(self, name)
                if not tag.strip()
                or len(tag) > MAX_TAG_LENGTH
                or any(c.isspace() for c in tag.strip())
            ]
            if bad:
                errors[name] = [gettext_now("a tag is one word: %s") % ", ".join(bad)]
        changes = (self.set_status, self.set_priority, self.set_team_id, self.assign_to_me)
        if not (self.body.strip() or any(changes) or self.add_tags or self.remove_tags):
            errors.setdefault("body", []).append(
                gettext_now("A macro needs reply text or at least one change.")
            )
        if errors:
            raise ValidationError(errors)


def priority_cells_check(cells: Any) -> None:
    """Refuse a table that misses a cell or names an unknown priority, naming each cell."""
    problems = []
    if not isinstance(cells, dict):
        raise ValidationError({"cells": gettext_now("The table is an object of impact rows.")})
    for impact in Level.values:
        row = cells.get(impact)
        for urgency in Level.values:
            value = row.get(urgency) if isinstance(row, dict) else None
            if value not in Priority.values:
                problems.append(
                    gettext_now("impact %(impact)s, urgency %(urgency)s: choose one of %(choices)s")
                    % {"impact": impact, "urgency": urgency, "choices": ", ".join(Priority.values)}
                )
    unknown = set(cells) - set(Level.values)
    if unknown:
        problems.append(gettext_now("unknown impact rows: %s") % ", ".join(sorted(unknown)))
    if problems:
        raise ValidationError({"cells": problems})


def default_priority_cells() -> dict[str, dict[str, str]]:
    """ITIL's impact by urgency table: impact first, then urgency."""
    return {
        "high": {"high": "critical", "medium": "high", "low": "medium"},
        "medium": {"high": "high", "medium": "medium", "low": "low"},
        "low": {"high": "medium", "medium": "low", "low": "low"},
    }


def default_raise_tiers() -> list[str]:
    return [Organization.Tier.ENTERPRISE]


class PriorityMatrix(TenantOwned):
    """The desk's impact by urgency → priority table, and how customer tiers raise the result."""

    cells = models.JSONField(_("impact by urgency"), default=default_priority_cells)
    raise_tiers = ArrayField(
        models.CharField(max_length=12, choices=Organization.Tier),
        verbose_name=_("tiers raised one step"),
        default=default_raise_tiers,
        blank=True,
        help_text=_(
            "Tickets of these customer tiers get one priority higher than the table says, "
            "e.g. enterprise: high impact with medium urgency becomes critical."
        ),
    )
    enterprise_minimum = models.CharField(
        _("enterprise at least"), max_length=10, choices=Ticket.Priority, blank=True
    )
    premium_minimum = models.CharField(
        _("premium at least"), max_length=10, choices=Ticket.Priority, blank=True
    )
    standard_minimum = models.CharField(
        _("standard at least"), max_length=10, choices=Ticket.Priority, blank=True
    )

    class Meta:
        verbose_name = _("priority matrix")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_priority_matrix")]

    def __str__(self) -> str:
        return str(_("Priority matrix"))

    def clean(self) -> None:
        priority_cells_check(self.cells)
