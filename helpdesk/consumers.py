"""The desk-wide live socket every signed-in page of a tenant holds."""

from __future__ import annotations

import asyncio

from helpdesk import live, presence


class LiveConsumer(live.TenantConsumer):
    """Tells a member's browser about changes they may see: staff hear the whole desk."""

    async def connect(self) -> None:
        membership = await self.membership()
        if membership is None:
            await self.close(code=4403)  # anonymous, or not a member of this tenant
            return
        if membership.is_staff:
            await self.join(live.tenant_group(self.tenant_id))
            # An open workspace counts the agent as online (the chat widget asks).
            self.presence = asyncio.create_task(
                presence.stay_online(self.tenant_id, self.channel_name)
            )
        await self.join(live.user_group(self.tenant_id, membership.user_id))
        await self.accept()
        await self.send_json({"type": "live.ready", "tenant": self.tenant.slug})

    async def disconnect(self, code: int) -> None:
        if getattr(self, "presence", None) is not None:
            self.presence.cancel()
            await asyncio.to_thread(presence.mark_offline, self.tenant_id, self.channel_name)
        await super().disconnect(code)

    async def receive_json(self, content: dict, **kwargs: object) -> None:
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
