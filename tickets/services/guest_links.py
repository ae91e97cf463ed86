"""Sign-in links for visitors without a login: asked for on the portal, confirmed by mail.

A link is a signed token naming the desk, the address and the name given; it works for
`GUEST_LINK_MAX_AGE` on that desk only. Opening it proves the visitor reads that mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.urls import reverse
from django.utils import translation

from helpdesk.models import Tenant
from helpdesk.tasks import task_enqueue
from helpdesk.tenancy import require_tenant_id

GUEST_LINK_SALT = "tickets.portal.guest"
GUEST_LINK_MAX_AGE = 24 * 60 * 60  # seconds


class GuestLinkInvalid(Exception):
    """The link is not one this desk signed (mistyped, or another desk's)."""


class GuestLinkExpired(GuestLinkInvalid):
    """The link was signed more than `GUEST_LINK_MAX_AGE` ago."""


@dataclass(frozen=True)
class Guest:
    """Who a confirmed link signs in: the address and the name they gave."""

    email: str
    name: str


def guest_link_send(*, email: str, name: str, language: str = "") -> None:
    """After commit, mail a visitor a link that confirms their address to the active desk."""
    task_enqueue("tickets.send_guest_link", require_tenant_id(), email, name, language)


def guest_link_mail(*, email: str, name: str, language: str = "") -> None:
    """Mail the link now, in `language` (default: the desk's); the task calls this."""
    from tickets import emails

    tenant = Tenant.objects.get(pk=require_tenant_id())
    token = signing.dumps({"t": tenant.pk, "e": email, "n": name}, salt=GUEST_LINK_SALT)
    link = tenant.url(reverse("tickets:portal_confirm", args=[token]))
    with translation.override(language or tenant.language):
        emails.send_guest_link(tenant=tenant, email=email, name=name, link=link)


def guest_link_read(*, token: str) -> Guest:
    """Who a link of the active desk signs in; `GuestLinkInvalid` / `GuestLinkExpired` if none."""
    try:
        data = signing.loads(token, salt=GUEST_LINK_SALT, max_age=GUEST_LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise GuestLinkExpired from error
    except signing.BadSignature as error:
        raise GuestLinkInvalid from error
    if not isinstance(data, dict) or data.get("t") != require_tenant_id():
        raise GuestLinkInvalid
    return Guest(email=data["e"], name=data["n"])
