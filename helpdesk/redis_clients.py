"""The one way our own code reaches Redis: a client per process and address, short timeouts.

Celery and the channel layer keep their own connections; live delivery, presence, health
checks and the process cache's version announcements use these. A command gives up after
`timeout` seconds, so Redis being away slows a request by that much at most and never hangs it.
Django's cache borrows from one connection pool per process too (`ProcessPool`).
"""

from __future__ import annotations

import functools
from typing import Any

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry


def redis_client(
    url: str | None = None, *, timeout: float = 2.0, listener: bool = False
) -> redis.Redis:
    """This process's client of `url` (default: REDIS_URL).

    `listener`: for a pub/sub subscription that must notice a lost connection: redis-py would
    otherwise reconnect and subscribe again silently, and what was published meanwhile would
    go unnoticed.
    """
    return _client(url or settings.REDIS_URL, timeout, listener)


@functools.cache
def _client(url: str, timeout: float, listener: bool) -> redis.Redis:
    retry = {"retry": Retry(NoBackoff(), 0)} if listener else {}
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, **retry
    )


class ProcessPool(redis.ConnectionPool):
    """Django's cache's connection pool (`CACHES` `pool_class`): one per process and settings.

    Django keeps a cache client per asynchronous context, and under ASGI each request runs in
    a context of its own: with the default pool class every request opened (and dropped) a
    connection of its own to Redis for the versions, the session and the rest. Handing every
    client the process's pool for the same address and options reuses the connections, as a
    WSGI worker's thread did. redis-py's pool is thread-safe and starts afresh after a fork.
    """

    @classmethod
    def from_url(cls, url: str, **options: Any) -> redis.ConnectionPool:  # type: ignore[override]
        return _process_pool(url, tuple(sorted(options.items())))


@functools.cache
def _process_pool(url: str, options: tuple[tuple[str, Any], ...]) -> redis.ConnectionPool:
    return redis.ConnectionPool.from_url(url, **dict(options))
