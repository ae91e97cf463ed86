"""Agents' open queue pages for the live benchmark: WebSocket clients that behave like a page.

Runs in a process of its own (no Django), started by bench/run.py, so its event loop and the
benchmark's ticket writes do not share one interpreter. Each client is one agent's tab on
"My work" or on their team's queue, in one of two modes:

- "fragments": what static/js/live.js does. The page knows the rows it shows (ticket ids and
  their place in the queue's order); on a ticket's news it takes the row out when the ticket
  left the queue, or asks the view for the rows of the tickets that changed (`rows=<ids>`)
  and puts them in place; one request in flight and one queued that gathers the rest
  (coalesced, never dropped); the counts when a ticket arrives or moves, at most about every
  `counts_every` seconds (each page its own spacing, half to one and a half times that),
  always after the last such change.
- "today": what the pages did before: every event of the desk re-fetches the whole page
  (htmx `throttle:1s`, which drops events inside its window; a request in flight queues the
  last one) and the counts (`throttle:3s`).

Each client logs when its rows changed and which requests it made, from which bench/run.py
computes, per change of a ticket and per page it concerns, when the page showed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

OPEN = {"new", "open", "pending", "on_hold"}
ALL = "all"  # a region's whole first page, rather than some rows
MAX_ROWS = 50  # as live.js: more changed rows than this and the region asks for its first page
ROW = re.compile(rb'<tr class="queue-row"[^>]*? data-ticket="(\d+)" data-key="([^"]*)"')
GONE = re.compile(rb'<tr data-ticket="(\d+)" data-gone')


def in_queue(queue: str, me: int, teams: frozenset[int], team: int | None, place: dict) -> bool:
    """Whether a ticket placed so (team, assignee, status) is in this built-in queue."""
    status, assignee = place["status"], place["assignee"]
    is_open = status in OPEN
    waiting = assignee is None and (place["team"] is None or place["team"] in teams)
    if queue == "inbox":
        return is_open and (assignee == me or waiting)
    return is_open and place["team"] == team  # a team's queue


def placements(event: dict) -> tuple[dict, dict]:
    now = {name: event.get(name) for name in ("team", "assignee", "status")}
    before = {name: event.get(f"from_{name}", now[name]) for name in now}
    return now, before


class Http:
    """One keep-alive HTTP/1.1 connection to the web server (enough of it for Django)."""

    def __init__(self, port: int, host: str, cookie: str) -> None:
        self.port, self.host, self.cookie = port, host, cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str] | None = None) -> bytes:
        reused = self.writer is not None
        try:
            return await self._get(path, headers)
        except (ConnectionError, asyncio.IncompleteReadError, EOFError):
            self.close()
            if not reused:
                raise
        except Exception:
            self.close()  # a broken exchange leaves the connection unusable
            raise
        # The server closed the idle connection (keep-alive timeout): as a browser, ask again
        # on a new one.
        return await self._get(path, headers)

    async def _get(self, path: str, headers: dict[str, str] | None) -> bytes:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}", f"Cookie: {self.cookie}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()
        status = await self.reader.readline()
        if not status:
            raise EOFError("the server closed the connection")
        length, chunked = None, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            body = b""
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                body += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        else:
            body = await self.reader.readexactly(length or 0)
        if not status.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"GET {path}: {status!r}")
        return body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Refresher:
    """live.js's refresher: one run at a time, the next gathering everything asked for
    meanwhile, starting no sooner than `spacing()` seconds after the last one began (the
    first no sooner than that after `since`)."""

    def __init__(self, run: Any, spacing: Any = lambda: 0.0, since: float | None = None) -> None:
        self.run, self.spacing = run, spacing
        self.busy, self.wanted = False, None
        self.last = float("-inf") if since is None else since
        self.gap = spacing()
        self.timer: asyncio.TimerHandle | None = None

    def ask(self, more: Any) -> None:
        if self.wanted == ALL or more == ALL:
            self.wanted = ALL
        else:
            self.wanted = (self.wanted or set()) | set(more)
            if len(self.wanted) > MAX_ROWS:
                self.wanted = ALL
        if self.timer is None:
            self._start()

    def _start(self) -> None:
        self.timer = None
        if self.busy or self.wanted is None:
            return
        wait = self.last + self.gap - time.monotonic()
        if wait > 0:
            self.timer = asyncio.get_running_loop().call_later(wait, self._start)
            return
        work, self.wanted = self.wanted, None
        self.busy, self.last, self.gap = True, time.monotonic(), self.spacing()
        asyncio.get_running_loop().create_task(self._go(work))

    async def _go(self, work: Any) -> None:
        try:
            with contextlib.suppress(Exception):  # logged as a failed request
                await self.run(work)
        finally:
            self.busy = False
            if self.timer is None:
                self._start()


class Throttled:
    """htmx's `throttle:<window>`: a trigger inside the window after the last one that passed
    is dropped; one that passes while a request is in flight queues it (the last only)."""

    def __init__(self, run: Any, window: float) -> None:
        self.run, self.window = run, window
        self.until, self.busy, self.queued, self.asked = float("-inf"), False, False, 0

    def trigger(self) -> None:
        now = time.monotonic()
        if now < self.until:
            return
        self.until, self.asked = now + self.window, self.asked + 1
        if self.busy:
            self.queued = True
            return
        asyncio.get_running_loop().create_task(self._go())

    async def _go(self) -> None:
        self.busy = True
        try:
            with contextlib.suppress(Exception):  # logged as a failed request
                await self.run()
                while self.queued:
                    self.queued = False
                    await self.run()
        finally:
            self.busy = False


@dataclass
class Page:
    """One agent's open queue page and what it logged."""

    agent: int
    cookie: str
    path: str
    queue: str  # "inbox" (My work) or "team"
    teams: frozenset[int]
    team: int | None
    mode: str
    rows: dict[int, list[int]] = field(default_factory=dict)  # shown: ticket -> key
    more: bool = False
    history: list[tuple[float, int, list[int] | None]] = field(default_factory=list)
    more_history: list[tuple[float, bool]] = field(default_factory=list)
    shown: list[tuple[float, float, Any]] = field(default_factory=list)  # start, end, ids/ALL
    requests: list[tuple[float, float, str]] = field(default_factory=list)
    heard: int = 0
    seen: set[int] = field(default_factory=set)
    removals: int = 0
    removed_at: dict[int, int] = field(default_factory=dict)

    def set_rows(self, at: float, rows: dict[int, list[int]], more: bool) -> None:
        for ticket in self.rows.keys() - rows.keys():
            self.history.append((at, ticket, None))
        for ticket, key in rows.items():
            if self.rows.get(ticket) != key:
                self.history.append((at, ticket, key))
        if more != self.more or not self.more_history:
            self.more_history.append((at, more))
        self.rows, self.more = rows, more

    def put(self, at: float, ticket: int, key: list[int] | None) -> None:
        """A row in place (or out, key None): shown only if it sorts within the rows shown."""
        others = [other for shown, other in self.rows.items() if shown != ticket]
        if key is not None and self.more and others and key > max(others):
            key = None  # a later page's row
        if key is None:
            if self.rows.pop(ticket, None) is not None:
                self.history.append((at, ticket, None))
        elif self.rows.get(ticket) != key:
            self.rows[ticket] = key
            self.history.append((at, ticket, key))


def parse_rows(body: bytes) -> tuple[dict[int, list[int]], list[int], bool]:
    rows = {int(ticket): json.loads(key) for ticket, key in ROW.findall(body)}
    gone = [int(ticket) for ticket in GONE.findall(body)]
    return rows, gone, b'id="more-row"' in body


class Client:
    """One page: its socket, its regions, and the relevance rule of live.js."""

    def __init__(self, page: Page, config: dict) -> None:
        self.page, self.config = page, config
        host = config["host"]
        self.rows_http = Http(config["port"], host, page.cookie)
        self.counts_http = Http(config["port"], host, page.cookie)
        if page.mode == "fragments":
            self.rows_region = Refresher(self.fetch_rows)
            every = config["counts_every"]
            self.counts_region = Refresher(
                self.fetch_counts, lambda: every * (0.5 + random.random()), time.monotonic()
            )
        else:
            self.page_region = Throttled(self.fetch_page, 1.0)
            self.counts_throttle = Throttled(self.fetch_counts, 3.0)

    async def timed(self, http: Http, path: str, kind: str, headers: dict | None = None) -> Any:
        started = time.time()
        try:
            body = await http.get(path, headers)
        except Exception as error:
            self.page.requests.append((started, time.time(), f"failed {kind}: {error!r}"[:200]))
            raise
        self.page.requests.append((started, time.time(), kind))
        return started, body

    async def load(self) -> None:
        _started, body = await self.timed(self.rows_http, self.page.path, "page")
        rows, _gone, more = parse_rows(body)
        self.page.set_rows(time.time(), rows, more)

    # --- regions ------------------------------------------------------------------------

    async def fetch_page(self) -> None:
        started, body = await self.timed(self.rows_http, self.page.path, "page")
        rows, _gone, more = parse_rows(body)
        self.page.set_rows(time.time(), rows, more)
        self.page.shown.append((started, time.time(), ALL))

    async def fetch_rows(self, work: Any) -> None:
        page, since = self.page, self.page.removals
        path = page.path if work == ALL else f"{page.path}?rows={','.join(map(str, work))}"
        headers = {"HX-Request": "true", "HX-Target": "queue-rows"}
        started, body = await self.timed(self.rows_http, path, "rows", headers)
        rows, gone, more = parse_rows(body)
        at = time.time()
        if work == ALL:
            page.set_rows(at, rows, more)
        else:
            for ticket in gone:
                if page.removed_at.get(ticket, 0) <= since:
                    page.put(at, ticket, None)
            for ticket, key in rows.items():
                if page.removed_at.get(ticket, 0) <= since:
                    page.put(at, ticket, key)
        for ticket, removed in list(page.removed_at.items()):
            if removed > since:
                page.put(at, ticket, None)
            else:
                del page.removed_at[ticket]
        page.shown.append((started, at, work))

    async def fetch_counts(self, _work: Any = None) -> None:
        await self.timed(self.counts_http, "/workspace/counts/", "counts")

    async def differences(self) -> int:
        """Rows this page shows, or misses, compared with loading it afresh now (within the
        rows both show: a page that lost rows ends earlier, one that gained some later)."""
        http = Http(self.config["port"], self.config["host"], self.page.cookie)
        try:
            fresh, _gone, _more = parse_rows(await http.get(self.page.path))
        finally:
            http.close()
        shown = self.page.rows
        if not fresh or not shown:
            return len(set(fresh) ^ set(shown))
        last = min(max(fresh.values()), max(shown.values()))
        return len(
            {ticket for ticket, key in fresh.items() if key <= last}
            ^ {ticket for ticket, key in shown.items() if key <= last}
        )

    # --- events --------------------------------------------------------------------------

    def heard(self, event: dict) -> None:
        page = self.page
        seq = event.get("seq")
        if isinstance(seq, int):
            if seq in page.seen:
                return
            page.seen.add(seq)
        kind = event.get("type", "")
        if not (kind.startswith("ticket.") or kind.startswith("sla.")):
            return
        page.heard += 1
        if page.mode == "today":
            self.page_region.trigger()
            self.counts_throttle.trigger()
            return
        if kind.startswith("sla."):
            ids = event.get("tickets") or [event.get("ticket")]
            shown = [ticket for ticket in ids if ticket in page.rows]
            if shown:
                self.rows_region.ask(shown if len(shown) <= MAX_ROWS else ALL)
        elif isinstance(event.get("ticket"), int):
            self.ticket_changed(event)
        moved = any(f"from_{name}" in event for name in ("team", "assignee", "status"))
        if kind not in ("ticket.replied", "ticket.changed") or moved:
            self.counts_region.ask(ALL)

    def ticket_changed(self, event: dict) -> None:
        page, ticket = self.page, event["ticket"]
        now, before = placements(event)
        shown = ticket in page.rows
        if not in_queue(page.queue, page.agent, page.teams, page.team, now):
            if shown:
                page.put(time.time(), ticket, None)
                page.removals += 1
                page.removed_at[ticket] = page.removals
                page.shown.append((time.time(), time.time(), {ticket}))
                if not page.rows:
                    self.rows_region.ask(ALL)
            return
        was = in_queue(page.queue, page.agent, page.teams, page.team, before)
        created = event.get("created")
        if shown:
            wanted = True
        elif (
            isinstance(created, int)
            and page.more
            and page.rows
            and [-created, -ticket] > max(page.rows.values())
        ):
            wanted = False  # newest first: it sorts past the rows shown, a later page's
        else:
            wanted = event.get("type") == "ticket.created" or not was
        if wanted:
            self.rows_region.ask({ticket})

    async def run(self, ready: asyncio.Event, stop: asyncio.Event, connected: list) -> None:
        import websockets

        config, page = self.config, self.page
        async with websockets.connect(
            f"ws://{config['host']}:{config['port']}/ws/live/",
            host="127.0.0.1",
            port=config["port"],
            origin=f"http://{config['host']}:{config['port']}",
            additional_headers={"Cookie": page.cookie},
            compression=None,
            max_queue=None,
            open_timeout=120,  # a hundred pages connecting and loading at once
        ) as socket:
            await socket.recv()  # live.ready: the groups are joined
            if page.mode == "today":
                # The whole desk, as every staff socket heard it before.
                watch = {"type": "queue.watch", "queue": "pending"}
            else:
                watch = {"type": "queue.watch", "queue": page.queue, "team": page.team}
            await socket.send(json.dumps(watch))
            await self.load()
            connected.append(page.agent)
            if len(connected) == config["clients"]:
                ready.set()
            while not stop.is_set():
                try:
                    message = await asyncio.wait_for(socket.recv(), 0.5)
                except TimeoutError:
                    continue
                self.heard(json.loads(message))
        self.rows_http.close()
        self.counts_http.close()


async def _main(config: dict, commands: Any, results: Any) -> None:
    pages = [Page(mode=config["mode"], **spec) for spec in config["pages"]]
    clients = [Client(page, config) for page in pages]
    ready, stop, connected = asyncio.Event(), asyncio.Event(), []
    tasks = [asyncio.create_task(client.run(ready, stop, connected)) for client in clients]
    waiting = asyncio.create_task(ready.wait())
    await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        if task.done() and task.exception():
            raise task.exception()
    results.put("ready")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, commands.get)  # "stop"
    # Requests still in flight finish before the logs are read.
    await asyncio.sleep(config.get("settle", 0))
    differences: list[int | None] = [None] * len(clients)
    if config.get("check"):
        # A few at a time: the check must not be what the server is busy with.
        gate = asyncio.Semaphore(4)

        async def check(index: int) -> None:
            async with gate:
                differences[index] = await clients[index].differences()

        await asyncio.gather(*(check(index) for index in range(len(clients))))
    stop.set()
    with contextlib.suppress(Exception):
        await asyncio.gather(*tasks)
    results.put(
        [
            {
                "agent": page.agent,
                "queue": page.queue,
                "teams": sorted(page.teams),
                "team": page.team,
                "history": page.history,
                "more_history": page.more_history,
                "shown": [
                    (start, end, work if work == ALL else sorted(work))
                    for start, end, work in page.shown
                ],
                "requests": page.requests,
                "heard": page.heard,
                "differences": different,
                "asked": (
                    {
                        "page": client.page_region.asked,
                        "counts": client.counts_throttle.asked,
                    }
                    if page.mode == "today"
                    else {}
                ),
            }
            for page, client, different in zip(pages, clients, differences, strict=True)
        ]
    )


def run_clients(config: dict, commands: Any, results: Any) -> None:
    """The process's entry point: connect, say "ready", run until told "stop", report."""
    try:
        asyncio.run(_main(config, commands, results))
    except BaseException as error:
        results.put(f"error: {error!r}")
        raise
