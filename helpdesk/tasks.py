"""Platform tasks."""

from celery import shared_task

from helpdesk import health


@shared_task(name="helpdesk.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Record that beat fired and a worker ran a task just now."""
    health.heartbeat_record()
