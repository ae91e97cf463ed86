"""Live updates: channel-layer groups, publishing after commit, and the consumer base class.

Events carry ids and a per-tenant sequence number, never HTML: a page that hears about a
change re-fetches what it shows through the ordinary, tenant-scoped views.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import functools
import json
import logging
import os
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis
import redis.asyncio
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from helpdesk.tenancy import membership_of, resolve_tenant, tenant_context

logger = logging.getLogger(__name__)


def tenant_group(tenant_id: int) -> str:
    """Everyone on the staff of one tenant."""
    return f"tenant.{tenant_id}"


def team_group(tenant_id: int, team_id: int) -> str:
    """The agents of one team."""
    return f"tenant.{tenant_id}.team.{team_id}"


def ticket_group(tenant_id: int, ticket_id: int) -> str:
    """Everyone looking at one ticket."""
    return f"tenant.{tenant_id}.ticket.{ticket_id}"


def user_group(tenant_id: int, user_id: int) -> str:
    """One person's browsers, in one tenant."""
    return f"tenant.{tenant_id}.user.{user_id}"


def ticket_staff_group(tenant_id: int, ticket_id: int) -> str:
    """The agents looking at one ticket: who else is viewing it, who is typing."""
    return f"tenant.{tenant_id}.ticket.{ticket_id}.staff"


@dataclass(frozen=True)
class Event:
    """Something that changed, and the groups that should hear of it."""

    tenant_id: int
    type: str
    groups: tuple[str, ...]
    ids: dict[str, Any] = field(default_factory=dict)


def tenant_event(tenant_id: int, type: str, **ids: Any) -> Event:
    """An event for the whole staff of a tenant, e.g. `ticket.created` with `ticket=<id>`."""
    return Event(tenant_id=tenant_id, type=type, groups=(tenant_group(tenant_id),), ids=ids)


def _seq_key(tenant_id: int) -> str:
    # The tenant's event counter: clients that reconnect ask for what came after theirs.
    return f"{settings.CACHES['default']['KEY_PREFIX']}:live:seq:{tenant_id}"


def _log_key(tenant_id: int) -> str:
    # The tenant's recent events (a capped Redis stream), replayed to pages that reconnect.
    return f"{settings.CACHES['default']['KEY_PREFIX']}:live:log:{tenant_id}"


LOG_LENGTH = 2000  # events kept per tenant for catching up; older gaps make a page resync
# Events of several processes reach the log in commit order, not always in seq order:
# a replay reads this many entries past the first one it already had.
LOG_SLACK = 200


@functools.cache
def _redis() -> redis.Redis:
    """A blocking client for consumers' catch-up reads (run off the event loop)."""
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def current_seq(tenant_id: int) -> int:
    """The tenant's latest event number (0 when Redis cannot say); pages start from it."""
    try:
        return int(_redis().get(_seq_key(tenant_id)) or 0)
    except (redis.RedisError, OSError):
        return 0


def missed_events(tenant_id: int, since: int, groups: Collection[str]) -> list[dict] | None:
    """Events after `since` sent to any of `groups`, oldest first.

    None when the log no longer reaches back to `since` (or Redis cannot say): the page
    must then refresh everything it shows instead of replaying.
    """
    try:
        current = int(_redis().get(_seq_key(tenant_id)) or 0)
        if since >= current:
            return []
        entries = _redis().xrevrange(_log_key(tenant_id), count=LOG_LENGTH)
    except (redis.RedisError, OSError):
        return None
    wanted = set(groups)
    missed, lowest, reached = [], None, False
    for _entry_id, fields in entries:
        seq = int(fields[b"seq"])
        lowest = seq if lowest is None else min(lowest, seq)
        if seq <= since - LOG_SLACK:
            reached = True
            break
        if seq > since and wanted.intersection(json.loads(fields[b"groups"])):
            missed.append(json.loads(fields[b"payload"]))
    if not reached and (lowest is None or lowest > since + 1):
        return None
    return sorted(missed, key=lambda payload: payload["seq"])


_async_clients: dict[int, redis.asyncio.Redis] = {}


def _async_redis() -> redis.asyncio.Redis:
    """The sender loop's own client (asyncio clients belong to the loop that made them)."""
    pid = os.getpid()
    if pid not in _async_clients:
        _async_clients[pid] = redis.asyncio.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return _async_clients[pid]


SEND_CONCURRENCY = 16  # sends in flight at once per process, well inside the Redis pools


class _Sender:
    """One event loop per process, in a daemon thread, that delivers events in order.

    `async_to_sync(group_send)` per event costs a thread hand-off and a fresh Redis
    connection (the channel layer pools connections per event loop): about 3 ms, more than
    the ticket insert it reports. Handing the send to a long-lived loop takes microseconds
    and keeps one connection; events still leave in the order they were published.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._pending: set[concurrent.futures.Future[None]] = set()
        self._gate = asyncio.Semaphore(SEND_CONCURRENCY)
        atexit.register(self.drain)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # A forked child (a Celery prefork worker) inherits no running thread: start anew.
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                self._pending = set()
                # A burst (a sweep's breaches of a hundred desks, committed at once) waits its
                # turn instead of asking Redis for more connections than its pool holds.
                self._gate = asyncio.Semaphore(SEND_CONCURRENCY)
                threading.Thread(
                    target=self._loop.run_forever, name="live-sender", daemon=True
                ).start()
            return self._loop

    def submit(self, event: Event) -> None:
        loop = self._running_loop()
        future = asyncio.run_coroutine_threadsafe(_gated(self._gate, _send(event)), loop)
        self._pending.add(future)
        future.add_done_callback(self._done)

    def submit_all(self, events: tuple[Event, ...]) -> None:
        """Send many events one after another in one coroutine (one connection, not hundreds)."""
        loop = self._running_loop()
        future = asyncio.run_coroutine_threadsafe(_gated(self._gate, _send_all(events)), loop)
        self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: concurrent.futures.Future[None]) -> None:
        self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            # The change is committed; only the live nudge is lost, and pages catch up.
            logger.warning("live update not delivered: %r", future.exception())

    def drain(self, timeout: float = 2.0) -> None:
        """Wait (briefly) for events still on their way, e.g. before the process exits."""
        concurrent.futures.wait(list(self._pending), timeout=timeout)


async def _gated(gate: asyncio.Semaphore, send: Any) -> None:
    async with gate:
        await send


async def _send(event: Event) -> None:
    # The sequence number is taken here, in the sender's thread, so the committing request
    # or task does not wait for Redis; one sender per process keeps them in publish order.
    client = _async_redis()
    seq = await client.incr(_seq_key(event.tenant_id))
    payload = {"type": event.type, "seq": seq, **event.ids}
    layer = get_channel_layer()
    for group in event.groups:
        await layer.group_send(group, {"type": "live.event", "payload": payload})
    await client.xadd(
        _log_key(event.tenant_id),
        {"seq": seq, "groups": json.dumps(event.groups), "payload": json.dumps(payload)},
        maxlen=LOG_LENGTH,
        approximate=True,
    )


async def _send_all(events: tuple[Event, ...]) -> None:
    for event in events:
        try:
            await _send(event)
        except Exception as error:  # one lost nudge must not lose the ones after it
            logger.warning("live update not delivered: %r", error)


_sender = _Sender()


def publish(event: Event) -> None:
    """Send `event` to its groups; a broken channel layer is logged, never raised."""
    _sender.submit(event)


def publish_on_commit(event: Event) -> None:
    """Publish `event` once the current transaction commits (never for a rolled-back change)."""
    transaction.on_commit(functools.partial(publish, event))


def publish_all_on_commit(events: Iterable[Event]) -> None:
    """Publish many events after commit, in order and one at a time (a sweep's breaches)."""
    transaction.on_commit(functools.partial(_sender.submit_all, tuple(events)))


def header(scope: dict[str, Any], name: bytes) -> str:
    """A header of an ASGI connection scope, decoded; empty when absent."""
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class SameOriginValidator:
    """Refuse WebSocket handshakes whose Origin is not the host they connect to.

    A session cookie belongs to one tenant's host; a page of another host (even another
    tenant's desk on the same base domain) must not open a socket that rides on it.
    """

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        origin = urlsplit(header(scope, b"origin")).netloc.lower()
        if not origin or origin != header(scope, b"host").lower():
            await send({"type": "websocket.close", "code": 4403})
            return None
        return await self.application(scope, receive, send)


class TenantConsumer(AsyncJsonWebsocketConsumer):
    """A WebSocket of one tenant's desk: tenant from the host, the session's user, own groups.

    Subclasses join only groups they computed with the `*_group()` helpers after checking
    permissions in `connect()`; clients never name a group.
    """

    tenant_id: int | None = None

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.joined: list[str] = []
        tenant = await database_sync_to_async(resolve_tenant)(header(self.scope, b"host"))
        self.tenant_id = tenant.pk if tenant else None
        self.tenant = tenant
        if tenant is None:
            await self.close(code=4404)
            return
        await super().websocket_connect(message)

    def in_tenant(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run database work inside this socket's tenant, off the event loop."""

        def run() -> Any:
            with tenant_context(self.tenant_id):
                return function(*args, **kwargs)

        return database_sync_to_async(run)()

    async def membership(self) -> Any:
        """The user's membership in this tenant; None for anonymous users and outsiders."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        return await self.in_tenant(membership_of, user, self.tenant)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.append(group)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def live_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
