"""The website chat socket: a visitor on a customer's own website talking to the desk.

The widget runs on the tenant's website, not on the desk, so this socket has no session and
is mounted outside the same-origin check (helpdesk/asgi.py); it checks the desk's list of
allowed websites itself. Visitors are anonymous: starting a chat opens a chat ticket and
hands the browser a signed token with which it resumes that ticket after a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

from helpdesk import live, presence
from integrations.chat import selectors, services, signing
from integrations.chat.forms import MAX_CHAT_TEXT, ChatMessageForm, ChatStartForm
from tickets import selectors as ticket_selectors
from tickets.emails import REPLY_MARKER
from tickets.services import text_to_html

if TYPE_CHECKING:
    from tickets.models import Message, Ticket

logger = logging.getLogger(__name__)

MAX_FRAME = 64_000  # characters of one incoming frame (a 4,000-character line, JSON-escaped)
STARTS_PER_ADDRESS = 10  # chats one IP address may start per minute at one desk
STARTS_PER_DESK = 120  # chats a desk accepts per minute from all addresses together
LINES_PER_MINUTE = 30  # chat lines one socket may send per minute
TRANSCRIPT_LINES = 200  # lines sent when a chat is resumed


def _count(key: str) -> float:
    """Add one to a per-minute counter in the cache and return the count over the last minute.

    A sliding window: this minute's count plus the share of the last minute's that still lies
    within sixty seconds. Counting calendar minutes alone let twice the limit through around
    the turn of a minute (five starts in its last second, five more in the next).
    """
    minute, into = divmod(time.time(), 60)
    current = f"{key}:{int(minute)}"
    cache.add(current, 0, timeout=120)
    count = cache.incr(current)
    previous = cache.get(f"{key}:{int(minute) - 1}", 0)
    return count + previous * (1 - into / 60)


def _start_allowed(tenant_id: int, address: str) -> bool:
    try:
        return (
            _count(f"chat-starts:{tenant_id}:{address}") <= STARTS_PER_ADDRESS
            and _count(f"chat-starts:{tenant_id}") <= STARTS_PER_DESK
        )
    except Exception:  # cache clients raise many kinds; a broken cache must not stop the chat
        logger.warning("chat start limits of tenant %s not checked", tenant_id)
        return True


def widget_texts() -> dict[str, str]:
    """The widget's own words, in the active language (the widget keeps English ones to
    show until the desk has answered)."""
    return {
        "title": str(_("Chat")),
        "launcher": str(_("Chat with us")),
        "launcher_unread": str(_("Chat with us (%(count)s new)")),
        "close": str(_("Close chat")),
        "name": str(_("Your name")),
        "email": str(_("Your email address")),
        "first": str(_("How can we help?")),
        "start": str(_("Start chat")),
        "starting": str(_("Starting…")),
        "messages": str(_("Messages")),
        "message": str(_("Your message")),
        "send": str(_("Send")),
        "you": str(_("You")),
        "support": str(_("Support")),
        "offline": str(_("No agent is online right now; leave us a message.")),
        "number": str(_("Your request number is %(ticket)s.")),
        "reconnecting": str(_("Reconnecting…")),
        "need_name": str(_("Please enter your name.")),
        "need_email": str(_("Please enter a valid email address.")),
        "need_message": str(_("Please enter your message.")),
        "retry": str(_("The chat is reconnecting; please try again in a moment.")),
        "kept": str(
            _("The chat is reconnecting; your message is kept here, please send it again soon.")
        ),
        "error": str(_("Something went wrong.")),
    }


def visitor_language(scope: dict[str, Any], fallback: str) -> str:
    """The language the visitor's browser asks for (the widget's `lang`, else the socket's
    Accept-Language) among the desk's languages; else `fallback`, the desk's own."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    asked = [(code, 1.0) for code in query.get("lang", [])[:1]]
    asked += parse_accept_lang_header(live.header(scope, b"accept-language"))[:10]
    for code, _quality in asked:
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code.strip()[:20])
        except LookupError:
            continue
    return fallback or settings.LANGUAGE_CODE


class ChatConsumer(live.TenantConsumer):
    """A website visitor's live chat; every line of it is a public message of one chat ticket."""

    async def connect(self) -> None:
        self.ticket_id: int | None = None
        self.contact_id: int | None = None
        self.sent: set[int] = set()
        self.floor = 0  # messages up to this id count as sent
        self.recent: deque[float] = deque()
        self.presence: asyncio.Task[None] | None = None
        widget = await self.in_tenant(selectors.chat_widget)
        if widget is None or not widget.is_enabled or not self.origin_allowed(widget):
            await self.close(code=4403)  # refuses the handshake
            return
        self.widget = widget
        self.language = visitor_language(self.scope, self.tenant.language)
        await self.accept()
        online = await asyncio.to_thread(presence.staff_online, self.tenant_id)
        await self.send_json(
            {
                "type": "ready",
                "desk": self.tenant.name,
                "brand": self.tenant.brand_color,
                "greeting": self.in_language(lambda: widget.greeting_text),
                "online": online,
                "max_length": MAX_CHAT_TEXT,
                "language": self.language,
                "texts": self.in_language(widget_texts),
            }
        )

    def origin_allowed(self, widget: Any) -> bool:
        origin = live.header(self.scope, b"origin")
        # The desk's own pages (the embed page's preview) may always chat.
        if origin and urlsplit(origin).netloc.lower() == live.header(self.scope, b"host").lower():
            return True
        return widget.allows_origin(origin) if origin else not widget.allowed_origins

    def in_language(self, function: Any) -> Any:
        """Call `function` in the visitor's language (chosen when the socket opened)."""
        with translation.override(getattr(self, "language", None) or self.tenant.language):
            return function()

    async def disconnect(self, code: int) -> None:
        await self.stop_presence()
        await super().disconnect(code)

    # --- frames from the visitor --------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self.error("bad_frame", _("The chat could not read that message."))
            return
        if len(text_data) > MAX_FRAME:
            await self.error("too_large", _("That message is too large to send."))
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self.error("bad_frame", _("The chat could not read that message."))
            return
        handler = {
            "start": self.start,
            "resume": self.resume,
            "message": self.message,
            "ping": self.ping,
        }.get(content.get("type"))
        if handler is None:
            await self.error("bad_frame", _("The chat could not read that message."))
            return
        await handler(content)

    async def start(self, content: dict[str, Any]) -> None:
        if self.ticket_id is not None:
            await self.error("already_started", _("This chat has already started."))
            return
        form = ChatStartForm(data={key: content.get(key) for key in ("name", "email", "message")})
        if not form.is_valid():
            await self.invalid(form)
            return
        address = (self.scope.get("client") or ("unknown",))[0]
        if not await asyncio.to_thread(_start_allowed, self.tenant_id, address):
            await self.error(
                "rate_limited", _("Too many chats were started from here; please try again soon.")
            )
            return
        try:
            ticket_id, contact_id, reference = await self.in_tenant(
                self.open_chat, **form.cleaned_data
            )
        except ValidationError as error:
            await self.error("invalid", " ".join(error.messages))
            return
        await self.follow(ticket_id, contact_id, reference, resumed=False)
        if not await self.in_tenant(self.agents_online):
            # Nobody to chat with: the chat stays an ordinary ticket, answered by email.
            await self.send_json(
                {
                    "type": "offline",
                    "ticket": reference,
                    "message": self.in_language(lambda: self.widget.offline_text(reference)),
                }
            )

    def open_chat(self, name: str, email: str, message: str) -> tuple[int, int, str]:
        ticket = services.chat_start(name=name, email=email, text=message, language=self.language)
        return ticket.pk, ticket.requester_id, self.reference(ticket)

    def agents_online(self) -> bool:
        """Whether an agent of the chat's team (any agent, for a chat without one) is online."""
        ticket = selectors.chat_ticket(ticket_id=self.ticket_id, contact_id=self.contact_id)
        return ticket is not None and ticket_selectors.chat_agents_online(ticket=ticket)

    def reference(self, ticket: Ticket) -> str:
        return f"{self.tenant.ticket_prefix}-{ticket.number}"

    async def resume(self, content: dict[str, Any]) -> None:
        if self.ticket_id is not None:
            await self.error("already_started", _("This chat has already started."))
            return
        visitor = signing.visitor_from_token(content.get("token"), tenant_id=self.tenant_id)
        ticket = None
        if visitor is not None:
            ticket_id, contact_id = visitor
            ticket = await self.in_tenant(
                selectors.chat_ticket, ticket_id=ticket_id, contact_id=contact_id
            )
        if ticket is None:
            await self.error(
                "bad_token", _("This chat cannot be continued here; please start a new one.")
            )
            return
        after = content.get("after")
        if isinstance(after, int) and not isinstance(after, bool) and after > 0:
            floor = after  # the browser still shows everything up to this line
        else:
            floor = await self.in_tenant(
                ticket_selectors.public_messages_start, ticket_id=ticket.pk, limit=TRANSCRIPT_LINES
            )
        await self.follow(
            ticket.pk, ticket.requester_id, self.reference(ticket), resumed=True, floor=floor
        )

    async def message(self, content: dict[str, Any]) -> None:
        ref = content.get("ref") if isinstance(content.get("ref"), str | int) else None
        if self.ticket_id is None:
            await self.error("not_started", _("Please start the chat first."), ref=ref)
            return
        form = ChatMessageForm(data={"text": content.get("text")})
        if not form.is_valid():
            await self.invalid(form, ref=ref)
            return
        now = time.monotonic()
        while self.recent and self.recent[0] < now - 60:
            self.recent.popleft()
        if len(self.recent) >= LINES_PER_MINUTE:
            await self.error(
                "rate_limited", _("You are sending messages very fast; please wait."), ref=ref
            )
            return
        self.recent.append(now)
        try:
            message_id, ticket = await self.in_tenant(self.add_line, form.cleaned_data["text"])
        except ValidationError as error:
            await self.error("invalid", " ".join(error.messages), ref=ref)
            return
        await self.send_json({"type": "accepted", "ref": ref, "id": message_id})
        if ticket.pk != self.ticket_id:
            # The ticket had been closed: the line opened a follow-up, which the chat follows.
            await self.follow(ticket.pk, ticket.requester_id, self.reference(ticket), resumed=False)
        else:
            await self.flush()

    def add_line(self, text: str) -> tuple[int, Ticket]:
        ticket = selectors.chat_ticket(ticket_id=self.ticket_id, contact_id=self.contact_id)
        if ticket is None:  # deleted since the chat started
            raise ValidationError(_("This chat cannot be continued here; please start a new one."))
        message = services.chat_message_add(ticket=ticket, contact=ticket.requester, text=text)
        return message.pk, message.ticket

    async def ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    # --- the ticket the chat follows ------------------------------------------------------

    async def follow(
        self, ticket_id: int, contact_id: int, reference: str, *, resumed: bool, floor: int = 0
    ) -> None:
        """Hear about a ticket from now on, hand out its token and send what the visitor missed."""
        if self.ticket_id is not None:
            group = live.ticket_group(self.tenant_id, self.ticket_id)
            await self.channel_layer.group_discard(group, self.channel_name)
            self.joined.remove(group)
            await self.stop_presence()
        self.ticket_id, self.contact_id = ticket_id, contact_id
        self.sent, self.floor = set(), floor
        # Join before reading the transcript: a reply committed in between is then either
        # read now or announced to the group, never missed.
        await self.join(live.ticket_group(self.tenant_id, ticket_id))
        self.presence = asyncio.create_task(
            presence.visitor_stay_online(self.tenant_id, ticket_id, self.channel_name)
        )
        token = signing.visitor_token(
            tenant_id=self.tenant_id, ticket_id=ticket_id, contact_id=contact_id
        )
        await self.send_json(
            {"type": "started", "ticket": reference, "token": token, "resumed": resumed}
        )
        await self.flush()

    async def stop_presence(self) -> None:
        if getattr(self, "presence", None) is None:
            return
        self.presence.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.presence
        self.presence = None
        await asyncio.to_thread(
            presence.visitor_mark_offline, self.tenant_id, self.ticket_id, self.channel_name
        )

    async def live_event(self, event: dict[str, Any]) -> None:
        # Events name the ticket only; what the visitor may read is looked up afresh.
        if self.ticket_id is not None and event["payload"].get("ticket") == self.ticket_id:
            await self.flush()

    def layer_reconnected(self) -> None:
        # Replies announced while this server had lost Redis never arrived: send what is new.
        if self.ticket_id is not None:
            self.catching_up = asyncio.ensure_future(self.flush())

    async def flush(self) -> None:
        """Send the public lines of the ticket the visitor has not been sent yet."""
        frames = await self.in_tenant(self.unsent)
        for frame in frames:
            self.sent.add(frame["id"])
            await self.send_json(frame)

    def unsent(self) -> list[dict[str, Any]]:
        # By id set, not by "newer than the last one": a reply whose transaction committed
        # after a later-numbered line is still delivered.
        messages = ticket_selectors.public_messages(
            ticket_id=self.ticket_id, after=self.floor
        ).exclude(pk__in=self.sent)
        return self.in_language(lambda: [self.frame(message) for message in messages])

    def frame(self, message: Message) -> dict[str, Any]:
        text, html = message.body_text, message.body_html
        if message.author_type == message.Author.AGENT:
            author = "agent"
            name = (message.author_user.full_name if message.author_user else "") or _("Support")
        elif message.author_type == message.Author.CONTACT:
            author = "you"
            name = message.author_contact.name if message.author_contact else ""
        else:
            author, name = "system", self.tenant.name
            # System lines reuse the acknowledgement mail, whose reply marker means nothing here.
            text = text.replace(REPLY_MARKER, "").strip()
            html = text_to_html(text)
        return {
            "type": "message",
            "id": message.pk,
            "author": author,
            "name": str(name),
            "text": text,
            "html": html,
            "at": message.created_at.isoformat(),
        }

    # --- errors ---------------------------------------------------------------------------

    async def error(self, code: str, message: Any, **extra: Any) -> None:
        """Tell the visitor what went wrong; whatever they sent was not taken."""
        text = self.in_language(lambda: str(message))
        await self.send_json({"type": "error", "code": code, "message": text, **extra})

    async def invalid(self, form: Any, **extra: Any) -> None:
        with translation.override(self.language):
            fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            name = next(iter(fields))
            message = f"{form.fields[name].label}: {fields[name][0]}"
        await self.error("invalid", message, fields=fields, **extra)
