"""The desk's live socket as the tickets app extends it: watching a ticket, viewers, typing."""

from __future__ import annotations

import asyncio
from typing import Any

from helpdesk import live, presence
from helpdesk.consumers import LiveConsumer
from helpdesk.tenancy import Role
from tickets import selectors


def _visible_ticket(ticket_id: int, user: Any, role: str) -> bool:
    """Whether this member may follow the ticket: staff those they may open, customers theirs."""
    if Role(role).includes(Role.AGENT):
        sees_all = Role(role).includes(Role.MANAGER)
        tickets = selectors.agent_tickets(agent=user, sees_all=sees_all)
        return tickets.filter(pk=ticket_id).exists()
    return selectors.requester_tickets(user=user).filter(pk=ticket_id).exists()


class DeskConsumer(LiveConsumer):
    """A desk page's socket: staff hear the whole desk, everyone their own changes.

    A page also says which ticket it shows (`ticket.watch`): it then hears that ticket's
    changes, and an agent sees who else views it and who is typing (`ticket.typing`).
    """

    watching: int | None = None
    viewing: asyncio.Task[None] | None = None

    async def live_groups(self, membership: Any) -> list[str]:
        groups = await super().live_groups(membership)
        if membership.is_staff:
            groups.append(live.tenant_group(self.tenant_id))
        return groups

    async def disconnect(self, code: int) -> None:
        if self.watching is not None:
            await self._stop_viewing()
        await super().disconnect(code)

    async def receive_message(self, kind: str, content: dict[str, Any]) -> None:
        if kind == "ticket.watch":
            await self._watch(content.get("ticket"))
        elif kind == "ticket.typing":
            await self._typing(content.get("ticket"))

    async def _watch(self, ticket_id: Any) -> None:
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or self.watching:
            return  # one ticket per page; a second request is ignored
        allowed = await self.in_tenant(
            _visible_ticket, ticket_id, self.scope["user"], self.member.role
        )
        if not allowed:
            await self.send_json({"type": "ticket.refused", "ticket": ticket_id})
            return
        self.watching = ticket_id
        await self.join(live.ticket_group(self.tenant_id, ticket_id))
        if self.member.is_staff:
            await self.join(live.ticket_staff_group(self.tenant_id, ticket_id))
            user = self.scope["user"]
            self.viewer = presence.viewer_member(user.pk, user.get_full_name(), self.channel_name)
            await asyncio.to_thread(presence.viewer_mark, self.tenant_id, ticket_id, self.viewer)
            self.viewing = asyncio.create_task(
                presence.viewer_stay(self.tenant_id, ticket_id, self.viewer)
            )
            await self._announce_viewers(ticket_id)

    async def _stop_viewing(self) -> None:
        ticket_id = self.watching
        if self.viewing is None or ticket_id is None:
            return
        self.viewing.cancel()
        await asyncio.to_thread(presence.viewer_unmark, self.tenant_id, ticket_id, self.viewer)
        await self._announce_viewers(ticket_id)

    async def _announce_viewers(self, ticket_id: int) -> None:
        viewers = await asyncio.to_thread(presence.viewers, self.tenant_id, ticket_id)
        payload = {"type": "ticket.viewers", "ticket": ticket_id, "viewers": viewers}
        await self.channel_layer.group_send(
            live.ticket_staff_group(self.tenant_id, ticket_id),
            {"type": "live.event", "payload": payload},
        )

    async def _typing(self, ticket_id: Any) -> None:
        # Only an agent on the ticket's page may say they type on it; it is not logged.
        if not self.member.is_staff or ticket_id != self.watching:
            return
        user = self.scope["user"]
        payload = {
            "type": "ticket.typing",
            "ticket": ticket_id,
            "user": user.pk,
            "name": user.get_full_name(),
        }
        await self.channel_layer.group_send(
            live.ticket_staff_group(self.tenant_id, ticket_id),
            {"type": "live.event", "payload": payload},
        )
