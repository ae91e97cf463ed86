"""Inbound mail from email providers' webhooks (django-anymail), into the same path as IMAP."""

from __future__ import annotations

from typing import Any

from anymail.signals import inbound
from django.dispatch import receiver

from integrations.email.inbound import email_receive


@receiver(inbound, dispatch_uid="helpdesk.inbound_email")
def inbound_email_received(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """A provider posted a received message: its signature was checked by anymail."""
    message = event.message
    envelope = getattr(message, "envelope_recipient", None)
    recipients = [envelope] if envelope else []
    email_receive(message.as_bytes(), source=f"webhook:{esp_name}", envelope_recipients=recipients)
