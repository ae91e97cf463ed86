"""The Celery app and the whole beat schedule."""

import os
from datetime import timedelta

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Beat and a worker prove they are alive; /healthz reports how long ago.
    "heartbeat": {"task": "helpdesk.heartbeat", "schedule": timedelta(seconds=10)},
    # Acknowledgements whose task was lost (Redis or the worker down at creation).
    "acknowledgement-sweep": {
        "task": "tickets.acknowledgement_sweep",
        "schedule": timedelta(seconds=30),
    },
    # SLA warnings and breaches: indexed due columns, swept every few seconds.
    "sla-sweep": {
        "task": "sla.sweep",
        "schedule": timedelta(seconds=float(os.environ.get("SLA_SWEEP_SECONDS", "5"))),
    },
    # Re-plans of edited calendars and policies whose worker died on the way.
    "sla-replans-resume": {"task": "sla.replans_resume", "schedule": timedelta(seconds=60)},
    # Time-based automations ("pending for 5 days: remind the requester").
    "run-automations": {
        "task": "tickets.run_automations",
        "schedule": timedelta(seconds=float(os.environ.get("AUTOMATION_SWEEP_SECONDS", "60"))),
    },
    # Tickets waiting in a team queue while its agents had room (a missed or failed task).
    "assignment-sweep": {"task": "tickets.assignment_sweep", "schedule": timedelta(seconds=60)},
    "poll-mailboxes": {
        "task": "integrations.poll_mailboxes",
        "schedule": timedelta(seconds=float(os.environ.get("MAILBOX_POLL_SECONDS", "60"))),
    },
    "purge-idempotency-keys": {
        "task": "integrations.purge_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
}
