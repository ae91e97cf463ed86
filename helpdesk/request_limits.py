"""Request bodies bounded before anything reads them: by size per kind of route, and by time.

Django's ASGI handler reads a request's whole body into a temporary file before any middleware,
host check or authentication runs, and uvicorn bounds neither a body's size nor how slowly it
arrives: an anonymous POST announcing 5 GB to an unknown host was spooled to disk, byte by byte,
before anyone looked at it. This ASGI middleware sits in front of Django (helpdesk/asgi.py):

- a body announced (Content-Length) larger than its route's limit is refused with 413 before a
  byte of it is read; one that is not a byte count is refused with 400;
- a body without a length (chunked) is counted as it arrives and refused with 413 as soon as
  it passes the limit;
- a sender that pauses longer than REQUEST_BODY_IDLE_SECONDS, or is still sending after
  REQUEST_BODY_TIMEOUT_SECONDS, gets 408.

Refusals close the connection (`Connection: close`), so the server stops reading what is left
of the body instead of reading it to throw it away. Limits per kind of route, from settings:
the API (JSON with base64 attachments), the portal's and the workspace's forms (file uploads),
inbound webhooks (one raw mail), and everything else. A request without a body (a GET, nearly
every request) passes through untouched: its headers are looked at once, nothing more.
Limits and the reverse proxy's settings: README.md, "Request limits".
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# Path prefixes of each kind of route, and the setting holding its limit; first match wins.
ROUTE_LIMITS: tuple[tuple[str, str], ...] = (
    ("/api/", "API_MAX_BODY_BYTES"),
    ("/portal/", "UPLOAD_MAX_BODY_BYTES"),
    ("/workspace/", "UPLOAD_MAX_BODY_BYTES"),
    ("/anymail/", "WEBHOOK_MAX_BODY_BYTES"),
    ("/channels/social/", "WEBHOOK_MAX_BODY_BYTES"),
)
OTHER_ROUTES_LIMIT = "REQUEST_MAX_BODY_BYTES"
DISCONNECT: Message = {"type": "http.disconnect"}
MB = 1024 * 1024


def body_limit(path: str) -> int:
    """The most bytes a request body may have at `path`."""
    for prefix, setting in ROUTE_LIMITS:
        if path.startswith(prefix):
            return getattr(settings, setting)
    return getattr(settings, OTHER_ROUTES_LIMIT)


class RequestLimits:
    """ASGI middleware: refuses request bodies that are too large or too slow, unread."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = chunked = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                # A second Content-Length is as unreadable as a wrong one.
                length = value if length is None else b"twice"
            elif name == b"transfer-encoding":
                chunked = value
        if chunked is None and (length == b"0" or (length is None and http1(scope))):
            return await self.app(scope, receive, send)  # no body: nothing to bound
        path = scope["path"]
        limit = body_limit(path)
        # With both, the length is ignored (RFC 9112 6.3): the chunks are counted instead.
        if length is not None and chunked is None:
            if not length.isdigit():
                return await refuse(send, path, 400)
            if len(length) > 18 or int(length) > limit:  # 19 digits: more than any limit
                return await refuse(send, path, 413, limit)
        body = BoundedBody(receive, send, limit)
        await self.app(scope, body.receive, body.send)
        if body.refusal and not body.responded:
            await refuse(send, path, body.refusal, limit)


def http1(scope: Scope) -> bool:
    """Whether the request is HTTP/1: without a length or chunked encoding, it has no body.

    In HTTP/2 a body needs neither: it is counted like a chunked one.
    """
    return scope["http_version"] in ("1.1", "1.0")


class BoundedBody:
    """The request's receive and send, counting the body's bytes and timing its arrival."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive, self._send = receive, send
        self.limit = limit
        self.received = 0
        self.complete = False
        self.refusal = 0  # the status the request is refused with, once it is
        self.responded = False
        self.idle = settings.REQUEST_BODY_IDLE_SECONDS
        self.deadline = asyncio.get_running_loop().time() + settings.REQUEST_BODY_TIMEOUT_SECONDS

    async def receive(self) -> Message:
        if self.complete:  # after the body, the application only waits for a disconnect
            return await self._receive()
        if self.refusal:
            return DISCONNECT
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(min(loop.time() + self.idle, self.deadline)):
                message = await self._receive()
        except TimeoutError:
            # To the application the request ends like an aborted one (Django drops it
            # unanswered); the refusal is sent once it has returned.
            self.refusal = 408
            return DISCONNECT
        if message["type"] != "http.request":
            self.complete = True
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.limit:
            self.refusal = 413
            return DISCONNECT
        self.complete = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        self.responded = True
        await self._send(message)


REFUSALS = {
    400: ("invalid_request", "The Content-Length header is not a number of bytes."),
    408: ("request_timeout", "The request body arrived too slowly."),
    413: ("request_too_large", "The body may be at most {mb} MB."),
}


async def refuse(send: Send, path: str, status: int, limit: int = 0) -> None:
    """Answer `status` and close the connection; API addresses answer in the API's JSON."""
    code, message = REFUSALS[status]
    message = message.format(mb=f"{limit / MB:.4g}")
    if path.startswith("/api/"):
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        content_type = b"application/json"
    else:
        body = f"{message}\n".encode()
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
