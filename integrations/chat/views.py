"""The chat's embed page: what an admin puts on the desk's website to offer the chat there."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from helpdesk.tenancy import Role, TenantRequest, role_required
from integrations.chat import selectors


@role_required(Role.ADMIN)
@require_GET
def chat_embed(request: TenantRequest) -> HttpResponse:
    """The snippet an admin puts on the desk's website to offer the chat there."""
    desk = request.tenant.url("").rstrip("/")
    static = settings.STATIC_URL if "://" in settings.STATIC_URL else desk + settings.STATIC_URL
    return render(
        request,
        "integrations/chat/chat_embed.html",
        {
            "widget": selectors.chat_widget(),
            "desk": desk,
            "script_url": f"{static}js/chat-widget.js",
        },
    )
