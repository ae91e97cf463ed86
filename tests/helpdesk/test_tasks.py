"""Services queue Celery tasks by name; every name they use belongs to a task."""

from __future__ import annotations

import ast
from pathlib import Path

from celery import current_app

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "helpdesk",
    "rules",
    "sla",
    "tickets",
    "integrations",
    "reports",
    "escalations",
    "knowledge",
)


def queued_task_names() -> set[str]:
    """Every literal task name passed to `task_enqueue` or `task_send` in the product."""
    names = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", ""))
                    in ("task_enqueue", "task_send", "partial")
                    and node.args
                ):
                    first = node.args[1] if getattr(node.func, "id", "") == "partial" else None
                    value = first if first is not None else node.args[0]
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        names.add(value.value)
    return names


def test_every_task_a_service_queues_by_name_exists():
    current_app.loader.import_default_modules()
    names = queued_task_names()
    assert "tickets.send_reply_notification" in names  # the scan sees the services
    assert names - set(current_app.tasks) == set()
