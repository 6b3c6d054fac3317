"""`manage.py seed_demo`: a believable, consistent, idempotent demo world and a login to see it."""

from __future__ import annotations

import datetime
import types
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from npcadmin import demo as demo_registry
from npcs import demo, models, partitions
from npcs.choices import BEHAVIOR_WEIGHTS, Personality
from npcs.demo import seeding, world
from npcs.models.relationship import validate_treaties
from npcs.presets import PERSONALITY_PRESETS
from tests.factories.npcs import NPCFactory, NPCMessageFactory, NPCWorldStateFactory

pytestmark = pytest.mark.django_db

N = 20
TABLES = {
    "npcs": models.NPC, "npc_world_state": models.NPCWorldState, "npc_relationships": models.NPCRelationship,
    "npc_memory": models.NPCMemory, "npc_decisions": models.NPCDecision, "npc_alliances": models.NPCAlliance,
    "npc_messages": models.NPCMessage, "npc_battle_history": models.NPCBattle, "npc_trade_history": models.NPCTrade,
}


registered_hooks = demo_registry.hooks  # the real registry, before `isolated` empties it


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path, monkeypatch):
    """The demo password goes to a temporary data dir; other apps' hooks stay out of these tests."""
    settings.NPCADMIN_DATA_DIR = tmp_path
    monkeypatch.setattr(demo_registry, "hooks", list)
    return tmp_path


def seed(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", "--npcs", str(N), "--no-input", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts() -> dict[str, int]:
    return {table: model.objects.count() for table, model in TABLES.items()}


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchall()


def test_every_table_gets_rows_and_no_memory_lands_in_the_default_partition():
    out, err = seed()

    rows = counts()
    assert all(rows.values()), rows
    assert rows["npcs"] == N
    assert partitions.default_partition_rows() == 0
    assert f"{N} demo NPCs were created" in out
    assert "Demo NPC histories" in err  # the progress bar


def test_every_row_passes_model_validation():
    seed()
    for model in TABLES.values():
        for obj in model.objects.order_by("?")[:40]:
            obj.full_clean()


def test_templates_fit_their_personality():
    seed()
    npcs = list(models.NPC.objects.all())
    assert {n.tribe for n in npcs} == {"Romans", "Gauls", "Teutons"}
    for npc in npcs:
        weights = [npc.behavior_template[k] for k in BEHAVIOR_WEIGHTS]

        def distance(personality, weights=weights):
            return sum(abs(w - PERSONALITY_PRESETS[personality][k]) for w, k in zip(weights, BEHAVIOR_WEIGHTS,
                                                                                     strict=True))

        assert min(Personality, key=distance) == npc.personality, npc.name
        assert npc.behavior_template["goals"] == PERSONALITY_PRESETS[npc.personality]["goals"]


def test_all_five_personalities_appear_in_a_large_enough_world():
    plans = [world.plan_npc(i, seed=1, worlds=["testworld", "demo"], now=datetime.datetime.now(datetime.UTC))
             for i in range(100)]
    assert {p.npc["personality"] for p in plans} == set(Personality.values)
    assert len({p.npc["name"] for p in plans}) == 100


def test_treaties_are_valid_and_fit_the_relationship():
    seed()
    with_treaties = models.NPCRelationship.objects.exclude(treaties_active=[])
    assert with_treaties.exists()
    for relationship in models.NPCRelationship.objects.all():
        validate_treaties(relationship.treaties_active)
        for treaty in relationship.treaties_active:
            if "end" in treaty:
                assert treaty["end"] > treaty["start"]
            if treaty["type"] == "trade_agreement":
                assert relationship.relationship_type == "trading_partner"


def test_world_states_have_unique_players_and_ranks_that_follow_population(settings):
    seed()
    for world_id in settings.NPCADMIN_WORLDS:
        states = list(models.NPCWorldState.objects.filter(world_id=world_id).order_by("rank"))
        assert [s.rank for s in states] == list(range(1, len(states) + 1))
        populations = [s.total_population for s in states]
        assert populations == sorted(populations, reverse=True)
        assert len({s.player_id for s in states}) == len(states)
    per_npc = sql("SELECT count(*) FROM npc_world_state GROUP BY npc_id")
    assert max(n for (n,) in per_npc) <= len(settings.NPCADMIN_WORLDS)


def test_counters_on_npcs_agree_with_the_rows():
    seed()
    mismatches = sql("""
        SELECT n.name FROM npcs n
        WHERE total_decisions_made <> (SELECT count(*) FROM npc_decisions d WHERE d.npc_id = n.id)
           OR llm_calls_made <> (SELECT count(*) FROM npc_decisions d WHERE d.npc_id = n.id AND d.used_llm)
           OR battles_fought <> (SELECT count(*) FROM npc_battle_history b WHERE b.npc_id = n.id)
           OR villages_founded <> (SELECT sum(village_count - 1) FROM npc_world_state s WHERE s.npc_id = n.id)
           OR last_decision IS DISTINCT FROM (SELECT max(created_at) FROM npc_decisions d WHERE d.npc_id = n.id)""")
    assert mismatches == []
    assert models.NPC.objects.filter(total_decisions_made__gt=0).count() == N


def test_decisions_mix_llm_and_rules_with_plausible_latencies():
    seed()
    llm = models.NPCDecision.objects.filter(used_llm=True)
    rules = models.NPCDecision.objects.filter(used_llm=False)
    assert llm.exists() and rules.exists()
    assert not llm.filter(llm_prompt__isnull=True).exists()
    assert not llm.filter(llm_response__isnull=True).exists()
    assert not llm.exclude(llm_latency_ms__range=(300, 4000)).exists()
    assert not rules.exclude(decision_latency_ms__range=(5, 50)).exists()
    assert not rules.filter(llm_prompt__isnull=False).exists()
    overruled = [d for d in llm if d.final_decision["action"] != d.rule_based_recommendation["action"]]
    assert overruled
    from npcs.mind.traces import with_departed

    departed = with_departed(models.NPCDecision.objects.all()).filter(departed=True).count()
    assert 0.10 <= departed / models.NPCDecision.objects.count() <= 0.60  # the dashboards' "departed" rate
    assert with_departed(rules).filter(departed=True).exists()  # the "rules, overridden" path has rows
    measured = models.NPCDecision.objects.filter(outcome_measured=True).count()
    assert measured > models.NPCDecision.objects.count() / 2


def test_alliances_messages_battles_and_trades_are_consistent():
    seed()
    npc_led = models.NPCAlliance.objects.filter(npc_leader__isnull=False)
    for alliance in npc_led:
        leader = models.NPCWorldState.objects.get(npc=alliance.npc_leader, world_id=alliance.world_id)
        assert (leader.alliance_id, leader.alliance_role) == (alliance.alliance_id, "leader")
    for alliance in models.NPCAlliance.objects.all():
        members = models.NPCWorldState.objects.filter(world_id=alliance.world_id, alliance_id=alliance.alliance_id)
        assert alliance.npc_members == members.count() <= alliance.total_members
    for message in models.NPCMessage.objects.filter(reply_message__isnull=False).select_related("reply_message"):
        assert message.reply_message.sent_at == message.replied_at
        assert message.reply_message.to_player_id == message.from_npc.world_states.get(
            world_id=message.world_id).player_id
    for trade in models.NPCTrade.objects.all():
        assert trade.exchange_rate == pytest.approx(trade.requested_amount / trade.offered_amount, abs=1e-4)
        assert trade.profit_margin == pytest.approx(
            (trade.exchange_rate - trade.market_rate_at_time) / trade.market_rate_at_time, abs=1e-3)
    players = {(s.npc_id, s.world_id): s.player_id for s in models.NPCWorldState.objects.all()}
    for battle in models.NPCBattle.objects.all():
        me = players[battle.npc_id, battle.world_id]
        assert (battle.attacker_id == me) == (battle.npc_role == "attacker")


def test_aggressive_npcs_fight_more_than_economic_ones():
    rows = {}
    now = datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC)
    for personality in (Personality.AGGRESSIVE, Personality.ECONOMIC):
        plan = world.plan_npc(0, seed=3, worlds=["testworld"], now=now)
        plan.npc["personality"] = personality
        plan.npc["active"] = True
        plan.npc["behavior_template"] = dict(PERSONALITY_PRESETS[personality])
        roster = [world.Player(world.NPC_PLAYER_BASE + i, npc_id=i, tribe="Gauls") for i in range(1, 40)]
        history = world.npc_history(plan, 1, seed=3, rosters={"testworld": roster}, humans={"testworld": 60},
                                    now=now)
        rows[personality] = history
    aggressive, economic = rows[Personality.AGGRESSIVE], rows[Personality.ECONOMIC]
    assert len(aggressive.battles) > 2 * len(economic.battles)
    assert len(economic.trades) > 2 * len(aggressive.trades)
    attacks = [b for b in aggressive.battles if b["npc_role"] == "attacker"]
    assert len(attacks) > len(aggressive.battles) / 2


def test_memories_span_the_last_three_months():
    seed()
    oldest, newest = sql("SELECT min(occurred_at), max(occurred_at) FROM npc_memory")[0]
    assert datetime.timedelta(days=60) < newest - oldest <= datetime.timedelta(days=world.HISTORY_DAYS + 1)
    assert sql("SELECT count(DISTINCT memory_type) FROM npc_memory")[0][0] >= 8


def test_rerunning_adds_nothing():
    seed()
    before = counts()
    out, _ = seed()
    assert counts() == before
    assert "nothing to add" in out


def test_rerunning_with_more_npcs_adds_only_the_missing_ones():
    seed()
    first = {n.name: (n.total_decisions_made, n.personality) for n in models.NPC.objects.all()}
    call_command("seed_demo", "--npcs", str(N + 5), "--no-input", stdout=StringIO(), stderr=StringIO())
    after = {n.name: (n.total_decisions_made, n.personality) for n in models.NPC.objects.all()}
    assert len(after) == N + 5
    assert {name: after[name] for name in first} == first
    assert partitions.default_partition_rows() == 0


def test_reset_starts_over_and_keeps_other_npcs():
    keeper = NPCWorldStateFactory(world_id="testworld", player_id=42).npc
    NPCMessageFactory(from_npc=keeper)
    seed("--seed", "7")
    fingerprint = sorted(models.NPC.objects.filter(notes=demo.DEMO_NOTE)
                         .values_list("name", "personality", "total_decisions_made", "battles_fought"))
    before = counts()
    models.NPCDecision.objects.filter(npc__notes=demo.DEMO_NOTE).delete()

    out, _ = seed("--seed", "7", "--reset")

    assert "Deleted demo rows" in out
    assert counts() == before
    assert sorted(models.NPC.objects.filter(notes=demo.DEMO_NOTE)
                  .values_list("name", "personality", "total_decisions_made", "battles_fought")) == fingerprint
    assert models.NPC.objects.filter(pk=keeper.pk).exists()
    assert models.NPCMessage.objects.filter(from_npc=keeper).count() == 1


def test_reset_asks_first(monkeypatch):
    seed()
    before = counts()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("seed_demo", "--npcs", str(N), "--reset", stdout=StringIO(), stderr=StringIO())
    assert counts() == before


def test_a_failure_leaves_nothing_half_written(monkeypatch):
    def broken(histories):
        raise RuntimeError("disk full")

    monkeypatch.setattr(seeding, "_write", broken)
    with pytest.raises(RuntimeError):
        seed()
    assert all(n == 0 for n in counts().values())


def test_dry_run_changes_nothing():
    out, _ = seed("--dry-run")
    assert "would be created" in out
    assert all(n == 0 for n in counts().values())
    assert not get_user_model().objects.exists()


def test_same_seed_same_world_other_seed_other_world():
    now = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    a = world.plan_npc(5, seed=1, worlds=["testworld", "demo"], now=now)
    b = world.plan_npc(5, seed=1, worlds=["testworld", "demo"], now=now)
    c = world.plan_npc(5, seed=2, worlds=["testworld", "demo"], now=now)
    assert a == b
    assert a.npc["name"] == c.npc["name"]  # names do not depend on the seed: that is how re-runs find them
    assert a != c


def test_login_is_created_once_and_printed(isolated):
    out, _ = seed()
    password = (isolated / "demo-admin-password").read_text().strip()
    assert f"Log in at http://127.0.0.1:8000/admin/ as admin / {password}" in out
    assert (isolated / "demo-admin-password").stat().st_mode & 0o077 == 0
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)

    out, _ = seed()
    assert f"as admin / {password}" in out


def test_an_existing_admin_keeps_its_password(isolated):
    get_user_model().objects.create_superuser("admin", "", "their-own-password")
    out, _ = seed()
    assert "password was left unchanged" in out
    assert get_user_model().objects.get(username="admin").check_password("their-own-password")
    assert not (isolated / "demo-admin-password").exists()


def test_hooks_are_called_and_failures_reported(monkeypatch):
    calls = []
    good = types.ModuleType("demo_hook_good")
    good.seed_demo = lambda **kwargs: calls.append(kwargs)
    bad = types.ModuleType("demo_hook_bad")

    def explode(**kwargs):
        raise ValidationError("no villages table")

    bad.seed_demo = explode
    monkeypatch.setattr(demo_registry, "hooks", lambda: [("demo_hook_good", good.seed_demo),
                                                          ("demo_hook_bad", bad.seed_demo)])

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="demo_hook_bad"):
        call_command("seed_demo", "--npcs", "3", "--no-input", "--seed", "9", stdout=out, stderr=err)

    assert len(calls) == 1
    assert [n.name for n in calls[0]["npcs"]] == [n.name for n in demo.demo_npcs().order_by("id")]
    assert len(calls[0]["npcs"]) == 3 and calls[0]["reset"] is False and calls[0]["rng_seed"] == 9
    calls[0]["progress"]("hook work")
    assert "demo_hook_good: hook work" in err.getvalue()
    assert "no villages table" in err.getvalue()
    assert "Log in at" in out.getvalue()  # the login is there even when a hook failed
    assert models.NPC.objects.count() == 3  # the global data was committed before the hooks ran


def test_apps_register_their_demo_hooks_from_their_demo_module():
    """Found by autodiscover_modules("demo"), not by module names in strings."""
    import analytics.demo
    import worlds.demo

    assert dict(registered_hooks()) == {"worlds.demo": worlds.demo.seed_demo,
                                           "analytics.demo": analytics.demo.seed_demo}


def test_non_demo_npcs_with_a_demo_name_are_left_alone():
    name = world.demo_name(0)[0]
    taken = NPCFactory(name=name, personality="economic")
    seed()
    taken.refresh_from_db()
    assert taken.notes is None and taken.personality == "economic"
    assert models.NPC.objects.count() == N


def test_history_ends_when_the_npc_was_last_active():
    seed()
    late = sql("""
        SELECT n.name FROM npcs n WHERE
            EXISTS (SELECT 1 FROM npc_decisions d WHERE d.npc_id = n.id AND d.created_at > n.last_active)
         OR EXISTS (SELECT 1 FROM npc_battle_history b WHERE b.npc_id = n.id AND b.occurred_at > n.last_active)
         OR EXISTS (SELECT 1 FROM npc_memory m WHERE m.npc_id = n.id AND m.occurred_at > n.last_active)
         OR EXISTS (SELECT 1 FROM npc_messages m WHERE m.from_npc_id = n.id AND m.sent_at > n.last_active)
         OR EXISTS (SELECT 1 FROM npc_decisions d WHERE d.npc_id = n.id AND d.created_at < n.created_at)""")
    assert late == []


def test_a_single_world_and_a_single_npc_work(settings):
    settings.NPCADMIN_WORLDS = ["testworld"]
    call_command("seed_demo", "--npcs", "1", "--no-input", stdout=StringIO(), stderr=StringIO())
    state = models.NPCWorldState.objects.get()
    assert (state.world_id, state.rank) == ("testworld", 1)
    assert models.NPCRelationship.objects.filter(npc=state.npc).exists()  # with human players only


def test_a_player_id_taken_by_another_npc_is_a_clear_error():
    NPCWorldStateFactory(world_id="testworld", player_id=world.NPC_PLAYER_BASE)
    NPCWorldStateFactory(world_id="demo", player_id=world.NPC_PLAYER_BASE)
    with pytest.raises(CommandError, match="already belong to other NPCs"):
        seed()
    assert models.NPC.objects.count() == 2


def test_refuses_production_settings(settings):
    settings.NPCADMIN_PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not models.NPC.objects.exists()


def test_every_month_a_memory_is_written_in_gets_its_partition(monkeypatch):
    """The seed creates the months of the rows it writes, not the months it expects to write."""
    from npcs.demo import world

    monkeypatch.setattr(world, "HISTORY_DAYS", 1)  # the up-front guess now covers ~1 month of ~3
    seed()
    months = {m for (m,) in sql("SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') FROM npc_memory")}
    assert len(months) >= 3
    assert partitions.default_partition_rows() == 0


@pytest.mark.django_db(transaction=True, databases="__all__")  # the checks run on connections of their own
def test_a_fresh_install_with_demo_data_passes_the_strict_health_check(redis_client, monkeypatch):
    monkeypatch.setattr(demo_registry, "hooks", registered_hooks)  # the whole demo, as installed
    seed()
    out = StringIO()
    try:
        call_command("healthcheck", "--strict", stdout=out, stderr=StringIO())
    except CommandError as exc:
        # TimescaleDB 2.28 built against PostgreSQL 15.20 fails its own background policy jobs
        # ("cannot drop portal ... while it is being set up", upstream): the health check must
        # report exactly those, and nothing else may be unhealthy.
        problems = str(exc).removeprefix("unhealthy: ").split(", ")
        upstream = [line for line in out.getvalue().splitlines()
                    if line.startswith("ERROR") and "cannot drop portal" in line]
        if not (problems and all(p.startswith("metrics_policies:") for p in problems)
                and len(upstream) == len(problems)):
            raise
    finally:
        print(out.getvalue())  # which check failed, in the test's output
    assert "memory_partitions" in out.getvalue()
