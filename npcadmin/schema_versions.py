"""The migration operation that records a contract version in `schema_versions` (docs/schema.md, flaw 9).

Every migration that changes what the engine sees (a table, column, type, default, constraint,
index, key behaviour, a relation the engine may query) includes one `RecordSchemaVersion`;
`tests/npcadmin/test_schema_versions_rule.py` fails for a migration that lacks it. The row is
written by the migration's own database (the router's `allow_migrate` for the app's label), so a
`worlds` migration records its version in every world database and an `npcs`/`analytics`
migration in the global one.

`covers` names earlier migrations whose change this row records, for a migration that forgot
its own row: applied migrations are never edited, a later one records what they changed.
"""

from __future__ import annotations

from django.db import migrations

INSERT = ("INSERT INTO schema_versions (version, description, rollback_script) VALUES (%s, %s, %s) "
          "ON CONFLICT (version) DO NOTHING")
DELETE = "DELETE FROM schema_versions WHERE version = %s"


class RecordSchemaVersion(migrations.RunSQL):
    """Insert the `version` row on the way forward; delete it on the way back."""

    def __init__(self, version: str, description: str, rollback_script: str,
                 covers: tuple[tuple[str, str], ...] = ()):
        self.version = version
        self.description = description
        self.rollback_script = rollback_script
        self.covers = tuple(tuple(c) for c in covers)
        super().__init__(sql=[(INSERT, [version, description, rollback_script])],
                         reverse_sql=[(DELETE, [version])], elidable=False)

    def deconstruct(self):
        kwargs = {"version": self.version, "description": self.description,
                  "rollback_script": self.rollback_script}
        if self.covers:
            kwargs["covers"] = self.covers
        return self.__class__.__qualname__, [], kwargs

    def describe(self):
        return f"Record schema version {self.version}"
