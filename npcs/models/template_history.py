"""Every version of an NPC's behaviour template (`npc_template_history`), for reading and restoring."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class NPCTemplateHistory(models.Model):
    """One saved version of an NPC's behaviour template: who changed it, when, and from what."""

    id = models.BigAutoField(primary_key=True)
    npc = models.ForeignKey("npcs.NPC", on_delete=models.DB_CASCADE, related_name="template_history")
    version = models.IntegerField(help_text="the NPC's `version` after this change")
    behavior_template = models.JSONField(help_text="the template as saved")
    previous_template = models.JSONField(null=True, blank=True, help_text="the template before this change")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DB_SET_NULL, null=True, blank=True,
                                   related_name="+")
    changed_at = models.DateTimeField(db_default=Now(), editable=False)
    reason = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        db_table = "npc_template_history"
        verbose_name = "template version"
        verbose_name_plural = "template history"
        ordering = ["-changed_at", "-id"]
        # Not unique on (npc, version): the engine may bump `version` itself without a history row.
        indexes = [models.Index(fields=["npc", "-changed_at"], name="idx_template_history_npc")]

    def __str__(self) -> str:
        return f"{self.npc_id} v{self.version}"

    def diff(self) -> list[tuple[str, object, object]]:
        """(key, before, after) for every top-level key that changed, sorted by key."""
        before = self.previous_template or {}
        after = self.behavior_template or {}
        return [(key, before.get(key), after.get(key))
                for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
