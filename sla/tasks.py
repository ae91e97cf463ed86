"""Celery entry points of the SLA engine: the periodic sweep and the warning/breach mail."""

from __future__ import annotations

from smtplib import SMTPException

from anymail.exceptions import AnymailError
from celery import shared_task
from django.utils import timezone

from helpdesk.tenancy import tenant_context


@shared_task(name="sla.sweep", ignore_result=True)
def sweep() -> None:
    """Record every tenant's SLA warnings and breaches that have come due."""
    from sla.services import clocks_sweep_all

    clocks_sweep_all(now=timezone.now())


@shared_task(
    name="sla.send_clock_notifications",
    autoretry_for=(AnymailError, SMTPException, OSError),
    retry_backoff=True,
    max_retries=12,
)
def send_clock_notifications(tenant_id: int, clock_ids: list[int], what: str) -> None:
    """Mail clocks' warnings or breaches to their tickets' owners and team leads (once each)."""
    from sla.services import clock_notifications_send

    with tenant_context(tenant_id):
        clock_notifications_send(clock_ids=clock_ids, what=what)
