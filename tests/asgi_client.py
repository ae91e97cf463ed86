"""Requests sent straight into the web process's ASGI application, body chunk by chunk.

Django's test client hands Django a finished request; these go through everything in front of
it (helpdesk/asgi.py), and the test decides how the body arrives: in chunks, slowly, or not at
all after some point, as a real client might.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from helpdesk.asgi import application

STALL = "stall"  # in a body: the sender stops here and never sends another byte


@dataclass
class Answer:
    """The response, and how much of the body the application asked for."""

    status: int = 0
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: bytes = b""
    reads: int = 0  # body messages the application received

    def text(self) -> str:
        return self.body.decode()


async def asgi_request(
    method: str,
    path: str,
    *,
    host: str,
    headers: Sequence[tuple[str, str]] = (),
    body: Sequence[bytes | str] = (b"",),
    within: float = 30,
    http_version: str = "1.1",
) -> Answer:
    """Send one request and wait at most `within` seconds for the application to finish.

    `body` lists the chunks in the order they are sent, and STALL a sender that goes silent for
    good.
    """
    answer = Answer()
    silence = asyncio.Event()  # never set: waiting on it is waiting for a byte that never comes
    pending = list(body)

    async def receive() -> dict:
        if pending and pending[0] != STALL:
            item = pending.pop(0)
            answer.reads += 1
            return {"type": "http.request", "body": item, "more_body": bool(pending)}
        await silence.wait()  # the client keeps the connection open and sends nothing
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = dict(message.get("headers", []))
        else:
            answer.body += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": http_version,
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", host.encode()),
            *((name.lower().encode(), value.encode()) for name, value in headers),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await asyncio.wait_for(application(scope, receive, send), timeout=within)
    return answer
