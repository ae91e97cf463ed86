"""Browser tests: uvicorn serving the test database, and Debian's Chromium driven by Playwright.

The server is a subprocess, as in production, so it only sees committed rows: browser tests
use `transactional_db` (through `open_as`), and every page it serves runs as the same ordinary
database role as the suite, row-level security in force.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async

from helpdesk.models import Tenant, User
from tests.conftest import WebServer, client_for, serving

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium runs as root here (no sandbox) and must not phone home during a test.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
# live.js fires `live-event` on body for every message; the consumer's first is `live.ready`,
# sent once the socket has joined its groups. Events bubble up to document, which exists first.
LIVE_READY_SCRIPT = """
document.addEventListener("live-event", function (event) {
  if (event.detail && event.detail.type === "live.ready") window.helpdeskLiveReady = true;
});
"""
# A live change shows within Playwright's `expect` default of 5 s (measured delivery: tens
# of milliseconds); page loads and clicks get more, for a loaded CI machine.
LIVE_TIMEOUT_MS = 5_000
ACTION_TIMEOUT_MS = 15_000


# What a browser test module sets as its `pytestmark`.
browser_tests = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.django_db(transaction=True),  # the server sees only committed rows
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = (
        f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
        if not CHROMIUM.exists()
        else "Playwright is not installed (pip install -e '.[dev]')"
        if find_spec("playwright") is None
        else None
    )
    if missing:
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(pytest.mark.skip(reason=missing))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium per module; its tests run in the module's event loop (`browser_tests`).

    The async API, because the sync one keeps its event loop running in the main thread,
    which Django takes for an async context and so refuses the suite's own database calls.
    """
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


def _session_cookie(tenant: Tenant, user: User) -> dict[str, str]:
    """A signed-in session of `user`, as the desk's login page would have left it."""
    from django.conf import settings

    client = client_for(tenant, user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


async def open_live(page: Page, path: str) -> Page:
    """Go to `path` and wait until its live socket listens, so no change can slip past it."""
    await page.goto(path)
    await page.wait_for_function("window.helpdeskLiveReady === true")
    return page


@asynccontextmanager
async def _pages(
    browser: Browser, server: WebServer
) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    contexts = []

    async def open_as(tenant: Tenant, user: User, **options: Any) -> Page:
        # `options`: more of the browser context's settings, e.g. timezone_id="Asia/Tokyo".
        context = await browser.new_context(base_url=server.url(tenant), **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        await context.add_init_script(LIVE_READY_SCRIPT)
        contexts.append(context)
        # Logged in by a session cookie: the login page's password hash costs a second a user.
        cookie = await database_sync_to_async(_session_cookie)(tenant, user)
        await context.add_cookies([{**cookie, "url": server.url(tenant)}])
        return await context.new_page()

    try:
        yield open_as
    finally:
        # Closed before transactional_db empties the tables, so no socket is mid-query then.
        for context in contexts:
            await context.close()
        # A request the browser had started (the page a form post redirects to) still runs in
        # the server after its tab is gone: the flush must wait for it, or the two deadlock.
        await database_sync_to_async(_server_quiet)()


@pytest_asyncio.fixture(loop_scope="module")
async def open_as(
    transactional_db, web_server, browser
) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """A page in its own browser (cookies, socket) on `tenant`'s host, logged in as `user`."""
    async with _pages(browser, web_server) as open_as:
        yield open_as


@pytest_asyncio.fixture(loop_scope="module")
async def open_on_live_redis(
    transactional_db, live_redis, browser, tmp_path
) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """As `open_as`, on a server of the test's own whose Redis is `live_redis` (to stop)."""
    log = tmp_path / "uvicorn.log"
    with serving(log, REDIS_URL=live_redis.url) as server:
        async with _pages(browser, server) as open_as:
            yield open_as


def _server_quiet(timeout: float = 15) -> None:
    """Wait until no other session of the test database is inside a statement or transaction."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'"
                " AND backend_type = 'client backend'"
            )
            if not cursor.fetchone()[0]:
                return
        time.sleep(0.05)
