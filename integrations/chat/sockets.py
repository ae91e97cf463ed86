"""WebSocket routes of the website chat (composed by helpdesk/routing.py)."""

from django.urls import path

from integrations.chat.consumers import ChatConsumer

# Sockets opened from customers' own websites: helpdesk/asgi.py mounts these outside the
# session and same-origin wrappers, and each consumer checks the desk's allowed origins.
public_websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi(), name="chat"),
]
