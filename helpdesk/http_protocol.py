"""uvicorn's HTTP protocol (httptools), with the bounds on request headers it lacks.

uvicorn times out neither a connection that never sends its request nor one that sends its
headers a byte at a time, and with httptools it bounds no header's size (a 200 MiB header
took a process from 32 to 272 MB): a few slow or huge senders could hold sockets and memory
indefinitely. This protocol gives a request's headers REQUEST_HEADER_TIMEOUT_SECONDS to
arrive, from the connection's start or the request's first byte (408, connection closed), and
REQUEST_HEADER_MAX_BYTES in all (431). Between requests uvicorn's keep-alive timeout applies,
and the body's size and pace are bounded by helpdesk/request_limits.py.

Every command line that starts uvicorn selects it (`--http helpdesk.http_protocol:
BoundedHeadersProtocol`, in helpdesk/embedded.py's UVICORN_LIMITS). It subclasses uvicorn's
own protocol and uses only its documented asyncio.Protocol and httptools callbacks.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}
MESSAGES = {
    408: b"The request headers arrived too slowly.\n",
    431: b"The request headers are too large.\n",
}


class BoundedHeadersProtocol(HttpToolsProtocol):
    """An HTTP/1 connection whose request headers must arrive soon and be of sensible size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._reading_headers = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._headers_expected()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        counting = self._reading_headers
        super().data_received(data)
        if counting and self._reading_headers:  # the headers are not complete yet
            self._header_bytes += len(data)
            if self._header_bytes > settings.REQUEST_HEADER_MAX_BYTES:
                self._refuse(431)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._reading_headers:  # the next request of a kept-alive connection
            self._headers_expected()

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._stop_header_timer()
        super().on_headers_complete()

    def _headers_expected(self) -> None:
        self._reading_headers, self._header_bytes = True, 0
        self._stop_header_timer()
        self._header_timer = self.loop.call_later(
            settings.REQUEST_HEADER_TIMEOUT_SECONDS, self._refuse, 408
        )

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _refuse(self, status: int) -> None:
        self._stop_header_timer()
        self._reading_headers = False
        if self.transport.is_closing():
            return
        # A response still being written for an earlier request of the connection: nothing
        # may be written between its parts, so the connection is only closed.
        if self.cycle is None or self.cycle.response_complete:
            body = MESSAGES[status]
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                % (status, REASONS[status], len(body), body)
            )
        self.transport.close()
