"""WebSocket routes of the runtime (included by npcadmin/websocket_urls.py)."""

from django.urls import path

from npcs.runtime.consumers import RuntimeConsumer

websocket_urlpatterns = [
    path("ws/runtime/", RuntimeConsumer.as_asgi()),
]
