"""Celery entry points of the SLA engine: the periodic sweep and re-planning clocks."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="sla.sweep", ignore_result=True)
def sweep() -> None:
    """Record every tenant's SLA warnings and breaches that have come due."""
    from sla.services import clocks_sweep_all

    clocks_sweep_all(now=timezone.now())


@shared_task(name="sla.replan", ignore_result=True)
def replan(tenant_id: int, replan_id: int) -> None:
    """Count the live clocks of an edited calendar or policy anew, batch by batch."""
    from sla.replanning import replan_run

    replan_run(tenant_id=tenant_id, replan_id=replan_id)  # a transaction per batch


@shared_task(name="sla.replans_resume", ignore_result=True)
def replans_resume() -> None:
    """Hand re-plans whose worker died to a worker again."""
    from sla.replanning import replans_resume_all

    replans_resume_all(now=timezone.now())
