"""Export and import of NPC profiles, behaviour templates and relationships as JSON.

File format (version 1), documented in docs/operations.md::

    {"format": "npcadmin.npcs", "version": 1, "exported_at": "<ISO 8601>",
     "npcs": [{"uuid": "...", "name": "...", "tribe": "Romans", "personality": "aggressive",
               "behavior_template": {...}, "llm_temperature": 0.7, ..., "notes": null,
               "relationships": [{"world_id": "demo", "target_player_id": 42, "trust_score": -20, ...}]}]}

Only configuration travels: counters the engine keeps (`total_decisions_made`, ...), activity
timestamps and database ids do not. An import matches each NPC by `uuid`, then by `name`, and
each relationship by `(world_id, target_player_id)` of that NPC, so importing the same file
twice changes nothing the second time. Relationships the file does not mention are kept.

An import is all-or-nothing: every record is validated with the models' own validators and
constraints, every problem is collected with its record and field, and if there is any, the
transaction is rolled back and `NPCImportError` lists them.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, models, transaction
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone

from npcadmin import audit
from npcadmin.jsonb import jsonb_problem
from npcs.models import NPC, NPCRelationship

FORMAT = "npcadmin.npcs"
VERSION = 1
SUPPORTED_VERSIONS = (1,)

# Configuration that travels between installations; counters and timestamps stay behind.
NPC_FIELDS = ("uuid", "name", "tribe", "personality", "behavior_template", "llm_temperature", "decision_cache_ttl",
              "strategic_update_frequency", "active", "paused", "version", "notes")
RELATIONSHIP_FIELDS = tuple(
    f.name for f in NPCRelationship._meta.concrete_fields if f.name not in {"id", "npc", "created_at", "updated_at"}
)
RELATIONSHIP_KEY = ("world_id", "target_player_id")


class NPCImportError(Exception):
    """The file was refused; `errors` says which record and which field, one line each."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s):\n" + "\n".join(errors))


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    npcs_created: list[str] = field(default_factory=list)
    npcs_updated: list[str] = field(default_factory=list)
    npcs_unchanged: list[str] = field(default_factory=list)
    relationships_created: int = 0
    relationships_updated: int = 0
    relationships_unchanged: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        prefix = "would import (dry run)" if self.dry_run else "imported"
        return (f"{prefix}: NPCs {len(self.npcs_created)} created, {len(self.npcs_updated)} updated, "
                f"{len(self.npcs_unchanged)} unchanged; relationships {self.relationships_created} created, "
                f"{self.relationships_updated} updated, {self.relationships_unchanged} unchanged")


# --- export -----------------------------------------------------------------------------------


def npcs_export(*, names: list[str] | None = None) -> dict:
    """The export document for every NPC, or only those named (unknown names raise LookupError)."""
    queryset = NPC.objects.order_by("name", "id").prefetch_related(
        models.Prefetch("relationships", queryset=NPCRelationship.objects.order_by("world_id", "target_player_id"))
    )
    if names:
        queryset = queryset.filter(name__in=names)
    npcs = list(queryset)
    if names:
        missing = sorted(set(names) - {n.name for n in npcs})
        if missing:
            raise LookupError(f"no NPC named {', '.join(missing)}")
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "npcs": [_npc_record(npc) for npc in npcs],
    }


def _npc_record(npc: NPC) -> dict:
    record = {name: getattr(npc, name) for name in NPC_FIELDS}
    record["uuid"] = str(npc.uuid)
    record["relationships"] = [{name: getattr(rel, name) for name in RELATIONSHIP_FIELDS}
                               for rel in npc.relationships.all()]
    return record


def npcs_export_json(*, names: list[str] | None = None) -> str:
    return json.dumps(npcs_export(names=names), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n"


# --- import -----------------------------------------------------------------------------------


def npcs_import(*, data: str | bytes | dict, dry_run: bool = False) -> ImportReport:
    """Validate and apply an export document in one transaction; nothing is written on any error."""
    document = _parse(data)
    report = ImportReport(dry_run=dry_run)
    errors: list[str] = []
    with transaction.atomic():
        _import_records(document["npcs"], report, errors)
        if errors:
            transaction.set_rollback(True)
            raise NPCImportError(errors)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _parse(data: str | bytes | dict) -> dict:
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise NPCImportError([f"file: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]) from None
        except UnicodeDecodeError as exc:
            raise NPCImportError([f"file: not UTF-8 text (byte {exc.start})"]) from None
    if not isinstance(data, dict):
        raise NPCImportError(["file: the top level must be a JSON object"])
    errors = []
    if data.get("format") != FORMAT:
        errors.append(f"file.format: must be {FORMAT!r} (got {data.get('format')!r})")
    if data.get("version") not in SUPPORTED_VERSIONS:
        errors.append(f"file.version: unsupported version {data.get('version')!r}; this installation reads "
                      f"{', '.join(map(str, SUPPORTED_VERSIONS))}")
    if not isinstance(data.get("npcs"), list):
        errors.append("file.npcs: must be a list of NPC records")
    if errors:
        raise NPCImportError(errors)
    return data


def _import_records(records: list, report: ImportReport, errors: list[str]) -> None:
    seen_names: dict[str, str] = {}
    seen_uuids: dict[str, str] = {}
    for index, record in enumerate(records):
        label = f"npcs[{index}]"
        if not isinstance(record, dict):
            errors.append(f"{label}: must be a JSON object")
            continue
        if isinstance(record.get("name"), str):
            label = f"npcs[{index}] {record['name']!r}"
        unknown = sorted(map(str, set(record) - set(NPC_FIELDS) - {"relationships"}))
        if unknown:
            errors.append(f"{label}: unknown field(s) {', '.join(unknown)}")
            continue
        unstorable = _fields_unstorable(record)
        if unstorable:
            errors.append(f"{label}: NUL characters and unpaired surrogates are not allowed "
                          f"(in {', '.join(unstorable)})")
            continue
        for key, seen in (("name", seen_names), ("uuid", seen_uuids)):
            value = record.get(key)
            if isinstance(value, str) and value:
                if value in seen:
                    errors.append(f"{label}.{key}: {value!r} appears twice in the file (also {seen[value]})")
                seen[value] = label
        npc, state = _apply_npc(record, label, errors)
        relationships = record.get("relationships", [])
        if not isinstance(relationships, list):
            errors.append(f"{label}.relationships: must be a list")
            continue
        rel_ok = _apply_relationships(npc if state != "invalid" else None, relationships, label, report, errors)
        if state == "created":
            report.npcs_created.append(npc.name)
        elif state == "updated" or (state == "unchanged" and rel_ok == "changed"):
            report.npcs_updated.append(npc.name)
        elif state == "unchanged":
            report.npcs_unchanged.append(npc.name)


def _find_npc(record: dict, label: str, errors: list[str]) -> NPC | None:
    """The NPC this record describes: by uuid, else by name; a uuid and name of two NPCs is an error."""
    by_uuid = by_name = None
    raw_uuid = record.get("uuid")
    if raw_uuid is not None:
        try:
            parsed = uuid_module.UUID(str(raw_uuid))
        except ValueError:
            errors.append(f"{label}.uuid: {raw_uuid!r} is not a valid UUID")
            return None
        by_uuid = NPC.objects.filter(uuid=parsed).first()
    if isinstance(record.get("name"), str):
        by_name = NPC.objects.filter(name=record["name"]).first()
    if by_uuid is not None and by_name is not None and by_uuid.pk != by_name.pk:
        errors.append(f"{label}.name: {record['name']!r} belongs to another NPC (uuid {by_name.uuid}) than this "
                      f"record's uuid; rename one of them")
        return None
    return by_uuid or by_name


def _apply_npc(record: dict, label: str, errors: list[str]) -> tuple[NPC | None, str]:
    before = len(errors)
    npc = _find_npc(record, label, errors)
    if len(errors) > before:
        return None, "invalid"
    created = npc is None
    if created:
        npc = NPC()
    original = {name: getattr(npc, name) for name in NPC_FIELDS}
    for name in NPC_FIELDS:
        if name in record and not (name == "uuid" and not created):
            setattr(npc, name, record[name])
    if not _validate(npc, label, errors):
        return npc, "invalid"
    if not created and all(getattr(npc, name) == original[name] for name in NPC_FIELDS):
        return npc, "unchanged"
    if not _save(npc, label, errors):
        return npc, "invalid"
    after = {name: getattr(npc, name) for name in NPC_FIELDS}
    audit.record(actor="unknown", via="console", action="npc.import", obj=npc,
                 changes=audit.diff({} if created else original, after), detail={"created": created})
    return npc, "created" if created else "updated"


def _apply_relationships(npc: NPC | None, records: list, label: str, report: ImportReport,
                         errors: list[str]) -> str:
    existing = {}
    if npc is not None and npc.pk:
        existing = {(r.world_id, r.target_player_id): r for r in NPCRelationship.objects.filter(npc=npc)}
    seen: set = set()
    changed = "unchanged"
    for index, record in enumerate(records):
        rel_label = f"{label}.relationships[{index}]"
        if not isinstance(record, dict):
            errors.append(f"{rel_label}: must be a JSON object")
            continue
        unknown = sorted(map(str, set(record) - set(RELATIONSHIP_FIELDS)))
        if unknown:
            errors.append(f"{rel_label}: unknown field(s) {', '.join(unknown)}")
            continue
        player = record.get("target_player_id")
        if isinstance(player, bool) or not isinstance(player, (int, str)):
            errors.append(f"{rel_label}.target_player_id: must be an integer (got {player!r})")
            continue
        world = record.get("world_id")
        if world not in settings.NPCADMIN_WORLDS:
            errors.append(f"{rel_label}.world_id: {world!r} is not a configured world "
                          f"({', '.join(settings.NPCADMIN_WORLDS)})")
            continue
        key = (world, record.get("target_player_id"))
        if key in seen:
            errors.append(f"{rel_label}: a second relationship with player {key[1]} in {world}")
            continue
        seen.add(key)
        relationship = existing.get(key)
        if relationship is None and isinstance(key[1], str) and key[1].isdigit():
            relationship = existing.get((world, int(key[1])))
        created = relationship is None
        if created:
            relationship = NPCRelationship(npc=npc if npc is not None and npc.pk else None)
        original = {name: getattr(relationship, name) for name in RELATIONSHIP_FIELDS}
        for name in RELATIONSHIP_FIELDS:
            if name in record:
                setattr(relationship, name, record[name])
        if not _validate(relationship, rel_label, errors, npc_known=npc is not None and bool(npc.pk)):
            continue
        if npc is None or not npc.pk:
            continue  # the NPC itself is invalid; its error is already reported
        if not created and all(getattr(relationship, n) == original[n] for n in RELATIONSHIP_FIELDS):
            report.relationships_unchanged += 1
            continue
        if not _save(relationship, rel_label, errors):
            continue
        changed = "changed"
        if created:
            report.relationships_created += 1
        else:
            report.relationships_updated += 1
    return changed


def _save(instance: models.Model, label: str, errors: list[str]) -> bool:
    """Save in a savepoint: a value the database still refuses is reported, not a crash mid-import."""
    try:
        with transaction.atomic():
            instance.save()
    except DatabaseError as exc:
        errors.append(f"{label}: the database refused the record: {' '.join(str(exc).split())}")
        if getattr(instance, "_state", None) is not None and instance._state.adding:
            instance.pk = None
        return False
    return True


def _fields_unstorable(record: dict) -> list[str]:
    """Top-level fields holding a NUL character or an unpaired surrogate (`"\\ud800"`) anywhere:
    PostgreSQL text and jsonb refuse the first, psycopg cannot even encode the second."""
    return sorted(name for name, value in record.items() if name != "relationships" and jsonb_problem(value)) + (
        ["relationships"] if jsonb_problem(record.get("relationships")) else [])


def _validate(instance: models.Model, label: str, errors: list[str], *, npc_known: bool = True) -> bool:
    """`clean_fields`, then each constraint on its own so its error names the field it is about."""
    exclude = set() if npc_known else {"npc"}
    problems: dict[str, list[str]] = {}
    # Model.clean_fields, field by field, because some fields' to_python raise TypeError on a
    # value of the wrong JSON type (a list for a date) instead of a ValidationError.
    for f in instance._meta.fields:
        if f.name in exclude or f.generated:
            continue
        raw = getattr(instance, f.attname)
        if (f.blank and raw in f.empty_values) or isinstance(raw, DatabaseDefault):
            continue
        try:
            setattr(instance, f.attname, f.clean(raw, instance))
        except ValidationError as exc:
            problems.setdefault(f.name, []).extend(exc.messages)
        except (TypeError, ValueError, OverflowError):
            problems.setdefault(f.name, []).append(f"{raw!r} is not a valid value for this field.")
    for constraint in instance._meta.constraints:
        fields = _constraint_fields(instance, constraint)
        if fields & set(problems) or (fields & exclude):
            continue  # already wrong (or not yet known): a second message would only repeat it
        try:
            with transaction.atomic():  # a savepoint: a bad cast must not poison the import's transaction
                constraint.validate(type(instance), instance, exclude=exclude)
        except ValidationError as exc:
            target = ", ".join(sorted(fields)) or NON_FIELD_ERRORS
            problems.setdefault(target, []).extend(exc.messages)
        except DatabaseError as exc:
            problems.setdefault(", ".join(sorted(fields)) or NON_FIELD_ERRORS, []).append(str(exc).strip())
    for name, messages in problems.items():
        where = label if name == NON_FIELD_ERRORS else f"{label}.{name}"
        errors.append(f"{where}: {' '.join(messages)}")
    return not problems


def _constraint_fields(instance: models.Model, constraint) -> set[str]:
    """The model fields a constraint is about (unique fields, or those its condition refers to)."""
    if getattr(constraint, "fields", None):
        return set(constraint.fields)
    condition = getattr(constraint, "condition", None)
    names = set()
    if condition is not None:
        for child in _flatten(condition):
            field_name = child[0].split("__")[0] if isinstance(child, tuple) else None
            if field_name:
                names.add(field_name)
            for expr_field in _expression_fields(child):
                names.add(expr_field)
    concrete = {f.name for f in instance._meta.concrete_fields}
    return {n for n in names if n in concrete}


def _flatten(q):
    for child in getattr(q, "children", []):
        if isinstance(child, models.Q):
            yield from _flatten(child)
        else:
            yield child


def _expression_fields(node) -> set[str]:
    """Field names referenced by an expression such as `Range(Cast(KT('behavior_template__x')))`."""
    found = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(item)
            continue
        name = getattr(item, "name", None)
        if isinstance(name, str) and item.__class__.__name__ in {"F", "KT"}:
            found.add(name.split("__")[0])
        for attr in ("lhs", "rhs"):
            if hasattr(item, attr):
                stack.append(getattr(item, attr))
        if hasattr(item, "get_source_expressions"):
            stack.extend(item.get_source_expressions())
    return found
