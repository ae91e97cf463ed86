"""What every page's template knows: the tenant, its branding and the user's role there."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from helpdesk import live
from helpdesk.tenancy import Role, has_role


def tenant(request: HttpRequest) -> dict[str, Any]:
    """The request's tenant and membership, and what the navigation may offer."""
    membership = getattr(request, "membership", None)
    tenant_ = getattr(request, "tenant", None)
    return {
        # Where this page's live updates start: after a reconnect it asks for what came later.
        "live_seq": live.current_seq(tenant_.pk) if membership is not None else 0,
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "is_agent": has_role(request, Role.AGENT),
        "is_manager": has_role(request, Role.MANAGER),
        "is_tenant_admin": has_role(request, Role.ADMIN),
        "is_customer": membership is not None and membership.role == Role.CUSTOMER,
    }
