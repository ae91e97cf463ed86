"""Live updates: channel-layer groups, publishing after commit, and the consumer base class.

Events carry ids and a per-tenant sequence number, never HTML: a page that hears about a
change re-fetches what it shows through the ordinary, tenant-scoped views.

Nothing is silently lost when Redis is away. A process keeps the events raised meanwhile
(`WAITING_LIMIT` of them) and delivers them once Redis is back; beyond that it drops them and,
once Redis is back, tells every page of their desks to resync (`RESYNC`). A page catches up
from the event log after its socket reconnected, and after its server's subscriptions were
made anew (`_LayerWatch`); the log refuses to vouch for a page it cannot prove saw every
event (a gap, a resync notice, a number of a counter Redis has lost since), which then
refreshes its regions once. A counter Redis lost starts again above every number it gave
before, so no page takes a new event for one it already had.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from helpdesk.background import QueueThread
from helpdesk.desk_cache import membership_in, tenant_at
from helpdesk.middleware import DESK_SESSION_KEY
from helpdesk.redis_clients import redis_client
from helpdesk.tenancy import tenant_context

logger = logging.getLogger(__name__)


def tenant_group(tenant_id: int) -> str:
    """Everyone on the staff of one tenant (the desk group): what every agent must see."""
    return f"tenant.{tenant_id}"


def team_group(tenant_id: int, team_id: int) -> str:
    """The agents of one team, its managers, and pages showing the team's queue."""
    return f"tenant.{tenant_id}.team.{team_id}"


def all_teams_group(tenant_id: int) -> str:
    """Pages listing tickets of every team (pending, breaching soon, all tickets, saved views)."""
    return f"tenant.{tenant_id}.all-teams"


def ticket_group(tenant_id: int, ticket_id: int) -> str:
    """Everyone looking at one ticket."""
    return f"tenant.{tenant_id}.ticket.{ticket_id}"


def user_group(tenant_id: int, user_id: int) -> str:
    """One person's browsers, in one tenant."""
    return f"tenant.{tenant_id}.user.{user_id}"


def ticket_staff_group(tenant_id: int, ticket_id: int) -> str:
    """The agents looking at one ticket: who else is viewing it, who is typing."""
    return f"tenant.{tenant_id}.ticket.{ticket_id}.staff"


def pages_group(tenant_id: int) -> str:
    """Every live page of one tenant, staff's and customers': told to resync when events of
    the desk were lost."""
    return f"tenant.{tenant_id}.pages"


# The event that makes a page refresh each of its live regions once.
RESYNC = "live.resync"


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


def _redis() -> redis.Redis:
    """A blocking client for consumers' catch-up reads (run off the event loop)."""
    return redis_client()


def _seq_start() -> int:
    # Where a tenant's counter starts when Redis has none (a new desk, or Redis lost its
    # data): the clock in microseconds, above every number an earlier counter gave unless
    # that one averaged more than an event a microsecond. JavaScript counts it exactly
    # (below 2**53) until the year 2255.
    return time.time_ns() // 1000


def current_seq(tenant_id: int) -> int:
    """The tenant's latest event number; pages start from it.

    A desk without a counter gets one here, so a page shown before its first event still
    catches up on it. 0 when Redis cannot say: such a page refreshes its regions when its
    socket connects.
    """
    try:
        client = _redis()
        seq = client.get(_seq_key(tenant_id))
        if seq is None:
            client.set(_seq_key(tenant_id), _seq_start(), nx=True)
            seq = client.get(_seq_key(tenant_id))
        return int(seq or 0)
    except (redis.RedisError, OSError):
        return 0


def missed_events(tenant_id: int, since: int, groups: Collection[str]) -> list[dict] | None:
    """Events after `since` sent to any of `groups`, oldest first.

    None when the log cannot prove the page saw every other event: `since` is unknown (0),
    the log no longer reaches back to it, it belongs to a counter Redis has lost since, events
    of the desk were dropped after it (a resync notice), or Redis cannot say. The page must
    then refresh everything it shows instead of replaying.
    """
    if since <= 0:
        return None
    try:
        current = int(_redis().get(_seq_key(tenant_id)) or 0)
        if since == current:
            return []
        if since > current:  # a number the counter never reached: Redis lost it since
            return None
        # Entries are logged in number order; the slack covers those a catch-up passes.
        count = min(LOG_LENGTH, current - since + 2 * LOG_SLACK)
        entries = _redis().xrevrange(_log_key(tenant_id), count=count)
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
            payload = json.loads(fields[b"payload"])
            if payload["type"] == RESYNC:
                return None
            missed.append(payload)
    if not reached and (lowest is None or lowest > since + 1):
        return None
    return sorted(missed, key=lambda payload: payload["seq"])


# One round trip per batch of events: each gets the tenant's next number, goes into the
# tenant's log and is published to its groups. KEYS: per event, its sequence and log keys.
# ARGV: the log length, where a new counter starts (`_seq_start`), then per event its groups
# (JSON), its payload (JSON without the closing brace; the number is appended), its count of
# groups, and per group the pub/sub channel and the message before and after its number (a
# msgpack uint 64, spliced in). Numbers are written with '%.0f': Lua's own conversion
# writes numbers of 15 digits and more with an exponent.
_DELIVER_LUA = """
local at = 3
local numbers = {}
for k = 1, #KEYS, 2 do
  local seq = redis.call('INCR', KEYS[k])
  if seq == 1 then
    seq = redis.call('INCRBY', KEYS[k], ARGV[2])
  end
  local number = string.format('%.0f', seq)
  redis.call('XADD', KEYS[k + 1], 'MAXLEN', '~', ARGV[1], '*', 'seq', number,
             'groups', ARGV[at], 'payload', ARGV[at + 1] .. number .. '}')
  local bytes, rest = {}, seq
  for i = 8, 1, -1 do
    bytes[i] = string.char(rest % 256)
    rest = math.floor(rest / 256)
  end
  local packed = string.char(0xcf) .. table.concat(bytes)
  local groups = tonumber(ARGV[at + 2])
  at = at + 3
  for g = 1, groups do
    redis.call('PUBLISH', ARGV[at], ARGV[at + 1] .. packed .. ARGV[at + 2])
    at = at + 3
  end
  numbers[#numbers + 1] = seq
end
return numbers
"""

# Stands in for the sequence number while a message is serialised: msgpack writes it as a
# uint 64 (0xcf and eight bytes), which the script replaces with the real number.
_SEQ_MARK = 0xFEED_FACE_CAFE_BEEF
_SEQ_MARK_BYTES = b"\xcf" + _SEQ_MARK.to_bytes(8, "big")

SEND_BATCH = 200  # events delivered in one round trip at most
# Events kept while Redis is away; beyond that they are dropped and their desks' pages resync.
WAITING_LIMIT = 10_000
# Seconds between attempts while Redis is away: the first pause, doubled up to the last.
RETRY_PAUSES = (0.05, 1.0)
# Errors of a Redis that is away (down, unreachable, restarting, a replica, full), after which
# the same events are tried again. Any other error is a bug in the events: they are dropped.
REDIS_AWAY = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.TryAgainError,
    OSError,
)


@functools.cache
def _deliver_script() -> Any:
    return _redis().register_script(_DELIVER_LUA)


@functools.cache
def _layer_channels() -> Callable[[str], str] | None:
    """How the channel layer names a group's pub/sub channel, when events can be published
    straight to it (the pub/sub layer on one Redis, messages serialised without encryption)."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = get_channel_layer()
    config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
    if type(layer) is not RedisPubSubChannelLayer or len(config.get("hosts", [])) != 1:
        return None
    if _SEQ_MARK_BYTES not in layer.serialize({"seq": _SEQ_MARK}):
        return None  # encrypted: the number cannot be spliced in
    prefix = config.get("prefix", "asgi")
    return lambda group: f"{prefix}__group__{group}"


def _deliver(events: list[Event]) -> None:
    """Number, log and publish `events` in order, in one round trip where the layer allows."""
    channel_of = _layer_channels()
    layer = get_channel_layer()
    keys: list[str] = []
    args: list[Any] = [LOG_LENGTH, _seq_start()]
    for event in events:
        keys += [_seq_key(event.tenant_id), _log_key(event.tenant_id)]
        payload = json.dumps({"type": event.type, **event.ids})
        args += [json.dumps(event.groups), payload[:-1] + ', "seq": ']
        if channel_of is None:
            args.append(0)
            continue
        message = layer.serialize(
            {"type": "live.event", "payload": {"type": event.type, **event.ids, "seq": _SEQ_MARK}}
        )
        before, after = message.split(_SEQ_MARK_BYTES, 1)
        args.append(len(event.groups))
        for group in event.groups:
            args += [channel_of(group), before, after]
    numbers = _deliver_script()(keys=keys, args=args, client=_redis())
    if channel_of is None:  # another layer: its own group_send, one event at a time
        for event, seq in zip(events, numbers, strict=True):
            payload = {"type": event.type, **event.ids, "seq": seq}
            for group in event.groups:
                async_to_sync(layer.group_send)(group, {"type": "live.event", "payload": payload})


class _Sender(QueueThread):
    """One thread per process that delivers events in publish order.

    The committing request or task only queues its event. The thread takes whatever waits
    and delivers it in one Redis round trip, so a burst (a sweep's breaches of a hundred
    desks) costs a few round trips, not hundreds, and Redis being away never holds up a
    commit. While Redis is away the thread tries the same events again, and the queue keeps
    what comes meanwhile up to `WAITING_LIMIT`; an event beyond that is dropped, and its
    desk's pages are told to resync with the next delivery. A reply lost in a timeout may
    deliver events twice: a page then refreshes a row once more, which is harmless.
    """

    def __init__(self) -> None:
        super().__init__("live-sender", maxsize=WAITING_LIMIT)
        self._lost_lock = threading.Lock()
        self._lost: set[int] = set()  # desks whose events were dropped: their pages resync

    def _forget_parent(self) -> None:
        self._lost = set()

    def _run(self, waiting: queue.Queue[Event]) -> None:
        while True:
            batch = [waiting.get()]
            while len(batch) < SEND_BATCH:
                try:
                    batch.append(waiting.get_nowait())
                except queue.Empty:
                    break
            try:
                self._deliver(batch)
            finally:
                for _event in batch:
                    waiting.task_done()

    def _deliver(self, batch: list[Event]) -> None:
        """Deliver `batch` (and resync notices for desks with dropped events), trying again
        for as long as Redis is away."""
        pause, first_pause = RETRY_PAUSES[0], RETRY_PAUSES[0]
        while True:
            lost = self._take_lost()
            notices = [
                Event(tenant_id=tenant, type=RESYNC, groups=(pages_group(tenant),))
                for tenant in lost
            ]
            try:
                _deliver([*notices, *batch])
            except REDIS_AWAY as error:
                with self._lost_lock:
                    self._lost |= lost  # the notices go with the next attempt
                if pause == first_pause:
                    logger.warning("live updates wait for Redis: %r", error)
                time.sleep(pause)
                pause = min(pause * 2, RETRY_PAUSES[1])
                continue
            except Exception:  # a bug in these events: drop them rather than block the rest
                logger.exception("%d live updates not delivered", len(batch))
                self._lose(lost | {event.tenant_id for event in batch})
                return
            if pause != first_pause:
                logger.warning("live updates delivered again")
            return

    def _take_lost(self) -> set[int]:
        if not self._lost:  # the usual case, without the lock
            return set()
        with self._lost_lock:
            lost, self._lost = self._lost, set()
        return lost

    def _lose(self, tenant_ids: Iterable[int]) -> None:
        with self._lost_lock:
            for tenant_id in tenant_ids:
                if tenant_id not in self._lost:
                    logger.warning("live updates of tenant %s lost; pages resync", tenant_id)
                    self._lost.add(tenant_id)

    def submit(self, events: Iterable[Event]) -> None:
        waiting = self._started()
        for event in events:
            try:
                waiting.put_nowait(event)
            except queue.Full:
                self._lose((event.tenant_id,))


_sender = _Sender()


def publish(event: Event) -> None:
    """Send `event` to its groups; a broken channel layer is logged, never raised."""
    _sender.submit((event,))


def publish_on_commit(event: Event) -> None:
    """Publish `event` once the current transaction commits (never for a rolled-back change)."""
    transaction.on_commit(functools.partial(publish, event))


def publish_all_on_commit(events: Iterable[Event]) -> None:
    """Publish many events after commit, in order (a sweep's breaches)."""
    transaction.on_commit(functools.partial(_sender.submit, tuple(events)))


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


def _subscription_connections(layer: Any) -> list[Any]:
    """The Redis connections that carry this event loop's subscriptions to `layer`.

    Only channels-redis's pub/sub layer has them, and it does not expose them: this reads its
    private attributes (channels-redis 4.3), and finds none should they change, which
    tests/helpdesk/test_live_outage.py notices.
    """
    from channels_redis.pubsub import RedisPubSubChannelLayer

    if not isinstance(layer, RedisPubSubChannelLayer):
        return []
    shards = getattr(layer._get_layer(), "_shards", ())
    pubsubs = [getattr(shard, "_pubsub", None) for shard in shards]
    return [pubsub.connection for pubsub in pubsubs if getattr(pubsub, "connection", None)]


class _LayerWatch:
    """Tells the sockets of one event loop when its channel-layer subscriptions were made anew.

    channels-redis's pub/sub layer connects and subscribes again by itself after losing Redis
    (restarted, unreachable, or cutting off a subscriber that fell behind), silently: what
    was published meanwhile never arrives (its own reconnect hooks are gone: channels_redis
    issues 256 and 406). redis-py calls a connection's connect callbacks after every
    reconnect, the pub/sub's resubscription first; this one then tells each socket, which
    catches up on what it missed. It costs nothing while the connection holds.
    """

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[TenantConsumer] = weakref.WeakSet()

    def watch(self, consumer: TenantConsumer) -> None:
        self.sockets.add(consumer)
        for connection in _subscription_connections(consumer.channel_layer):
            connection.register_connect_callback(self.reconnected)  # kept once, weakly

    def reconnected(self, connection: Any) -> None:
        for consumer in list(self.sockets):
            consumer.layer_reconnected()


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LayerWatch] = (
    weakref.WeakKeyDictionary()
)


def _layer_watch() -> _LayerWatch:
    """The running event loop's watch (each loop has its own channel layer connections)."""
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None:
        watch = _watches[loop] = _LayerWatch()
    return watch


class TenantConsumer(AsyncJsonWebsocketConsumer):
    """A WebSocket of one tenant's desk: tenant from the host, the session's user, own groups.

    Subclasses join only groups they computed with the `*_group()` helpers after checking
    permissions in `connect()`; clients never name a group.
    """

    tenant_id: int | None = None

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.joined: list[str] = []
        tenant = await database_sync_to_async(tenant_at)(header(self.scope, b"host"))
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
        return await self.in_tenant(self._membership_if_bound, user, self.scope.get("session"))

    def _membership_if_bound(self, user: Any, session: Any) -> Any:
        # A login made on another desk is no login here (helpdesk/middleware.py).
        if session is not None and session.get(DESK_SESSION_KEY, self.tenant_id) != self.tenant_id:
            return None
        return membership_in(user, self.tenant)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.append(group)
        _layer_watch().watch(self)

    def layer_reconnected(self) -> None:
        """This socket's subscriptions were made anew after Redis was away: what was published
        to its groups meanwhile did not arrive. Subclasses that can catch up do it here."""

    async def disconnect(self, code: int) -> None:
        _layer_watch().sockets.discard(self)
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, in the one thread
        # that Django's synchronous code (every request's view) shares. A live event relayed
        # to each of hundreds of sockets touches no database, and that hop, queued behind
        # the page requests, cost more than the relay: relayed events skip it.
        if message["type"] == "live.event":
            await self.live_event(message)
            return
        await super().dispatch(message)

    async def live_event(self, event: dict[str, Any]) -> None:
        """Relay an event of one of this socket's groups to its page (ids, never HTML)."""
        await self.send_json(event["payload"])
