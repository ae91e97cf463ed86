"""Writes of platform data: tenants and memberships."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from helpdesk.models import Domain, Membership, Tenant, User
from helpdesk.signals import tenant_opened
from helpdesk.tasks import task_enqueue
from helpdesk.tenancy import Role, require_tenant_id, tenant_context
from helpdesk.text import single_line
from helpdesk.tokens import desk_tokens


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
    """Record a new, empty help desk at <slug>.<BASE_DOMAIN> (and at any custom `domains`).

    Operators open desks with `tenant_open`, which also sets them up and invites their admin.
    """
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
def tenant_open(
    *,
    slug: str,
    name: str,
    ticket_prefix: str,
    admin_email: str,
    admin_name: str = "",
    time_zone: str = "UTC",
    language: str = "en",
    domains: tuple[str, ...] = (),
    **branding: str,
) -> Tenant:
    """Open a help desk ready for work: set up by the apps (`tenant_opened`), with its first
    admin invited by mail to choose a password."""
    tenant = tenant_create(
        slug=slug, name=name, ticket_prefix=ticket_prefix, time_zone=time_zone,
        language=language, domains=domains, **branding,
    )  # fmt: skip
    with tenant_context(tenant):
        tenant_opened.send(sender=Tenant, tenant=tenant)
        admin = membership_grant(email=admin_email, role=Role.ADMIN, full_name=admin_name)
    task_enqueue("helpdesk.send_admin_invitation", tenant.pk, admin.user_id)
    return tenant


def admin_invitation_send(*, user_id: int) -> None:
    """Mail a desk's admin the link that sets their password (or, with one, to log in).

    The link is the desk's own, with a password-reset token of this desk: it works once
    and expires after PASSWORD_RESET_TIMEOUT, like "Forgot password" links.
    """
    tenant = Tenant.objects.get(pk=require_tenant_id())
    user = User.objects.get(pk=user_id)
    link = ""
    if not user.has_usable_password():
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = tenant.url(reverse("invitation_accept", args=[uid, desk_tokens.make_token(user)]))
    context = {
        "desk": tenant.name,
        "desk_url": tenant.url(),
        "name": user.full_name,
        "email": user.email,
        "link": link,
        "login_url": tenant.url(reverse("login")),
        "valid_days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
    }
    with translation.override(user.language or tenant.language):
        template = "helpdesk/email/admin_invitation"
        subject = single_line(render_to_string(f"{template}_subject.txt", context))
        body = render_to_string(f"{template}.txt", context)
    EmailMessage(subject, body, to=[user.email]).send()


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
