"""The desk's live socket as the tickets app extends it: teams' news, watching a ticket or a
queue, viewers, typing."""

from __future__ import annotations

import asyncio
from typing import Any

from helpdesk import live, presence
from helpdesk.consumers import LiveConsumer
from helpdesk.tenancy import Role
from tickets import selectors
from tickets.models import Team

# Queues listing tickets of every team: their pages hear `live.all_teams_group`. The agent's
# own queues (my work, mine, unassigned) need no more than the socket's own groups.
ALL_TEAMS_QUEUES = {"pending", "breaching", "all", "spam", "view"}
OWN_QUEUES = {"inbox", "mine", "unassigned"}
MANAGER_QUEUES = {"all", "spam"}


def _sees_all(role: str) -> bool:
    return Role(role).includes(Role.MANAGER)


def _team_ids(user: Any, role: str) -> list[int]:
    """The teams whose news a staff member hears: their own; managers and admins every team."""
    if _sees_all(role):
        return list(Team.objects.order_by("pk").values_list("pk", flat=True))
    return selectors.my_team_ids(agent=user)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _visible_queue(user: Any, role: str, queue: Any, team_id: Any, view_id: Any) -> bool:
    """Whether this staff member may open the queue page they say they show."""
    if queue == "team":
        return (
            _is_id(team_id)
            and team_id not in selectors.hidden_team_ids(agent=user, sees_all=_sees_all(role))
            and Team.objects.filter(pk=team_id).exists()
        )
    if queue == "view":
        return _is_id(view_id) and selectors.saved_views(agent=user).filter(pk=view_id).exists()
    if queue in MANAGER_QUEUES:
        return _sees_all(role)
    return queue in ALL_TEAMS_QUEUES or queue in OWN_QUEUES


def _visible_ticket(ticket_id: int, user: Any, role: str) -> bool:
    """Whether this member may follow the ticket: staff those they may open, customers theirs."""
    if Role(role).includes(Role.AGENT):
        sees_all = Role(role).includes(Role.MANAGER)
        tickets = selectors.agent_tickets(agent=user, sees_all=sees_all)
        return tickets.filter(pk=ticket_id).exists()
    return selectors.requester_tickets(user=user).filter(pk=ticket_id).exists()


class DeskConsumer(LiveConsumer):
    """A desk page's socket: staff hear their teams and the desk group, everyone their own.

    Agents hear the news of their teams' tickets (managers and admins: of every team), what
    the whole desk must see (tickets without a team, availability) and their own tickets.
    A queue page says which queue it shows (`queue.watch`): another team's queue then hears
    that team, a queue of every team `live.all_teams_group`. A ticket page says which ticket
    it shows (`ticket.watch`): it then hears that ticket's changes, and an agent sees who
    else views it and who is typing (`ticket.typing`).
    """

    watching: int | None = None
    watching_queue: bool = False
    viewing: asyncio.Task[None] | None = None

    async def live_groups(self, membership: Any) -> list[str]:
        groups = await super().live_groups(membership)
        if membership.is_staff:
            groups.append(live.tenant_group(self.tenant_id))
            teams = await self.in_tenant(_team_ids, self.scope["user"], membership.role)
            groups += [live.team_group(self.tenant_id, team) for team in teams]
        return groups

    async def disconnect(self, code: int) -> None:
        if self.watching is not None:
            await self._stop_viewing()
        await super().disconnect(code)

    async def receive_message(self, kind: str, content: dict[str, Any]) -> None:
        if kind == "ticket.watch":
            await self._watch(content.get("ticket"))
        elif kind == "queue.watch":
            await self._watch_queue(content.get("queue"), content.get("team"), content.get("view"))
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

    async def _watch_queue(self, queue: Any, team_id: Any, view_id: Any) -> None:
        if not self.member.is_staff or self.watching_queue:
            return  # one queue per page; a second request is ignored
        allowed = await self.in_tenant(
            _visible_queue, self.scope["user"], self.member.role, queue, team_id, view_id
        )
        if not allowed:
            await self.send_json({"type": "queue.refused", "queue": queue})
            return
        self.watching_queue = True
        if queue == "team":
            group = live.team_group(self.tenant_id, team_id)
        elif queue in ALL_TEAMS_QUEUES and not _sees_all(self.member.role):
            group = live.all_teams_group(self.tenant_id)
        else:
            return  # their own groups suffice; managers and admins hear every team already
        if group not in self.joined:
            await self.join(group)

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
