from django.apps import AppConfig


class MindConfig(AppConfig):
    """Inside an NPC's mind: memory recall and decision traces (reads of `npcs` tables)."""

    name = "npcs.mind"
    label = "mind"
    verbose_name = "NPC mind"
