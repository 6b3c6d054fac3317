"""`schema_versions`: the engine's record of the contract version (see docs/schema.md, flaw 9)."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now


class SchemaVersion(models.Model):
    """One applied version of the database contract. Django migrations insert these rows."""

    id = models.AutoField(primary_key=True)
    version = models.CharField(max_length=50)
    description = models.TextField(null=True, blank=True)
    applied_at = models.DateTimeField(db_default=Now())
    rollback_script = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "schema_versions"
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["version"], name="schema_versions_version_key",
                                    violation_error_message="This schema version is already recorded."),
        ]

    def __str__(self) -> str:
        return self.version
