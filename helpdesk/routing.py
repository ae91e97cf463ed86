"""WebSocket routes; each app adds its consumers here."""

from django.urls import path

from helpdesk.consumers import LiveConsumer
from tickets.channels.routing import websocket_urlpatterns as channel_routes

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi(), name="live"),
    *channel_routes,
]
