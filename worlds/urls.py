"""World pages (namespace `worlds`)."""

from django.urls import path

from worlds import views

app_name = "worlds"

urlpatterns = [
    path("", views.world_index, name="index"),
    path("npcs/<int:npc_id>/", views.npc_villages, name="npc_villages"),
    path("<slug:world_id>/", views.village_list, name="village_list"),
    path("<slug:world_id>/villages/<int:village_id>/", views.village_config_edit, name="village_config"),
    path("<slug:world_id>/builds/", views.build_history, name="build_history"),
]
