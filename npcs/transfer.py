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

import contextlib
import itertools
import json
import shutil
import tempfile
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import ijson
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

# Records validated and written per round trip: big enough that the per-query cost vanishes,
# small enough that memory stays bounded whatever the file's size.
CHUNK_SIZE = 500

Progress = Callable[[int, int], None]  # (NPC records done, bytes of the file read so far)


_NO_DATA = object()  # `data=None` is a document too (JSON null), refused like any other


def npcs_import(*, data: str | bytes | dict | None = _NO_DATA, source: BinaryIO | None = None, dry_run: bool = False,
                progress: Progress | None = None) -> ImportReport:
    """Validate and apply an export document in one transaction; nothing is written on any error.

    `data` is a document already in memory; `source` a binary file, parsed as a stream so a file
    of any size costs one chunk of records in memory. A dry run validates the same way and holds
    no transaction open: it only reads.
    """
    if (data is _NO_DATA) == (source is None):
        raise TypeError("give exactly one of data= or source=")
    report = ImportReport(dry_run=dry_run)
    importer = _Importer(report, write=not dry_run)
    with _records(data, source) as (records, position):
        if dry_run:
            importer.run(records, position, progress)
        else:
            with transaction.atomic():
                importer.run(records, position, progress)
                if importer.errors:
                    transaction.set_rollback(True)
    if importer.errors:
        raise NPCImportError(importer.errors)
    return report


@contextlib.contextmanager
def _records(data, source):
    """(iterator of NPC records, callable giving the bytes read) after the header was checked."""
    if source is None:
        document = _parse(data)
        yield iter(document["npcs"]), lambda: 0
        return
    with contextlib.ExitStack() as stack:
        if not source.seekable():  # standard input: the header may follow the records, so keep a copy
            spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024))
            shutil.copyfileobj(source, spool)
            source = spool
        start = source.tell()
        _check_header(_stream_header(source))
        source.seek(start)
        yield _stream_records(source), source.tell


def _json_problem(exc: Exception) -> NPCImportError:
    text = exc.args[0] if exc.args else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    first = str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__
    return NPCImportError([f"file: not valid JSON: {first}"])


def _stream_header(source: BinaryIO) -> dict:
    """The top-level scalars (format, version) and the kind of `npcs`, read until all are known."""
    header: dict = {}
    events = ijson.parse(source, use_float=True)
    try:
        first = next(events, None)
        if first is None or first[1] != "start_map":
            raise NPCImportError(["file: the top level must be a JSON object"])
        for prefix, event, value in events:
            if prefix in ("format", "version", "npcs") and prefix not in header:
                header[prefix] = value if event in _SCALAR_EVENTS else _CONTAINER.get(event, event)
                if {"format", "version", "npcs"} <= set(header):
                    break
    except ijson.JSONError as exc:
        raise _json_problem(exc) from None
    return header


_SCALAR_EVENTS = {"string", "number", "boolean", "null"}
_CONTAINER = {"start_array": [], "start_map": {}}


def _stream_records(source: BinaryIO):
    try:
        yield from ijson.items(source, "npcs.item", use_float=True)
    except ijson.JSONError as exc:
        raise _json_problem(exc) from None


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
    _check_header(data)
    return data


def _check_header(data: dict) -> None:
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


@dataclass
class _Pending:
    """One NPC record of the current chunk, validated, waiting for its chunk's bulk write."""

    label: str
    npc: NPC
    state: str  # created / updated / unchanged / invalid
    relationships: list[tuple[str, NPCRelationship, bool]] = field(default_factory=list)  # (label, rel, created)
    relationships_changed: bool = False
    changes: dict = field(default_factory=dict)  # {field: [before, after]} for the audit trail


class _Importer:
    """Validates records chunk by chunk (a few queries per chunk, none per record) and writes each
    valid chunk with bulk statements; after the first problem it only validates, so every problem
    of the file is reported and nothing is kept."""

    def __init__(self, report: ImportReport, *, write: bool):
        self.report = report
        self.write = write
        self.errors: list[str] = []
        self.seen_names: dict[str, str] = {}
        self.seen_uuids: dict[str, str] = {}
        self.claimed: dict[int, str] = {}  # NPC pk -> label of the record that describes it
        self.worlds = set(settings.NPCADMIN_WORLDS)

    def run(self, records, position: Callable[[], int], progress: Progress | None) -> None:
        done = 0
        for chunk in itertools.batched(enumerate(records, start=0), CHUNK_SIZE):
            self._chunk(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, position())

    # -- one chunk ---------------------------------------------------------------------------

    def _chunk(self, chunk: tuple[tuple[int, object], ...]) -> None:
        checked = [(label, record) for label, record in (self._check(i, r) for i, r in chunk) if record is not None]
        by_uuid, by_name = self._existing_npcs(checked)
        pending = [self._npc(label, record, by_uuid, by_name) for label, record in checked]
        existing = self._existing_relationships(p.npc.pk for p in pending if p.state != "invalid" and p.npc.pk)
        for (_label, record), item in zip(checked, pending, strict=True):
            self._relationships(item, record.get("relationships", []), existing)
        if self.write and not self.errors:
            self._save_chunk(pending)
        for item in pending:
            if item.state == "created":
                self.report.npcs_created.append(item.npc.name)
            elif item.state == "updated" or (item.state == "unchanged" and item.relationships_changed):
                self.report.npcs_updated.append(item.npc.name)
            elif item.state == "unchanged":
                self.report.npcs_unchanged.append(item.npc.name)

    def _check(self, index: int, record) -> tuple[str, dict | None]:
        """The record's label and the record if its shape allows looking at its values."""
        label = f"npcs[{index}]"
        if not isinstance(record, dict):
            self.errors.append(f"{label}: must be a JSON object")
            return label, None
        if isinstance(record.get("name"), str):
            label = f"npcs[{index}] {record['name']!r}"
        unknown = sorted(map(str, set(record) - set(NPC_FIELDS) - {"relationships"}))
        if unknown:
            self.errors.append(f"{label}: unknown field(s) {', '.join(unknown)}")
            return label, None
        unstorable = _fields_unstorable(record)
        if unstorable:
            self.errors.append(f"{label}: NUL characters and unpaired surrogates are not allowed "
                               f"(in {', '.join(unstorable)})")
            return label, None
        for key, seen in (("name", self.seen_names), ("uuid", self.seen_uuids)):
            value = record.get(key)
            if isinstance(value, str) and value:
                if value in seen:
                    self.errors.append(f"{label}.{key}: {value!r} appears twice in the file (also {seen[value]})")
                seen[value] = label
        if record.get("uuid") is not None:
            try:
                record["uuid"] = uuid_module.UUID(str(record["uuid"]))
            except ValueError:
                self.errors.append(f"{label}.uuid: {record['uuid']!r} is not a valid UUID")
                return label, None
        return label, record

    def _existing_npcs(self, checked) -> tuple[dict, dict]:
        uuids = [r["uuid"] for _, r in checked if r.get("uuid") is not None]
        names = [r["name"] for _, r in checked if isinstance(r.get("name"), str)]
        if not uuids and not names:
            return {}, {}
        found = list(NPC.objects.filter(models.Q(uuid__in=uuids) | models.Q(name__in=names)).order_by())
        return {n.uuid: n for n in found}, {n.name: n for n in found}

    def _npc(self, label: str, record: dict, by_uuid: dict, by_name: dict) -> _Pending:
        found_uuid = by_uuid.get(record.get("uuid"))
        found_name = by_name.get(record["name"]) if isinstance(record.get("name"), str) else None
        if found_name is not None and found_name.pk in self.claimed and found_name is not found_uuid:
            found_name = None  # an earlier record renamed that NPC: the name is free again
        if found_uuid is not None and found_name is not None and found_uuid.pk != found_name.pk:
            self.errors.append(f"{label}.name: {record['name']!r} belongs to another NPC (uuid {found_name.uuid}) "
                               f"than this record's uuid; rename one of them")
            return _Pending(label, NPC(), "invalid")
        npc = found_uuid or found_name
        if npc is not None and npc.pk in self.claimed:
            self.errors.append(f"{label}: describes the same NPC as {self.claimed[npc.pk]}")
            return _Pending(label, npc, "invalid")
        created = npc is None
        if created:
            npc = NPC()
        else:
            self.claimed[npc.pk] = label
        original = {name: getattr(npc, name) for name in NPC_FIELDS}
        for name in NPC_FIELDS:
            if name in record and not (name == "uuid" and not created):
                setattr(npc, name, record[name])
        if not _validate(npc, label, self.errors, constraints=False):
            return _Pending(label, npc, "invalid")
        if not created and all(getattr(npc, name) == original[name] for name in NPC_FIELDS):
            return _Pending(label, npc, "unchanged")
        after = {name: getattr(npc, name) for name in NPC_FIELDS}
        return _Pending(label, npc, "created" if created else "updated",
                        changes=audit.diff({} if created else original, after))

    def _existing_relationships(self, npc_ids) -> dict:
        ids = list(npc_ids)
        existing: dict = {}
        if ids:
            for rel in NPCRelationship.objects.filter(npc_id__in=ids).order_by():
                existing[(rel.npc_id, rel.world_id, rel.target_player_id)] = rel
        return existing

    def _relationships(self, item: _Pending, records, existing: dict) -> None:
        label = item.label
        if not isinstance(records, list):
            self.errors.append(f"{label}.relationships: must be a list")
            item.state = "invalid"
            return
        npc_id = item.npc.pk if item.state != "invalid" else None
        seen: set = set()
        for index, record in enumerate(records):
            rel_label = f"{label}.relationships[{index}]"
            if not isinstance(record, dict):
                self.errors.append(f"{rel_label}: must be a JSON object")
                continue
            unknown = sorted(map(str, set(record) - set(RELATIONSHIP_FIELDS)))
            if unknown:
                self.errors.append(f"{rel_label}: unknown field(s) {', '.join(unknown)}")
                continue
            player = record.get("target_player_id")
            if isinstance(player, bool) or not isinstance(player, (int, str)):
                self.errors.append(f"{rel_label}.target_player_id: must be an integer (got {player!r})")
                continue
            world = record.get("world_id")
            if not isinstance(world, str) or world not in self.worlds:  # a list is not hashable
                self.errors.append(f"{rel_label}.world_id: {world!r} is not a configured world "
                                   f"({', '.join(settings.NPCADMIN_WORLDS)})")
                continue
            player_key = int(player) if isinstance(player, str) and player.isdigit() else player
            key = (world, player_key)
            if key in seen:
                self.errors.append(f"{rel_label}: a second relationship with player {player} in {world}")
                continue
            seen.add(key)
            relationship = existing.get((npc_id, world, player_key)) if npc_id else None
            created = relationship is None
            if created:
                relationship = NPCRelationship()
            original = {name: getattr(relationship, name) for name in RELATIONSHIP_FIELDS}
            for name in RELATIONSHIP_FIELDS:
                if name in record:
                    setattr(relationship, name, record[name])
            if not _validate(relationship, rel_label, self.errors, constraints=False, exclude={"npc"}):
                continue
            if item.state == "invalid":
                continue  # the NPC itself is invalid; its error is already reported
            if not created and all(getattr(relationship, n) == original[n] for n in RELATIONSHIP_FIELDS):
                self.report.relationships_unchanged += 1
                continue
            item.relationships.append((rel_label, relationship, created))
            item.relationships_changed = True
            if created:
                self.report.relationships_created += 1
            else:
                self.report.relationships_updated += 1

    # -- writing -----------------------------------------------------------------------------

    def _save_chunk(self, pending: list[_Pending]) -> None:
        """Bulk statements in a savepoint; if the database still refuses something, the chunk is
        replayed record by record so the problem is reported against its record."""
        updated = [p.npc for p in pending if p.state == "updated"]
        created = [p.npc for p in pending if p.state == "created"]
        try:
            with transaction.atomic():
                # Updates first: a rename frees a name that a new NPC of the same chunk may take.
                NPC.objects.bulk_update(updated, [f for f in NPC_FIELDS if f != "uuid"])
                NPC.objects.bulk_create(created)
                new_rels, changed_rels = [], []
                for item in pending:
                    if item.state == "invalid":
                        continue
                    for _label, rel, is_new in item.relationships:
                        rel.npc_id = item.npc.pk
                        (new_rels if is_new else changed_rels).append(rel)
                NPCRelationship.objects.bulk_create(new_rels)
                NPCRelationship.objects.bulk_update(changed_rels, list(RELATIONSHIP_FIELDS))
                self._audit(p for p in pending if p.state in ("created", "updated"))
        except DatabaseError:
            for npc in created:
                npc.pk = None
                npc._state.adding = True
            self._save_one_by_one(pending)

    @staticmethod
    def _audit(written) -> None:
        audit.record_many(
            {"actor": "unknown", "via": "console", "action": "npc.import", "obj": item.npc, "changes": item.changes,
             "detail": {"created": item.state == "created"}} for item in written)

    def _save_one_by_one(self, pending: list[_Pending]) -> None:
        before = len(self.errors)
        ordered = sorted(pending, key=lambda p: p.state != "updated")
        for item in ordered:
            if item.state in ("created", "updated"):
                _validate(item.npc, item.label, self.errors)  # the constraints' own messages
                if not _save(item.npc, item.label, self.errors):
                    continue
            if item.state == "invalid" or not item.npc.pk:
                continue
            for rel_label, rel, _created in item.relationships:
                rel.npc_id = item.npc.pk
                if _validate(rel, rel_label, self.errors):
                    _save(rel, rel_label, self.errors)
        if len(self.errors) == before:
            self.errors.append("npcs: the database refused a batch that each record passes alone; nothing imported")


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


def _validate(instance: models.Model, label: str, errors: list[str], *, constraints: bool = True,
              exclude: set[str] | frozenset = frozenset()) -> bool:
    """`clean_fields`, then (unless `constraints=False`) each constraint on its own so its error names
    the field it is about. The bulk path skips the constraints: every check constraint has a field
    validator of its own and uniqueness is checked in bulk; the database refusing anything sends a
    chunk through the per-record path, which does run them (one query each)."""
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
    for constraint in instance._meta.constraints if constraints else ():
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
