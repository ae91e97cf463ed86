"""Celery entry points of the tickets app: ids in, enter the tenant, call one service."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from anymail.exceptions import AnymailError
from celery import shared_task
from django.utils import timezone

from helpdesk.models import Tenant
from helpdesk.tenancy import tenant_context
from tickets.services import AcknowledgementBusy, AckOutcome, acknowledgement_send

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (AnymailError, SMTPException, OSError), "retry_backoff": True,
         "retry_backoff_max": 600, "max_retries": 12}  # fmt: skip


@shared_task(
    name="tickets.send_acknowledgement",
    **{**RETRY, "autoretry_for": (*RETRY["autoretry_for"], AcknowledgementBusy)},
)
def send_acknowledgement(tenant_id: int, acknowledgement_id: int) -> None:
    """Send one ticket's acknowledgement (a no-op if it went out already); retried with
    back-off while it fails or another transaction holds it."""
    with tenant_context(tenant_id):
        if acknowledgement_send(acknowledgement_id=acknowledgement_id) == AckOutcome.BUSY:
            raise AcknowledgementBusy(acknowledgement_id)


@shared_task(name="tickets.send_acknowledgements", ignore_result=True)
def send_acknowledgements(tenant_id: int, acknowledgement_ids: list[int]) -> None:
    """Send the acknowledgements of tickets opened together; one that fails or is held
    elsewhere retries alone, and the others of the batch go out now."""
    for acknowledgement_id in acknowledgement_ids:
        try:
            with tenant_context(tenant_id):
                outcome = acknowledgement_send(acknowledgement_id=acknowledgement_id)
        except Exception:
            logger.warning("acknowledgement %s failed; retrying alone", acknowledgement_id)
            outcome = AckOutcome.BUSY
        if outcome == AckOutcome.BUSY:
            send_acknowledgement.delay(tenant_id, acknowledgement_id)


@shared_task(name="tickets.send_reply_notification", **RETRY)
def send_reply_notification(tenant_id: int, message_id: int) -> None:
    """Mail one agent reply to its requester (a no-op if it went out already)."""
    from tickets.services import reply_notification_send

    with tenant_context(tenant_id):
        reply_notification_send(message_id=message_id)


@shared_task(name="tickets.send_mention_notification", **RETRY)
def send_mention_notification(tenant_id: int, event_id: int) -> None:
    """Mail an agent mentioned in a note (a no-op if it went out already)."""
    from tickets.services import mention_notification_send

    with tenant_context(tenant_id):
        mention_notification_send(event_id=event_id)


@shared_task(name="tickets.send_clock_notifications", **RETRY)
def send_clock_notifications(tenant_id: int, clock_ids: list[int], what: str) -> None:
    """Mail clocks' SLA warnings or breaches to their tickets' owners and leads (once each)."""
    from tickets.services import clock_notifications_send

    with tenant_context(tenant_id):
        clock_notifications_send(clock_ids=clock_ids, what=what)


@shared_task(name="tickets.send_guest_link", **RETRY)
def send_guest_link(tenant_id: int, email: str, name: str, language: str = "") -> None:
    """Mail a visitor the link that confirms their address to the desk."""
    from tickets.services.guest_links import guest_link_mail

    with tenant_context(tenant_id):
        guest_link_mail(email=email, name=name, language=language)


@shared_task(name="tickets.acknowledgement_sweep")
def acknowledgement_sweep() -> None:
    """Send acknowledgements that were never queued or whose task was lost."""
    from tickets.services import acknowledgements_sweep

    for tenant_id in Tenant.objects.active_ids():
        with tenant_context(tenant_id):
            acknowledgements_sweep(now=timezone.now())


@shared_task(name="tickets.run_automations")
def run_automations() -> None:
    """Fire the time-based automations whose time has come, desk by desk."""
    from tickets.automations import automations_run_due

    for tenant_id in Tenant.objects.active_ids():
        automations_run_due(tenant_id=tenant_id, now=timezone.now())  # a transaction per ticket


def _drain(tenant_id: int, team_ids: list[int]) -> None:
    from tickets.assignment import DRAIN_LIMIT, team_queue_drain

    for team_id in team_ids:
        # One transaction per ticket: a drain then holds at most one agent's lock, so
        # drains of two teams sharing agents never wait on each other in a circle.
        for _n in range(DRAIN_LIMIT):
            with tenant_context(tenant_id):
                if not team_queue_drain(team_id=team_id, limit=1):
                    break


@shared_task(name="tickets.assign_waiting")
def assign_waiting(tenant_id: int, user_id: int) -> None:
    """An agent has room again: give out waiting tickets of their teams."""
    from tickets.assignment import waiting_teams

    with tenant_context(tenant_id):
        team_ids = waiting_teams(user_id=user_id)
    _drain(tenant_id, team_ids)


@shared_task(name="tickets.assignment_sweep")
def assignment_sweep() -> None:
    """Give out waiting tickets whose moment (an agent online, a ticket solved) was missed."""
    from tickets.assignment import waiting_teams

    for tenant_id in Tenant.objects.active_ids():
        with tenant_context(tenant_id):
            team_ids = waiting_teams()
        _drain(tenant_id, team_ids)
