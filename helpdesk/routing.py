"""WebSocket routes; each app adds its consumers here."""

from django.urls import path

from helpdesk.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi(), name="live"),
]
