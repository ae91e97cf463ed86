"""Admin page of the website chat: the desk's widget settings."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from helpdesk.admin import TenantModelAdmin
from integrations.chat.models import ChatWidget


@admin.register(ChatWidget)
class ChatWidgetAdmin(TenantModelAdmin):
    """One per desk: whether the website chat answers, where, and with which words."""

    list_display = ["__str__", "is_enabled", "allowed_origins"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request) and not ChatWidget.objects.exists()
