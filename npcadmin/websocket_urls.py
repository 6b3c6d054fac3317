"""WebSocket routes (Channels consumers of each app)."""

websocket_urlpatterns: list = []
