"""Admin of the desk's shared macros, for tenant admins."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from helpdesk.admin import TenantModelAdmin
from rules.placeholders import placeholder_help
from tickets import macros
from tickets.models import Macro

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
        ) % {"placeholders": placeholder_help()}
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
