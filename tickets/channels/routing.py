"""WebSocket routes of the intake channels."""

from django.urls import path

from tickets.channels.consumers import ChatConsumer

# Sockets of the desk's own pages (session, same origin), spliced into helpdesk/routing.py.
websocket_urlpatterns: list = []

# Sockets opened from customers' own websites: helpdesk/asgi.py mounts these outside the
# session and same-origin wrappers, and each consumer checks the desk's allowed origins.
public_websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi(), name="chat"),
]
