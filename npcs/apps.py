from django.apps import AppConfig


class NpcsConfig(AppConfig):
    """The global NPC database: profiles, relationships, memories, decisions, logs."""

    name = "npcs"
    verbose_name = "NPCs"
