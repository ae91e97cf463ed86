"""A desk's slow-changing rows, kept in each process until their version in Redis changes.

Whoever changes such rows calls `version_changed(name, tenant_id)`; every process compares the
version it loaded under with the one in Redis before each use and reloads when they differ. A
use then costs one Redis GET instead of the queries. With Redis unreachable nothing is kept:
every use reads the database, which is slower but never stale.

A version without a tenant (`tenant_id=None`) is shared by all desks, for global rows such as
users, whose change cannot be traced to the desks they belong to.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

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
    try:
        cache.set(version_key(name, tenant_id), uuid.uuid4().hex, timeout=None)
    except Exception:  # redis raises many kinds; the change itself is committed regardless
        logger.warning("could not publish a new version of %s (tenant %s)", name, tenant_id)


def version_changed(name: str, tenant_id: int | None = None) -> None:
    """Make every process read `name` again: now, and again once the change is committed.

    Bumped now (this transaction's own reads see the change) and again after commit: a
    process that reloaded in between read the old rows, and the second bump sends it back.
    """
    version_bump(name, tenant_id)
    transaction.on_commit(lambda: version_bump(name, tenant_id))


def versions_current(keys: Sequence[str]) -> tuple[str, ...] | None:
    """The versions under `keys` in one round trip (missing ones created); None: Redis down."""
    try:
        found = cache.get_many(keys)
        missing = [key for key in keys if key not in found]
        if missing:  # evicted or never set: agree on fresh ones
            for key in missing:
                cache.add(key, uuid.uuid4().hex, timeout=None)
            found.update(cache.get_many(missing))
        return tuple(found[key] for key in keys)
    except Exception:
        logger.warning("versions %s unavailable; reading from the database", list(keys))
        return None


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
