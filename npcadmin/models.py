"""The capabilities of npcadmin/access.py as permissions (a model with no table)."""

from django.conf import settings
from django.db import models

from npcadmin.access import CAPABILITIES


class Capability(models.Model):
    """Holds one custom permission per capability; never stored (`managed = False`, no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = sorted(CAPABILITIES.items())

    def __str__(self) -> str:
        return "capability"


class AuditEntry(models.Model):
    """One write by a person or a command: who, what (object, fields before → after), when.

    The one audit trail of the project (npcadmin/audit.py): console saves and actions, the
    runtime's queue and cache operations, world and mind pages, and management commands.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    # Kept when the user is deleted; "command:<name>" for management commands.
    actor_name = models.CharField(max_length=150)
    via = models.CharField(max_length=20, help_text="console, runtime, worlds, mind or command")
    action = models.CharField(max_length=60, help_text="what was done, e.g. npc.update, runtime.queue_purge")
    object_type = models.CharField(max_length=60, help_text="app_label.model, or runtime.<key kind>")
    object_id = models.CharField(max_length=200, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}")
    detail = models.JSONField(default=dict, blank=True, help_text="what else the action reported (counts, reason)")

    class Meta:
        db_table = "npcadmin_audit"
        ordering = ("-at", "-id")
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        # Nobody adds, changes or deletes entries; reading is the capability npcadmin.view_audit.
        default_permissions = ()
        indexes = [
            # The NPC page's section and the audit page's object filter (npcadmin/audit.py).
            models.Index(fields=["object_type", "object_id", "-at"], name="npcadmin_audit_object_idx"),
            # The audit page's user filter.
            models.Index(fields=["actor", "-at"], name="npcadmin_audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr or self.object_id}"
