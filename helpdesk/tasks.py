"""Platform tasks, and the one way code queues a Celery task: by name, after commit, never raising.

Services name the task they queue (`"tickets.send_reply_notification"`) instead of importing
its function: tasks import the services they call, and a service importing its task back
would tie the two modules in a circle. `tests/helpdesk/test_tasks.py` checks every name
queued this way belongs to a task.
"""

from __future__ import annotations

import functools
import logging
from smtplib import SMTPException
from typing import Any

from celery import current_app, shared_task
from django.db import transaction

from helpdesk import background, health
from helpdesk.tenancy import tenant_context

logger = logging.getLogger(__name__)


@shared_task(name="helpdesk.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Record that beat fired and a worker ran a task just now."""
    health.heartbeat_record()


@shared_task(
    name="helpdesk.send_admin_invitation",
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    max_retries=8,
)
def send_admin_invitation(tenant_id: int, user_id: int) -> None:
    """Mail a new desk's first admin their invitation (retried while mail fails)."""
    from helpdesk.services import admin_invitation_send  # here: services queue this task

    with tenant_context(tenant_id):
        admin_invitation_send(user_id=user_id)


def task_send(name: str, *args: Any) -> None:
    """Queue the task `name` now; a broker that cannot take it is logged, never raised.

    What is lost that way is made good by the periodic sweeps (acknowledgements, waiting
    tickets, SLA mail). In eager mode (tests) the task runs here and now.
    """
    try:
        if current_app.conf.task_always_eager:
            _registered(name).apply(args=args)
        else:
            current_app.send_task(name, args=args)
    except Exception:  # kombu and redis raise many kinds; none may break a committed change
        logger.warning("could not queue %s%r; the sweep will retry", name, args)


def task_enqueue(name: str, *args: Any) -> None:
    """Queue the task `name` once the caller's transaction commits, off the caller's path."""
    transaction.on_commit(functools.partial(background.submit, task_send, name, *args))


def _registered(name: str) -> Any:
    """The task registered under `name` (the apps' task modules found first)."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]
