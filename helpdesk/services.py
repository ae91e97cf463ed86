"""Writes of platform data: tenants and memberships."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk.models import Domain, Membership, Tenant, User
from helpdesk.tenancy import Role


@transaction.atomic
def tenant_create(
    *,
    slug: str,
    name: str,
    ticket_prefix: str,
    time_zone: str = "UTC",
    language: str = "en",
    domains: tuple[str, ...] = (),
    **branding: str,
) -> Tenant:
    """Open a new help desk at <slug>.<BASE_DOMAIN> (and at any custom `domains`)."""
    tenant = Tenant(
        slug=slug,
        name=name,
        ticket_prefix=ticket_prefix,
        time_zone=time_zone,
        language=language,
        **branding,
    )
    tenant.full_clean()
    tenant.save()
    for index, domain in enumerate(domains):
        Domain.objects.create(tenant=tenant, domain=domain.lower(), is_primary=index == 0)
    return tenant


@transaction.atomic
def membership_grant(
    *, email: str, role: Role, full_name: str = "", password: str | None = None
) -> Membership:
    """Give the person with `email` a role in the active tenant, creating their login if new.

    A new login has no usable password until its owner sets one through "Forgot password".
    """
    email = User.objects.normalize_email(email.strip()).lower()
    if not email:
        raise ValidationError(_("An email address is needed."))
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name)
    membership, _created = Membership.objects.update_or_create(
        user=user, defaults={"role": role, "is_active": True}
    )
    return membership


@transaction.atomic
def customer_membership_ensure(*, email: str, full_name: str = "") -> Membership:
    """A portal login for `email` in the active tenant; existing members keep their role."""
    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, None, full_name=full_name)
    membership = Membership.objects.filter(user=user).first()
    if membership is None:
        membership = Membership.objects.create(user=user, role=Role.CUSTOMER)
    return membership
