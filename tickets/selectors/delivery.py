"""Which way the desk's public reply reaches a ticket's requester, and who is there to chat.

The ticket page shows the way before an agent sends (`reply_path`), and the delivery code
takes the same way when the reply goes out, so what the page promised is what happens.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from helpdesk import presence
from helpdesk.mail import outbound_mail_configured
from tickets.models import Message, TeamMember, Ticket


@dataclass(frozen=True)
class ReplyPath:
    """How a public reply would reach the requester now: `via` a Message.Delivery, `to` the
    address it is mailed to, `reason` why it goes nowhere (via NONE)."""

    via: str
    to: str = ""
    reason: str = ""

    @property
    def reaches(self) -> bool:
        return self.via != Message.Delivery.NONE


def reply_path(*, ticket: Ticket) -> ReplyPath:
    """The way a public reply on `ticket` reaches its requester now, or why there is none.

    A chat visitor still in the chat reads it there; else it is mailed when the requester has
    an address and this server sends mail; else a requester with a portal login reads it when
    they sign in. A phone caller or a social contact without an address cannot be reached.
    """
    requester = ticket.requester
    if ticket.channel == Ticket.Channel.CHAT and presence.visitor_online(
        ticket.tenant_id, ticket.pk
    ):
        return ReplyPath(via=Message.Delivery.CHAT)
    mail = outbound_mail_configured()
    if requester.email and mail:
        return ReplyPath(via=Message.Delivery.EMAIL, to=requester.email)
    if requester.user_id is not None and requester.user.is_active:
        return ReplyPath(via=Message.Delivery.PORTAL)
    if requester.email:
        return ReplyPath(via=Message.Delivery.NONE, reason=_("this server does not send email"))
    return ReplyPath(via=Message.Delivery.NONE, reason=_("the requester has no email address"))


def chat_agents_online(*, ticket: Ticket) -> bool:
    """Whether an agent who could take this chat has the workspace open: one of its team's,
    or, for a chat without a team, anyone of the desk's staff."""
    if ticket.team_id is None:
        return presence.staff_online(ticket.tenant_id)
    online = presence.staff_online_ids(ticket.tenant_id)
    return bool(online) and (
        TeamMember.objects.filter(team_id=ticket.team_id, user_id__in=online).exists()
    )
