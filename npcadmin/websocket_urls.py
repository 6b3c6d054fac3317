"""WebSocket routes (Channels consumers of each app)."""

from npcs.runtime.routing import websocket_urlpatterns as runtime_websocket_urlpatterns

websocket_urlpatterns: list = [
    *runtime_websocket_urlpatterns,
]
