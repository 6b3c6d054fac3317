"""Decision traces: what differed between recommendation and final decision, and when."""

from __future__ import annotations

import datetime

import pytest

from npcs.mind import traces
from npcs.mind.traces import Difference, json_diff
from tests.factories.npcs import NPCDecisionFactory


def test_json_diff_reports_changed_added_and_removed_paths():
    recommended = {"action": "attack", "target": {"village": 1, "x": 3}, "troops": [10, 20], "wave": 1}
    final = {"action": "attack", "target": {"village": 2, "x": 3}, "troops": [10, 25], "note": "feint"}
    assert json_diff(recommended, final) == [
        Difference("$.target.village", "changed", 1, 2),
        Difference("$.troops[1]", "changed", 20, 25),
        Difference("$.wave", "removed", 1, None),
        Difference("$.note", "added", None, "feint"),
    ]


@pytest.mark.parametrize("recommended, final, expected", [
    ({"a": 1}, {"a": 1.0}, []),
    ({"a": 1}, {"a": True}, [Difference("$.a", "changed", 1, True)]),
    ([1, 2], [1, 2, 3], [Difference("$", "changed", [1, 2], [1, 2, 3])]),
    ("build", {"action": "build"}, [Difference("$", "changed", "build", {"action": "build"})]),
    ({"b": 1, "a": 2}, {"a": 2, "b": 1}, []),
])
def test_json_diff_edge_cases(recommended, final, expected):
    assert json_diff(recommended, final) == expected


@pytest.mark.django_db
def test_departed_is_jsonb_inequality_with_a_recommendation():
    same = NPCDecisionFactory(rule_based_recommendation={"a": 1, "b": 2}, final_decision={"b": 2, "a": 1})
    differs = NPCDecisionFactory(rule_based_recommendation={"a": 1}, final_decision={"a": 2})
    no_rec = NPCDecisionFactory(rule_based_recommendation=None, final_decision={"a": 2})
    flags = dict(traces.decisions_for_trace().values_list("pk", "departed"))
    assert flags == {same.pk: False, differs.pk: True, no_rec.pk: False}


def test_execution_timing():
    at = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    decision = NPCDecisionFactory.build(created_at=at, execution_started_at=at + datetime.timedelta(seconds=5),
                                        execution_completed_at=at + datetime.timedelta(seconds=65))
    assert traces.execution_timing(decision) == {"wait": datetime.timedelta(seconds=5),
                                                 "duration": datetime.timedelta(seconds=60)}
    pending = NPCDecisionFactory.build(created_at=at)
    assert traces.execution_timing(pending) == {"wait": None, "duration": None}


@pytest.mark.django_db
def test_departed_judges_the_decisions_identity_action_and_target_not_its_commentary():
    rec = {"action": "attack", "target_player_id": 7, "score": 0.8, "rule": "military_attack"}
    kept = NPCDecisionFactory(rule_based_recommendation=rec,
                              final_decision={"action": "attack", "target_player_id": 7.0, "source": "llm",
                                              "reason": "agree"})
    other_action = NPCDecisionFactory(rule_based_recommendation=rec,
                                      final_decision={"action": "raid", "target_player_id": 7, "source": "llm"})
    other_target = NPCDecisionFactory(rule_based_recommendation=rec,
                                      final_decision={"action": "attack", "target_player_id": 8})
    no_target = NPCDecisionFactory(rule_based_recommendation=rec, final_decision={"action": "attack"})
    json_null = NPCDecisionFactory(rule_based_recommendation=None, final_decision={"action": "x"})
    flags = dict(traces.decisions_for_trace().values_list("pk", "departed"))
    assert flags == {kept.pk: False, other_action.pk: True, other_target.pk: True, no_target.pk: True,
                     json_null.pk: False}
