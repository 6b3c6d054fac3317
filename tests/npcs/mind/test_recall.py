"""Memory recall ranking: the formula, each component against hand-computed values, filters."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from npcs import partitions
from npcs.choices import MemoryType
from npcs.mind import recall
from npcs.mind.recall import RecallQuery, RecallWeights
from tests.factories.mind import LessonMemoryFactory
from tests.factories.npcs import NPCMemoryFactory, NPCWorldStateFactory

pytestmark = pytest.mark.django_db

AS_OF = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
# ts_rank_cd of one occurrence of a one-word query: the default weight of an unlabelled
# lexeme (D = 0.1); normalization 32 turns rank r into r / (r + 1). PostgreSQL returns float4.
ONE_HIT = 0.1 / 1.1


def ranked(npc, **kwargs):
    kwargs.setdefault("since", AS_OF - datetime.timedelta(days=90))
    kwargs.setdefault("until", AS_OF + datetime.timedelta(days=1))
    return list(recall.memories_ranked(npc_id=npc.pk, query=RecallQuery(**kwargs), as_of=AS_OF))


@pytest.fixture
def npc():
    return NPCWorldStateFactory(world_id="testworld").npc


def test_each_component_and_the_weighted_sum_match_hand_computed_values(npc):
    memory = NPCMemoryFactory(
        npc=npc, occurred_at=AS_OF - datetime.timedelta(hours=10), importance=0.8, emotional_weight=-0.6,
        memory_type=MemoryType.TRADE, event_data={"partner": "PlayerXYZ", "offered": "wood"},
    )
    [row] = ranked(npc, situation="wood", weights=RecallWeights(recency=2.0, importance=0.5, emotion=3.0,
                                                                relevance=4.0))
    assert row.pk == memory.pk
    assert row.hours_ago == pytest.approx(10.0)
    assert row.recency == pytest.approx(0.995 ** 10)
    assert row.importance == pytest.approx(0.8)
    assert row.emotion == pytest.approx(0.6)  # |−0.6|
    assert row.relevance == pytest.approx(ONE_HIT, rel=1e-6)
    expected = 2.0 * 0.995 ** 10 + 0.5 * 0.8 + 3.0 * 0.6 + 4.0 * ONE_HIT
    assert row.score == pytest.approx(expected, rel=1e-6)


def test_recency_halves_after_the_half_life_and_a_future_memory_counts_as_fresh(npc):
    decay = recall.decay_for_half_life(24)
    day_old = NPCMemoryFactory(npc=npc, occurred_at=AS_OF - datetime.timedelta(hours=24))
    future = NPCMemoryFactory(npc=npc, occurred_at=AS_OF + datetime.timedelta(hours=3))
    rows = {m.pk: m for m in ranked(npc, decay_per_hour=decay)}
    assert rows[day_old.pk].recency == pytest.approx(0.5)
    assert rows[future.pk].recency == pytest.approx(1.0)
    assert recall.half_life_for_decay(0.995) == pytest.approx(138.28, abs=0.01)


def test_emotion_is_capped_at_one_and_relevance_is_zero_without_a_situation(npc):
    NPCMemoryFactory(npc=npc, occurred_at=AS_OF, emotional_weight=-7.5, importance=0.2)
    [row] = ranked(npc)
    assert row.emotion == 1.0
    assert row.relevance == 0.0
    assert row.score == pytest.approx(1.0 + 0.2 + 1.0)


def test_relevance_reads_type_lesson_and_event_data(npc):
    by_type = NPCMemoryFactory(npc=npc, occurred_at=AS_OF, memory_type=MemoryType.ALLIANCE_EVENT, event_data={})
    by_lesson = NPCMemoryFactory(npc=npc, occurred_at=AS_OF, event_data={}, lesson_learned="Never trust Gauls")
    by_data = NPCMemoryFactory(npc=npc, occurred_at=AS_OF, event_data={"opponent": "Vercingetorix"})
    unrelated = NPCMemoryFactory(npc=npc, occurred_at=AS_OF, event_data={"opponent": "Nobody"})
    weights = RecallWeights(recency=0, importance=0, emotion=0, relevance=1)
    for situation, hit in (("alliance", by_type), ("trust", by_lesson), ("vercingetorix", by_data)):
        rows = ranked(npc, situation=situation, weights=weights)
        assert rows[0].pk == hit.pk
        assert rows[0].relevance == pytest.approx(ONE_HIT, rel=1e-6)
        assert {r.pk: r.relevance for r in rows}[unrelated.pk] == 0.0


def test_websearch_syntax_is_accepted_and_never_an_error(npc):
    NPCMemoryFactory(npc=npc, occurred_at=AS_OF, event_data={"opponent": "PlayerXYZ"})
    for situation in ('"PlayerXYZ attacks" -wood', "or or", "&&|!(", "the a of"):
        assert len(ranked(npc, situation=situation)) == 1


def test_ranking_orders_by_score_then_newest_and_respects_the_limit(npc):
    old_important = NPCMemoryFactory(npc=npc, occurred_at=AS_OF - datetime.timedelta(hours=200), importance=1.0)
    fresh_trivial = NPCMemoryFactory(npc=npc, occurred_at=AS_OF, importance=0.0)
    tie_older = NPCMemoryFactory(npc=npc, occurred_at=AS_OF - datetime.timedelta(hours=1), importance=0.0)
    rows = ranked(npc, weights=RecallWeights(recency=1, importance=1, emotion=0, relevance=0))
    # 0.995^200 + 1 ≈ 1.367 > 1.0 (fresh) > 0.995 (an hour old)
    assert [r.pk for r in rows] == [old_important.pk, fresh_trivial.pk, tie_older.pk]
    assert len(ranked(npc, limit=2)) == 2


def test_filters_world_type_player_and_date_range(npc):
    NPCWorldStateFactory(npc=npc, world_id="demo")
    keep = NPCMemoryFactory(npc=npc, world_id="demo", occurred_at=AS_OF - datetime.timedelta(days=2),
                            memory_type=MemoryType.TRADE, related_player_ids=[7, 8])
    NPCMemoryFactory(npc=npc, world_id="testworld", occurred_at=AS_OF - datetime.timedelta(days=2),
                     memory_type=MemoryType.TRADE, related_player_ids=[7])
    NPCMemoryFactory(npc=npc, world_id="demo", occurred_at=AS_OF - datetime.timedelta(days=2),
                     memory_type=MemoryType.BATTLE, related_player_ids=[7])
    NPCMemoryFactory(npc=npc, world_id="demo", occurred_at=AS_OF - datetime.timedelta(days=2),
                     memory_type=MemoryType.TRADE, related_player_ids=[9])
    NPCMemoryFactory(npc=npc, world_id="demo", occurred_at=AS_OF - datetime.timedelta(days=40),
                     memory_type=MemoryType.TRADE, related_player_ids=[7])
    NPCMemoryFactory(occurred_at=AS_OF, world_id="demo", memory_type=MemoryType.TRADE, related_player_ids=[7])
    rows = ranked(npc, world_id="demo", memory_type=MemoryType.TRADE, related_player_id=7,
                  since=AS_OF - datetime.timedelta(days=30))
    assert [r.pk for r in rows] == [keep.pk]


def test_default_window_is_ninety_days_to_the_end_of_today():
    since, until = recall.default_window(AS_OF)
    assert since == datetime.datetime(2025, 12, 10, tzinfo=datetime.UTC)
    assert until == datetime.datetime(2026, 3, 11, tzinfo=datetime.UTC)


def test_expiring_soon_lists_only_the_next_week(npc):
    soon = NPCMemoryFactory(npc=npc, occurred_at=AS_OF - datetime.timedelta(days=300),
                            expires_at=AS_OF + datetime.timedelta(days=2))
    NPCMemoryFactory(npc=npc, occurred_at=AS_OF, expires_at=AS_OF + datetime.timedelta(days=20))
    NPCMemoryFactory(npc=npc, occurred_at=AS_OF, expires_at=AS_OF - datetime.timedelta(days=1))
    NPCMemoryFactory(npc=npc, occurred_at=AS_OF, expires_at=None)
    assert [m.pk for m in recall.memories_expiring_soon(npc_id=npc.pk, as_of=AS_OF)] == [soon.pk]


def test_lessons_timeline_reads_like_the_game(npc):
    LessonMemoryFactory(npc=npc, occurred_at=AS_OF - datetime.timedelta(hours=5),
                        event_data={"battle_id": 12345}, behavior_adjustment={"aggression": 0.05, "reason": "won"})
    LessonMemoryFactory(npc=npc, occurred_at=AS_OF - datetime.timedelta(hours=1), memory_type=MemoryType.TRADE,
                        event_data={"trade_id": 9}, behavior_adjustment={"economy": "-0.1", "patience": 0.2})
    NPCMemoryFactory(npc=npc, occurred_at=AS_OF, lesson_learned=None, behavior_adjustment=None)
    query = RecallQuery(since=AS_OF - datetime.timedelta(days=1), until=AS_OF + datetime.timedelta(days=1))
    entries = recall.lesson_entries(recall.lessons_timeline(npc_id=npc.pk, query=query))
    assert [e.headline for e in entries] == ["economy -0.10, patience +0.20 after trade 9",
                                             "aggression +0.05 after battle 12345"]
    assert entries[1].reason == "won"


@pytest.fixture
def months_2025():
    """Monthly partitions January to June 2025 (created inside the test's transaction)."""
    partitions.ensure_months([datetime.date(2025, m, 1) for m in range(1, 7)])


def test_the_recall_query_scans_only_the_partitions_in_its_date_range(npc, months_2025):
    query = RecallQuery(since=datetime.datetime(2025, 2, 1, tzinfo=datetime.UTC),
                        until=datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC), situation="attack")
    plan = recall.memories_ranked(npc_id=npc.pk, query=query, as_of=AS_OF).explain()
    scanned = {name for name in ("npc_memory_2025_01", "npc_memory_2025_02", "npc_memory_2025_03",
                                 "npc_memory_2025_04", "npc_memory_2025_05", "npc_memory_default") if name in plan}
    assert scanned == {"npc_memory_2025_02", "npc_memory_2025_03"}, plan


def test_a_window_inside_one_month_scans_one_partition(npc, months_2025):
    query = RecallQuery(since=datetime.datetime(2025, 5, 3, tzinfo=datetime.UTC),
                        until=datetime.datetime(2025, 5, 20, tzinfo=datetime.UTC))
    with connection.cursor() as cursor:
        sql, params = recall.memories_ranked(npc_id=npc.pk, query=query, as_of=AS_OF).query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "npc_memory_2025_05" in plan
    assert "npc_memory_2025_04" not in plan and "npc_memory_2025_06" not in plan and "npc_memory_default" not in plan


@pytest.mark.parametrize("typed, sent", [
    ("PlayerXYZ attacks  at night", "PlayerXYZ or attacks or at or night"),
    ('"night raid" PlayerXYZ', '"night raid" PlayerXYZ'),
    ("raid -wood", "raid -wood"),
    ("raid OR trade", "raid OR trade"),
    ("  ", ""),
])
def test_a_plain_sentence_matches_any_word_and_websearch_syntax_is_kept(typed, sent):
    assert recall.situation_query(typed) == sent


def test_event_data_keys_do_not_count_but_values_and_numbers_do(npc):
    memory = NPCMemoryFactory(npc=npc, occurred_at=AS_OF, event_data={"resources_gained": 15000, "battle_id": 12345})
    weights = RecallWeights(recency=0, importance=0, emotion=0, relevance=1)
    assert ranked(npc, situation="resources", weights=weights)[0].relevance == 0.0
    assert ranked(npc, situation="12345", weights=weights)[0].relevance == pytest.approx(ONE_HIT, rel=1e-6)
    assert ranked(npc, situation="catapults 12345", weights=weights)[0].pk == memory.pk
    assert ranked(npc, situation='"catapults 12345"', weights=weights)[0].relevance == 0.0
