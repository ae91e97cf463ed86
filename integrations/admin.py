"""Admin of the integrations app: API tokens, mail and mailboxes; chat and social in their own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.admin import PlatformModelAdmin, TenantModelAdmin
from integrations import services
from integrations.chat import admin as chat_admin  # noqa: F401 (registers its page)
from integrations.models import ApiToken, InboundEmail, Mailbox, UnroutedEmail
from integrations.social import admin as social_admin  # noqa: F401 (registers its pages)


class ApiTokenForm(forms.ModelForm):
    """A new token needs only a name, and an expiry if it should stop working by itself."""

    class Meta:
        model = ApiToken
        fields = ["name", "expires_at"]

    def clean_expires_at(self) -> Any:
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(_("The expiry must lie in the future."))
        return expires_at


@admin.register(ApiToken)
class ApiTokenAdmin(TenantModelAdmin):
    """Tokens are created here, shown once, and revoked, never edited or deleted (audit)."""

    form = ApiTokenForm
    list_display = ["name", "prefix", "created_by", "created_at", "last_used_at", "expires_at"]
    list_display += ["revoked"]
    list_select_related = ["created_by"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    readonly_fields = [
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked",
        "revoked_at",
        "revoked_by",
    ]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return ["name", "expires_at"]
        return ["name", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: who made a token and when it was used stays on record

    @admin.display(boolean=True, description=_("revoked"), ordering="revoked_at")
    def revoked(self, token: ApiToken) -> bool:
        return token.is_revoked

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            services.api_token_revoke(token=token, by=request.user)
        self.message_user(
            request,
            ngettext("%d token revoked.", "%d tokens revoked.", len(tokens)) % len(tokens),
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, secret = services.api_token_create(
            name=form.cleaned_data["name"],
            by=request.user,
            expires_at=form.cleaned_data["expires_at"],
        )
        obj.pk, obj.tenant_id, obj.prefix = token.pk, token.tenant_id, token.prefix
        obj._state.adding = False
        # Only on this one response; the plaintext is never stored, not even in a message
        # cookie or the session, so it is shown by the page itself instead of a redirect.
        request._api_token_secret = secret  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiToken, *args: Any) -> HttpResponse:
        secret = getattr(request, "_api_token_secret", None)
        if secret is None:
            return super().response_add(request, obj, *args)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("API token created"),
            "token": obj,
            "secret": secret,
        }
        # Admin views are never_cache already (Cache-Control: no-store): no copy stays behind.
        return TemplateResponse(request, "integrations/admin/apitoken_created.html", context)


@admin.register(InboundEmail)
class InboundEmailAdmin(TenantModelAdmin):
    """Every received mail, raw; 'Needs attention' lists the ones an agent must look at."""

    list_display = ["received_at", "sender", "subject", "status", "source", "ticket"]
    list_filter = ["status", "source"]
    search_fields = ["sender", "subject", "message_id"]
    list_select_related = ["ticket"]
    readonly_fields = [
        "received_at", "source", "raw", "message_id", "sender", "subject", "status",
        "problems", "error", "ticket", "thread_message",
    ]  # fmt: skip

    def has_add_permission(self, request, *args):  # mail arrives; nobody types it in
        return False


@admin.register(Mailbox)
class MailboxAdmin(TenantModelAdmin):
    list_display = ["name", "host", "username", "folder", "is_active", "last_polled_at"]
    readonly_fields = ["last_polled_at", "last_error"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "password":
            kwargs["widget"] = forms.PasswordInput(render_value=True)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(UnroutedEmail)
class UnroutedEmailAdmin(PlatformModelAdmin):
    """Mail that reached the deployment for no desk: operators only."""

    list_display = ["received_at", "sender", "recipients", "subject", "source"]
    search_fields = ["sender", "recipients", "subject"]
    readonly_fields = ["received_at", "source", "raw", "recipients", "sender", "subject"]

    def has_add_permission(self, request, *args):
        return False
