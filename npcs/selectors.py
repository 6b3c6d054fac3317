"""Reads of the global NPC database, returning querysets that already carry their joins."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from npcadmin.edits import edit_token, row_snapshot
from npcs.models import (
    NPC,
    NPCAlliance,
    NPCBattle,
    NPCDecision,
    NPCMemory,
    NPCMessage,
    NPCRelationship,
    NPCTemplateHistory,
    NPCTrade,
    NPCWorldState,
)
from npcs.models.npc import idle_q

# The world-state columns the console shows next to an NPC (strategy per world).
_WORLD_STATE_SUMMARY = ("id", "npc_id", "world_id", "current_strategy", "rank", "village_count")


def npc_names(npc_ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the given NPCs in one query (missing ids are absent); for pages whose rows live
    elsewhere (world databases, Redis) and carry only an `npc_id`."""
    ids = {int(i) for i in npc_ids if i is not None}
    if not ids:
        return {}
    return dict(NPC.objects.filter(pk__in=ids).values_list("pk", "name"))


@dataclass(frozen=True)
class Name:
    """Who an id is, as a person reads it: "Mira (#17)", "player #1042 (Oakford)", "[IRON] Iron Pact (#702)".

    `npc_id` is set when the id is an NPC (pages link it to the NPC's page)."""

    label: str
    npc_id: int | None = None

    def __str__(self) -> str:
        return self.label


@dataclass
class People:
    """Names for the NPC, player and alliance ids of one page, looked up together (`people_named`)."""

    npc_names: dict[int, str] = field(default_factory=dict)
    player_npcs: dict[tuple[str, int], tuple[int, str]] = field(default_factory=dict)
    alliance_names: dict[tuple[str, int], str] = field(default_factory=dict)
    player_hints: dict[tuple[str, int], str] = field(default_factory=dict)

    def npc(self, npc_id: int | None) -> Name:
        if npc_id is None:
            return Name("—")
        name = self.npc_names.get(npc_id)
        return Name(f"{name} (#{npc_id})" if name else f"NPC #{npc_id}", npc_id)

    def player(self, world_id: str, player_id: int | None) -> Name:
        """An NPC's name and NPC id when the player is an NPC of that world, else "player #id"
        with what the world database knows (its first village), if anything."""
        if player_id is None:
            return Name("—")
        npc = self.player_npcs.get((world_id, player_id))
        if npc:
            return Name(f"{npc[1]} (#{npc[0]})", npc[0])
        hint = self.player_hints.get((world_id, player_id))
        return Name(f"player #{player_id} ({hint})" if hint else f"player #{player_id}")

    def players(self, world_id: str, player_ids) -> list[Name]:
        return [self.player(world_id, p) for p in player_ids or ()]

    def alliance(self, world_id: str, alliance_id: int | None) -> Name:
        if alliance_id is None:
            return Name("—")
        name = self.alliance_names.get((world_id, alliance_id))
        return Name(f"{name} (#{alliance_id})" if name else f"alliance #{alliance_id}")

    def alliance_tag(self, world_id: str, alliance_id: int) -> Name:
        """The short form for narrow cells: "[IRON] #702" (the full name is `alliance`)."""
        name = self.alliance_names.get((world_id, alliance_id))
        return Name(f"{name.split(']')[0]}] #{alliance_id}" if name else f"alliance #{alliance_id}")

    def alliances(self, world_id: str, alliance_ids) -> list[Name]:
        return [self.alliance(world_id, a) for a in alliance_ids or ()]


STANCE_WORDS = {"allied_alliances": "allied", "nap_alliances": "non-aggression", "enemy_alliances": "enemy"}


def stance_ids(alliance: NPCAlliance) -> list[int]:
    stance = alliance.diplomatic_stance if isinstance(alliance.diplomatic_stance, dict) else {}
    return [i for key in STANCE_WORDS for i in stance.get(key) or () if isinstance(i, int)]


def stance_names(alliance: NPCAlliance, people: People) -> list[tuple[str, list[Name]]]:
    """[("allied", [Name, ...]), ...] of an alliance's diplomatic stance, lists that are empty left out."""
    stance = alliance.diplomatic_stance if isinstance(alliance.diplomatic_stance, dict) else {}
    return [(word, people.alliances(alliance.world_id, [i for i in stance.get(key) or () if isinstance(i, int)]))
            for key, word in STANCE_WORDS.items() if stance.get(key)]


def npc_name(npc: NPC | None) -> Name:
    """An NPC already loaded (select_related) as "Name (#id)"."""
    return Name(f"{npc.name} (#{npc.pk})", npc.pk) if npc is not None else Name("—")


def _pairs_q(pairs: dict[str, set[int]], id_field: str) -> Q:
    q = Q(pk__in=[])
    for world_id, ids in sorted(pairs.items()):
        q |= Q(world_id=world_id, **{f"{id_field}__in": sorted(ids)})
    return q


def _ids_by_world(pairs) -> dict[str, set[int]]:
    """(world_id, id) pairs grouped per world, the empty ones left out."""
    grouped: dict[str, set[int]] = {}
    for world_id, some_id in pairs:
        if world_id and some_id is not None:
            grouped.setdefault(world_id, set()).add(int(some_id))
    return grouped


def people_named(*, npc_ids: Iterable[int | None] = (), players: Iterable[tuple[str, int | None]] = (),
                 alliances: Iterable[tuple[str, int | None]] = (), world_hints: bool = False) -> People:
    """Every name a page needs in a fixed number of queries whatever its row count: one for NPC
    names, one for the players that are NPCs (`npc_world_state`), one for alliances, and one per
    world for the other players when `world_hints` (`npcadmin.names` resolvers; a world that is
    down only means "player #id"). Pages of global rows (the admin's changelists) leave the world
    databases alone; the NPC page, which reads them for villages anyway, asks for the hints."""
    from npcadmin import names as name_registry

    people = People()
    ids = {int(i) for i in npc_ids if i is not None}
    if ids:
        people.npc_names = dict(NPC.objects.filter(pk__in=ids).values_list("pk", "name"))
    by_world = _ids_by_world(players)
    if by_world:
        rows = NPCWorldState.objects.filter(_pairs_q(by_world, "player_id")).values_list(
            "world_id", "player_id", "npc_id", "npc__name")
        people.player_npcs = {(w, p): (n, name) for w, p, n, name in rows}
        if world_hints:
            for world_id, player_ids in sorted(by_world.items()):
                unknown = {p for p in player_ids if (world_id, p) not in people.player_npcs}
                if unknown:
                    for player_id, hint in name_registry.player_hints(world_id, unknown).items():
                        people.player_hints[(world_id, player_id)] = hint
    alliance_ids = _ids_by_world(alliances)
    if alliance_ids:
        rows = NPCAlliance.objects.filter(_pairs_q(alliance_ids, "alliance_id")).values_list(
            "world_id", "alliance_id", "tag", "name")
        people.alliance_names = {(w, a): f"[{tag}] {name}" for w, a, tag, name in rows}
    return people


def npcs_for_console() -> QuerySet[NPC]:
    """NPCs with their world states (strategy per world) prefetched in one extra query."""
    return NPC.objects.prefetch_related(
        Prefetch("world_states", queryset=NPCWorldState.objects.only(*_WORLD_STATE_SUMMARY).order_by("world_id"))
    )


# The values a game master edits; two edits conflict when one of them changed in between.
# Counters and timestamps are the engine's: they are not here, so the engine never refuses a save.
NPC_EDIT_FIELDS = ("name", "tribe", "personality", "behavior_template", "llm_temperature", "decision_cache_ttl",
                   "strategic_update_frequency", "active", "paused", "notes", "version")


def npc_edit_snapshot(npc: NPC) -> dict:
    """The values a game master edits (`NPC_EDIT_FIELDS`) as they are on `npc`."""
    return row_snapshot(npc, NPC_EDIT_FIELDS)


def npc_edit_token(npc: NPC) -> str:
    """The console's edit token (npcadmin.edits) over `npc_edit_snapshot`: the form carries it, the save checks it."""
    return edit_token(npc_edit_snapshot(npc))


def npc_template_history(*, npc_id: int) -> QuerySet[NPCTemplateHistory]:
    return NPCTemplateHistory.objects.filter(npc_id=npc_id).select_related("changed_by").order_by("-changed_at", "-id")


def npc_alliances(*, npc: NPC) -> QuerySet[NPCAlliance]:
    """Alliances the NPC leads or belongs to (via its world states' alliance ids)."""
    membership = Q(npc_leader=npc)
    for state in npc.world_states.all():
        if state.alliance_id is not None:
            membership |= Q(world_id=state.world_id, alliance_id=state.alliance_id)
    return NPCAlliance.objects.filter(membership).select_related("npc_leader").order_by("world_id", "name", "id")


@dataclass
class NPCOverview:
    """Everything the NPC page shows, each list short and recent."""

    npc: NPC
    world_states: list
    relationships: list
    memories: list
    decisions: list
    battles: list
    trades: list
    messages: list
    alliances: list
    history: list = field(default_factory=list)
    people: People = field(default_factory=People)


def npc_overview(*, npc_id: int, recent: int = 10) -> NPCOverview:
    """The NPC page: world states, relationships, recent logs and alliances (one query each)."""
    npc = NPC.objects.prefetch_related(
        Prefetch("world_states", queryset=NPCWorldState.objects.order_by("world_id"))
    ).get(pk=npc_id)
    overview = NPCOverview(
        npc=npc,
        world_states=list(npc.world_states.all()),
        relationships=list(NPCRelationship.objects.filter(npc_id=npc_id).order_by("-trust_score", "id")[:recent]),
        memories=list(NPCMemory.objects.filter(npc_id=npc_id).order_by("-occurred_at", "-id")[:recent]),
        decisions=list(NPCDecision.objects.filter(npc_id=npc_id).order_by("-created_at", "-id")[:recent]),
        battles=list(NPCBattle.objects.filter(npc_id=npc_id).order_by("-occurred_at", "-id")[:recent]),
        trades=list(NPCTrade.objects.filter(npc_id=npc_id).order_by("-created_at", "-id")[:recent]),
        messages=list(NPCMessage.objects.filter(from_npc_id=npc_id).order_by("-sent_at", "-id")[:recent]),
        alliances=list(npc_alliances(npc=npc)),
        history=list(npc_template_history(npc_id=npc_id)[:recent]),
    )
    attach_people(overview)
    return overview


def _opponent_id(battle: NPCBattle, player_ids: dict[str, int]) -> int | None:
    """The other side of a battle: the NPC is attacker or defender (its role, else its player id)."""
    if battle.npc_role == "attacker":
        return battle.defender_id
    if battle.npc_role == "defender":
        return battle.attacker_id
    own = player_ids.get(battle.world_id)
    return battle.defender_id if battle.attacker_id == own else battle.attacker_id


def name_memories_and_battles(*, memories=(), battles=(), own_players: dict[str, int] | None = None,
                              players=()) -> People:
    """Set `player_names` on memories and `opponent_id` / `opponent_name` on battles (one lookup,
    which also names `players`, (world, player id) pairs the page shows elsewhere): for pages of
    an NPC's memories and battles outside its overview (the mind pages)."""
    memories, battles = list(memories), list(battles)
    for battle in battles:
        battle.opponent_id = _opponent_id(battle, own_players or {})
    people = people_named(players=[(m.world_id, p) for m in memories for p in (m.related_player_ids or ())]
                          + [(b.world_id, b.opponent_id) for b in battles] + list(players))
    for memory in memories:
        memory.player_names = people.players(memory.world_id, memory.related_player_ids)
    for battle in battles:
        battle.opponent_name = people.player(battle.world_id, battle.opponent_id)
    return people


def attach_people(overview: NPCOverview) -> None:
    """Name every player and alliance the NPC page shows (one `people_named` for the page) and set
    `target_name` / `recipient_name` / `opponent_name` / `partner_name` / `player_names` on its rows."""
    own = {s.world_id: s.player_id for s in overview.world_states}
    for battle in overview.battles:
        battle.opponent_id = _opponent_id(battle, own)
    players = [(r.world_id, r.target_player_id) for r in overview.relationships]
    players += [(m.world_id, m.to_player_id) for m in overview.messages]
    players += [(b.world_id, b.opponent_id) for b in overview.battles]
    players += [(t.world_id, t.partner_id) for t in overview.trades]
    players += [(m.world_id, p) for m in overview.memories for p in (m.related_player_ids or ())]
    alliances = [(s.world_id, s.alliance_id) for s in overview.world_states]
    alliances += [(a.world_id, i) for a in overview.alliances for i in stance_ids(a)]
    people = overview.people = people_named(players=players, alliances=alliances, world_hints=True)
    for r in overview.relationships:
        r.target_name = people.player(r.world_id, r.target_player_id)
    for m in overview.messages:
        m.recipient_name = people.player(m.world_id, m.to_player_id)
    for b in overview.battles:
        b.opponent_name = people.player(b.world_id, b.opponent_id)
    for t in overview.trades:
        t.partner_name = people.player(t.world_id, t.partner_id)
    for m in overview.memories:
        m.player_names = people.players(m.world_id, m.related_player_ids)
    for a in overview.alliances:
        a.leader_name = npc_name(a.npc_leader) if a.npc_leader_id else None
        a.stance_names = stance_names(a, people)
    for s in overview.world_states:
        s.alliance_name = people.alliance(s.world_id, s.alliance_id) if s.alliance_id is not None else None


def console_dashboard_counts(*, idle_hours: float = 24) -> dict[str, int]:
    """The numbers on the console's home page (NPCs are few; the decision count uses its index)."""
    since = timezone.now() - datetime.timedelta(hours=1)
    counts = NPC.objects.aggregate(
        active_npcs=Count("id", filter=Q(active=True, paused=False)),
        paused_npcs=Count("id", filter=Q(paused=True)),
        inactive_npcs=Count("id", filter=Q(active=False)),
        idle_npcs=Count("id", filter=idle_q(hours=idle_hours)),
    )
    counts["decisions_last_hour"] = NPCDecision.objects.filter(created_at__gte=since).count()
    counts["idle_hours"] = idle_hours
    return counts


def nav_count_npcs() -> tuple[int, str]:
    """The dashboard's NPCs card (npcadmin.navigation)."""
    counts = console_dashboard_counts()
    return counts["active_npcs"], f"active · {counts['paused_npcs']} paused"


def nav_count_decisions() -> tuple[int, str]:
    """The dashboard's Mind card: decisions taken in the last hour (uses the created_at index)."""
    since = timezone.now() - datetime.timedelta(hours=1)
    return NPCDecision.objects.filter(created_at__gte=since).count(), "decisions in the last hour"
