"""Pages inside an NPC's mind (namespace `mind`), mounted at /npcs/mind/ by npcadmin/urls.py
(docs/npc-mind.md)."""

from django.urls import path

from npcs.mind.views import recall, traces

app_name = "mind"

urlpatterns = [
    path("<int:npc_id>/memories/", recall.memory_recall, name="memory_recall"),
    path("memories/<int:memory_id>/adjust/", recall.memory_adjust_view, name="memory_adjust"),
    path("<int:npc_id>/decisions/", traces.decision_timeline, name="decision_timeline"),
    path("decisions/<int:decision_id>/", traces.decision_trace, name="decision_trace"),
    path("decisions/", traces.decisions_overview, name="decisions_overview"),
]
