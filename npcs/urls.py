"""Pages of the global NPC database (namespace `npcs`)."""

app_name = "npcs"

urlpatterns: list = []
