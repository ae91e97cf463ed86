"""WebSocket routes of the tickets app (composed by helpdesk/routing.py)."""

from django.urls import path

from tickets.consumers import DeskConsumer

# Sockets of the desk's own pages: session and same-origin checks apply.
websocket_urlpatterns = [
    path("ws/live/", DeskConsumer.as_asgi(), name="live"),
]
