"""Admin of time-based automations, shared macros and the priority matrix, for tenant admins."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from helpdesk.admin import TenantModelAdmin
from rules import AUTOMATION_ACTIONS, ELAPSED_FIELDS
from tickets import automations, macros, priority
from tickets.models import Automation, Macro, PriorityMatrix, Ticket

CONDITIONS_HELP = _(
    "JSON in the rule language, with at least one elapsed-time condition (%(fields)s) using "
    '"gt" at the top level. Pending for 5 days: {"all": [{"field": "status", "op": "is", '
    '"value": "pending"}, {"field": "hours_since_status_changed", "op": "gt", "value": 120}]}. '
    'Unassigned high priority for 30 minutes: {"all": [{"field": "priority", "op": "in", '
    '"value": ["high", "critical"]}, {"field": "assignee", "op": "is_empty"}, '
    '{"field": "hours_since_created", "op": "gt", "value": 0.5}]}'
) % {"fields": ", ".join(ELAPSED_FIELDS)}
ACTIONS_HELP = _(
    "A JSON list of actions (%(actions)s). Remind the requester, then close later with a "
    'second automation: [{"action": "notify_requester", "value": "Hello {requester_name}, we '
    'are waiting for your answer on {ticket_reference}."}] and [{"action": "add_note", '
    '"value": "Closed after 7 days without answer."}, {"action": "set_status", "value": '
    '"closed"}]. Placeholders in messages: %(placeholders)s'
)


class AutomationForm(forms.ModelForm):
    """Conditions and actions are checked against this desk; each problem is named by path."""

    class Meta:
        model = Automation
        fields = ["name", "position", "is_enabled", "conditions", "actions"]
        widgets = {
            "conditions": forms.Textarea(attrs={"rows": 8, "cols": 90}),
            "actions": forms.Textarea(attrs={"rows": 6, "cols": 90}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["conditions"].help_text = CONDITIONS_HELP
        self.fields["actions"].help_text = ACTIONS_HELP % {
            "actions": ", ".join(AUTOMATION_ACTIONS),
            "placeholders": macros.placeholder_help(),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "conditions" in data and "actions" in data:
            try:
                automations.automation_check(
                    conditions=data["conditions"],
                    actions=data["actions"],
                    known=automations.known_ids(),
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return data


@admin.register(Automation)
class AutomationAdmin(TenantModelAdmin):
    """Time-based automations, run in position order by the periodic sweep."""

    form = AutomationForm
    list_display = ["name", "position", "is_enabled", "runs"]
    list_editable = ["position", "is_enabled"]
    list_filter = ["is_enabled"]
    search_fields = ["name"]

    @admin.display(description=_("fired on tickets"))
    def runs(self, automation: Automation) -> int:
        return automation.runs.count()

    def save_model(self, request: HttpRequest, obj: Automation, form: Any, change: bool) -> None:
        automations.automation_save(automation=obj)


MACRO_FIELDS = [
    "name", "body", "set_status", "set_priority", "set_team", "add_tags", "remove_tags",
    "assign_to_me",
]  # fmt: skip


class MacroAdminForm(forms.ModelForm):
    class Meta:
        model = Macro
        # The team choice is built per request (admin `fields`): teams are the tenant's.
        fields = [name for name in MACRO_FIELDS if name != "set_team"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _(
            "Sent as a public reply. Placeholders: %(placeholders)s. Example: Hello "
            "{requester_first_name}, your request {ticket_reference} is solved. {agent_name}"
        ) % {"placeholders": macros.placeholder_help()}
        self.fields["add_tags"].help_text = _("Comma-separated, e.g. billing,refund.")
        self.fields["remove_tags"].help_text = _("Comma-separated.")


@admin.register(Macro)
class MacroAdmin(TenantModelAdmin):
    """The desk's shared macros; agents keep their own on the workspace's macro page."""

    form = MacroAdminForm
    fields = MACRO_FIELDS
    list_display = ["name", "set_status", "set_priority", "set_team", "assign_to_me"]
    search_fields = ["name", "body"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(owner=None)

    def save_model(self, request: HttpRequest, obj: Macro, form: Any, change: bool) -> None:
        macros.macro_save(macro=obj, owner=None)


LEVEL_LABELS = dict(Ticket.Level.choices)


CELLS = [
    (impact, urgency)
    for impact in reversed(priority.LEVELS)
    for urgency in reversed(priority.LEVELS)
]


def _cell_field(impact: str, urgency: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Impact %(impact)s, urgency %(urgency)s")
        % {"impact": LEVEL_LABELS[impact], "urgency": LEVEL_LABELS[urgency]},
        choices=Ticket.Priority.choices,
    )


class PriorityMatrixForm(forms.ModelForm):
    """The table as nine choices, one per impact and urgency."""

    cell_high_high = _cell_field("high", "high")
    cell_high_medium = _cell_field("high", "medium")
    cell_high_low = _cell_field("high", "low")
    cell_medium_high = _cell_field("medium", "high")
    cell_medium_medium = _cell_field("medium", "medium")
    cell_medium_low = _cell_field("medium", "low")
    cell_low_high = _cell_field("low", "high")
    cell_low_medium = _cell_field("low", "medium")
    cell_low_low = _cell_field("low", "low")

    class Meta:
        model = PriorityMatrix
        fields = [
            "raise_tiers", "enterprise_minimum", "premium_minimum", "standard_minimum",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for impact, urgency in CELLS:
            self.fields[f"cell_{impact}_{urgency}"].initial = self.instance.cells.get(
                impact, {}
            ).get(urgency)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.instance.cells = {
            impact: {urgency: data.get(f"cell_{impact}_{urgency}") for urgency in priority.LEVELS}
            for impact in priority.LEVELS
        }
        return data


@admin.register(PriorityMatrix)
class PriorityMatrixAdmin(TenantModelAdmin):
    """Impact × urgency → priority for new tickets, raised for chosen customer tiers."""  # noqa: RUF002

    form = PriorityMatrixForm
    list_display = ["__str__", "table"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request) and not PriorityMatrix.objects.exists()

    fields = [
        *(f"cell_{impact}_{urgency}" for impact, urgency in CELLS),
        "raise_tiers", "enterprise_minimum", "premium_minimum", "standard_minimum",
    ]  # fmt: skip

    @admin.display(description=_("table"))
    def table(self, matrix: PriorityMatrix) -> str:
        return format_html("<code>{}</code>", json.dumps(matrix.cells))

    def save_model(
        self, request: HttpRequest, obj: PriorityMatrix, form: Any, change: bool
    ) -> None:
        priority.priority_matrix_save(matrix=obj)
