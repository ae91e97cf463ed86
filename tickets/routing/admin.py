"""Admin pages of routing rules: write, order, switch on and off, and try them on a ticket."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from helpdesk.admin import TenantModelAdmin
from rules import FIELDS, RuleError, operators_for
from rules.builder import RuleActionsField, RuleBuilderFormMixin, RuleConditionsField
from tickets import routing
from tickets.category_field import CategoryChoiceField
from tickets.models import (
    Category,
    Contact,
    DeskSettings,
    Organization,
    Product,
    RoutingRule,
    Ticket,
)

CONDITIONS_EXAMPLE = """{"all": [
  {"field": "subject", "op": "contains", "value": "invoice"},
  {"any": [
    {"field": "region", "op": "is", "value": "EU"},
    {"field": "requester_domain", "op": "ends_with", "value": ".de"}
  ]}
]}"""
ACTIONS_EXAMPLE = """[{"action": "set_team", "value": 3},
 {"action": "set_priority", "value": "high"},
 {"action": "add_tags", "value": ["invoice", "eu"]},
 {"action": "assign", "value": {"strategy": "round_robin"}},
 {"action": "stop"}]"""


def _conditions_help() -> str:
    fields = format_html_join(
        "",
        "<li><code>{}</code> ({}): {} <small>{}</small></li>",
        (
            (
                spec.name,
                ", ".join(spec.choices) if spec.choices else spec.kind,
                spec.help,
                ", ".join(operators_for(spec)),
            )
            for spec in FIELDS.values()
        ),
    )
    return format_html(
        "{}<pre>{}</pre>{}<ul>{}</ul>",
        _(
            "Empty: the rule applies to every ticket. Otherwise a condition "
            '{"field": …, "op": …, "value": …} or a group {"all": […]} / {"any": […]}, '
            "groups inside groups allowed. Text is compared ignoring case; "
            '"matches" takes a regular expression. Example:'
        ),
        CONDITIONS_EXAMPLE,
        _("Fields (what they hold: description; operators):"),
        fields,
    )


def _actions_help() -> str:
    return format_html(
        "{}<pre>{}</pre>{}",
        _(
            "A list of actions, applied in order: set_team, set_category (ids, see the team and "
            "category lists), set_department, set_priority (low, medium, high, critical), "
            "set_language (en, de), add_tags, remove_tags, mark_vip (true), assign "
            '({"agent": user id} or {"strategy": round_robin, least_open, skills, manual}; a '
            "strategy only assigns tickets nobody owns yet), stop (later rules are skipped). "
            "Example:"
        ),
        ACTIONS_EXAMPLE,
        _("Later rules see what earlier rules changed."),
    )


class RoutingRuleForm(RuleBuilderFormMixin, forms.ModelForm):
    """A rule with its conditions and actions checked, each problem shown on its row."""

    conditions = RuleConditionsField(label=_("conditions"), required=False)
    actions = RuleActionsField(label=_("actions"))

    class Meta:
        model = RoutingRule
        fields = ["name", "position", "is_enabled", "trigger", "conditions", "actions"]
        fields += ["description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["conditions"].help_text = _conditions_help()
        self.fields["actions"].help_text = _actions_help()

    def clean_conditions(self) -> Any:
        return self.cleaned_data["conditions"] or {}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "conditions" not in data or "actions" not in data:
            return data  # not JSON: that error is already shown
        trial = RoutingRule(conditions=data["conditions"], actions=data["actions"])
        try:
            routing.rule_compile(trial, routing.known_ids())
        except RuleError as error:
            for where, problem in error.problems:
                field = "conditions" if where.startswith("conditions") else "actions"
                self.add_error(field, f"{where}: {problem}")
        return data


@admin.register(DeskSettings)
class DeskSettingsAdmin(TenantModelAdmin):
    """The desk's one settings row: which team catches what no routing rule routes."""

    list_display = ["__str__", "fallback_team"]
    fields = ["fallback_team"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request) and not DeskSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # without settings, new tickets would land on no team

    def save_model(self, request: HttpRequest, obj: DeskSettings, form: Any, change: bool) -> None:
        saved = routing.desk_settings_save(fallback_team=obj.fallback_team)
        obj.pk, obj.tenant_id = saved.pk, saved.tenant_id
        obj._state.adding = False


@admin.register(RoutingRule)
class RoutingRuleAdmin(TenantModelAdmin):
    """The desk's routing rules, in the order they run; "Test the rules" tries them out."""

    form = RoutingRuleForm
    list_display = ["position", "name", "trigger", "is_enabled", "updated_at"]
    list_display_links = ["name"]
    list_editable = ["position", "is_enabled"]
    list_filter = ["is_enabled", "trigger"]
    search_fields = ["name"]
    ordering = ["position", "pk"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        last = RoutingRule.objects.aggregate(last=Max("position"))["last"]
        return {"position": (last or 0) + 10, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        routing.routing_rule_save(rule=obj)

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        routing.routing_rule_delete(rule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for rule in queryset:
            routing.routing_rule_delete(rule=rule)

    def get_urls(self) -> list[Any]:
        tester = self.admin_site.admin_view(self.rules_test)
        return [path("test/", tester, name="tickets_routingrule_test"), *super().get_urls()]

    def rules_test(self, request: HttpRequest) -> HttpResponse:
        """Which rules would fire on a sample or a stored ticket; nothing is written."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = RulesTestForm(request.GET or None)
        result, problem = None, ""
        if form.is_valid():
            ticket = form.ticket()
            if ticket is None:
                problem = _("There is no ticket with this number in this help desk.")
            else:
                inside = {"inside": True, "outside": False}.get(form.cleaned_data["hours"])
                result = routing.rule_set_try(
                    ticket=ticket,
                    text=form.cleaned_data["body"],
                    inside=inside,
                    trigger=form.cleaned_data["trigger"],
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Test the routing rules"),
            "form": form,
            "result": result,
            "problem": problem,
        }
        return TemplateResponse(request, "admin/tickets/routingrule/test.html", context)


class RulesTestForm(forms.Form):
    """A ticket to try the rules on: an existing one by number, or a sample typed in."""

    number = forms.IntegerField(
        label=_("existing ticket number"),
        required=False,
        min_value=1,
        help_text=_("Given: the rules are tried on that ticket as it is now."),
    )
    trigger = forms.ChoiceField(
        label=_("as if the ticket were"),
        choices=[("create", _("created")), ("update", _("updated"))],
        initial="create",
    )
    subject = forms.CharField(label=_("subject"), required=False, max_length=250)
    body = forms.CharField(label=_("text"), required=False, widget=forms.Textarea({"rows": 4}))
    channel = forms.ChoiceField(label=_("channel"), choices=Ticket.Channel.choices, initial="email")
    requester_email = forms.EmailField(label=_("requester's email"), required=False)
    organization = forms.ModelChoiceField(label=_("organisation"), queryset=None, required=False)
    priority = forms.ChoiceField(
        label=_("priority"), choices=Ticket.Priority.choices, initial="medium"
    )
    category = CategoryChoiceField(label=_("category"), queryset=None, required=False)
    product = forms.ModelChoiceField(label=_("product line"), queryset=None, required=False)
    language = forms.CharField(label=_("language"), required=False, max_length=10)
    region = forms.CharField(label=_("region"), required=False, max_length=40)
    tags = forms.CharField(label=_("tags"), required=False, help_text=_("Comma-separated."))
    hours = forms.ChoiceField(
        label=_("received"),
        required=False,
        choices=[
            ("", _("as the business hours say")),
            ("inside", _("inside business hours")),
            ("outside", _("outside business hours")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.all()
        self.fields["category"].queryset = Category.objects.select_related("parent__parent")
        self.fields["product"].queryset = Product.objects.all()

    def ticket(self) -> Ticket | None:
        """The stored ticket asked for (None: not in this desk), or an unsaved sample."""
        data = self.cleaned_data
        if data["number"]:
            return (
                Ticket.objects.select_related("requester__organization", "product")
                .filter(number=data["number"])
                .first()
            )
        organization = data["organization"]
        requester = Contact(email=data["requester_email"] or "", organization=organization)
        return Ticket(
            requester=requester,
            subject=data["subject"],
            description=data["body"],
            channel=data["channel"],
            priority=data["priority"],
            category=data["category"],
            product=data["product"],
            language=data["language"],
            region=data["region"] or (organization.region if organization else ""),
            customer_segment=organization.tier if organization else "",
            tags=sorted({tag.strip().lower() for tag in data["tags"].split(",") if tag.strip()}),
        )
