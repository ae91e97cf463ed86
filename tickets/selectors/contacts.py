"""Reads of one contact for the agents' customer profile: identities and tickets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tickets.models import Contact, ContactEmail, Ticket


@dataclass(frozen=True)
class Identity:
    """One way a contact can be told apart and reached: an address, a number, a handle."""

    kind: str
    value: str


# Higher layers that know more identities (social handles live in integrations/) add a
# function here when their app is ready: contact in, identities out.
IdentitySource = Callable[[Contact], list[Identity]]
_identity_sources: list[IdentitySource] = []


def identity_source_add(source: IdentitySource) -> None:
    """Let `source` add its identities to every contact profile (once per process)."""
    if source not in _identity_sources:
        _identity_sources.append(source)


def contact_identities(*, contact: Contact) -> list[Identity]:
    """Every address, number, login and handle of `contact`, the main address first."""
    identities = []
    if contact.email:
        identities.append(Identity(kind=str(_("Email")), value=contact.email))
    identities += [
        Identity(kind=str(_("Email")), value=email)
        for email in ContactEmail.objects.filter(contact=contact)
        .order_by("email")
        .values_list("email", flat=True)
    ]
    if contact.phone:
        identities.append(Identity(kind=str(_("Phone")), value=contact.phone))
    if contact.user_id is not None:
        identities.append(Identity(kind=str(_("Portal login")), value=contact.user.email))
    for source in _identity_sources:
        identities += source(contact)
    return identities


def contact_tickets(*, contact: Contact, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`contact`'s tickets among `tickets` (those the agent may see), newest first."""
    return (
        tickets.filter(requester=contact)
        .select_related("tenant", "team", "assignee")
        .order_by("-created_at", "-pk")
    )
