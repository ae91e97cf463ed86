"""A desk's slow-changing rows, kept in each process until their version in Redis changes.

Whoever changes such rows calls `version_changed(name, tenant_id)`; every process compares the
version it loaded under with the one in Redis before each use and reloads when they differ. With
Redis unreachable nothing is kept: every use reads the database, which is slower but never stale.

A use costs no round trip while nothing changes: each process subscribes to the announcements
of new versions (`_Watch`) and trusts the versions it has read until one is announced. Pending
announcements are read off the subscription's socket before every use, so a change committed
before a request began is seen by it. A lost subscription (Redis restarted, connection cut)
forgets everything learned through it, and uses fall back to reading the versions.

A version without a tenant (`tenant_id=None`) is shared by all desks, for global rows such as
users, whose change cannot be traced to the desks they belong to.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from helpdesk.redis_clients import redis_client
from helpdesk.tenancy import require_tenant_id

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The version of what desks keep of users (names, addresses, whether active): users are
# global rows, so a change bumps it for all desks at once (`user_changed`).
PEOPLE = "people"
_USER_FIELDS_SHOWN = {"email", "full_name", "is_active"}


def version_key(name: str, tenant_id: int | None = None) -> str:
    """The cache key of the version of `name` at one desk (or at all of them)."""
    return f"{name}-version:{'all' if tenant_id is None else tenant_id}"


def version_bump(name: str, tenant_id: int | None = None) -> None:
    """Give `name` a new version, so every process reloads it before its next use."""
    key = version_key(name, tenant_id)
    try:
        cache.set(key, uuid.uuid4().hex, timeout=None)
        _watch.announce(key)
    except Exception:  # redis raises many kinds; the change itself is committed regardless
        logger.warning("could not publish a new version of %s (tenant %s)", name, tenant_id)
    finally:
        _watch.forget(key)  # this process reads the new version at once, whatever came through


def version_changed(name: str, tenant_id: int | None = None) -> None:
    """Make every process read `name` again: now, and again once the change is committed.

    Bumped now (this transaction's own reads see the change) and again after commit: a
    process that reloaded in between read the old rows, and the second bump sends it back.
    """
    version_bump(name, tenant_id)
    transaction.on_commit(lambda: version_bump(name, tenant_id))


def versions_current(keys: Sequence[str]) -> tuple[str, ...] | None:
    """The versions under `keys` (missing ones created); None: Redis down.

    Known ones cost nothing; the others one round trip.
    """
    known = _watch.known(keys)
    if known is not None:
        return known
    mark = _watch.mark()
    try:
        found = cache.get_many(keys)
        missing = [key for key in keys if key not in found]
        if missing:  # evicted or never set: agree on fresh ones
            for key in missing:
                cache.add(key, uuid.uuid4().hex, timeout=None)
            found.update(cache.get_many(missing))
    except Exception:
        logger.warning("versions %s unavailable; reading from the database", list(keys))
        return None
    versions = tuple(found[key] for key in keys)
    _watch.learn(mark, dict(zip(keys, versions, strict=True)))
    return versions


class _Watch:
    """This process's subscription to announcements of new versions, and what it learned.

    Versions read while subscribed are kept until one is announced. Announcements are read off
    the socket (without waiting) before each use, under a lock: no thread of its own, and none
    to restart after a fork. A version read while an announcement came in is not kept (it may
    be the older one), and a resubscription (the connection was lost and made again, so
    announcements may have been missed) forgets everything.
    """

    RETRY_SECONDS = 5.0  # how long a failed subscription waits before the next attempt

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pubsub: Any = None
        self._owner: tuple[int, str] | None = None  # the process and Redis it listens in
        self._versions: dict[str, str] = {}
        self._heard = 0  # announcements and resubscriptions so far
        self._retry_at = 0.0

    @staticmethod
    def _where() -> tuple[int, str, str]:
        cache_settings = settings.CACHES["default"]
        location = (
            cache_settings.get("LOCATION", "") if "redis" in cache_settings["BACKEND"] else ""
        )
        channel = f"{cache_settings.get('KEY_PREFIX', '')}:versions"
        return os.getpid(), str(location), channel

    def _listening(self) -> bool:
        """Subscribed, with every announcement so far applied (called under the lock)."""
        pid, location, channel = self._where()
        if self._owner != (pid, location):
            if self._pubsub is not None and self._owner and self._owner[0] == pid:
                self._pubsub.close()  # other settings (tests); a forked child leaves the
                # parent's socket alone
            self._pubsub, self._owner, self._versions, self._retry_at = None, (pid, location), {}, 0
        if not location:
            return False
        if self._pubsub is None and not self._subscribe(location, channel):
            return False
        try:
            while (message := self._pubsub.get_message(timeout=0)) is not None:
                self._heard += 1
                if message["type"] == "message":
                    self._versions.pop(message["data"].decode(), None)
                else:  # subscribed anew after a reconnect: announcements may have been lost
                    self._versions.clear()
        except Exception:
            logger.warning("version announcements lost; reading versions from Redis")
            self._pubsub, self._versions, self._retry_at = None, {}, time.monotonic() + 1
            return False
        return True

    def _subscribe(self, location: str, channel: str) -> bool:
        if time.monotonic() < self._retry_at:
            return False
        try:
            pubsub = redis_client(location, listener=True).pubsub()
            pubsub.subscribe(channel)
            confirmed = pubsub.get_message(timeout=2)
            if not confirmed or confirmed["type"] != "subscribe":
                raise redis.ConnectionError("no subscription confirmed")
        except Exception:
            self._retry_at = time.monotonic() + self.RETRY_SECONDS
            return False
        self._pubsub, self._versions = pubsub, {}
        self._heard += 1
        return True

    def known(self, keys: Sequence[str]) -> tuple[str, ...] | None:
        """The versions of `keys` if all are known and still current; else None."""
        with self._lock:
            if not self._listening():
                return None
            try:
                return tuple(self._versions[key] for key in keys)
            except KeyError:
                return None

    def mark(self) -> int | None:
        """Where the announcements stand before a read of versions (None: not subscribed)."""
        with self._lock:
            return self._heard if self._listening() else None

    def learn(self, mark: int | None, versions: dict[str, str]) -> None:
        """Keep `versions`, read after `mark`, unless something was announced since."""
        with self._lock:
            if mark is not None and self._listening() and self._heard == mark:
                self._versions.update(versions)

    def forget(self, key: str) -> None:
        with self._lock:
            self._versions.pop(key, None)
            self._heard += 1

    def announce(self, key: str) -> None:
        """Tell every process that `key` has a new version."""
        _pid, location, channel = self._where()
        if location:
            redis_client(location).publish(channel, key)


_watch = _Watch()


class TenantMemo(Generic[T]):
    """One process's copy of what `load` returns for each desk, valid while its versions hold.

    `load` runs inside the active tenant's context and must read only that desk's rows (and
    global ones named in `shared`): copies are kept per tenant id and never handed to another.
    """

    def __init__(self, name: str, load: Callable[[], T], *, shared: Sequence[str] = ()) -> None:
        self.name = name
        self.load = load
        self.shared = tuple(shared)
        self._copies: dict[int, tuple[tuple[str, ...], T]] = {}

    def get(self) -> T:
        """The active desk's value: this process's copy while the versions hold, else loaded."""
        tenant_id = require_tenant_id()
        keys = [version_key(self.name, tenant_id), *(version_key(name) for name in self.shared)]
        # The versions are read before the rows: rows read after them are at least that new.
        versions = versions_current(keys)
        copy = self._copies.get(tenant_id)
        if copy is not None and versions is not None and copy[0] == versions:
            return copy[1]
        value = self.load()
        if versions is not None:
            self._copies[tenant_id] = (versions, value)
        return value

    def changed(self, tenant_id: int) -> None:
        """The desk's rows changed: every process reloads them before its next use."""
        version_changed(self.name, tenant_id)


def user_changed(
    sender: type, instance: Any, created: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    """Receiver: a user was saved or deleted; copies that show users must reload.

    A new user belongs to no desk yet, and a login only stamps `last_login`: neither bumps.
    """
    if created or (update_fields is not None and not _USER_FIELDS_SHOWN & set(update_fields)):
        return
    version_changed(PEOPLE)
