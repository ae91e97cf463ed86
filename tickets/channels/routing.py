"""WebSocket routes of the intake channels (chat)."""

websocket_urlpatterns: list = []
