"""Admin of time-based automations, for tenant admins."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from helpdesk.admin import TenantModelAdmin
from rules import AUTOMATION_ACTIONS, ELAPSED_FIELDS
from rules.builder import RuleActionsField, RuleBuilderFormMixin, RuleConditionsField
from rules.placeholders import placeholder_help
from tickets import automations
from tickets.models import Automation

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


class AutomationForm(RuleBuilderFormMixin, forms.ModelForm):
    """Conditions and actions are checked against this desk; each problem is shown on its row."""

    conditions = RuleConditionsField(label=_("conditions"))
    actions = RuleActionsField(label=_("actions"), allowed=AUTOMATION_ACTIONS)

    class Meta:
        model = Automation
        fields = ["name", "position", "is_enabled", "conditions", "actions"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["conditions"].help_text = CONDITIONS_HELP
        self.fields["actions"].help_text = ACTIONS_HELP % {
            "actions": ", ".join(AUTOMATION_ACTIONS),
            "placeholders": placeholder_help(),
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
