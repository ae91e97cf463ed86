"""Celery entry points of the SLA engine: the periodic sweep."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="sla.sweep", ignore_result=True)
def sweep() -> None:
    """Record every tenant's SLA warnings and breaches that have come due."""
    from sla.services import clocks_sweep_all

    clocks_sweep_all(now=timezone.now())
