"""The one way our own code reaches Redis: a client per process and address, short timeouts.

Django's cache, Celery and the channel layer keep their own connections; live delivery,
presence, health checks and the process cache's version announcements use these. A command
gives up after `timeout` seconds, so Redis being away slows a request by that much at most and
never hangs it.
"""

from __future__ import annotations

import functools

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
