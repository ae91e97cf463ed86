"""Is the deployment well: database, Redis, and a worker fed by beat."""

from __future__ import annotations

import time
from typing import Any

import redis
from django.db import connection

from helpdesk.redis_clients import redis_client

HEARTBEAT_KEY = "helpdesk:health:heartbeat"
# Beat fires the heartbeat every 10 s; three missed beats mean the worker or beat is down.
HEARTBEAT_STALE_SECONDS = 30


def _redis() -> redis.Redis:
    return redis_client(timeout=1)  # a health check answers quickly, whatever it finds


def heartbeat_record() -> None:
    """Note that a worker ran the beat-scheduled heartbeat now."""
    _redis().set(HEARTBEAT_KEY, str(time.time()), ex=3600)


def status() -> dict[str, Any]:
    """Each dependency's state, and whether all are well."""
    checks: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
    try:
        beat = _redis().get(HEARTBEAT_KEY)
        checks["redis"] = "ok"
        age = None if beat is None else round(time.time() - float(beat), 1)
        checks["worker_heartbeat_age_s"] = age
        checks["worker"] = "ok" if age is not None and age < HEARTBEAT_STALE_SECONDS else "stale"
    except (redis.RedisError, OSError) as error:
        checks["redis"] = f"error: {type(error).__name__}"
        checks["worker"] = "unknown"
    checks["ok"] = all(checks[key] == "ok" for key in ("database", "redis", "worker"))
    return checks
