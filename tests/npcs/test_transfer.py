"""NPC export/import: round trip, idempotence, and files that must write nothing."""

from __future__ import annotations

import copy
import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from npcs.models import NPC, NPCRelationship
from npcs.transfer import FORMAT, NPCImportError, npcs_export, npcs_import
from tests.factories.npcs import NPCFactory, NPCRelationshipFactory, template_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported():
    warlord = NPCFactory(name="Warlord", personality="aggressive", behavior_template=template_for("aggressive"),
                         notes="keeps to the north")
    NPCRelationshipFactory(npc=warlord, world_id="demo", target_player_id=42, trust_score=-40,
                           relationship_type="enemy", last_interaction_at=timezone.now(),
                           treaties_active=[{"type": "NAP", "start": "2025-01-01", "end": "2025-12-31"}])
    NPCRelationshipFactory(npc=warlord, world_id="testworld", target_player_id=7)
    NPCFactory(name="Merchant", personality="economic", behavior_template=template_for("economic"))
    return json.loads(json.dumps(npcs_export(), default=str))


def snapshot():
    npcs = list(NPC.objects.order_by("name").values("uuid", "name", "behavior_template", "notes", "paused"))
    rels = list(NPCRelationship.objects.order_by("id").values("npc__name", "world_id", "target_player_id",
                                                              "trust_score", "treaties_active", "updated_at"))
    return npcs, rels


def test_export_lists_profiles_templates_and_relationships(exported):
    assert exported["format"] == FORMAT and exported["version"] == 1
    warlord = next(n for n in exported["npcs"] if n["name"] == "Warlord")
    assert warlord["behavior_template"]["aggression"] == 0.9
    assert [(r["world_id"], r["target_player_id"]) for r in warlord["relationships"]] == [("demo", 42),
                                                                                         ("testworld", 7)]
    assert "total_decisions_made" not in warlord and "id" not in warlord


def test_export_only_named_npcs_and_unknown_name_fails(exported):
    assert [n["name"] for n in npcs_export(names=["Merchant"])["npcs"]] == ["Merchant"]
    with pytest.raises(LookupError, match="Nobody"):
        npcs_export(names=["Merchant", "Nobody"])


def test_reimport_of_own_export_changes_nothing(exported):
    before = snapshot()
    report = npcs_import(data=exported)
    assert report.npcs_unchanged == ["Merchant", "Warlord"]
    assert report.relationships_unchanged == 2 and report.relationships_created == 0
    assert snapshot() == before


def test_import_into_empty_database_recreates_everything_then_is_idempotent(exported):
    uuids = {n["name"]: n["uuid"] for n in exported["npcs"]}
    NPC.objects.all().delete()
    report = npcs_import(data=json.dumps(exported))
    assert sorted(report.npcs_created) == ["Merchant", "Warlord"] and report.relationships_created == 2
    assert {n.name: str(n.uuid) for n in NPC.objects.all()} == uuids
    rel = NPCRelationship.objects.get(npc__name="Warlord", world_id="demo")
    assert rel.trust_score == -40 and rel.treaties_active[0]["type"] == "NAP"
    assert isinstance(rel.last_interaction_at, datetime.datetime)
    before = snapshot()
    again = npcs_import(data=json.dumps(exported))
    assert again.npcs_unchanged == ["Merchant", "Warlord"] and again.relationships_unchanged == 2
    assert snapshot() == before


def test_matching_by_name_when_uuid_is_absent_updates_in_place(exported):
    warlord = copy.deepcopy(next(n for n in exported["npcs"] if n["name"] == "Warlord"))
    del warlord["uuid"]
    warlord["behavior_template"]["aggression"] = 0.5
    warlord["relationships"][0]["trust_score"] = 10
    report = npcs_import(data={**exported, "npcs": [warlord]})
    assert report.npcs_updated == ["Warlord"] and report.relationships_updated == 1
    assert NPC.objects.get(name="Warlord").behavior_template["aggression"] == 0.5
    assert NPC.objects.count() == 2


def test_dry_run_reports_but_writes_nothing(exported):
    NPC.objects.filter(name="Merchant").delete()
    report = npcs_import(data=exported, dry_run=True)
    assert report.npcs_created == ["Merchant"] and report.dry_run
    assert not NPC.objects.filter(name="Merchant").exists()


def test_partly_invalid_file_writes_nothing_and_names_record_and_field(exported):
    NPC.objects.all().delete()
    bad = copy.deepcopy(exported)
    bad["npcs"][1]["behavior_template"]["aggression"] = 3
    bad["npcs"][1]["relationships"][0]["trust_score"] = 500
    bad["npcs"][0]["tribe"] = "Vikings"
    with pytest.raises(NPCImportError) as caught:
        npcs_import(data=bad)
    errors = caught.value.errors
    assert any(e.startswith("npcs[0] 'Merchant'.tribe:") for e in errors), errors
    assert any(e.startswith("npcs[1] 'Warlord'.behavior_template:") and "aggression" in e for e in errors), errors
    assert any(e.startswith("npcs[1] 'Warlord'.relationships[0].trust_score:") for e in errors), errors
    assert NPC.objects.count() == 0 and NPCRelationship.objects.count() == 0


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d.update(version=99), "file.version"),
    (lambda d: d.update(format="other"), "file.format"),
    (lambda d: d.update(npcs={}), "file.npcs"),
    (lambda d: d["npcs"].append("text"), "npcs[2]: must be a JSON object"),
    (lambda d: d["npcs"][0].update(colour="red"), "unknown field(s) colour"),
    (lambda d: d["npcs"][0].update(uuid="nope"), ".uuid: 'nope' is not a valid UUID"),
    (lambda d: d["npcs"][0].update(name=d["npcs"][1]["name"]), "appears twice"),
    (lambda d: d["npcs"][0].update(llm_temperature=9), ".llm_temperature:"),
    (lambda d: d["npcs"][0].update(llm_temperature="hot"), ".llm_temperature:"),
    (lambda d: d["npcs"][0].update(name=None), ".name:"),
    (lambda d: d["npcs"][0].update(behavior_template=[1]), ".behavior_template:"),
    (lambda d: d["npcs"][0].update(behavior_template={"economy": "x"}), ".behavior_template:"),
    (lambda d: d["npcs"][0].update(relationships="x"), ".relationships: must be a list"),
    (lambda d: d["npcs"][1]["relationships"][0].update(world_id="mars"), ".world_id: 'mars' is not a configured"),
    (lambda d: d["npcs"][1]["relationships"][0].update(world_id=[]), ".world_id: [] is not a configured"),
    (lambda d: d["npcs"][1]["relationships"].append(dict(d["npcs"][1]["relationships"][0])), "a second relationship"),
    (lambda d: d["npcs"][1]["relationships"][0].update(treaties_active=[{"type": "war"}]), ".treaties_active:"),
    (lambda d: d["npcs"][1]["relationships"][0].update(relationship_type="lover"), ".relationship_type:"),
    (lambda d: d["npcs"][1]["relationships"][0].update(last_interaction_at="yesterday"), ".last_interaction_at:"),
])
def test_each_malformed_record_is_refused_with_its_location(exported, mutate, expected):
    NPC.objects.filter(name="Merchant").update(notes="untouched")
    bad = copy.deepcopy(exported)
    mutate(bad)
    with pytest.raises(NPCImportError) as caught:
        npcs_import(data=bad)
    assert any(expected in e for e in caught.value.errors), caught.value.errors
    assert NPC.objects.get(name="Merchant").notes == "untouched"


def test_uuid_of_one_npc_with_name_of_another_is_refused(exported):
    bad = copy.deepcopy(exported)
    bad["npcs"][0]["name"] = "Warlord"
    bad["npcs"] = [bad["npcs"][0]]
    with pytest.raises(NPCImportError, match="belongs to another NPC"):
        npcs_import(data=bad)


def test_not_json_is_refused_with_position():
    with pytest.raises(NPCImportError, match="not valid JSON.*line 1"):
        npcs_import(data="{\"npcs\": [")


def test_commands_round_trip_through_a_file(exported, tmp_path):
    target = tmp_path / "npcs.json"
    call_command("export_npcs", "--npc", "Warlord", "-o", str(target), stderr=StringIO())
    assert [n["name"] for n in json.loads(target.read_text())["npcs"]] == ["Warlord"]
    NPC.objects.filter(name="Warlord").delete()
    out = StringIO()
    call_command("import_npcs", str(target), "--dry-run", stdout=out)
    assert "would import (dry run): NPCs 1 created" in out.getvalue()
    assert not NPC.objects.filter(name="Warlord").exists()
    call_command("import_npcs", str(target), stdout=out)
    assert NPC.objects.get(name="Warlord").relationships.count() == 2


def test_import_command_prints_each_problem_and_fails(tmp_path):
    target = tmp_path / "bad.json"
    target.write_text(json.dumps({"format": FORMAT, "version": 1, "npcs": [{"name": "X", "tribe": "Vikings",
                                  "personality": "balanced", "behavior_template": {"economy": 0.5}}]}))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing imported: 1 problem"):
        call_command("import_npcs", str(target), stderr=err)
    assert "npcs[0] 'X'.tribe:" in err.getvalue()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_npcs", str(tmp_path / "missing.json"))


# --- the bulk, streamed import --------------------------------------------------------------


def _document(count: int, *, relationships: int = 2) -> dict:
    return {"format": FORMAT, "version": 1, "npcs": [
        {"name": f"Bulk {i:04d}", "tribe": "Gauls", "personality": "balanced",
         "behavior_template": template_for("balanced"),
         "relationships": [{"world_id": "demo", "target_player_id": p, "trust_score": p % 50}
                           for p in range(relationships)]}
        for i in range(count)]}


@pytest.mark.parametrize("count", [30, 60])
def test_queries_grow_with_chunks_not_with_records(count, monkeypatch, django_assert_max_num_queries):
    """A few statements per chunk of CHUNK_SIZE records, whatever the number of records in it."""
    monkeypatch.setattr("npcs.transfer.CHUNK_SIZE", 30)
    chunks = count // 30
    with django_assert_max_num_queries(2 + 8 * chunks):
        report = npcs_import(data=_document(count))
    assert len(report.npcs_created) == count and report.relationships_created == 2 * count
    with django_assert_max_num_queries(2 + 8 * chunks):
        again = npcs_import(data=_document(count))
    assert len(again.npcs_unchanged) == count and again.relationships_unchanged == 2 * count


def test_stream_from_a_file_with_the_header_after_the_records(tmp_path):
    document = _document(5)
    reordered = {"npcs": document["npcs"], "version": 1, "format": FORMAT}
    target = tmp_path / "npcs.json"
    target.write_text(json.dumps(reordered))
    seen = []
    with target.open("rb") as source:
        report = npcs_import(source=source, progress=lambda done, read: seen.append((done, read)))
    assert len(report.npcs_created) == 5 and NPCRelationship.objects.count() == 10
    assert seen and seen[-1][0] == 5 and seen[-1][1] > 0


def test_stream_that_breaks_after_a_written_chunk_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("npcs.transfer.CHUNK_SIZE", 2)
    text = json.dumps(_document(6))
    target = tmp_path / "cut.json"
    target.write_text(text[: len(text) * 3 // 4])  # the first chunks parse; then the text stops
    with target.open("rb") as source, pytest.raises(NPCImportError, match="file: not valid JSON"):
        npcs_import(source=source)
    assert NPC.objects.count() == 0 and NPCRelationship.objects.count() == 0


def test_stream_header_errors_and_non_object(tmp_path):
    for text, expected in [('[1, 2]', "top level must be a JSON object"),
                           ('{"format": "npcadmin.npcs", "version": 1, "npcs": {}}', "file.npcs"),
                           ('{"format": "x", "version": 1, "npcs": []}', "file.format"),
                           ('{"format": "npcadmin.npcs", "npcs": []}', "file.version"),
                           ('{"format": "npcadmin.npcs", "npcs": [', "not valid JSON")]:
        target = tmp_path / "h.json"
        target.write_text(text)
        with target.open("rb") as source, pytest.raises(NPCImportError, match=expected):
            npcs_import(source=source)


def test_database_refusal_in_a_bulk_chunk_is_named_by_record(monkeypatch):
    """NaN passes the field validators (every comparison with NaN is false) but not the CHECK:
    the bulk statement fails, the chunk is replayed record by record and the record is named."""
    monkeypatch.setattr("npcs.transfer.CHUNK_SIZE", 3)
    document = _document(7)
    document["npcs"][4]["llm_temperature"] = float("nan")
    with pytest.raises(NPCImportError) as caught:
        npcs_import(data=document)
    assert any(e.startswith("npcs[4] 'Bulk 0004'.llm_temperature:") for e in caught.value.errors), caught.value.errors
    assert NPC.objects.count() == 0


def test_rename_in_one_chunk_frees_the_name_for_a_later_record(exported, monkeypatch):
    monkeypatch.setattr("npcs.transfer.CHUNK_SIZE", 1)
    warlord = copy.deepcopy(next(n for n in exported["npcs"] if n["name"] == "Warlord"))
    warlord["name"] = "Old Warlord"
    newcomer = {"name": "Warlord", "tribe": "Teutons", "personality": "aggressive",
                "behavior_template": template_for("aggressive")}
    report = npcs_import(data={**exported, "npcs": [warlord, newcomer]})
    assert report.npcs_updated == ["Old Warlord"] and report.npcs_created == ["Warlord"]
    assert NPC.objects.get(name="Old Warlord").relationships.count() == 2
    assert NPC.objects.get(name="Warlord").tribe == "Teutons"


def test_two_records_for_one_npc_are_refused(exported):
    warlord = next(n for n in exported["npcs"] if n["name"] == "Warlord")
    by_name = {k: v for k, v in warlord.items() if k != "uuid"}
    renamed = {**warlord, "name": "Another"}
    with pytest.raises(NPCImportError, match="describes the same NPC"):
        npcs_import(data={**exported, "npcs": [by_name, renamed]})


def test_dry_run_holds_no_transaction(exported, monkeypatch):
    import django.db.transaction as tx
    opened = []
    real = tx.Atomic.__enter__
    monkeypatch.setattr(tx.Atomic, "__enter__", lambda self: (opened.append(self), real(self))[1])
    baseline = len(opened)
    npcs_import(data=_document(3), dry_run=True)
    assert len(opened) == baseline
    npcs_import(data=_document(3))
    assert len(opened) > baseline


def test_import_command_reads_standard_input(monkeypatch):
    import io
    import sys
    stdin = io.TextIOWrapper(io.BytesIO(json.dumps(_document(3)).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    out = StringIO()
    call_command("import_npcs", "-", stdout=out, stderr=StringIO())
    assert "NPCs 3 created" in out.getvalue() and NPC.objects.count() == 3
