"""Pages of the global NPC database (namespace `npcs`)."""

from django.urls import path

from npcs.views import mind, traces

app_name = "npcs"

urlpatterns: list = [
    # Inside an NPC's mind (docs/npc-mind.md)
    path("mind/<int:npc_id>/memories/", mind.memory_recall, name="memory_recall"),
    path("mind/memories/<int:memory_id>/adjust/", mind.memory_adjust_view, name="memory_adjust"),
    path("mind/<int:npc_id>/decisions/", traces.decision_timeline, name="decision_timeline"),
    path("mind/decisions/<int:decision_id>/", traces.decision_trace, name="decision_trace"),
    path("mind/decisions/", traces.decisions_overview, name="decisions_overview"),
]
