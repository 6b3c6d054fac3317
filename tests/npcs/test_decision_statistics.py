"""The extended statistics keep the decisions changelist's estimate of combined filters close."""

from __future__ import annotations

import pytest

from npcadmin.paginators import planner_row_estimate
from npcs.models import NPCDecision

pytestmark = pytest.mark.django_db


def _load_correlated(raw_sql, with_stats: bool):
    """20,000 decisions: the LLM decides 90 % in demo and 10 % in testworld (equal volumes)."""
    if not with_stats:
        raw_sql("DROP STATISTICS IF EXISTS npc_decisions_filters_stats")
    raw_sql("""
        INSERT INTO npc_decisions (world_id, decision_type, situation_summary, used_llm, final_decision, executed,
                                   outcome_measured, created_at)
        SELECT CASE WHEN mod(i, 2) = 0 THEN 'demo' ELSE 'testworld' END, 'economic', 's',
               CASE WHEN mod(i, 2) = 0 THEN mod(i, 20) <> 0 ELSE mod(i, 20) = 1 END, '{}'::jsonb, false, false, now()
        FROM generate_series(1, 20000) i""")
    raw_sql("ANALYZE npc_decisions")
    queryset = NPCDecision.objects.filter(used_llm=True, world_id="testworld")
    return planner_row_estimate(queryset), queryset.count()


def test_combined_filter_estimate_is_close_with_the_statistics(raw_sql):
    estimate, actual = _load_correlated(raw_sql, with_stats=True)
    assert actual == 1000
    assert abs(estimate - actual) / actual < 0.2, (estimate, actual)


def test_without_the_statistics_the_estimate_is_far_off(raw_sql):
    """The baseline this migration fixes: independence assumed, 9,000 × 0.5 ≈ 5,000 estimated."""
    estimate, actual = _load_correlated(raw_sql, with_stats=False)
    assert estimate > 3 * actual, (estimate, actual)
