"""The `schema_versions` rule (docs/schema.md, "schema_versions"): no contract migration without its row.

A migration of a contract app (`npcs`, `analytics`, `worlds`) is a *contract migration* when any of its operations
changes the database: everything except state-only operations (model options, managers),
operations on unmanaged models (Django skips them) and an `AlterField` whose change Django itself
would not send to the database (validators, help text, choices:
`BaseDatabaseSchemaEditor._field_should_be_altered`). `RunSQL`/`RunPython` count as changes: the
test cannot know what they do, so they must say so with a row. A contract migration must contain
a `RecordSchemaVersion`, or be named in a later one's `covers`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from npcadmin.schema_versions import RecordSchemaVersion

# npcs 0001-0003 predate the rule: migration 0004 records them as 1.0.0 ("Initial NPC framework
# schema", the seed's own row) with a plain RunSQL written before RecordSchemaVersion existed.
RECORDED_BY_NPCS_0004 = {("npcs", "0001_initial"), ("npcs", "0002_npc_memory_partitioned"),
                         ("npcs", "0003_npc_memory_months")}
STATE_ONLY = (migrations.AlterModelOptions, migrations.AlterModelManagers)

# The apps whose tables are the engine's contract. `npcadmin`'s own tables (capabilities, the audit
# trail) are console infrastructure the engine never reads, like Django's `auth` and `sessions`.
CONTRACT_APPS = {"npcs", "analytics", "worlds"}


def _project_apps(loader: MigrationLoader) -> set[str]:
    base = Path(settings.BASE_DIR).resolve()
    apps = set()
    for app_label, _ in loader.disk_migrations:
        module = loader.migrations_module(app_label)[0]
        path = Path(__import__(module, fromlist=["_"]).__file__).resolve()
        if base in path.parents and ".venv" not in path.parts:
            apps.add(app_label)
    return apps


def _records(operation) -> bool:
    if isinstance(operation, RecordSchemaVersion):
        return True
    if isinstance(operation, migrations.RunSQL):  # npcs 0004/0005, written before RecordSchemaVersion
        statements = operation.sql if isinstance(operation.sql, list | tuple) else [operation.sql]
        return any("INSERT INTO schema_versions" in str(s) for s in statements)
    return False


def changes_database(app_label: str, operation, state: ProjectState) -> bool:
    """Whether `operation`, applied to `state`, changes what a plain-SQL client of the database sees."""
    if isinstance(operation, STATE_ONLY):
        return False
    if isinstance(operation, migrations.CreateModel) and operation.options.get("managed", True) is False:
        return False  # Django never touches an unmanaged model's table
    model_name = getattr(operation, "model_name", None)
    if model_name and (app_label, model_name) in state.models \
            and state.models[app_label, model_name].options.get("managed", True) is False:
        return False
    if isinstance(operation, migrations.SeparateDatabaseAndState):
        return any(not _records(op) for op in operation.database_operations)
    if isinstance(operation, migrations.AlterField):
        before = state.clone()
        after = state.clone()
        operation.state_forwards(app_label, after)
        old = before.apps.get_model(app_label, operation.model_name)._meta.get_field(operation.name)
        new = after.apps.get_model(app_label, operation.model_name)._meta.get_field(operation.name)
        return connection.schema_editor()._field_should_be_altered(old, new)
    return not _records(operation)


def _state_before(loader: MigrationLoader, key: tuple[str, str], migration) -> ProjectState:
    if key in loader.graph.nodes:
        return loader.project_state(key, at_end=False)
    return loader.project_state(tuple(migration.dependencies), at_end=True)  # a test's migration


def violations(loader: MigrationLoader, apps: set[str], extra: dict | None = None) -> list[str]:
    """Contract migrations of `apps` with no schema_versions row of their own and none covering them."""
    nodes = {key: loader.graph.nodes[key] for key in loader.graph.nodes if key[0] in apps}
    nodes |= extra or {}
    covered = set(RECORDED_BY_NPCS_0004)
    for key, migration in nodes.items():
        for operation in migration.operations:
            if _records(operation):
                covered.add(key)
            if isinstance(operation, RecordSchemaVersion):
                covered.update(operation.covers)
    missing = []
    for key, migration in sorted(nodes.items()):
        if key in covered:
            continue
        state = _state_before(loader, key, migration)
        for operation in migration.operations:
            if changes_database(key[0], operation, state):
                missing.append(f"{key[0]}.{key[1]}: {operation.describe()}")
                break
            operation.state_forwards(key[0], state)
    return missing


@pytest.fixture(scope="module")
def loader():
    return MigrationLoader(None, ignore_no_migrations=True)


def test_every_contract_migration_records_a_schema_version(loader):
    apps = _project_apps(loader)
    assert apps >= CONTRACT_APPS, apps
    assert violations(loader, CONTRACT_APPS) == []


def _fake(name: str, dependency: tuple[str, str], operations: list) -> migrations.Migration:
    migration = migrations.Migration(name, "npcs")
    migration.dependencies = [dependency]
    migration.operations = operations
    return migration


def _leaf(loader) -> tuple[str, str]:
    (leaf,) = loader.graph.leaf_nodes("npcs")
    return leaf


def test_a_new_index_without_a_row_is_refused(loader):
    from django.db import models

    index = migrations.AddIndex("npcdecision", models.Index(fields=["world_id"], name="idx_test_only"))
    fake = _fake("9999_index", _leaf(loader), [index])
    assert violations(loader, {"npcs"}, {("npcs", "9999_index"): fake}) == [
        "npcs.9999_index: Create index idx_test_only on field(s) world_id of model npcdecision"]


def test_raw_sql_without_a_row_is_refused_and_with_one_accepted(loader):
    sql = migrations.RunSQL("CREATE INDEX idx_x ON npcs (tribe)", reverse_sql="DROP INDEX idx_x")
    bare = _fake("9999_sql", _leaf(loader), [sql])
    assert violations(loader, {"npcs"}, {("npcs", "9999_sql"): bare}) != []
    recorded = _fake("9999_sql", _leaf(loader), [sql, RecordSchemaVersion("9.9.9", "test", "manage.py migrate")])
    assert violations(loader, {"npcs"}, {("npcs", "9999_sql"): recorded}) == []


def test_a_later_migration_may_cover_one_that_forgot(loader):
    sql = migrations.RunSQL("SELECT 1", reverse_sql=migrations.RunSQL.noop)
    forgot = _fake("9998_forgot", _leaf(loader), [sql])
    cover = _fake("9999_cover", ("npcs", "9998_forgot"), [
        RecordSchemaVersion("9.9.9", "test", "manage.py migrate", covers=(("npcs", "9998_forgot"),))])
    extra = {("npcs", "9998_forgot"): forgot, ("npcs", "9999_cover"): cover}
    assert violations(loader, {"npcs"}, extra) == []


def test_an_alter_field_of_validators_only_is_not_a_contract_change(loader):
    from django.core.validators import MaxValueValidator
    from django.db import models

    validators_only = migrations.AlterField(
        "npcrelationship", "trust_score",
        models.IntegerField(db_default=0, default=0, validators=[MaxValueValidator(50)]))
    fake = _fake("9999_validators", _leaf(loader), [validators_only])
    assert violations(loader, {"npcs"}, {("npcs", "9999_validators"): fake}) == []
    new_default = migrations.AlterField("npcrelationship", "trust_score", models.IntegerField(db_default=5, default=5))
    fake = _fake("9999_default", _leaf(loader), [new_default])
    assert violations(loader, {"npcs"}, {("npcs", "9999_default"): fake}) != []
