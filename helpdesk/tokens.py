"""Password-reset tokens that belong to one desk: reset links and first admins' invitations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from helpdesk.tenancy import current_tenant_id


class DeskTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset tokens valid only on the desk that issued them: the active desk is part
    of what the token signs, so a link from one desk is refused on another's host."""

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}|desk:{current_tenant_id()}"


desk_tokens = DeskTokenGenerator()
