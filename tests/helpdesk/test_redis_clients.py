"""Django's cache reaches Redis through one connection pool per process."""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings


@pytest.mark.django_db
def test_requests_in_their_own_contexts_share_the_processs_redis_connections():
    from django.core.cache import caches

    server = redis.Redis.from_url(settings.REDIS_URL)
    opened = server.info("stats")["total_connections_received"]

    def one_request() -> None:  # a thread: a fresh context, as each ASGI request has
        caches["default"].get("anything")

    for _n in range(10):
        thread = threading.Thread(target=one_request)
        thread.start()
        thread.join()
    assert server.info("stats")["total_connections_received"] - opened <= 2
