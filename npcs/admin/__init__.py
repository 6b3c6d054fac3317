"""The game-master console over the global NPC database: one module per model admin."""

from django.contrib import admin

from npcs.admin import alliance, logs, npc, relationship, schema, world_state  # noqa: F401 (registers)

admin.site.site_header = "NPC Admin"
admin.site.site_title = "NPC Admin"
admin.site.index_title = "Console"
admin.site.index_template = "admin/npcs/index.html"  # the console home: counts that matter, then the apps
