"""A real Celery worker, fed through Redis, runs the platform's tasks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import Client

from helpdesk import health
from helpdesk.celery import app
from helpdesk.tasks import heartbeat

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_queue():
    """A worker on a queue of its own, so no other worker on this Redis takes its tasks."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    app.conf.task_always_eager = False  # through Redis to the worker, as in production
    try:
        yield queue
    finally:
        app.conf.task_always_eager = True
        process.terminate()
        process.wait(timeout=20)


def test_the_health_check_shows_the_worker_alive_after_it_ran_the_heartbeat(db, worker_queue):
    redis.Redis.from_url(settings.REDIS_URL).delete(health.HEARTBEAT_KEY)
    assert Client(HTTP_HOST="localhost").get("/healthz").json()["worker"] == "stale"
    heartbeat.apply_async(queue=worker_queue)
    deadline = time.monotonic() + 30
    while health.status()["worker"] != "ok" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Client(HTTP_HOST="localhost").get("/healthz").json()["worker"] == "ok"


def test_tasks_are_acknowledged_late_and_requeued_if_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.accept_content == ["json"]
    assert "heartbeat" in app.conf.beat_schedule


def test_the_service_launcher_starts_without_django_settings():
    """`make run` and `make bench` import helpdesk before any SECRET_KEY exists."""
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    result = subprocess.run(
        [sys.executable, "-c", "import helpdesk.celery, helpdesk.embedded"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
