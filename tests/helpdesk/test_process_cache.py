"""What a process keeps of a desk's rows: reused until their version in Redis changes."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import redis
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from helpdesk import process_cache
from helpdesk.process_cache import TenantMemo
from helpdesk.tenancy import current_tenant_id, tenant_context
from tests.factories import UserFactory

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "KEY_PREFIX": "unreachable",
    }
}


def counting_memo(name: str) -> tuple[TenantMemo, list[int]]:
    loads: list[int] = []

    def load() -> str:
        loads.append(current_tenant_id())
        return f"rows of desk {current_tenant_id()} (load {len(loads)})"

    return TenantMemo(name, load, shared=["test-people"]), loads


def test_a_desks_rows_are_read_once_until_their_version_changes(acme):
    memo, loads = counting_memo("test-memo-once")
    with tenant_context(acme):
        first = memo.get()
        assert memo.get() is first
    memo.changed(acme.pk)  # what any process does when it changes the rows
    with tenant_context(acme):
        assert memo.get() != first
    assert loads == [acme.pk, acme.pk]


def test_a_change_to_shared_rows_reloads_every_desk(acme, globex):
    memo, loads = counting_memo("test-memo-shared")
    for tenant in (acme, globex):
        with tenant_context(tenant):
            memo.get()
    process_cache.version_changed("test-people")
    for tenant in (acme, globex):
        with tenant_context(tenant):
            memo.get()
    assert loads == [acme.pk, globex.pk, acme.pk, globex.pk]


def test_each_desk_gets_only_its_own_rows(acme, globex):
    memo, _loads = counting_memo("test-memo-desks")
    with tenant_context(acme):
        acme_rows = memo.get()
    with tenant_context(globex):
        globex_rows = memo.get()
    with tenant_context(acme):
        assert memo.get() == acme_rows
    assert acme_rows.startswith(f"rows of desk {acme.pk} ")
    assert globex_rows.startswith(f"rows of desk {globex.pk} ")


def test_with_redis_unreachable_every_use_reads_the_rows(acme):
    memo, loads = counting_memo("test-memo-down")
    with override_settings(CACHES=UNREACHABLE_REDIS), tenant_context(acme):
        memo.get()
        memo.get()
    assert loads == [acme.pk, acme.pk]


def test_a_login_leaves_copies_of_users_alone_and_a_new_name_does_not(db):
    user = UserFactory(full_name="Ada Lovelace")
    key = process_cache.version_key(process_cache.PEOPLE)
    before = process_cache.versions_current([key])
    user.save(update_fields=["last_login"])
    assert process_cache.versions_current([key]) == before
    user.full_name = "Ada King"
    user.save()
    assert process_cache.versions_current([key]) != before


def test_a_change_announced_by_another_process_reloads_at_the_next_use(acme):
    memo, loads = counting_memo("test-memo-elsewhere")
    with tenant_context(acme):
        memo.get()
        memo.get()  # the version is known: no reload, no question to Redis
    # Another process (an admin's request on another web worker) changes the desk's rows.
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from helpdesk import process_cache;"
         f" process_cache.version_bump('test-memo-elsewhere', {acme.pk})"],
        cwd=Path(__file__).resolve().parents[2], env=os.environ, check=True, timeout=60,
    )  # fmt: skip
    with tenant_context(acme):
        memo.get()
    assert loads == [acme.pk, acme.pk]


def test_a_lost_subscription_forgets_every_version_it_learned(acme):
    memo, loads = counting_memo("test-memo-lost")
    with tenant_context(acme):
        memo.get()
    admin = redis.Redis.from_url(settings.REDIS_URL)
    listener = process_cache._watch._pubsub.connection._sock.getsockname()
    (ours,) = [
        client["id"]
        for client in admin.client_list(_type="pubsub")
        if client["addr"] == f"{listener[0]}:{listener[1]}"
    ]
    admin.client_kill_filter(_id=ours)
    # While the connection was down a change went unannounced: only its version tells.
    unannounced = f"changed unannounced {uuid.uuid4()}"  # Redis outlives test databases
    cache.set(process_cache.version_key("test-memo-lost", acme.pk), unannounced, None)
    with tenant_context(acme):
        memo.get()
    assert loads == [acme.pk, acme.pk]
