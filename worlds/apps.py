from django.apps import AppConfig


class WorldsConfig(AppConfig):
    """Per-game-server world databases: villages and the NPC extensions to them."""

    name = "worlds"
    verbose_name = "Worlds"
