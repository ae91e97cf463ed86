"""ASGI entry point: HTTP goes to Django, WebSockets to Channels consumers."""

import gc
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
if not settings.configured:  # this is the web process, not a test importing the routing
    # Requests borrow database connections from a pool (see DATABASES in settings).
    os.environ.setdefault("DATABASE_POOL", "true")


class SyncChainHandler(ASGIHandler):
    """Django's ASGI handler, running the middleware chain and the view in one worker thread.

    Django builds an ASGI handler's chain around an asynchronous core, so with synchronous
    middleware (ours, and most of Django's) every request went from the event loop to a
    thread, back to the loop for the innermost middleware and the core, and to the thread
    again for the view (0.8 ms of the process's CPU on a request costing 5.5 ms, on the event
    loop every request shares). Here the chain is synchronous from top to bottom and entered
    once, in the request's own thread, as Django's WSGI handler would run it.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Django gives every request a thread of its own (a fresh ThreadSensitiveContext makes
        # a new single-thread executor), started and stopped per request. The request still
        # gets one thread to itself, for all its synchronous parts, but a reused one: 15 % less
        # of the process's CPU on a small authenticated page (4.7-5.4 ms a request instead of
        # 5.6-6.6 ms through uvicorn, measured A/B on 2026-12-07).
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        executor = _request_threads.pop() if _request_threads else _new_request_thread()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            _request_threads.append(executor)


# Idle single-thread executors, one lent to each request in progress (the event loop's thread
# is the only one to take and return them, so a list needs no lock).
_request_threads: list[ThreadPoolExecutor] = []


def _new_request_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")


django.setup(set_prefix=False)
django_application = SyncChainHandler()  # Django is set up before consumers are imported

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from helpdesk.live import SameOriginValidator  # noqa: E402
from helpdesk.request_limits import RequestLimits  # noqa: E402
from helpdesk.routing import public_websocket_urlpatterns, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Bodies too large or too slow for their route are refused before Django reads them.
        "http": RequestLimits(django_application),
        "websocket": URLRouter(
            [
                # The chat widget runs on customers' own websites: no session, and its
                # consumer checks the desk's allowed origins instead of the same-origin rule.
                *public_websocket_urlpatterns,
                re_path(
                    r"",
                    AllowedHostsOriginValidator(
                        SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
                    ),
                ),
            ]
        ),
    }
)

# Everything made at start-up lives as long as the process. Frozen, it is left out of the
# collector's full passes, which otherwise walk it every few dozen pages: 60 ms pauses that
# were a queue page's slowest twentieth.
gc.freeze()
