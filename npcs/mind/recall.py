"""Memory recall: rank one NPC's memories the way a generative agent retrieves them.

score = w_recency · recency + w_importance · importance + w_emotion · |emotional_weight|
        + w_relevance · relevance

- recency    = decay ** hours since `occurred_at` (1.0 for a memory of this hour, 0.5 after a
               half-life; a memory dated in the future counts as fresh);
- importance = `importance` (0..1 by the seed's CHECK);
- emotion    = LEAST(|emotional_weight|, 1): the seed leaves it unbounded and signed, and a
               strong grudge matters as much as a strong joy;
- relevance  = ts_rank_cd(memory text, websearch_to_tsquery(situation), 32), i.e. rank/(rank+1),
               in 0..1; the memory text is its type, `lesson_learned` and the values of
               `event_data`; a plain sentence matches any of its words (`situation_query`).

Defaults follow Park et al., *Generative Agents* (2023): equal weights, decay 0.995 per hour
(half-life ≈ 138 h ≈ 5.8 days). The paper *adds* the weighted components (the issue's
"recency × importance × relevance" is shorthand): a product would bury every memory that
shares no word with the typed situation. Components are kept on an absolute 0..1 scale
instead of the paper's min-max over the candidate set, so a row's score does not change when
a filter changes the set, and can be checked by hand. See docs/npc-mind.md.

Everything is computed in SQL, on the rows of one NPC within a date range that is always
bounded on both sides, so PostgreSQL prunes `npc_memory`'s monthly partitions at plan time.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorCombinable,
    SearchVectorField,
)
from django.db.models import DateTimeField, F, FloatField, Func, Q, QuerySet, Value
from django.db.models.functions import Abs, Coalesce, Least, Power, Replace

from npcs.models import NPCMemory

TEXT_SEARCH_CONFIG = "english"
DEFAULT_DECAY_PER_HOUR = 0.995
DEFAULT_WINDOW_DAYS = 90
MAX_WINDOW_DAYS = 731
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
EXPIRING_SOON = datetime.timedelta(days=7)


@dataclass(frozen=True)
class RecallWeights:
    """How much each component counts; equal weights as in Generative Agents."""

    recency: float = 1.0
    importance: float = 1.0
    emotion: float = 1.0
    relevance: float = 1.0


def decay_for_half_life(hours: float) -> float:
    """The per-hour decay whose recency halves every `hours` hours."""
    return 0.5 ** (1.0 / hours)


def half_life_for_decay(decay: float) -> float:
    return math.log(0.5) / math.log(decay)


@dataclass(frozen=True)
class RecallQuery:
    """What a game master asks: which memories would this NPC recall in this situation?"""

    since: datetime.datetime  # inclusive
    until: datetime.datetime  # exclusive
    situation: str = ""
    world_id: str | None = None
    memory_type: str | None = None
    related_player_id: int | None = None
    weights: RecallWeights = field(default_factory=RecallWeights)
    decay_per_hour: float = DEFAULT_DECAY_PER_HOUR
    limit: int = DEFAULT_LIMIT

    @classmethod
    def default(cls, *, as_of: datetime.datetime, **kwargs) -> RecallQuery:
        """The last `DEFAULT_WINDOW_DAYS` days up to the end of `as_of`'s day (UTC)."""
        since, until = default_window(as_of)
        return cls(since=since, until=until, **kwargs)


def day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def default_window(as_of: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    today = as_of.astimezone(datetime.UTC).date()
    since = today - datetime.timedelta(days=DEFAULT_WINDOW_DAYS)
    return day_start(since), day_start(today + datetime.timedelta(days=1))


class HoursBetween(Func):
    """Hours from the second timestamp to the first, never negative."""

    template = "GREATEST(0.0, EXTRACT(EPOCH FROM (%(expressions)s))::double precision / 3600.0)"
    arg_joiner = " - "
    output_field = FloatField()


class EventDataVector(SearchVectorCombinable, Func):
    """The words and numbers among `event_data`'s values (not its keys) as a tsvector."""

    function = "jsonb_to_tsvector"
    template = f"%(function)s('{TEXT_SEARCH_CONFIG}'::regconfig, %(expressions)s, '[\"string\", \"numeric\"]'::jsonb)"
    output_field = SearchVectorField()


def memory_document():
    """The text a situation is matched against: type, lesson and the values of the event data.

    Only `event_data`'s values count: its keys ("resources_gained", "my_losses") are the same
    in every memory of a type, so they would make a situation mentioning "resources" match
    every battle; and skipping them halves the cost (docs/benchmarks.md, "memory recall").
    """
    return SearchVector(
        Replace(F("memory_type"), Value("_"), Value(" ")), "lesson_learned", config=TEXT_SEARCH_CONFIG
    ) + EventDataVector("event_data")


_WEBSEARCH_SYNTAX = re.compile(r'"|(?:^|\s)-\S|\sor\s', re.IGNORECASE)


def situation_query(situation: str) -> str:
    """websearch_to_tsquery input: a plain sentence matches *any* of its words.

    websearch_to_tsquery ANDs plain words, so "PlayerXYZ attacks at night" would only be
    relevant to memories containing all of them, and every other memory would score 0. A
    game master who uses the syntax (quotes for phrases, `or`, `-word`) gets it unchanged.
    """
    situation = situation.strip()
    if not situation or _WEBSEARCH_SYNTAX.search(situation):
        return situation
    return " or ".join(situation.split())


def memories_in_window(*, npc_id: int, query: RecallQuery) -> QuerySet[NPCMemory]:
    """One NPC's memories in the query's date range and filters (partition-pruned)."""
    memories = NPCMemory.objects.filter(
        npc_id=npc_id, occurred_at__gte=query.since, occurred_at__lt=query.until
    )
    if query.world_id:
        memories = memories.filter(world_id=query.world_id)
    if query.memory_type:
        memories = memories.filter(memory_type=query.memory_type)
    if query.related_player_id is not None:
        memories = memories.filter(related_player_ids__contains=[query.related_player_id])
    return memories


def memories_ranked(*, npc_id: int, query: RecallQuery, as_of: datetime.datetime) -> QuerySet[NPCMemory]:
    """The top `query.limit` memories by recall score, each annotated with its components.

    Annotations: `hours_ago`, `recency`, `emotion`, `relevance`, `score` (importance is the
    column itself). Read only: recalling here does not count as the engine's access.
    """
    w = query.weights
    hours = HoursBetween(Value(as_of, output_field=DateTimeField()), F("occurred_at"))
    recency = Power(Value(float(query.decay_per_hour)), hours, output_field=FloatField())
    # NOT NULL in our migration but nullable in the seed: a NULL counts as 0, never as NULL score.
    importance = Coalesce(F("importance"), Value(0.0), output_field=FloatField())
    emotion = Least(Abs(Coalesce(F("emotional_weight"), Value(0.0))), Value(1.0), output_field=FloatField())
    situation = query.situation.strip()
    if situation:
        relevance = SearchRank(
            memory_document(),
            SearchQuery(situation_query(situation), search_type="websearch", config=TEXT_SEARCH_CONFIG),
            cover_density=True,
            normalization=Value(32),
        )
    else:
        relevance = Value(0.0, output_field=FloatField())
    score = (
        Value(float(w.recency)) * recency
        + Value(float(w.importance)) * importance
        + Value(float(w.emotion)) * emotion
        + Value(float(w.relevance)) * relevance
    )
    return (
        memories_in_window(npc_id=npc_id, query=query)
        .annotate(hours_ago=hours, recency=recency, emotion=emotion, relevance=relevance)
        .alias(score_expr=score)
        .annotate(score=F("score_expr"))
        .order_by("-score", "-occurred_at", "-id")[: query.limit]
    )


def memories_expiring_soon(
    *, npc_id: int, as_of: datetime.datetime, world_id: str | None = None, within: datetime.timedelta = EXPIRING_SOON,
    limit: int = 50,
) -> QuerySet[NPCMemory]:
    """Memories the engine will clean up within `within` (served by the partial idx_memory_expires)."""
    memories = NPCMemory.objects.filter(npc_id=npc_id, expires_at__gte=as_of, expires_at__lt=as_of + within)
    if world_id:
        memories = memories.filter(world_id=world_id)
    return memories.order_by("expires_at", "id")[:limit]


def lessons_timeline(*, npc_id: int, query: RecallQuery, limit: int = 100) -> QuerySet[NPCMemory]:
    """Memories that taught a lesson or adjusted behaviour, newest first, in the query's window."""
    return (
        memories_in_window(npc_id=npc_id, query=query)
        .filter(Q(lesson_learned__isnull=False) & ~Q(lesson_learned="") | Q(behavior_adjustment__isnull=False))
        .order_by("-occurred_at", "-id")[:limit]
    )


EVENT_REFERENCES = (("battle_id", "battle"), ("trade_id", "trade"), ("message_id", "message"),
                    ("alliance_id", "alliance"), ("village_id", "village"))


def event_reference(memory: NPCMemory) -> str:
    """What the memory is about, in the game's words: "battle 12345", else its type and id."""
    data = memory.event_data if isinstance(memory.event_data, dict) else {}
    for key, label in EVENT_REFERENCES:
        if data.get(key) is not None:
            return f"{label} {data[key]}"
    return f"{memory.get_memory_type_display().lower()} (memory {memory.pk})"


def _as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def behavior_changes(adjustment) -> list[str]:
    """`{"aggression": 0.05, "reason": ...}` as ["aggression +0.05"] (non-numeric keys skipped)."""
    if not isinstance(adjustment, dict):
        return []
    changes = []
    for key, value in adjustment.items():
        number = _as_number(value)
        if number is not None and key != "reason":
            changes.append(f"{key} {number:+.2f}")
    return changes


@dataclass(frozen=True)
class Lesson:
    """One entry of the lessons timeline."""

    memory: NPCMemory
    headline: str
    changes: list[str]
    reason: str
    lesson: str


def lesson_entries(memories) -> list[Lesson]:
    """Turn memories into timeline lines such as "aggression +0.05 after battle 12345"."""
    entries = []
    for memory in memories:
        changes = behavior_changes(memory.behavior_adjustment)
        reference = event_reference(memory)
        headline = f"{', '.join(changes)} after {reference}" if changes else f"lesson from {reference}"
        reason = ""
        if isinstance(memory.behavior_adjustment, dict):
            reason = str(memory.behavior_adjustment.get("reason") or "")
        entries.append(Lesson(memory, headline, changes, reason, memory.lesson_learned or ""))
    return entries
