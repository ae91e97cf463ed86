"""Celery entry points of the reports app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reports.replay", ignore_result=True)
def replay(tenant_id: int, replay_id: int) -> None:
    """Run a what-if SLA replay over its period, chunk by chunk."""
    from reports.services import replay_run  # here: the services queue this task by name

    replay_run(tenant_id=tenant_id, replay_id=replay_id)
