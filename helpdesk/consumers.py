"""The live socket every signed-in page of a tenant holds: the platform's part of it.

`LiveConsumer` admits members of the desk, joins the groups `live_groups()` names, keeps agents
counted as online while a workspace page is open, and replays what a page missed after a
reconnect (`catch_up` with its last `seq`), or tells it to resync when the event log cannot
prove it missed nothing. It does the same for an open page whose server lost its
subscriptions to Redis for a while (`layer_reconnected`). Apps subclass it for what their
pages add (the tickets app: watching a ticket, who else views it, who is typing) and name it
in their `routing.py`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from helpdesk import live, presence


class LiveConsumer(live.TenantConsumer):
    """Tells a member's browser about changes they may see, and what it missed."""

    # Where the page stands in its desk's events: the number it said it had, raised by every
    # event sent to it since. None until the page says (its first `catch_up`).
    seq: int | None = None
    catching_up: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        membership = await self.membership()
        if membership is None:
            await self.close(code=4403)  # anonymous, or not a member of this tenant
            return
        self.member = membership
        for group in await self.live_groups(membership):
            await self.join(group)
        if membership.is_staff:
            # An open workspace counts the agent as online (the chat widget asks).
            self.staff_socket = presence.staff_member(membership.user_id, self.channel_name)
            self.presence = asyncio.create_task(
                presence.stay_online(self.tenant_id, self.staff_socket)
            )
        await self.accept()
        await self.send_json({"type": "live.ready", "tenant": self.tenant.slug})

    async def live_groups(self, membership: Any) -> list[str]:
        """The groups this member's socket hears; subclasses add their own."""
        return [
            live.user_group(self.tenant_id, membership.user_id),
            live.pages_group(self.tenant_id),
        ]

    async def live_event(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        seq = payload.get("seq")
        if self.seq is not None and seq is not None and seq > self.seq:
            self.seq = seq
        await self.send_json(payload)

    def layer_reconnected(self) -> None:
        # From before the subscriptions were lost: nothing reached this socket since.
        if self.seq is not None:
            self.catching_up = asyncio.ensure_future(self._catch_up(self.seq))

    async def disconnect(self, code: int) -> None:
        if getattr(self, "presence", None) is not None:
            self.presence.cancel()
            await asyncio.to_thread(presence.mark_offline, self.tenant_id, self.staff_socket)
        await super().disconnect(code)

    async def receive_json(self, content: Any, **kwargs: object) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "catch_up":
            await self._catch_up(content.get("since"))
        elif isinstance(kind, str):
            await self.receive_message(kind, content)

    async def receive_message(self, kind: str, content: dict[str, Any]) -> None:
        """A message of the page other than ping and catch-up; subclasses handle theirs."""

    async def _catch_up(self, since: Any) -> None:
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            return
        missed = await asyncio.to_thread(
            live.missed_events, self.tenant_id, since, tuple(self.joined)
        )
        if missed is None:
            # The page refreshes everything, so it stands where the desk stands now.
            now = await asyncio.to_thread(live.current_seq, self.tenant_id)
            self.seq = max(since, self.seq or 0, now)
            await self.send_json({"type": live.RESYNC, **({"seq": now} if now else {})})
            return
        self.seq = max(since, self.seq or 0, *(payload["seq"] for payload in missed))
        for payload in missed:
            await self.send_json(payload)
