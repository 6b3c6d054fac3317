"""Writing the demo world into the global database: plan, COPY, then derive what depends on the rows."""

from __future__ import annotations

import datetime
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from npcadmin import demo as demo_registry
from npcs import partitions
from npcs.demo import world
from npcs.models import NPC, NPCAlliance, NPCWorldState

DEMO_NOTE = "Demo NPC created by `manage.py seed_demo`; `seed_demo --reset` deletes it."
DEFAULT_SEED = 2025
CHUNK = 50  # NPCs whose histories are generated and copied together (bounds memory, paces the bar)
ADVISORY_LOCK = 0x5EED_DE30  # one seed_demo at a time per database

# Columns written by COPY, per table; every other column gets its database default.
COLUMNS = {
    "npc_world_state": (
        "npc_id", "world_id", "player_id", "rank", "total_population", "village_count", "total_wood", "total_clay",
        "total_iron", "total_wheat", "offensive_power", "defensive_power", "total_troops", "production_rate_wood",
        "production_rate_clay", "production_rate_iron", "production_rate_wheat", "current_strategy",
        "strategic_goal", "threat_level", "alliance_id", "alliance_role", "state_updated_at", "last_login"),
    "npc_relationships": (
        "npc_id", "target_player_id", "world_id", "trust_score", "relationship_type", "total_interactions",
        "last_interaction_type", "last_interaction_at", "battles_won_against", "battles_lost_against",
        "resources_raided_from", "resources_lost_to", "treaties_active", "messages_sent", "messages_received",
        "known_villages", "known_army_composition", "activity_pattern", "predicted_next_action",
        "prediction_confidence", "predicted_at", "created_at", "updated_at"),
    "npc_memory": (
        "npc_id", "world_id", "memory_type", "event_data", "importance", "emotional_weight", "occurred_at",
        "game_day", "related_player_ids", "related_village_ids", "lesson_learned", "behavior_adjustment",
        "accessed_count", "last_accessed", "expires_at", "created_at"),
    "npc_decisions": (
        "npc_id", "world_id", "decision_type", "situation_summary", "used_llm", "llm_prompt", "llm_response",
        "llm_latency_ms", "rule_based_recommendation", "final_decision", "executed", "execution_started_at",
        "execution_completed_at", "execution_result", "outcome_measured", "outcome_success", "outcome_data",
        "decision_latency_ms", "decision_confidence", "created_at"),
    "npc_messages": (
        "id", "world_id", "from_npc_id", "to_player_id", "to_is_npc", "subject", "message_body", "message_type",
        "generated_by_llm", "llm_prompt", "generation_time_ms", "sent_at", "read_at", "replied_at",
        "reply_message_id", "response_received", "response_positive", "objective_achieved", "created_at"),
    "npc_battle_history": (
        "world_id", "npc_id", "battle_id", "battle_type", "attacker_id", "defender_id", "npc_role",
        "from_village_id", "to_village_id", "my_troops_sent", "my_troops_survived", "enemy_troops_estimated",
        "enemy_troops_killed", "result", "resources_gained", "resources_lost", "prediction_made",
        "prediction_accuracy", "tactical_lesson", "strategy_adjustment", "occurred_at", "created_at"),
    "npc_trade_history": (
        "world_id", "npc_id", "trade_id", "trade_type", "offered_resource", "offered_amount", "requested_resource",
        "requested_amount", "exchange_rate", "market_rate_at_time", "profit_margin", "partner_id",
        "partner_trustworthiness", "trade_status", "completed_at", "created_at"),
}
ARRAY_COLUMNS = {"related_player_ids", "related_village_ids"}
TABLES = ("npcs", "npc_alliances", *COLUMNS)


class DemoWorldError(Exception):
    """The demo world cannot be written as asked (the message says why and what to do)."""


class _Quiet:
    """A progress bar that shows nothing (the default when the caller passes none)."""

    def __init__(self, iterable=None, **_):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        pass

    def set_postfix_str(self, s=""):
        pass


Progress = Callable[..., object]


@dataclass
class SeedReport:
    """What `seed_demo_world` did (or, for a dry run, would do)."""

    requested: int
    existing: int = 0  # of the requested NPCs, those already present
    demo_total: int = 0  # demo NPCs in the database afterwards
    created: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def nothing_to_do(self) -> bool:
        return not self.created and not self.deleted


def demo_npcs():
    """The demo NPCs (selector): the rows `seed_demo` created and `--reset` deletes."""
    return NPC.objects.filter(notes=DEMO_NOTE)


def demo_alliances():
    """The demo alliances: an id in the demo range under the name the demo gives that id."""
    rows = NPCAlliance.objects.filter(alliance_id__gte=world.DEMO_ALLIANCE_BASE).only("id", "alliance_id", "name")
    ids = [a.id for a in rows if a.name == world.alliance_name(a.alliance_id)[0]]
    return NPCAlliance.objects.filter(id__in=ids)


def demo_counts() -> dict[str, int]:
    """Rows of each table that belong to the demo world (what `--reset` would delete)."""
    npc_ids = list(demo_npcs().values_list("id", flat=True))
    counts = {"npcs": len(npc_ids), "npc_alliances": demo_alliances().count()}
    with connection.cursor() as cursor:
        for table in COLUMNS:
            column = "from_npc_id" if table == "npc_messages" else "npc_id"
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {column} = ANY(%s)", [npc_ids])
            counts[table] = cursor.fetchone()[0]
    return counts


def reset_demo_world() -> dict[str, int]:
    """Delete every demo row; returns the rows deleted per table. Call inside a transaction."""
    counts = demo_counts()
    npc_ids = list(demo_npcs().values_list("id", flat=True))
    with connection.cursor() as cursor:
        # Messages and alliance leadership refuse the NPC's deletion (seed flaw 5), so they go first;
        # a reply written by someone else to a demo message only loses its link.
        cursor.execute("""UPDATE npc_messages SET reply_message_id = NULL
                          WHERE reply_message_id IN (SELECT id FROM npc_messages WHERE from_npc_id = ANY(%s))
                          AND (from_npc_id IS NULL OR from_npc_id <> ALL(%s))""", [npc_ids, npc_ids])
        cursor.execute("DELETE FROM npc_messages WHERE from_npc_id = ANY(%s)", [npc_ids])
        cursor.execute("UPDATE npc_alliances SET npc_leader_id = NULL WHERE npc_leader_id = ANY(%s)", [npc_ids])
        cursor.execute("DELETE FROM npc_alliances WHERE id = ANY(%s)",
                       [list(demo_alliances().values_list("id", flat=True))])
        # Everything else goes with the NPC (ON DELETE CASCADE in the database).
        cursor.execute("DELETE FROM npcs WHERE id = ANY(%s)", [npc_ids])
    return {table: n for table, n in counts.items() if n}


def seed_demo_world(*, npcs: int, reset: bool = False, rng_seed: int = DEFAULT_SEED, progress: Progress = _Quiet,
                    dry_run: bool = False, now: datetime.datetime | None = None) -> SeedReport:
    """Create the demo world's `npcs` NPCs and everything they did, adding only the NPCs that are missing.

    One transaction: a failure leaves the database as it was. With `reset`, the demo rows are
    deleted first (in the same transaction). NPCs already present by name are left untouched.
    """
    if npcs < 1:
        raise ValueError("npcs must be at least 1")
    started = time.monotonic()
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    worlds = list(settings.NPCADMIN_WORLDS)
    names = [world.demo_name(i)[0] for i in range(npcs)]
    report = SeedReport(requested=npcs, dry_run=dry_run)

    if dry_run:
        if reset:
            report.deleted = {t: n for t, n in demo_counts().items() if n}
        present = set() if reset else set(NPC.objects.filter(name__in=names).values_list("name", flat=True))
        report.existing, report.created = len(present), npcs - len(present)
        report.demo_total = (0 if reset else demo_npcs().count()) + report.created
        return report

    # Partitions first, in their own short transactions: memories must never land in the default one.
    first_month = partitions.month_start((now - datetime.timedelta(days=world.HISTORY_DAYS + 1)).date())
    months = [partitions.add_months(first_month, n) for n in range(5)]
    partitions.ensure_months([m for m in months if m <= now.date()])

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
            # Demo data can be made again: don't wait for ~100 MB of WAL to reach the disk at commit.
            # (A crash right after the commit could only lose this transaction, never corrupt anything.)
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if reset:
            report.deleted = reset_demo_world()
        present = set(NPC.objects.filter(name__in=names).values_list("name", flat=True))
        missing = [i for i, name in enumerate(names) if name not in present]
        report.existing = len(present)
        if missing:
            report.rows = _create(missing, seed=rng_seed, worlds=worlds, now=now, progress=progress)
            report.created = len(missing)
        report.demo_total = demo_npcs().count()
    report.seconds = time.monotonic() - started
    return report


def _create(indexes: list[int], *, seed: int, worlds: list[str], now, progress: Progress) -> dict[str, int]:
    rows: Counter = Counter()
    plans = [world.plan_npc(i, seed=seed, worlds=worlds, now=now) for i in indexes]

    # Alliances: enough for the world's demo population, the missing ones created.
    per_world = Counter(s["world_id"] for s in NPCWorldState.objects.filter(npc__notes=DEMO_NOTE)
                        .values("world_id"))
    per_world.update(s["world_id"] for plan in plans for s in plan.world_states)
    alliances = {w: world.alliance_count(per_world[w]) for w in worlds}
    for plan in plans:
        world.join_alliances(plan, alliances)
    have = set(NPCAlliance.objects.values_list("world_id", "alliance_id"))
    new_alliances = []
    for w in worlds:
        ids = [world.DEMO_ALLIANCE_BASE + j for j in range(alliances[w])]
        new_alliances += [NPCAlliance(**world.alliance_row(w, a, seed=seed, alliance_ids=ids, now=now))
                          for a in ids if (w, a) not in have]
    NPCAlliance.objects.bulk_create(new_alliances)
    rows["npc_alliances"] = len(new_alliances)

    created = NPC.objects.bulk_create([NPC(notes=DEMO_NOTE, **plan.npc) for plan in plans], batch_size=500)
    npc_ids = {plan.index: npc.pk for plan, npc in zip(plans, created, strict=True)}
    rows["npcs"] = len(created)
    states = [{"npc_id": npc_ids[plan.index], **s} for plan in plans for s in plan.world_states]
    taken = set(NPCWorldState.objects.filter(player_id__in={s["player_id"] for s in states})
                .values_list("world_id", "player_id"))
    clashes = sorted({(s["world_id"], s["player_id"]) for s in states} & taken)
    if clashes:
        world_id, player_id = clashes[0]
        raise DemoWorldError(f"{len(clashes)} demo player id(s) already belong to other NPCs (first: player "
                             f"{player_id} in world {world_id}); demo NPCs use player ids from "
                             f"{world.NPC_PLAYER_BASE}. Seed the demo into another database.")
    rows["npc_world_state"] = _copy("npc_world_state", states)

    rosters, humans = _rosters(worlds)
    with progress(total=len(plans), desc="Demo NPC histories", unit="npc") as bar:
        for start in range(0, len(plans), CHUNK):
            chunk = plans[start:start + CHUNK]
            histories = [world.npc_history(plan, npc_ids[plan.index], seed=seed, rosters=rosters, humans=humans,
                                           now=now) for plan in chunk]
            for table, n in _write(histories).items():
                rows[table] += n
            bar.update(len(chunk))

    _settle_alliances(worlds)
    _rank_world_states()
    _count_npc_activity(list(npc_ids.values()))
    return dict(rows)


def _rosters(worlds: list[str]) -> tuple[dict[str, list[world.Player]], dict[str, int]]:
    """Every demo NPC a new NPC can meet in each world, and how many human players each world has."""
    rosters: dict[str, list[world.Player]] = defaultdict(list)
    states = (NPCWorldState.objects.filter(npc__notes=DEMO_NOTE)
              .values_list("world_id", "player_id", "npc_id", "npc__name", "npc__tribe", "alliance_id",
                           "village_count", "npc__last_active").order_by("world_id", "player_id"))
    for world_id, *player in states:
        rosters[world_id].append(world.Player(*player))
    room = world.NPC_PLAYER_BASE - world.HUMAN_PLAYER_BASE  # human ids stay below the NPCs' ids
    humans = {w: min(room, max(60, 2 * len(rosters[w]))) for w in worlds}
    return {w: rosters[w] for w in worlds}, humans


def _write(histories: list[world.History]) -> dict[str, int]:
    rows = {
        "npc_relationships": [r for h in histories for r in h.relationships],
        "npc_memory": [r for h in histories for r in h.memories],
        "npc_decisions": [r for h in histories for r in h.decisions],
        "npc_battle_history": [r for h in histories for r in h.battles],
        "npc_trade_history": [r for h in histories for r in h.trades],
    }
    # Every month a memory is written in gets its partition first: none may wait in the default one.
    partitions.ensure_months(sorted({partitions.month_start(r["occurred_at"].astimezone(datetime.UTC).date())
                                     for r in rows["npc_memory"]}))
    pairs = [pair for h in histories for pair in h.messages]
    replies = [reply for _, reply in pairs if reply]
    ids = iter(_next_ids("npc_messages", len(pairs) + len(replies)))
    for message, reply in pairs:
        message["id"] = next(ids)
        if reply:
            reply["id"] = next(ids)
            message["reply_message_id"] = reply["id"]
    # A reply must exist before the message that points at it (the foreign key is checked per row).
    rows["npc_messages"] = replies + [message for message, _ in pairs]
    return {table: _copy(table, table_rows) for table, table_rows in rows.items()}


def _next_ids(table: str, n: int) -> list[int]:
    if not n:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
        return [row[0] for row in cursor.fetchall()]


def _copy(table: str, rows: Iterable[dict]) -> int:
    """COPY rows (dicts keyed by column) into `table`; JSON values as jsonb, id lists as integer[]."""
    columns = COLUMNS[table]
    json_columns = [i for i, c in enumerate(columns) if c not in ARRAY_COLUMNS]
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            values = [row[c] for c in columns]
            for i in json_columns:
                if isinstance(values[i], dict | list):
                    values[i] = Jsonb(values[i])
            copy.write_row(values)
            count += 1
    return count


def _settle_alliances(worlds: list[str]) -> None:
    """Members, leaders and totals of the demo alliances, derived from the demo NPCs' world states."""
    alliances = list(demo_alliances())
    states = list(NPCWorldState.objects.filter(npc__notes=DEMO_NOTE, alliance_id__isnull=False)
                  .select_related("npc").order_by("-total_population", "player_id"))
    members = defaultdict(list)
    for state in states:
        members[state.world_id, state.alliance_id].append(state)
    changed_states = []
    for alliance in alliances:
        crew = members[alliance.world_id, alliance.alliance_id]
        humans = max(0, alliance.total_members - alliance.npc_members)
        if crew and alliance.npc_leader_id is None and world.alliance_is_npc_led(alliance.world_id,
                                                                                  alliance.alliance_id):
            leader = max(crew, key=lambda s: s.total_population * (0.5 + s.npc.behavior_template["diplomacy"]))
            alliance.npc_leader_id = leader.npc_id
            leader.alliance_role = "leader"
            changed_states.append(leader)
            for deputy in [s for s in crew if s is not leader][:2]:
                deputy.alliance_role = "co-leader"
                changed_states.append(deputy)
        alliance.npc_members = len(crew)
        alliance.total_members = humans + len(crew)
        npc_population = sum(s.total_population for s in crew)
        npc_villages = sum(s.village_count for s in crew)
        # Human members are not in this database: count them as average members of the alliance.
        average = npc_population / len(crew) if crew else 1500
        alliance.total_population = round(npc_population + humans * average * 0.8)
        alliance.total_villages = npc_villages + round(humans * (npc_villages / len(crew) if crew else 3))
        alliance.updated_at = timezone.now()
    for w in worlds:
        ranked = sorted((a for a in alliances if a.world_id == w), key=lambda a: (-a.total_population, a.alliance_id))
        for rank, alliance in enumerate(ranked, start=1):
            alliance.total_rank = rank
    NPCAlliance.objects.bulk_update(alliances, ["npc_leader", "npc_members", "total_members", "total_population",
                                                "total_villages", "total_rank", "updated_at"])
    NPCWorldState.objects.bulk_update(changed_states, ["alliance_role"])


def _rank_world_states() -> None:
    """Ranks 1..N per world among the demo NPCs, by population (ties by player id)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE npc_world_state ws SET rank = ranked.rank
            FROM (SELECT s.id, row_number() OVER (PARTITION BY s.world_id
                                                  ORDER BY s.total_population DESC, s.player_id) AS rank
                  FROM npc_world_state s JOIN npcs n ON n.id = s.npc_id WHERE n.notes = %s) ranked
            WHERE ws.id = ranked.id AND ws.rank IS DISTINCT FROM ranked.rank""", [DEMO_NOTE])


def _count_npc_activity(npc_ids: list[int]) -> None:
    """The counters on `npcs`, computed from the rows themselves so they cannot disagree."""
    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE npcs n SET total_decisions_made = d.total, llm_calls_made = d.llm, last_decision = d.last
            FROM (SELECT npc_id, count(*) AS total, count(*) FILTER (WHERE used_llm) AS llm,
                         max(created_at) AS last
                  FROM npc_decisions WHERE npc_id = ANY(%s) GROUP BY npc_id) d
            WHERE n.id = d.npc_id""", [npc_ids])
        cursor.execute("""
            UPDATE npcs n SET battles_fought = b.total
            FROM (SELECT npc_id, count(*) AS total FROM npc_battle_history WHERE npc_id = ANY(%s)
                  GROUP BY npc_id) b
            WHERE n.id = b.npc_id""", [npc_ids])
        cursor.execute("""
            UPDATE npcs n SET villages_founded = v.total
            FROM (SELECT npc_id, sum(village_count - 1) AS total FROM npc_world_state WHERE npc_id = ANY(%s)
                  GROUP BY npc_id) v
            WHERE n.id = v.npc_id""", [npc_ids])


# --- Extension hooks ---------------------------------------------------------------------------

@dataclass(frozen=True)
class HookResult:
    module: str
    status: str  # "ran" or "failed"
    error: str = ""


def run_demo_hooks(*, reset: bool, rng_seed: int, note: Callable[[object], object] = lambda _: None
                   ) -> list[HookResult]:
    """Call every app's registered demo hook (`npcadmin.demo`) as
    `hook(npcs=, reset=, rng_seed=, progress=)`.

    `npcs` is the list of demo NPCs; `progress(x)` reports one step of a hook (a count or a
    message) through `note`. One failing hook does not stop the others; its error is returned.
    """
    npcs = list(demo_npcs().order_by("id"))
    results = []
    for name, hook in demo_registry.hooks():
        try:
            hook(npcs=npcs, reset=reset, rng_seed=rng_seed, progress=lambda step, name=name: note(f"{name}: {step}"))
        except Exception as exc:  # report and go on: the global demo data is already committed
            results.append(HookResult(name, "failed", f"{type(exc).__name__}: {exc}"))
        else:
            results.append(HookResult(name, "ran"))
    return results


# --- Demo login --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str | None  # None: the user existed before and its password is not ours to show
    created: bool


def demo_password_file() -> Path:
    """`<NPCADMIN_DATA_DIR>/demo-admin-password` (git-ignored, next to the private services' data)."""
    data_dir = getattr(settings, "NPCADMIN_DATA_DIR", None)
    if data_dir is None:
        from npcadmin.devservices import DATA_DIR as data_dir
    return Path(data_dir) / "demo-admin-password"


def ensure_demo_admin(*, username: str = "admin", password_file: Path | None = None) -> DemoLogin:
    """Make sure a superuser exists to log in with; never change an existing user's password.

    A new user gets a random password, stored (mode 600) so the next run can print it again;
    when the file survives a database reset, the same password is used for the new user.
    """
    password_file = password_file or demo_password_file()
    stored = password_file.read_text().strip() if password_file.exists() else None
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return DemoLogin(username, stored, created=False)
    password = stored or secrets.token_urlsafe(12)
    if not stored:
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.touch(mode=0o600)
        password_file.write_text(password + "\n")
    User.objects.create_superuser(username=username, email="", password=password)
    return DemoLogin(username, password, created=True)
