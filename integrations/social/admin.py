"""Admin pages of social channels: the accounts, who their handles are, their conversations."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from helpdesk.admin import TenantModelAdmin
from integrations.social.models import SocialChannel, SocialIdentity, SocialThread


@admin.register(SocialChannel)
class SocialChannelAdmin(TenantModelAdmin):
    """Messaging accounts whose messages arrive signed at /channels/social/<address name>/."""

    list_display = ["name", "slug", "is_enabled", "created_at"]
    list_filter = ["is_enabled"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(SocialIdentity)
class SocialIdentityAdmin(TenantModelAdmin):
    """Which contact a handle on a social channel is; correct it to merge people."""

    list_display = ["handle", "channel", "contact"]
    list_filter = ["channel"]
    list_select_related = ["channel", "contact"]
    search_fields = ["handle", "contact__name", "contact__email"]
    raw_id_fields = ["contact"]


@admin.register(SocialThread)
class SocialThreadAdmin(TenantModelAdmin):
    """Conversations and the tickets they go to (written by the webhook only)."""

    list_display = ["thread_id", "channel", "ticket"]
    list_filter = ["channel"]
    list_select_related = ["channel", "ticket__tenant"]
    search_fields = ["thread_id"]
    readonly_fields = ["channel", "thread_id", "ticket"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False
