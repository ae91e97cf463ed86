"""Who is connected right now: staff of a desk (for the chat) and visitors of a chat ticket.

Each open socket is a member of a Redis sorted set scored with the moment it stops counting.
A socket that closes normally removes itself; one whose server died simply expires, so a
crash never leaves a desk looking staffed. Sockets stay counted by calling `mark_online`
again within `TTL` (`stay_online` does it for the life of a socket).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import redis
from django.conf import settings

from helpdesk.redis_clients import redis_client

logger = logging.getLogger(__name__)

TTL = 90  # seconds a mark lasts without being renewed
RENEW_EVERY = 30  # seconds between renewals while a socket is open


def _redis() -> redis.Redis:
    return redis_client()


def _prefix() -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:presence"


def _staff_key(tenant_id: int) -> str:
    return f"{_prefix()}:staff:{tenant_id}"


def _visitor_key(tenant_id: int, ticket_id: int) -> str:
    return f"{_prefix()}:chat:{tenant_id}:{ticket_id}"


def _mark(key: str, channel_name: str) -> None:
    now = time.time()
    try:
        with _redis().pipeline() as pipe:
            pipe.zadd(key, {channel_name: now + TTL})
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.expire(key, TTL)
            pipe.execute()
    except (redis.RedisError, OSError):
        logger.warning("presence of %s not recorded", key)


def _unmark(key: str, channel_name: str) -> None:
    try:
        _redis().zrem(key, channel_name)
    except (redis.RedisError, OSError):
        logger.warning("presence of %s not cleared; it expires by itself", key)


def _anyone(key: str) -> bool:
    try:
        return bool(_redis().zcount(key, f"({time.time()}", "+inf"))
    except (redis.RedisError, OSError):
        # Unknown: say nobody, so a visitor is told to expect email rather than wait.
        logger.warning("presence of %s unknown", key)
        return False


def mark_online(tenant_id: int, channel_name: str) -> None:
    """Count one staff socket (`/ws/live/`) of the desk as open for the next `TTL` seconds."""
    _mark(_staff_key(tenant_id), channel_name)


def mark_offline(tenant_id: int, channel_name: str) -> None:
    """Stop counting one staff socket of the desk."""
    _unmark(_staff_key(tenant_id), channel_name)


def staff_online(tenant_id: int) -> bool:
    """Whether at least one staff member of the desk has an open socket."""
    return _anyone(_staff_key(tenant_id))


def staff_member(user_id: int, channel_name: str) -> str:
    """How one staff socket is counted: whose it is and which one, so teams can be told apart."""
    return f"{user_id}|{channel_name}"


def staff_online_ids(tenant_id: int) -> set[int]:
    """The users of the desk's staff who have an open socket now (sockets of no known user,
    counted by `staff_online`, are not among them)."""
    try:
        members = _redis().zrangebyscore(_staff_key(tenant_id), time.time(), "+inf")
    except (redis.RedisError, OSError):
        logger.warning("staff presence of tenant %s unknown", tenant_id)
        return set()
    ids = set()
    for member in members:
        user, bar, _channel = (member.decode() if isinstance(member, bytes) else member).partition(
            "|"
        )
        if bar and user.isdigit():
            ids.add(int(user))
    return ids


def visitor_mark_online(tenant_id: int, ticket_id: int, channel_name: str) -> None:
    """Count one chat socket following `ticket_id` as open for the next `TTL` seconds."""
    _mark(_visitor_key(tenant_id, ticket_id), channel_name)


def visitor_mark_offline(tenant_id: int, ticket_id: int, channel_name: str) -> None:
    """Stop counting one chat socket following `ticket_id`."""
    _unmark(_visitor_key(tenant_id, ticket_id), channel_name)


def visitor_online(tenant_id: int, ticket_id: int) -> bool:
    """Whether the requester of a chat ticket has the chat open (else replies go by email)."""
    return _anyone(_visitor_key(tenant_id, ticket_id))


async def _renew(key: str, channel_name: str) -> None:
    while True:
        await asyncio.to_thread(_mark, key, channel_name)
        await asyncio.sleep(RENEW_EVERY)


async def stay_online(tenant_id: int, channel_name: str) -> None:
    """Keep one staff socket counted until cancelled: run it as a task while the socket is open."""
    await _renew(_staff_key(tenant_id), channel_name)


async def visitor_stay_online(tenant_id: int, ticket_id: int, channel_name: str) -> None:
    """Keep one chat socket counted until cancelled: run it as a task while the chat is open."""
    await _renew(_visitor_key(tenant_id, ticket_id), channel_name)


def _viewers_key(tenant_id: int, ticket_id: int) -> str:
    return f"{_prefix()}:viewers:{tenant_id}:{ticket_id}"


def viewer_member(user_id: int, name: str, channel_name: str) -> str:
    """How one agent's socket on a ticket is recorded: who, under which name, which socket."""
    return json.dumps({"id": user_id, "name": name, "socket": channel_name}, sort_keys=True)


def viewer_mark(tenant_id: int, ticket_id: int, member: str) -> None:
    """Count one agent's socket as viewing the ticket for the next `TTL` seconds."""
    _mark(_viewers_key(tenant_id, ticket_id), member)


def viewer_unmark(tenant_id: int, ticket_id: int, member: str) -> None:
    """Stop counting one agent's socket as viewing the ticket."""
    _unmark(_viewers_key(tenant_id, ticket_id), member)


def viewers(tenant_id: int, ticket_id: int) -> list[dict[str, object]]:
    """The agents viewing a ticket now, each once, by name."""
    try:
        members = _redis().zrangebyscore(_viewers_key(tenant_id, ticket_id), time.time(), "+inf")
    except (redis.RedisError, OSError):
        logger.warning("viewers of ticket %s unknown", ticket_id)
        return []
    people: dict[int, dict[str, object]] = {}
    for member in members:
        viewer = json.loads(member)
        people[viewer["id"]] = {"id": viewer["id"], "name": viewer["name"]}
    return sorted(people.values(), key=lambda viewer: str(viewer["name"]).lower())


async def viewer_stay(tenant_id: int, ticket_id: int, member: str) -> None:
    """Keep one agent's socket counted as viewing a ticket until cancelled."""
    await _renew(_viewers_key(tenant_id, ticket_id), member)
