"""Reads of platform data shared by views, admin and tasks."""

from __future__ import annotations

from django.db.models import QuerySet

from helpdesk.models import Membership, User
from helpdesk.tenancy import Role


def tenant_users(*, roles: tuple[Role, ...] | None = None) -> QuerySet[User]:
    """The active tenant's members (optionally of some roles), as users."""
    memberships = Membership.objects.filter(is_active=True)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return User.objects.filter(pk__in=memberships.values("user_id"), is_active=True).order_by(
        "full_name", "email"
    )
