"""npc_memory partitions: no memory is ever lost, months are created ahead, old months leave on request."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from npcs import partitions
from npcs.models import NPCMemory

pytestmark = pytest.mark.django_db

FAR_MONTH = datetime.date(2041, 6, 1)  # no migration or test run creates this month on its own


def _where(memory_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM npc_memory WHERE id = %s", [memory_id])
        return cursor.fetchone()[0]


def _at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def _run(*args) -> str:
    out = io.StringIO()
    call_command("memory_partitions", *args, stdout=out)
    return out.getvalue()


def test_migration_created_the_current_and_next_months():
    today = timezone.now().date()
    names = {p.name for p in partitions.existing_partitions()}
    assert {partitions.partition_name(m) for m in partitions.months_ahead(today, 1)} <= names


def test_memory_for_a_month_without_partition_lands_in_default_and_moves_when_the_month_is_created(engine):
    kept = engine.insert("npc_memory", occurred_at=_at("2041-06-15T12:00:00+00:00"))
    assert _where(kept["id"]) == "npc_memory_default"
    assert partitions.default_partition_rows() == 1

    assert partitions.ensure_months([FAR_MONTH]) == ["npc_memory_2041_06"]

    assert _where(kept["id"]) == "npc_memory_2041_06"
    assert partitions.default_partition_rows() == 0
    moved = NPCMemory.objects.get(pk=kept["id"])  # same id, same row, every column kept
    assert (moved.event_data, moved.occurred_at, moved.npc_id) == (
        kept["event_data"], kept["occurred_at"], kept["npc_id"])


def test_creating_a_month_moves_only_that_months_rows(engine):
    june = engine.insert("npc_memory", occurred_at=_at("2041-06-30T23:59:59+00:00"))
    july = engine.insert("npc_memory", occurred_at=_at("2041-07-01T00:00:00+00:00"))
    partitions.ensure_months([FAR_MONTH])
    assert (_where(june["id"]), _where(july["id"])) == ("npc_memory_2041_06", "npc_memory_default")


@pytest.mark.parametrize(("occurred_at", "partition"), [
    ("2041-06-01T00:00:00+00:00", "npc_memory_2041_06"),
    ("2041-05-31T23:59:59.999999+00:00", "npc_memory_2041_05"),
    ("2041-05-31T20:30:00-05:00", "npc_memory_2041_06"),  # 01:30 UTC on June 1st
    ("2041-06-01T01:00:00+02:00", "npc_memory_2041_05"),  # 23:00 UTC on May 31st
])
def test_month_bounds_are_utc_midnight_whatever_the_session_time_zone(engine, occurred_at, partition):
    partitions.ensure_months([datetime.date(2041, 5, 1), FAR_MONTH])
    engine.sql("SET LOCAL TIME ZONE 'America/New_York'")
    memory = engine.insert("npc_memory", occurred_at=_at(occurred_at))
    assert _where(memory["id"]) == partition


def test_ensure_months_is_idempotent_and_dry_run_creates_nothing():
    assert partitions.ensure_months([FAR_MONTH], dry_run=True) == ["npc_memory_2041_06"]
    assert "npc_memory_2041_06" not in {p.name for p in partitions.existing_partitions()}
    assert partitions.ensure_months([FAR_MONTH]) == ["npc_memory_2041_06"]
    assert partitions.ensure_months([FAR_MONTH]) == []


def test_a_date_range_query_scans_one_partition():
    partitions.ensure_months([datetime.date(2041, 5, 1), FAR_MONTH, datetime.date(2041, 7, 1)])
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT * FROM npc_memory "
            "WHERE occurred_at >= '2041-06-01T00:00:00+00' AND occurred_at < '2041-07-01T00:00:00+00'"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Tables follow "Seq Scan on", "Bitmap Heap Scan on", "Index [Only] Scan using <index> on"
    # ("Bitmap Index Scan on" names an index, which would be the 2041_06 partition's anyway).
    scanned = re.findall(r"(?:Seq Scan|Bitmap Heap Scan|Scan using \w+) on (npc_memory\w*)", plan)
    assert set(scanned) == {"npc_memory_2041_06"}, plan


def test_the_orm_filter_by_month_is_pruned_too():
    partitions.ensure_months([FAR_MONTH, datetime.date(2041, 7, 1)])
    start = _at("2041-06-01T00:00:00+00:00")
    queryset = NPCMemory.objects.filter(occurred_at__gte=start, occurred_at__lt=_at("2041-07-01T00:00:00+00:00"))
    plan = queryset.explain()
    assert "npc_memory_2041_06" in plan
    assert "npc_memory_2041_07" not in plan and "npc_memory_default" not in plan


# --- the command -------------------------------------------------------------------------------


def test_command_creates_months_ahead_and_reports(settings):
    settings.NPCADMIN_MEMORY_PARTITIONS_AHEAD = 8
    today = timezone.now().date()
    ninth = partitions.partition_name(partitions.months_ahead(today, 9)[-1])
    output = _run()
    names = {p.name for p in partitions.existing_partitions()}
    assert {partitions.partition_name(m) for m in partitions.months_ahead(today, 8)} <= names
    assert ninth not in names
    assert "npc_memory_default" in output and "0 rows waiting in npc_memory_default" in output

    output = _run("--ahead", "9")
    assert f"created {ninth}" in output


def test_command_dry_run_creates_nothing():
    today = timezone.now().date()
    far = partitions.partition_name(partitions.months_ahead(today, 30)[-1])
    output = _run("--ahead", "30", "--dry-run")
    assert f"would create {far}" in output
    assert far not in {p.name for p in partitions.existing_partitions()}


def test_command_moves_a_waiting_memory_into_the_month_it_creates(engine):
    month = partitions.months_ahead(timezone.now().date(), 10)[-1]
    memory = engine.insert("npc_memory", occurred_at=datetime.datetime.combine(month, datetime.time(9),
                                                                               tzinfo=datetime.UTC))
    assert _where(memory["id"]) == "npc_memory_default"
    assert "1 rows waiting in npc_memory_default" in _run("--ahead", "0")

    output = _run("--ahead", "10")

    assert f"created {partitions.partition_name(month)}" in output
    assert _where(memory["id"]) == partitions.partition_name(month)
    assert "0 rows waiting in npc_memory_default" in output


def test_command_reports_rows_waiting_in_the_default_partition(engine):
    engine.insert("npc_memory", occurred_at=_at("2041-06-15T12:00:00+00:00"))
    assert "1 rows waiting in npc_memory_default" in _run("--ahead", "0")


def _old_months() -> list[datetime.date]:
    """Two months far in the past, one just inside a 12-month retention, and their names."""
    today = timezone.now().date()
    first = partitions.month_start(today)
    return [partitions.add_months(first, -14), partitions.add_months(first, -13), partitions.add_months(first, -12)]


def test_drop_old_honours_retention(engine):
    expired_a, expired_b, kept = _old_months()
    partitions.ensure_months([expired_a, expired_b, kept])
    old = engine.insert("npc_memory", occurred_at=datetime.datetime.combine(expired_a, datetime.time(12),
                                                                            tzinfo=datetime.UTC))
    output = _run("--drop-old", "--retention-months", "12", "--no-input")

    names = {p.name for p in partitions.existing_partitions()}
    assert partitions.partition_name(kept) in names
    assert not {partitions.partition_name(expired_a), partitions.partition_name(expired_b)} & names
    assert "dropped" in output
    assert engine.sql("SELECT to_regclass(%s) AS t", [partitions.partition_name(expired_a)]) == [{"t": None}]
    assert not NPCMemory.objects.filter(pk=old["id"]).exists()


def test_drop_old_dry_run_drops_nothing():
    expired_a, expired_b, kept = _old_months()
    partitions.ensure_months([expired_a, expired_b, kept])
    output = _run("--drop-old", "--retention-months", "12", "--dry-run")
    assert f"would detach and drop {partitions.partition_name(expired_a)}, {partitions.partition_name(expired_b)}" \
        in output
    assert partitions.partition_name(expired_a) in {p.name for p in partitions.existing_partitions()}


def test_detach_only_keeps_the_table(engine):
    expired_a, _, _ = _old_months()
    partitions.ensure_months([expired_a])
    _run("--drop-old", "--retention-months", "12", "--detach-only", "--no-input")
    name = partitions.partition_name(expired_a)
    assert name not in {p.name for p in partitions.existing_partitions()}
    assert engine.sql("SELECT to_regclass(%s)::text AS t", [name]) == [{"t": name}]


def test_drop_old_asks_first_and_stops_on_no(monkeypatch):
    expired_a, _, _ = _old_months()
    partitions.ensure_months([expired_a])
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Cancelled"):
        _run("--drop-old", "--retention-months", "12")
    assert partitions.partition_name(expired_a) in {p.name for p in partitions.existing_partitions()}


def test_drop_old_uses_the_retention_setting_and_refuses_without_one(settings):
    expired_a, _, _ = _old_months()
    partitions.ensure_months([expired_a])
    settings.NPCADMIN_MEMORY_RETENTION_MONTHS = 0
    with pytest.raises(CommandError, match="No retention set"):
        _run("--drop-old", "--no-input")
    settings.NPCADMIN_MEMORY_RETENTION_MONTHS = 12
    _run("--drop-old", "--no-input")
    assert partitions.partition_name(expired_a) not in {p.name for p in partitions.existing_partitions()}


@pytest.mark.parametrize(("month", "expired"), [
    (datetime.date(2025, 10, 1), True), (datetime.date(2025, 11, 1), False), (datetime.date(2026, 11, 1), False)])
def test_retention_keeps_the_current_month_and_the_n_before_it(month, expired):
    cutoff = partitions.retention_cutoff(datetime.date(2026, 11, 28), 12)
    assert (partitions.Partition("p", month).end <= cutoff) is expired
