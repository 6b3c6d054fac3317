"""Decision traces: an NPC's decisions as a timeline, and everything around one decision."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from npcs.models import NPCBattle, NPCDecision, NPCMemory

DEFAULT_AROUND_HOURS = 6
MAX_AROUND_HOURS = 168
TIMELINE_PAGE = 50

# A decision departs from the rules when its *identity* differs from the recommendation's: the
# action and the target (`action`, `target_player_id`; jsonb equality, so 1 and 1.0 are the same
# target). Scores, rule names, reasons and the `source` tag are commentary, not the decision: a
# whole-document comparison called every decision a departure (the recommendation carries a
# score, the final decision a source). A recommendation with neither key (another engine's shape)
# is compared as a whole document. No recommendation (SQL NULL or JSON null): nothing to depart from.
_REC = "npc_decisions.rule_based_recommendation"
_FINAL = "npc_decisions.final_decision"
DEPARTED_SQL = (
    f"({_REC} IS NOT NULL AND {_REC} <> 'null'::jsonb AND CASE"
    f" WHEN jsonb_typeof({_REC}) = 'object' AND ({_REC} ? 'action' OR {_REC} ? 'target_player_id') THEN"
    f" ({_REC} -> 'action') IS DISTINCT FROM ({_FINAL} -> 'action')"
    f" OR ({_REC} -> 'target_player_id') IS DISTINCT FROM ({_FINAL} -> 'target_player_id')"
    f" ELSE {_REC} IS DISTINCT FROM {_FINAL} END)"
)


def departed_expression() -> RawSQL:
    """True when the final decision's action or target differs from the rule-based recommendation's."""
    return RawSQL(DEPARTED_SQL, (), output_field=BooleanField())


def with_departed(decisions: QuerySet[NPCDecision]) -> QuerySet[NPCDecision]:
    return decisions.annotate(departed=departed_expression())


@dataclass(frozen=True)
class TimelineFilter:
    world_id: str | None = None
    decision_type: str | None = None
    used_llm: bool | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


def decisions_for_npc(*, npc_id: int, filters: TimelineFilter = TimelineFilter()) -> QuerySet[NPCDecision]:
    """One NPC's decisions, newest first (ties broken by id so pages never repeat rows).

    The timeline shows neither prompt nor response, so those long columns are deferred.
    """
    decisions = NPCDecision.objects.filter(npc_id=npc_id).defer("llm_prompt", "llm_response")
    if filters.world_id:
        decisions = decisions.filter(world_id=filters.world_id)
    if filters.decision_type:
        decisions = decisions.filter(decision_type=filters.decision_type)
    if filters.used_llm is not None:
        decisions = decisions.filter(used_llm=filters.used_llm)
    if filters.since:
        decisions = decisions.filter(created_at__gte=filters.since)
    if filters.until:
        decisions = decisions.filter(created_at__lt=filters.until)
    return with_departed(decisions).order_by("-created_at", "-id")


def decisions_for_trace() -> QuerySet[NPCDecision]:
    """Decisions with their NPC and the `departed` flag, for the trace page."""
    return with_departed(NPCDecision.objects.select_related("npc"))


def _around(model, decision: NPCDecision, hours: int) -> QuerySet:
    """The NPC's rows of `model` in the decision's world within ±hours (a bounded, partition-pruned range)."""
    window = datetime.timedelta(hours=hours)
    return model.objects.filter(
        npc_id=decision.npc_id, world_id=decision.world_id,
        occurred_at__gte=decision.created_at - window, occurred_at__lte=decision.created_at + window,
    ).order_by("occurred_at", "id")[:200]


def memories_around(decision: NPCDecision, hours: int) -> QuerySet[NPCMemory]:
    return _around(NPCMemory, decision, hours)


def battles_around(decision: NPCDecision, hours: int) -> QuerySet[NPCBattle]:
    return _around(NPCBattle, decision, hours)


@dataclass(frozen=True)
class Difference:
    """One place where the final decision differs from the recommendation."""

    path: str
    kind: str  # "added" (only in the final decision), "removed" (only recommended), "changed"
    recommended: object = None
    final: object = None


_MISSING = object()


def json_diff(recommended, final, path: str = "$") -> list[Difference]:
    """Differences between two JSON values, as JSONPath-like paths (`$.target.x`, `$.troops[0]`)."""
    if isinstance(recommended, dict) and isinstance(final, dict):
        differences = []
        for key in list(recommended) + [k for k in final if k not in recommended]:
            sub = f"{path}.{key}"
            old, new = recommended.get(key, _MISSING), final.get(key, _MISSING)
            if old is _MISSING:
                differences.append(Difference(sub, "added", None, new))
            elif new is _MISSING:
                differences.append(Difference(sub, "removed", old, None))
            else:
                differences.extend(json_diff(old, new, sub))
        return differences
    if isinstance(recommended, list) and isinstance(final, list) and len(recommended) == len(final):
        differences = []
        for index, (old, new) in enumerate(zip(recommended, final, strict=True)):
            differences.extend(json_diff(old, new, f"{path}[{index}]"))
        return differences
    # bool is an int in Python but not in JSON: true and 1 differ.
    if recommended == final and type(recommended) is type(final):
        return []
    if recommended == final and {type(recommended), type(final)} <= {int, float}:
        return []
    return [Difference(path, "changed", recommended, final)]


def execution_timing(decision: NPCDecision) -> dict[str, datetime.timedelta | None]:
    """How long the decision waited before execution, and how long execution took."""
    started, completed = decision.execution_started_at, decision.execution_completed_at
    return {
        "wait": started - decision.created_at if started and decision.created_at else None,
        "duration": completed - started if completed and started else None,
    }
