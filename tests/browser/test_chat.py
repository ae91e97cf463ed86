"""The website chat in a real browser: a new chat alerts its team's agents with a toast and a
tone; the widget speaks the visitor's language."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from channels.db import database_sync_to_async

from helpdesk.tenancy import tenant_context
from integrations.chat import services as chat_services
from integrations.chat.models import ChatWidget
from tests.browser.conftest import ACTION_TIMEOUT_MS, browser_tests, open_live
from tickets import routing
from tickets.models import RoutingRule

expect = pytest.importorskip("playwright.async_api").expect
pytestmark = browser_tests


@pytest.fixture
def chat_to_team(acme, acme_team) -> ChatWidget:
    """The desk's chat, its chats routed to the agent's team."""
    with tenant_context(acme):
        routing.routing_rule_save(
            rule=RoutingRule(
                name="Chats to L1",
                position=1,
                conditions={"field": "channel", "op": "is", "value": "chat"},
                actions=[{"action": "set_team", "value": acme_team.pk}],
            )
        )
        return ChatWidget.objects.create(allowed_origins=[])


def visitor_starts_chat(tenant, name: str) -> None:
    email = f"{name.split()[0].lower()}@example.com"
    with tenant_context(tenant):
        chat_services.chat_start(name=name, email=email, text="My invoice is wrong")


async def test_a_new_chat_alerts_an_agent_on_the_teams_queue_with_a_toast_and_a_tone(
    acme, acme_team, acme_agent, chat_to_team, open_as
):
    queue = await open_live(await open_as(acme, acme_agent), f"/workspace/teams/{acme_team.pk}/")
    await database_sync_to_async(visitor_starts_chat)(acme, "Vera Visitor")
    toast = queue.locator(".chat-toast")
    await expect(toast).to_contain_text("New chat from Vera Visitor:")
    await expect(toast.get_by_role("link", name="ACME-1")).to_have_attribute(
        "href", "/workspace/tickets/1/"
    )
    assert await queue.evaluate("window.helpdeskChatAlerts.played") == 1


async def test_an_agent_who_muted_the_chat_tone_gets_the_toast_without_it(
    acme, acme_team, acme_agent, chat_to_team, open_as
):
    queue = await open_live(await open_as(acme, acme_agent), f"/workspace/teams/{acme_team.pk}/")
    await database_sync_to_async(visitor_starts_chat)(acme, "Vera Visitor")
    await queue.locator(".chat-toast").get_by_role("button", name="Mute").click()
    await database_sync_to_async(visitor_starts_chat)(acme, "Walter Visitor")
    await expect(queue.locator(".chat-toast").filter(has_text="Walter Visitor")).to_be_visible()
    assert await queue.evaluate("window.helpdeskChatAlerts.played") == 1
    assert await queue.evaluate("localStorage.getItem('helpdesk:chat-sound')") == "off"


@contextmanager
def shop_website(page_html: str) -> Iterator[str]:
    """A customer's website on a loopback port of its own, its address while the block runs.

    Served for real: Chromium lets only pages from the loopback itself load from the desk on
    localhost, so a page Playwright made up could not load the widget.
    """

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://www.shop.localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


async def test_the_chat_widget_speaks_german_to_a_german_browser(
    acme, chat_to_team, browser, web_server
):
    desk = web_server.url(acme)
    snippet = f'<script src="{desk}/static/js/chat-widget.js" data-desk="{desk}"></script>'
    context = await browser.new_context(locale="de-DE")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        with shop_website(f"<!doctype html><title>Shop</title><body>{snippet}</body>") as shop:
            page = await context.new_page()
            await page.goto(shop)
            await page.get_by_role("button", name="Chatten Sie mit uns").click()
            await expect(
                page.get_by_text("Hallo! Wie können wir Ihnen heute helfen?")
            ).to_be_visible()
            await page.get_by_label("Ihr Name").fill("Vera Besucherin")
            await page.get_by_label("Ihre E-Mail-Adresse").fill("vera@example.com")
            await page.get_by_label("Wie können wir helfen?").fill("Meine Rechnung stimmt nicht")
            await page.get_by_role("button", name="Chat starten").click()
            log = page.get_by_role("log", name="Nachrichten")
            await expect(log).to_contain_text("Meine Rechnung stimmt nicht")
            await expect(log).to_contain_text("Vielen Dank, Ihre Anfrage hat die Nummer ACME-1.")
            await expect(log).to_contain_text("Zurzeit ist kein Agent verfügbar")
    finally:
        await context.close()
