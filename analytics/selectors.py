"""What each dashboard reads: plain rows (lists of dicts) that `analytics.charts` draws.

Metric charts read `npc_metrics_hourly_by_world` and, for hourly buckets over every NPC, the world
rollup `npc_metrics_world_hourly` (5-minute buckets from raw samples only for ranges up to 6
hours); where those rows come from on each backend is `analytics.sources`. Event charts read the
engine's history tables. Every selector runs a fixed number of queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from analytics.filters import DashboardFilters
from analytics.sources import (  # noqa: F401  (re-exported: callers read hourly rows through here too)
    ORIGIN,
    HourlyParts,
    _fetch,
    _metric_filters,
    fine_source,
    hourly_parts,
    hourly_source,
    raw_baseline,
    raw_baseline_active,
    rollup_state,
    timescale_parts,
)
from analytics.storage import (
    BY_WORLD,
    HOURLY_COLUMN_NAMES,
    TIMESCALEDB,
    WORLD_COLUMN_NAMES,
    metrics_backend,
    world_select,
)

ADDITIVE = (
    "population", "wood", "clay", "iron", "wheat",
    "wood_production", "clay_production", "iron_production", "wheat_production",
    "offensive_power", "defensive_power", "total_troops", "villages",
)
MEAN = ("rank", "economic_efficiency", "military_efficiency", "diplomatic_score")
PRODUCTION = ("wood_production", "clay_production", "iron_production", "wheat_production")


def metric_subjects(*, npc_ids: Sequence[int] | None = None, world_id: str | None = None):
    """(npc_id, world_id, personality) of NPCs with a world state, first world first."""
    from npcs.models import NPCWorldState

    states = NPCWorldState.objects.order_by("npc_id", "id")
    if npc_ids is not None:
        states = states.filter(npc_id__in=npc_ids)
    if world_id:
        states = states.filter(world_id=world_id)
    return list(states.values_list("npc_id", "world_id", "npc__personality"))


def _source(filters: DashboardFilters, npc_ids=None, using="default") -> tuple[str, dict, float]:
    """The source for the filters' range and its base bucket length in hours."""
    time_range = filters.time_range
    npc_ids = npc_ids if npc_ids is not None else ([filters.npc_id] if filters.npc_id else None)
    if time_range.reads_raw:
        sql, params = fine_source(start=time_range.start, end=time_range.end,
                                  world_id=filters.world_id, npc_ids=npc_ids)
        return sql, params, 5 / 60
    start = time_range.start.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    sql, params = hourly_source(start=start, end=time_range.end, world_id=filters.world_id,
                                npc_ids=npc_ids, using=using)
    return sql, params, 1.0


def metric_series(filters: DashboardFilters, *, using: str = "default") -> list[dict]:
    """Per chart bucket: totals over NPCs (population, resources, production, army), mean rank and scores.

    `*_produced` are resources actually produced in the bucket, ≈ Σ hourly average rate × 1 h;
    `total_wood_produced` is the seed's column summed as it is (sum of rate samples, flaw 8).
    """
    if _reads_world_rollup(filters, using):
        return _with_derived(_world_metric_series(filters, using))
    sql, params, base_hours = _source(filters, using=using)
    params.update(bucket=filters.time_range.bucket, base_hours=base_hours)
    base_grain = filters.time_range.bucket == datetime.timedelta(hours=base_hours)
    if base_grain:
        # One source row per NPC, world and bucket already: no per-NPC regrouping (10x faster).
        per_npc = ",\n".join(
            [f"avg_{c} AS {c}" for c in (*ADDITIVE, *MEAN)]
            + [f"avg_{c} * %(base_hours)s AS {c.removesuffix('_production')}_produced" for c in PRODUCTION]
            + ["total_wood_produced", "samples"]
        )
        per_npc_sql = f"SELECT hour AS bucket, npc_id, {per_npc} FROM source"
    else:
        # Coarser buckets: each NPC's sample-weighted average over the bucket's hours first.
        per_npc = ",\n".join(
            [f"sum(avg_{c} * samples) / nullif(sum(samples) FILTER (WHERE avg_{c} IS NOT NULL), 0) AS {c}"
             for c in (*ADDITIVE, *MEAN)]
            + [f"sum(avg_{c}) * %(base_hours)s AS {c.removesuffix('_production')}_produced" for c in PRODUCTION]
            + ["sum(total_wood_produced) AS total_wood_produced", "sum(samples) AS samples"]
        )
        per_npc_sql = (f"SELECT date_bin(%(bucket)s, hour, {ORIGIN}) AS bucket, npc_id, world_id, {per_npc} "
                       "FROM source GROUP BY 1, 2, 3")
    outer = ",\n".join(
        [f"sum({c})::double precision AS {c}" for c in ADDITIVE]
        + [f"avg({c}) AS {'avg_' + c if c == 'rank' else c}" for c in MEAN]
        + [f"sum({c.removesuffix('_production')}_produced)::double precision AS "
           f"{c.removesuffix('_production')}_produced" for c in PRODUCTION]
        + ["sum(total_wood_produced)::bigint AS total_wood_produced", "sum(samples)::bigint AS samples",
           "count(*) AS npcs"]
    )
    query = f"""
        WITH source AS ({sql}),
        per_npc AS ({per_npc_sql})
        SELECT bucket, {outer} FROM per_npc GROUP BY bucket ORDER BY bucket
    """
    return _with_derived(_fetch(query, params, using))


def _with_derived(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["production_rate"] = sum(row[c] or 0 for c in PRODUCTION)
        row["military_power"] = (row["offensive_power"] or 0) + (row["defensive_power"] or 0)
    return rows


def _reads_world_rollup(filters: DashboardFilters, using: str) -> bool:
    """Hourly buckets over every NPC (of a world or all): the world-level rollup answers them."""
    time_range = filters.time_range
    return not filters.npc_id and not time_range.reads_raw and time_range.bucket == datetime.timedelta(hours=1)


def _world_metric_series(filters: DashboardFilters, using: str) -> list[dict]:
    """`metric_series` at hourly grain from `npc_metrics_world_hourly` (+ the raw tail, grouped per world).

    The same numbers as summing the NPC-hour rows: totals are sums of the worlds' sums, means
    over NPCs are Σ sum_x / Σ n_x (what avg() over the NPC rows computes).
    """
    time_range = filters.time_range
    start = time_range.start.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    parts = hourly_parts(start=start, end=time_range.end, world_id=filters.world_id, using=using)
    columns = ", ".join(WORLD_COLUMN_NAMES)
    queries = [world_select(f"({raw})") for raw in parts.raw]
    if parts.rolled_where is not None:
        queries.insert(0, f"SELECT {columns} FROM npc_metrics_world_hourly WHERE {parts.rolled_where}")
    source = "\nUNION ALL\n".join(f"({q})" for q in queries)
    outer = ",\n".join(
        [f"sum(sum_{c})::double precision AS {c}" for c in ADDITIVE]
        + [f"sum(sum_{c}) / nullif(sum(n_{c}), 0) AS {'avg_' + c if c == 'rank' else c}" for c in MEAN]
        + [f"sum(sum_{c})::double precision AS {c.removesuffix('_production')}_produced" for c in PRODUCTION]
        + ["sum(total_wood_produced)::bigint AS total_wood_produced", "sum(samples)::bigint AS samples",
           "sum(npcs)::bigint AS npcs"]
    )
    query = f"WITH source AS ({source}) SELECT hour AS bucket, {outer} FROM source GROUP BY hour ORDER BY hour"
    return _fetch(query, parts.params, using)


def latest_standings(filters: DashboardFilters, *, using: str = "default") -> list[dict]:
    """Each NPC's most recent hour in the range: rank, population, production, army, with name."""
    if _standings_fast(filters, using):
        source, params = _latest_hour_per_npc_source(filters, using)
    else:
        source, params, _ = _source(filters, using=using)
    query = f"""
        WITH source AS ({source}),
        latest AS (
            SELECT DISTINCT ON (npc_id) npc_id, world_id, hour, avg_rank, avg_population,
                   coalesce(avg_wood_production, 0) + coalesce(avg_clay_production, 0)
                     + coalesce(avg_iron_production, 0) + coalesce(avg_wheat_production, 0) AS production_rate,
                   coalesce(avg_offensive_power, 0) + coalesce(avg_defensive_power, 0) AS military_power
            FROM source ORDER BY npc_id, hour DESC
        )
        SELECT l.npc_id, coalesce(n.name, 'NPC #' || l.npc_id || ' (deleted)') AS name, n.personality, n.tribe,
               l.world_id, l.hour,
               round(l.avg_rank::numeric, 1)::double precision AS rank,
               round(l.avg_population::numeric)::bigint AS population,
               round(l.production_rate::numeric)::bigint AS production_rate,
               round(l.military_power::numeric)::bigint AS military_power
        FROM latest l LEFT JOIN npcs n ON n.id = l.npc_id
        ORDER BY l.avg_population DESC NULLS LAST, l.npc_id
    """
    return _fetch(query, params, using)


def _standings_fast(filters: DashboardFilters, using: str) -> bool:
    return not filters.time_range.reads_raw


def _latest_hour_per_npc_source(filters: DashboardFilters, using: str) -> tuple[str, dict]:
    """Hourly rows holding each NPC's latest rolled-up hour in the range, plus every raw-tail hour.

    Only the latest hour per NPC matters to `latest_standings`, so instead of reading every NPC-hour
    of the range it probes `npc_metrics_hourly_npc_id_hour_idx` once per NPC (the NPC ids by a
    skip scan of the same index): ~1 000 index probes instead of 360 000 rows for 30 days.
    """
    time_range = filters.time_range
    start = time_range.start.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    npc_ids = [filters.npc_id] if filters.npc_id else None
    table = BY_WORLD
    if metrics_backend(using) == TIMESCALEDB and not raw_baseline_active():
        # The real-time view would aggregate the raw tail again inside each of ~1 000 probes
        # (44 s at 21.6M samples): probe the materialization table, add the tail once.
        table, parts = timescale_parts(start=start, end=time_range.end, world_id=filters.world_id,
                                       npc_ids=npc_ids, using=using)
    else:
        parts = hourly_parts(start=start, end=time_range.end, world_id=filters.world_id, npc_ids=npc_ids,
                             using=using)
    queries = list(parts.raw)
    if parts.rolled_where is not None:
        columns = ", ".join(f"h.{c}" for c in HOURLY_COLUMN_NAMES)
        # With a world, both the skip scan and the probes use (world_id, npc_id, hour DESC).
        in_world = " AND m.world_id = %(world_id)s" if filters.world_id else ""
        queries.insert(0, f"""
            WITH RECURSIVE npc AS (
                (SELECT m.npc_id FROM {table} m WHERE true{in_world} ORDER BY m.npc_id LIMIT 1)
                UNION ALL
                SELECT (SELECT m.npc_id FROM {table} m WHERE m.npc_id > npc.npc_id{in_world}
                        ORDER BY m.npc_id LIMIT 1)
                FROM npc WHERE npc.npc_id IS NOT NULL
            )
            SELECT {columns} FROM npc CROSS JOIN LATERAL (
                SELECT * FROM {table} h0
                WHERE h0.npc_id = npc.npc_id AND {parts.rolled_where}
                ORDER BY h0.hour DESC, h0.world_id LIMIT 1
            ) h""")
    return "\nUNION ALL\n".join(f"({q})" for q in queries), parts.params


def _event_filters(filters: DashboardFilters, time_column: str, params: dict, npc_column: str = "npc_id",
                   alias: str = "") -> str:
    """WHERE clause for the range, world and NPC filters on an event table (`alias.` prefixes columns)."""
    prefix = f"{alias}." if alias else ""
    params.update(start=filters.time_range.start, end=filters.time_range.end)
    where = f"WHERE {prefix}{time_column} >= %(start)s AND {prefix}{time_column} < %(end)s"
    if filters.world_id:
        where += f" AND {prefix}world_id = %(world_id)s"
        params["world_id"] = filters.world_id
    if filters.npc_id:
        where += f" AND {prefix}{npc_column} = %(npc_id)s"
        params["npc_id"] = filters.npc_id
    return where


def npc_timeline_events(filters: DashboardFilters, *, using: str = "default") -> list[dict]:
    """Battles, treaties signed/broken and strategy changes of the filtered NPC, oldest first."""
    params: dict = {}
    battle_where = _event_filters(filters, "occurred_at", params)
    memory_where = battle_where  # same columns in npc_memory
    decision_where = battle_where.replace("occurred_at", "created_at")
    query = f"""
        SELECT occurred_at AS time, 'battle' AS kind,
               coalesce(result, 'unknown') || ' (' || coalesce(battle_type, 'battle') || ')' AS label,
               resources_gained - resources_lost AS value
        FROM npc_battle_history {battle_where}
        UNION ALL
        SELECT occurred_at, 'treaty',
               replace(memory_type, '_', ' ') || coalesce(': ' || (event_data->>'treaty_type'), '')
                 || coalesce(' with ' || (event_data->>'partner'), ''), NULL
        FROM npc_memory {memory_where} AND memory_type IN ('treaty_signed', 'treaty_broken')
        UNION ALL
        SELECT created_at, 'strategy',
               'strategy: ' || coalesce(final_decision->>'strategy', final_decision->>'action', 'changed'), NULL
        FROM npc_decisions {decision_where} AND decision_type = 'strategic'
        ORDER BY 1
        LIMIT 2000
    """
    return _fetch(query, params, using)


def battle_stats(filters: DashboardFilters, *, using: str = "default") -> list[dict]:
    """Per personality and tribe: battles, win rate, prediction accuracy and hit rate, resources."""
    params: dict = {}
    where = _event_filters(filters, "occurred_at", params, alias="b")
    query = f"""
        SELECT n.personality, n.tribe, count(*) AS battles,
               count(*) FILTER (WHERE b.result = 'victory') AS victories,
               count(*) FILTER (WHERE b.result = 'victory')::double precision
                 / nullif(count(*) FILTER (WHERE b.result IS NOT NULL), 0) AS win_rate,
               avg(b.prediction_accuracy) AS avg_prediction_accuracy,
               count(*) FILTER (WHERE b.prediction_made->>'predicted_result' = b.result)::double precision
                 / nullif(count(*) FILTER (WHERE b.prediction_made ? 'predicted_result'
                                           AND b.result IS NOT NULL), 0) AS prediction_hit_rate,
               sum(b.resources_gained)::bigint AS resources_gained, sum(b.resources_lost)::bigint AS resources_lost
        FROM npc_battle_history b JOIN npcs n ON n.id = b.npc_id {where}
        GROUP BY n.personality, n.tribe ORDER BY n.personality, n.tribe
    """
    return _fetch(query, params, using)


def battle_series(filters: DashboardFilters, *, using: str = "default") -> list[dict]:
    params: dict = {"bucket": filters.time_range.event_bucket}
    where = _event_filters(filters, "occurred_at", params)
    query = f"""
        SELECT date_bin(%(bucket)s, occurred_at, {ORIGIN}) AS bucket, count(*) AS battles,
               sum(resources_gained)::bigint AS resources_gained, sum(resources_lost)::bigint AS resources_lost
        FROM npc_battle_history {where} GROUP BY 1 ORDER BY 1
    """
    return _fetch(query, params, using)


def trade_series(filters: DashboardFilters, *, using: str = "default") -> list[dict]:
    """Trades per bucket and status."""
    params: dict = {"bucket": filters.time_range.event_bucket}
    where = _event_filters(filters, "created_at", params)
    query = f"""
        SELECT date_bin(%(bucket)s, created_at, {ORIGIN}) AS bucket, coalesce(trade_status, 'unknown') AS status,
               count(*) AS trades
        FROM npc_trade_history {where} GROUP BY 1, 2 ORDER BY 1, 2
    """
    return _fetch(query, params, using)


def trade_rates(filters: DashboardFilters, *, limit: int = 2000, using: str = "default") -> list[dict]:
    """Exchange rate against the market rate of the most recent trades (a sample for the scatter)."""
    params: dict = {"limit": limit}
    where = _event_filters(filters, "created_at", params, alias="t")
    query = f"""
        SELECT t.id AS trade, t.npc_id, n.personality, t.offered_resource, t.requested_resource,
               t.exchange_rate, t.market_rate_at_time AS market_rate, t.profit_margin
        FROM npc_trade_history t LEFT JOIN npcs n ON n.id = t.npc_id
        {where} AND t.exchange_rate IS NOT NULL AND t.market_rate_at_time IS NOT NULL
        ORDER BY t.created_at DESC, t.id DESC LIMIT %(limit)s
    """
    return _fetch(query, params, using)


def profit_by(filters: DashboardFilters, *, group: str, limit: int = 20, using: str = "default") -> list[dict]:
    """Average profit margin of completed trades by personality, or by NPC (best and worst)."""
    params: dict = {"limit": limit}
    where = _event_filters(filters, "created_at", params, alias="t")
    where += " AND t.profit_margin IS NOT NULL"
    if group == "personality":
        query = f"""
            SELECT n.personality, count(*) AS trades, avg(t.profit_margin) AS avg_profit_margin,
                   sum(t.offered_amount)::bigint AS offered
            FROM npc_trade_history t JOIN npcs n ON n.id = t.npc_id {where}
            GROUP BY n.personality ORDER BY n.personality
        """
        return _fetch(query, params, using)
    query = f"""
        WITH per_npc AS (
            SELECT t.npc_id, n.name, n.personality, count(*) AS trades, avg(t.profit_margin) AS avg_profit_margin
            FROM npc_trade_history t JOIN npcs n ON n.id = t.npc_id {where}
            GROUP BY t.npc_id, n.name, n.personality
        )
        (SELECT *, 'best' AS side FROM per_npc ORDER BY avg_profit_margin DESC, npc_id LIMIT %(limit)s)
        UNION ALL
        (SELECT *, 'worst' FROM per_npc ORDER BY avg_profit_margin ASC, npc_id LIMIT %(limit)s)
    """
    return _fetch(query, params, using)


def message_stats(filters: DashboardFilters, *, using: str = "default") -> list[dict]:
    """Per message type: sent, response rate, positive share of responses, objective achieved rate."""
    params: dict = {}
    where = _event_filters(filters, "sent_at", params, npc_column="from_npc_id")
    query = f"""
        SELECT coalesce(message_type, 'unknown') AS message_type, count(*) AS sent,
               count(*) FILTER (WHERE response_received)::double precision / count(*) AS response_rate,
               count(*) FILTER (WHERE response_positive)::double precision
                 / nullif(count(*) FILTER (WHERE response_received AND response_positive IS NOT NULL), 0)
                 AS positive_rate,
               count(*) FILTER (WHERE objective_achieved)::double precision
                 / nullif(count(*) FILTER (WHERE objective_achieved IS NOT NULL), 0) AS success_rate
        FROM npc_messages {where} GROUP BY 1 ORDER BY 1
    """
    return _fetch(query, params, using)


DEFAULT_GRAPH_TOP = 40  # the world view's NPCs when `top` is not given: the readable core


def relationship_graph(filters: DashboardFilters, *, limit: int = 400, using: str = "default") -> dict:
    """Nodes (NPCs with their alliance, other players) and trust edges of one world's current relationships.

    Edges are the `limit` strongest by |trust|, filtered by type, minimum |trust|, alliance (either
    end in it) and NPC (its neighbourhood: its own relationships and those towards it); a target
    whose player id belongs to an NPC of the world is drawn as that NPC. The world view (no NPC)
    shows relationships between NPCs only unless `players=1`, and keeps the edges of the `top`
    NPCs with the most edges (default 40): the readable core of a busy world.
    """
    params: dict = {"world_id": filters.world_id, "limit": limit,
                    "min_trust": int(filters.get("min_trust", 0) or 0)}
    where = "r.world_id = %(world_id)s AND abs(r.trust_score) >= %(min_trust)s"
    if filters.get("relationship_type"):
        where += " AND r.relationship_type = %(relationship_type)s"
        params["relationship_type"] = filters.get("relationship_type")
    if filters.npc_id:
        where += " AND (r.npc_id = %(npc_id)s OR t.npc_id = %(npc_id)s)"
        params["npc_id"] = filters.npc_id
    if not filters.npc_id and filters.get("players") != "1":
        where += " AND t.npc_id IS NOT NULL"  # the world view: NPC to NPC unless asked for the others
    if filters.get("alliance") not in (None, ""):
        where += " AND (s.alliance_id = %(alliance)s OR t.alliance_id = %(alliance)s)"
        params["alliance"] = int(filters.get("alliance"))
    edges = _fetch(f"""
        SELECT r.npc_id AS source_npc, r.target_player_id, t.npc_id AS target_npc, r.trust_score,
               r.relationship_type
        FROM npc_relationships r
        LEFT JOIN npc_world_state s ON s.world_id = r.world_id AND s.npc_id = r.npc_id
        LEFT JOIN npc_world_state t ON t.world_id = r.world_id AND t.player_id = r.target_player_id
        WHERE {where}
        ORDER BY abs(r.trust_score) DESC, r.id LIMIT %(limit)s
    """, params, using)
    top = int(filters.get("top") or DEFAULT_GRAPH_TOP)
    if top and not filters.npc_id:
        degree: dict[int, int] = {}
        for e in edges:
            for npc in (e["source_npc"], e["target_npc"]):
                if npc:
                    degree[npc] = degree.get(npc, 0) + 1
        keep = set(sorted(degree, key=lambda n: (-degree[n], n))[:top])
        edges = [e for e in edges if e["source_npc"] in keep and (e["target_npc"] is None or e["target_npc"] in keep)]
    npc_ids = sorted({e["source_npc"] for e in edges} | {e["target_npc"] for e in edges if e["target_npc"]}
                     | ({filters.npc_id} if filters.npc_id else set()))
    nodes = _fetch("""
        SELECT s.npc_id, n.name, n.personality, s.player_id, s.alliance_id, a.name AS alliance
        FROM npc_world_state s JOIN npcs n ON n.id = s.npc_id
        LEFT JOIN npc_alliances a ON a.world_id = s.world_id AND a.alliance_id = s.alliance_id
        WHERE s.world_id = %(world_id)s AND s.npc_id = ANY(%(ids)s) ORDER BY s.npc_id
    """, {"world_id": filters.world_id, "ids": npc_ids}, using)
    players = sorted({e["target_player_id"] for e in edges if not e["target_npc"]})
    return {"edges": edges, "npcs": nodes, "players": players, "focus": filters.npc_id}


def alliances_in_world(world_id: str, *, using: str = "default") -> list[tuple[int, str]]:
    """(alliance id, "[TAG] Name (#id)") of a world's alliances: the graph's alliance filter."""
    rows = _fetch("SELECT alliance_id, tag, name FROM npc_alliances WHERE world_id = %(w)s ORDER BY name, alliance_id",
                  {"w": world_id}, using)
    return [(r["alliance_id"], f"[{r['tag']}] {r['name']} (#{r['alliance_id']})") for r in rows]


def nav_count_samples(using: str = "default") -> tuple[int, str]:
    """The dashboard's Analytics card: metric samples of the last hour (time-indexed, partition-pruned)."""
    rows = _fetch("SELECT count(*) AS n FROM npc_metrics WHERE time >= now() - interval '1 hour'", {}, using)
    return rows[0]["n"], "metric samples in the last hour"


ANNOTATION_SLOTS = 30  # at most this many markers per kind on a time axis


def annotations(filters: DashboardFilters, *, slots: int = ANNOTATION_SLOTS, using: str = "default") -> list[dict]:
    """Events to mark on every time axis: battles, treaties signed/broken, alliance events,
    behaviour-template changes (and, for one NPC, its strategic decisions) of the filtered
    world/NPC, in one query.

    Bounded: the range is cut into `slots` equal slots and each (slot, kind) is one row — the
    event itself when it is alone (`label` says what happened), else a count ("14 battles") at the
    slot's first event. So a busy world gives at most 4 × `slots` markers, never thousands.
    """
    params: dict = {"slots": slots}
    where = _event_filters(filters, "occurred_at", params)  # npcs has none of these columns: no prefix needed
    strategy = ""
    if filters.npc_id:  # strategic decisions of one NPC (a world's would scan its whole decision log)
        strategy = f"""
            UNION ALL
            SELECT created_at, 'strategy', 'strategy: ' || coalesce(final_decision->>'strategy',
                   final_decision->>'action', 'changed')
            FROM npc_decisions {where.replace("occurred_at", "created_at")} AND decision_type = 'strategic'"""
    template_where = "WHERE h.changed_at >= %(start)s AND h.changed_at < %(end)s"
    if filters.npc_id:
        template_where += " AND h.npc_id = %(npc_id)s"
    if filters.world_id:
        template_where += (" AND EXISTS (SELECT 1 FROM npc_world_state s"
                           " WHERE s.npc_id = h.npc_id AND s.world_id = %(world_id)s)")
    query = f"""
        WITH events AS (
            SELECT occurred_at AS time, 'battle' AS kind,
                   n.name || ' (#' || b.npc_id || '): ' || coalesce(result, 'unknown') || ' ('
                     || coalesce(battle_type, 'battle') || ')' AS label
            FROM npc_battle_history b LEFT JOIN npcs n ON n.id = b.npc_id {where}
            UNION ALL
            SELECT occurred_at, CASE WHEN memory_type = 'alliance_event' THEN 'alliance' ELSE 'treaty' END,
                   n.name || ' (#' || m.npc_id || '): ' || replace(memory_type, '_', ' ')
                     || coalesce(': ' || (event_data->>'treaty_type'), '')
            FROM npc_memory m LEFT JOIN npcs n ON n.id = m.npc_id {where}
              AND memory_type IN ('treaty_signed', 'treaty_broken', 'alliance_event')
            UNION ALL
            SELECT h.changed_at, 'template',
                   n.name || ' (#' || h.npc_id || '): template v' || h.version
                     || coalesce(nullif(' — ' || h.reason, ' — '), '')
            FROM npc_template_history h LEFT JOIN npcs n ON n.id = h.npc_id {template_where}
            {strategy}
        ), slotted AS (
            SELECT kind, time, label,
                   width_bucket(extract(epoch FROM time), extract(epoch FROM %(start)s::timestamptz),
                                extract(epoch FROM %(end)s::timestamptz), %(slots)s) AS slot
            FROM events
        )
        SELECT kind, min(time) AS time, count(*) AS events,
               CASE WHEN count(*) = 1 THEN min(label) END AS label
        FROM slotted GROUP BY kind, slot ORDER BY min(time), kind
    """
    return _fetch(query, params, using)
