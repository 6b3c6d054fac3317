"""Runtime pages (namespace `runtime`), mounted at /runtime/ by npcadmin/urls.py."""

from django.urls import path, register_converter

from npcs.runtime import views


class SignedIntConverter:
    """An NPC id of the runtime may be negative: the simulator's NPCs are -1 ... -N."""

    regex = "-?[0-9]+"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


register_converter(SignedIntConverter, "npc_id")

app_name = "runtime"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("queues/<int:priority>/", views.queue_detail, name="queue"),
    path("queues/<int:priority>/purge/", views.queue_purge, name="queue_purge"),
    path("queues/requeue/", views.queue_requeue, name="queue_requeue"),
    path("queues/drop/", views.queue_drop, name="queue_drop"),
    path("npcs/", views.npcs, name="npcs"),
    path("ratelimits/<npc_id:npc_id>/reset/", views.ratelimit_reset, name="ratelimit_reset"),
    path("llm-cache/flush/", views.llm_cache_flush, name="llm_cache_flush"),
    path("keys/", views.keys_browse, name="keys"),
    path("keys/key/", views.key_detail, name="key"),
    path("keys/delete/", views.key_delete, name="key_delete"),
]
