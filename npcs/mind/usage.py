"""LLM usage across NPCs: how often the LLM decides, departs from the rules, succeeds, fails.

The one set of LLM-usage selectors over the raw decision log: the mind's decisions page reads
them, and so does `/analytics/decisions/` for what its hourly rollup cannot answer (exact
percentiles, one NPC, ranges finer than an hour; analytics/decisions_rollup.py).
Every aggregate is one grouped SQL query over `npc_decisions` within a created_at window.
Definitions (also in docs/npc-mind.md):

- *path* of a decision: `rules` (no LLM, final = recommendation), `rules, overridden`
  (no LLM, final ≠ recommendation), `LLM, kept rule` and `LLM, departed`;
- *success rate* = successes / decisions whose outcome was measured (`outcome_measured` and
  `outcome_success` not null); unmeasured decisions do not count against a path;
- *estimated tokens* = (characters of prompt + response) / 4, the usual rule of thumb for
  English text with GPT-style tokenisers;
- *failed* LLM call: a decision with `used_llm` whose `execution_result` or `outcome_data` has
  an `error` key or a `status` of error/failed/failure;
- *rate limited*: any decision whose `execution_result` or `outcome_data` text mentions a rate
  limit (`rate_limited`, "rate limit", "ratelimit"), or an NPC whose Redis counter
  `ratelimit:llm:{npc_id}` is at or above the engine's 10 calls a minute right now.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Length, TruncDay

from npcs.mind.traces import departed_expression
from npcs.models import NPCDecision
from npcs.runtime.client import RuntimeUnavailable
from npcs.runtime.sync import SyncRuntime
from npcs.selectors import npc_names

logger = logging.getLogger(__name__)

DEFAULT_SLOW_P95_MS = 5000
ERROR_STATUSES = ("error", "failed", "failure")
RATE_LIMIT_PATTERN = r"rate[ _-]?limit"


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0.0 <= float(fraction) <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


@dataclass(frozen=True)
class UsageWindow:
    since: datetime.datetime
    until: datetime.datetime
    world_id: str | None = None
    npc_id: int | None = None


def decisions_in(window: UsageWindow) -> QuerySet[NPCDecision]:
    decisions = NPCDecision.objects.filter(created_at__gte=window.since, created_at__lt=window.until)
    if window.world_id:
        decisions = decisions.filter(world_id=window.world_id)
    if window.npc_id:
        decisions = decisions.filter(npc_id=window.npc_id)
    return decisions


class DateBin(Func):
    """PostgreSQL's `date_bin(stride, source, origin)`: fixed-width buckets from a UTC origin."""

    function = "date_bin"
    output_field = DateTimeField()

    def __init__(self, stride: datetime.timedelta, expression, **extra):
        origin = Value(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC), output_field=DateTimeField())
        super().__init__(Value(stride, output_field=DurationField()), expression, origin, **extra)


def usage_by_type(window: UsageWindow) -> list[dict]:
    """Per decision type: volume, LLM share, decision latency p50/p95/p99 and LLM latency p50 (ms),
    average confidence, measured outcomes and their success rate."""
    rows = (
        decisions_in(window).values("decision_type").annotate(
            decisions=Count("id"),
            llm_decisions=Count("id", filter=Q(used_llm=True)),
            latency_p50=PercentileCont("decision_latency_ms", 0.5),
            latency_p95=PercentileCont("decision_latency_ms", 0.95),
            latency_p99=PercentileCont("decision_latency_ms", 0.99),
            llm_latency_p50=PercentileCont("llm_latency_ms", 0.5),
            avg_confidence=Avg("decision_confidence"),
            measured=Count("id", filter=MEASURED),
            successes=Count("id", filter=MEASURED & Q(outcome_success=True)),
        ).order_by("decision_type")
    )
    result = []
    for row in rows:
        row["llm_share"] = _rate(row["llm_decisions"], row["decisions"])
        row["success_rate"] = _rate(row.pop("successes"), row["measured"])
        result.append(row)
    return result


def usage_series(window: UsageWindow, bucket: datetime.timedelta) -> list[dict]:
    """Decisions per time bucket, LLM and rule-based."""
    return list(
        decisions_in(window).annotate(bucket=DateBin(bucket, "created_at")).values("bucket").annotate(
            llm=Count("id", filter=Q(used_llm=True)), rule=Count("id", filter=Q(used_llm=False)),
        ).order_by("bucket")
    )


def llm_calls_per_npc(window: UsageWindow, limit: int = 25) -> list[dict]:
    """NPCs with the most LLM-backed decisions in the window (and all their decisions)."""
    rows = (
        decisions_in(window).filter(npc__isnull=False)
        .values("npc_id", name=F("npc__name"), personality=F("npc__personality"))
        .annotate(llm_calls=Count("id", filter=Q(used_llm=True)), decisions=Count("id"))
        .filter(llm_calls__gt=0).order_by("-llm_calls", "npc_id")[:limit]
    )
    return list(rows)


def path_expression() -> Case:
    """The path a decision took; needs the `departed_flag` annotation."""
    return Case(
        When(Q(used_llm=True) & Q(departed_flag=True), then=Value("LLM, departed")),
        When(used_llm=True, then=Value("LLM, kept rule")),
        When(departed_flag=True, then=Value("rules, overridden")),
        default=Value("rules"),
        output_field=CharField(),
    )


MEASURED = Q(outcome_measured=True, outcome_success__isnull=False)


def usage_totals(window: UsageWindow) -> dict:
    """Decisions, LLM use and departures from the rules in the window, as counts and rates."""
    totals = decisions_in(window).annotate(departed_flag=departed_expression()).aggregate(
        decisions=Count("id"),
        llm=Count("id", filter=Q(used_llm=True)),
        with_recommendation=Count("id", filter=Q(rule_based_recommendation__isnull=False)),
        departed=Count("id", filter=Q(departed_flag=True)),
        measured=Count("id", filter=MEASURED),
        successes=Count("id", filter=MEASURED & Q(outcome_success=True)),
    )
    totals["llm_rate"] = _rate(totals["llm"], totals["decisions"])
    totals["departed_rate"] = _rate(totals["departed"], totals["with_recommendation"])
    totals["success_rate"] = _rate(totals["successes"], totals["measured"])
    return totals


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def success_by_path(window: UsageWindow) -> list[dict]:
    """Outcome success rate per decision type × personality × path."""
    rows = (
        decisions_in(window)
        .annotate(departed_flag=departed_expression())
        .annotate(path=path_expression(), personality=F("npc__personality"))
        .values("decision_type", "personality", "path")
        .annotate(
            decisions=Count("id"),
            measured=Count("id", filter=MEASURED),
            successes=Count("id", filter=MEASURED & Q(outcome_success=True)),
        )
        .order_by("decision_type", "personality", "path")
    )
    result = []
    for row in rows:
        row["success_rate"] = _rate(row["successes"], row["measured"])
        result.append(row)
    return result


def _llm_calls(window: UsageWindow) -> QuerySet[NPCDecision]:
    return decisions_in(window).filter(used_llm=True)


def _prompt_chars():
    return Sum(
        Coalesce(Length("llm_prompt"), Value(0)) + Coalesce(Length("llm_response"), Value(0)),
        output_field=IntegerField(),
    )


def _latency_aggregates() -> dict:
    return {
        "calls": Count("id"),
        "timed": Count("llm_latency_ms"),
        "p50": PercentileCont("llm_latency_ms", 0.5),
        "p95": PercentileCont("llm_latency_ms", 0.95),
        "p99": PercentileCont("llm_latency_ms", 0.99),
        "chars": _prompt_chars(),
    }


def _with_tokens(rows) -> list[dict]:
    result = []
    for row in rows:
        row["tokens"] = ((row["chars"] or 0) + 2) // 4  # chars / 4, halves rounded up
        result.append(row)
    return result


def llm_latency_per_npc(window: UsageWindow, limit: int = 100) -> list[dict]:
    """Per NPC: LLM calls, latency percentiles (ms) and estimated tokens, most calls first."""
    rows = (
        _llm_calls(window)
        .values("npc_id", "npc__name", "npc__personality")
        .annotate(**_latency_aggregates())
        .order_by("-calls", "npc_id")[:limit]
    )
    return _with_tokens(rows)


def llm_latency_per_day(window: UsageWindow) -> list[dict]:
    """Per UTC day: LLM calls, latency percentiles (ms) and estimated tokens."""
    rows = (
        _llm_calls(window)
        .annotate(day=TruncDay("created_at", tzinfo=datetime.UTC))
        .values("day")
        .annotate(**_latency_aggregates())
        .order_by("day")
    )
    return _with_tokens(rows)


def _json_error() -> Q:
    q = Q()
    for column in ("execution_result", "outcome_data"):
        q |= Q(**{f"{column}__has_key": "error"}) | Q(**{f"{column}__status__in": ERROR_STATUSES})
    return q


def llm_trouble_per_npc(window: UsageWindow, slow_p95_ms: int = DEFAULT_SLOW_P95_MS) -> list[dict]:
    """NPCs whose LLM calls fail, are slow (p95 above `slow_p95_ms`) or hit the rate limit."""
    rows = (
        decisions_in(window)
        .annotate(
            result_text=Coalesce(Cast("execution_result", TextField()), Value(""), output_field=TextField()),
            outcome_text=Coalesce(Cast("outcome_data", TextField()), Value(""), output_field=TextField()),
        )
        .values("npc_id", "npc__name")
        .annotate(
            calls=Count("id", filter=Q(used_llm=True)),
            failed=Count("id", filter=Q(used_llm=True) & _json_error()),
            rate_limited=Count(
                "id",
                filter=Q(result_text__iregex=RATE_LIMIT_PATTERN) | Q(outcome_text__iregex=RATE_LIMIT_PATTERN),
            ),
            p95=PercentileCont("llm_latency_ms", 0.95, filter=Q(used_llm=True)),
        )
        .filter(Q(failed__gt=0) | Q(rate_limited__gt=0) | Q(p95__gt=slow_p95_ms))
        .order_by("-failed", "-rate_limited", "npc_id")
    )
    result = []
    for row in rows:
        row["slow"] = row["p95"] is not None and row["p95"] > slow_p95_ms
        row["failure_rate"] = _rate(row["failed"], row["calls"])
        result.append(row)
    return result


@dataclass(frozen=True)
class RateLimitSnapshot:
    """NPCs at or over the LLM rate limit in Redis right now, or why Redis could not say."""

    npcs: list[dict]
    error: str = ""


def rate_limited_now(runtime: SyncRuntime | None = None, threshold: int | None = None) -> RateLimitSnapshot:
    """NPCs whose `ratelimit:llm:{npc_id}` counter is at or over the engine's limit, read through the
    runtime client (one place knows that key; its deadline keeps a slow Redis from hanging the page)."""
    threshold = settings.NPCADMIN_RUNTIME_LLM_RATE_LIMIT if threshold is None else threshold
    runtime = runtime or SyncRuntime()
    try:
        windows = runtime.rate_limits()
    except RuntimeUnavailable as exc:
        logger.warning("rate-limit counters unavailable: %s", exc)
        return RateLimitSnapshot([], error=f"Redis unreachable ({exc}); counters not shown.")
    counts = {w.npc_id: w.count for w in windows if w.count >= threshold}
    names = npc_names(counts)
    npcs = [{"npc_id": npc_id, "name": names.get(npc_id, "(unknown NPC)"), "count": count}
            for npc_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return RateLimitSnapshot(npcs)
