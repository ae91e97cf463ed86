"""Which desk a host serves and what a user is there, kept in each process until they change.

A fast path (STYLE §11). Every request and socket starts with these two lookups, and they are
a fifth of what a live page's small requests cost: 0.7 ms for the desk by host and 1.2 ms for
the membership, of an 11 ms request for a queue's changed rows (in-process, measured on
2026-12-07 on a 50,000-ticket desk). Both change rarely. Here each process keeps what it
found under the versions of `helpdesk/process_cache.py`: desks and their domains under one
version shared by all desks, each desk's memberships under a version of its own. Saving or
deleting a tenant, a domain or a membership bumps them (`helpdesk/apps.py`); every process
reads again before its next use.

What it gives up: a request served from the copies runs no query for them, so Django's
query log and `django_assert_num_queries` do not see these lookups; a change made without
`save()`/`delete()` (a queryset `update()`) is not seen until the next bump. Only what was
found is kept: an unknown host or a user without a membership is looked up every time, so a
desk or membership created by any path (bulk inserts of a seed included) is found at once,
and hostile hosts cannot fill the copy. Callers get their own copy of each row, never the
one kept, so a form that edits a request's tenant cannot change what other requests see.
Tested against the plain lookups in `tests/helpdesk/test_desk_cache.py`.
"""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any

from helpdesk.process_cache import version_changed, version_key, versions_current
from helpdesk.tenancy import membership_of, resolve_tenant

if TYPE_CHECKING:
    from helpdesk.models import Membership, Tenant

DESKS = "desks"  # tenants and their domains, all desks at once
MEMBERS = "members"  # one desk's memberships
LIMIT = 10_000  # rows kept per version at most: a copy never grows without bound


class _Copies:
    """Rows found for each scope (a desk, or all of them) under the versions read before
    them; other versions start an empty copy, and what was kept under older ones is dropped."""

    def __init__(self) -> None:
        self._scopes: dict[int | None, tuple[tuple[str, ...], dict[Any, Any]]] = {}
        self._lock = threading.Lock()

    def rows(self, scope: int | None, versions: tuple[str, ...]) -> dict[Any, Any]:
        with self._lock:
            kept = self._scopes.get(scope)
            if kept is None or kept[0] != versions:
                kept = self._scopes[scope] = (versions, {})
            return kept[1]


_desks = _Copies()
_members = _Copies()


def tenant_at(host: str) -> Tenant | None:
    """`resolve_tenant(host)`, from this process's copy while no desk or domain changed."""
    key = host.split(":", 1)[0].lower().rstrip(".")
    versions = versions_current([version_key(DESKS)])
    if versions is None:  # Redis unreachable: nothing is kept
        return resolve_tenant(host)
    rows = _desks.rows(None, versions)
    tenant = rows.get(key)
    if tenant is None:
        tenant = resolve_tenant(host)
        if tenant is None:
            return None
        if len(rows) < LIMIT:
            rows[key] = tenant
    return copy.copy(tenant)


def membership_in(user: Any, tenant: Tenant | None) -> Membership | None:
    """`membership_of(user, tenant)`, from this process's copy while the desk's memberships
    did not change. Runs inside the tenant's context, as `membership_of` does."""
    if tenant is None or user is None or not user.is_authenticated:
        return None
    versions = versions_current([version_key(MEMBERS, tenant.pk)])
    if versions is None:
        return membership_of(user, tenant)
    rows = _members.rows(tenant.pk, versions)
    membership = rows.get(user.pk)
    if membership is None:
        membership = membership_of(user, tenant)
        if membership is None:
            return None
        if len(rows) < LIMIT:
            rows[user.pk] = membership
    return copy.copy(membership)


def desks_changed(sender: type, **kwargs: Any) -> None:
    """Receiver: a tenant or one of its domains was saved or deleted."""
    version_changed(DESKS)


def members_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    """Receiver: a membership was saved or deleted."""
    version_changed(MEMBERS, instance.tenant_id)
