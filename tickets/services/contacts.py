"""Requesters: found by email address or phone number, created on first contact."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from helpdesk.models import User
from helpdesk.text import single_line
from tickets.models import (
    Contact,
    ContactEmail,
    Organization,
)


def normalize_phone(phone: str) -> str:
    """A phone number reduced to digits (with a leading + kept), for matching callers."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("00") and digits.startswith("00"):
        return "+" + digits[2:]
    return ("+" if phone.strip().startswith("+") else "") + digits


def contact_name(text: str) -> str:
    """A requester's name as stored and put in mail headers: one line, no control or
    bidirectional-override characters (a name with CR/LF would forge headers)."""
    return single_line(text, Contact._meta.get_field("name").max_length)


def _contact_by_email(email: str) -> Contact | None:
    contact = Contact.objects.filter(email__iexact=email).first()
    if contact is None:
        extra = ContactEmail.objects.select_related("contact").filter(email__iexact=email).first()
        contact = extra.contact if extra else None
    return contact


@transaction.atomic(savepoint=False)  # only a bug raises here; the create has its own
def contact_for_email(
    *,
    email: str,
    name: str = "",
    organization: Organization | None = None,
    user: User | None = None,
    language: str = "",
) -> Contact:
    """The requester with this email address, created on first contact.

    A known contact keeps its details; it only gains a portal login it did not have yet.
    """
    email = email.strip()
    contact = _contact_by_email(email)
    if contact is None:
        # Two messages from a new address may arrive at once: the unique index decides,
        # and the loser reads the winner's row.
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    email=email,
                    name=contact_name(name) or contact_name(email.split("@")[0]),
                    organization=organization,
                    user=user,
                    language=language,
                )
        except IntegrityError:
            contact = _contact_by_email(email)
            if contact is None:
                raise
    elif user is not None and contact.user_id is None:
        contact.user = user
        contact.save(update_fields=["user"])
    return contact


def contact_create(*, name: str) -> Contact:
    """A new requester known by name only, e.g. a social handle without an email address."""
    return Contact.objects.create(name=contact_name(name))


@transaction.atomic
def contact_for_phone(*, phone: str, name: str = "") -> Contact:
    """The caller with this phone number, created on first call."""
    normalized = normalize_phone(phone)
    if not normalized.lstrip("+"):
        raise ValidationError(_("A phone number needs digits."))
    contact = Contact.objects.filter(phone_normalized=normalized).order_by("pk").first()
    if contact is None:
        contact = Contact.objects.create(
            name=contact_name(name) or contact_name(phone),
            phone=single_line(phone),
            phone_normalized=normalized,
        )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, **fields: Any) -> Contact:
    """Change a contact's details (the phone number is kept findable)."""
    for field, value in fields.items():
        setattr(contact, field, contact_name(value) if field == "name" else value)
    if "phone" in fields:
        contact.phone_normalized = normalize_phone(contact.phone)
    contact.full_clean()
    contact.save()
    return contact
