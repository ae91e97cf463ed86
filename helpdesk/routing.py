"""WebSocket routes: what each app declares in its `sockets.py`, composed by module name.

Apps are named here as strings, as helpdesk/urls.py includes their URLs: the platform wires
them together without depending on them. `websocket_urlpatterns` serve the desk's own pages
(session, same origin); `public_websocket_urlpatterns` serve sockets opened from customers'
websites (no session; each consumer checks its own allowed origins).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

APPS_WITH_SOCKETS = ("tickets.sockets", "integrations.chat.sockets")


def _routes(name: str) -> list[Any]:
    return [route for app in APPS_WITH_SOCKETS for route in getattr(import_module(app), name, [])]


websocket_urlpatterns = _routes("websocket_urlpatterns")
public_websocket_urlpatterns = _routes("public_websocket_urlpatterns")
