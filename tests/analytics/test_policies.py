"""`metrics_policies`: compression and retention of raw samples on both backends (analytics/policies.py).

Transactional: TimescaleDB's refreshes and policy functions run like in production. Native tests
run in the normal suite; TimescaleDB tests skip there, with the reason.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError
from django.urls import reverse
from django.utils import timezone

from analytics import health as analytics_health
from analytics import policies, rollup
from npcadmin.models import AuditEntry
from npcs.partitions import add_months, month_start
from tests.analytics.helpers import fetch, run, write_csv
from tests.factories.npcs import NPCWorldStateFactory

pytestmark = pytest.mark.django_db(transaction=True)








def population_by_day(client) -> dict:
    """The overview's population chart over the last 100 days (daily buckets, from the aggregates)."""
    response = client.get(reverse("analytics:dashboard", args=["overview"]) + "?from=now-100d&to=now&world=testworld")
    assert response.status_code == 200
    chart = {c.id: c for c in response.context["charts"]}["population"]
    return dict(zip(chart.figure["data"][0]["x"], chart.figure["data"][0]["y"], strict=True))


@pytest.fixture
def old_and_recent(clean_metrics, tmp_path):
    """One sample in the month three months back (expired at 40 days) and one 3 hours ago."""
    state = NPCWorldStateFactory(world_id="testworld")
    now = timezone.now()
    old = datetime.datetime.combine(add_months(month_start(now.date()), -3), datetime.time(10), datetime.UTC) \
        + datetime.timedelta(days=9)
    recent = rollup.hour_floor(now) - datetime.timedelta(hours=3)
    run("ingest_metrics", str(write_csv(tmp_path, "m.csv", [(old, state.npc_id, "testworld", 70, 1, 5),
                                                           (recent, state.npc_id, "testworld", 50, 1, 5)])))
    run("refresh_metrics_hourly")
    return state, old, recent


@pytest.fixture(autouse=True)
def _no_policies_left(transactional_db):
    """TimescaleDB jobs outlive the test's flush: remove the ones a test added."""
    yield
    if policies.storage.metrics_backend() == policies.storage.TIMESCALEDB:
        fetch("SELECT remove_compression_policy('npc_metrics', if_exists => true), "
              "remove_retention_policy('npc_metrics', if_exists => true)")


# --- native ---------------------------------------------------------------------------------------


def test_native_retention_drops_old_months_and_keeps_their_hours(native_only, old_and_recent, analyst_client):
    state, old, recent = old_and_recent
    old_partition = f"npc_metrics_{old:%Y_%m}"
    before = population_by_day(analyst_client)
    assert sorted(before.values()) == [50, 70]
    # A change to the old month after the last refresh: rolled up before its month is dropped.
    fetch("UPDATE npc_metrics SET population = 80 WHERE time = %s", [old])
    assert rollup.dirty_hours() == [rollup.hour_floor(old)]

    output = run("metrics_policies", "--retain", "40", "--no-input")

    assert f"dropped {old_partition}" in output
    assert "compression: not available on native storage" in output
    assert fetch("SELECT to_regclass(%s)", [old_partition]) == [(None,)]
    assert fetch("SELECT time FROM npc_metrics") == [(recent,)]
    # The rollup outlives the raw samples: the dashboard still shows the old hour, updated value.
    assert fetch("SELECT avg_population FROM npc_metrics_hourly_by_world WHERE hour = %s",
                 [rollup.hour_floor(old)]) == [(80.0,)]
    assert sorted(population_by_day(analyst_client).values()) == [50, 80]
    assert rollup.dirty_hours() == []
    # A later refresh of everything does not empty the dropped hours.
    run("refresh_metrics_hourly", "--since", f"{old:%Y-%m-%d}")
    assert sorted(population_by_day(analyst_client).values()) == [50, 80]
    entry = AuditEntry.objects.get(action="metrics.policies")
    assert entry.actor_name == "command:metrics_policies" and entry.via == "command"
    assert f"dropped {old_partition}" in entry.detail["done"]
    # Idempotent: nothing left to drop.
    assert "nothing to change" in run("metrics_policies", "--retain", "40", "--no-input")


def test_native_retention_dry_run_and_cancel_change_nothing(native_only, old_and_recent, monkeypatch):
    _, old, _ = old_and_recent
    old_partition = f"npc_metrics_{old:%Y_%m}"
    assert f"would retention: detach and drop {old_partition}" in run("metrics_policies", "--retain", "40",
                                                                      "--dry-run")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Cancelled"):
        run("metrics_policies", "--retain", "40")
    assert fetch("SELECT count(*) FROM npc_metrics") == [(2,)]
    assert fetch("SELECT to_regclass(%s) IS NOT NULL", [old_partition]) == [(True,)]
    assert not AuditEntry.objects.filter(action="metrics.policies").exists()


def test_native_retention_detach_only_keeps_the_table(native_only, old_and_recent):
    _, old, _ = old_and_recent
    old_partition = f"npc_metrics_{old:%Y_%m}"
    run("metrics_policies", "--retain", "40", "--no-input", "--detach-only")
    assert fetch("SELECT count(*) FROM npc_metrics") == [(1,)]
    assert fetch(f"SELECT count(*) FROM {old_partition}") == [(1,)]  # an archive, no longer attached
    fetch(f"DROP TABLE {old_partition}")


def test_native_settings_drive_the_command_and_the_health_check(native_only, old_and_recent, settings):
    _, old, _ = old_and_recent
    settings.NPCADMIN_METRICS_RETAIN = 40
    result = analytics_health.check_metrics_policies()
    assert result.status == "warning" and "1 months of npc_metrics past NPCADMIN_METRICS_RETAIN=40" in result.message
    run("metrics_policies", "--no-input")
    result = analytics_health.check_metrics_policies()
    assert result.status == "ok" and "raw samples kept 40 days" in result.message
    settings.NPCADMIN_METRICS_RETAIN = 0
    assert "keep every month" in run("metrics_policies", "--no-input")


@pytest.mark.parametrize("args, message", [
    (["--retain", "2"], "keep at least 4 days"),
    (["--compress-after", "-1"], "0 or more"),
])
def test_bad_policy_values_are_refused(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("metrics_policies", *args)


# --- TimescaleDB ----------------------------------------------------------------------------------


def jobs():
    return {kind: interval for kind, (_, interval) in policies.timescale_jobs().items()}


def test_timescale_policies_follow_the_settings(timescale_only, clean_metrics, settings):
    settings.NPCADMIN_METRICS_COMPRESS_AFTER, settings.NPCADMIN_METRICS_RETAIN = 7, 0
    assert "would compression: add policy" in run("metrics_policies", "--dry-run")
    assert jobs() == {}
    run("metrics_policies", "--no-input")
    assert jobs() == {"compression": datetime.timedelta(days=7)}
    assert policies.compression_enabled()
    assert "nothing to change" in run("metrics_policies", "--no-input")  # idempotent
    # Changing a setting replaces its policy; 0 removes it.
    settings.NPCADMIN_METRICS_COMPRESS_AFTER, settings.NPCADMIN_METRICS_RETAIN = 14, 90
    output = run("metrics_policies", "--no-input")
    assert "replace policy" in output and "retention: add policy" in output
    assert jobs() == {"compression": datetime.timedelta(days=14), "retention": datetime.timedelta(days=90)}
    checks = analytics_health.check_metrics_policies()
    procs = {c.details.get("proc") for c in checks if c.details}
    assert {"policy_compression", "policy_retention", "policy_refresh_continuous_aggregate"} <= procs
    assert not [c for c in checks if c.name.endswith(":settings")]  # settings applied
    settings.NPCADMIN_METRICS_COMPRESS_AFTER, settings.NPCADMIN_METRICS_RETAIN = 0, 0
    drift = [c for c in analytics_health.check_metrics_policies() if c.name.endswith(":settings")]
    assert len(drift) == 2 and all("not applied" in c.message for c in drift)
    run("metrics_policies", "--no-input")
    assert jobs() == {}
    assert AuditEntry.objects.filter(action="metrics.policies").count() == 3


def chunks():
    return dict(fetch("SELECT range_end < now() - INTERVAL '7 days', bool_and(is_compressed) "
                      "FROM timescaledb_information.chunks WHERE hypertable_name = 'npc_metrics' GROUP BY 1"))


def test_timescale_compressed_chunks_serve_dashboards_and_take_late_writes(timescale_only, old_and_recent,
                                                                            analyst_client):
    state, old, recent = old_and_recent
    before = population_by_day(analyst_client)
    output = run("metrics_policies", "--compress-after", "7", "--retain", "0", "--run-now", "--no-input")
    assert "compressed 1 chunks" in output
    assert chunks() == {True: True, False: False}  # the old chunk compressed, the recent one not
    assert population_by_day(analyst_client) == before
    # The engine's plain INSERT of a late sample into the compressed chunk, then an explicit refresh.
    late = old + datetime.timedelta(hours=1)
    fetch("INSERT INTO npc_metrics (time, npc_id, world_id, population) VALUES (%s, %s, 'testworld', 90)",
          [late, state.npc_id])
    fetch("INSERT INTO npc_metrics (time, npc_id, world_id, population) VALUES (%s, %s, 'testworld', 1) "
          "ON CONFLICT DO NOTHING", [late, state.npc_id])
    run("refresh_metrics_hourly", "--since", old.isoformat())
    assert sorted(population_by_day(analyst_client).values()) == [50, 80]  # (70 + 90) / 2 that day
    assert fetch("SELECT hour, avg_population FROM npc_metrics_hourly WHERE npc_id = %s ORDER BY hour",
                 [state.npc_id]) == [(rollup.hour_floor(old), 70), (rollup.hour_floor(late), 90),
                                     (rollup.hour_floor(recent), 50)]


def test_timescale_retention_drops_raw_chunks_and_the_aggregates_keep_them(timescale_only, old_and_recent,
                                                                          analyst_client):
    state, old, recent = old_and_recent
    before = population_by_day(analyst_client)
    output = run("metrics_policies", "--compress-after", "0", "--retain", "40", "--run-now", "--no-input")
    assert "dropped 1 raw chunks" in output and "retention: add policy" in output
    assert fetch("SELECT time FROM npc_metrics") == [(recent,)]
    assert population_by_day(analyst_client) == before
    # drop_chunks logs an invalidation of the dropped range: a refresh there would empty those
    # hours; refreshes start at the oldest raw chunk instead, so a full one keeps them.
    assert fetch("SELECT count(*) FROM _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log") != [(0,)]
    run("refresh_metrics_hourly")
    run("refresh_metrics_hourly", "--since", f"{old:%Y-%m-%d}")
    assert population_by_day(analyst_client) == before
    assert fetch("SELECT count(*) FROM npc_metrics_world_hourly") == [(2,)]
    assert fetch("SELECT count(*) FROM npc_metrics_hourly") == [(2,)]
