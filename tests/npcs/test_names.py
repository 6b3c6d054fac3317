"""Names with ids wherever a person reads a player or alliance id: one batched lookup per page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from npcs.models import NPC
from npcs.selectors import people_named
from tests.factories.npcs import (
    NPCAllianceFactory,
    NPCBattleFactory,
    NPCFactory,
    NPCMemoryFactory,
    NPCMessageFactory,
    NPCRelationshipFactory,
    NPCTradeFactory,
    NPCWorldStateFactory,
)
from tests.factories.worlds import VillageFactory
from tests.worlds import outage

pytestmark = pytest.mark.django_db(databases="__all__")


def _contact(world="testworld"):
    """A player of `world` that is an NPC (its state there)."""
    return NPCWorldStateFactory(world_id=world, npc=NPCFactory(name=f"Contact {NPC.objects.count()}"))


def test_people_named_formats_npcs_players_and_alliances():
    contact = _contact()
    VillageFactory(world="testworld", player_id=4242, name="Oakford")
    VillageFactory(world="testworld", player_id=4242, name="Zedmoor")
    alliance = NPCAllianceFactory(world_id="testworld", alliance_id=702, name="Iron Pact", tag="IRON")
    people = people_named(npc_ids=[contact.npc_id], players=[("testworld", contact.player_id), ("testworld", 4242),
                                                              ("testworld", 9999), ("demo", contact.player_id)],
                          alliances=[("testworld", 702), ("testworld", 703)], world_hints=True)
    assert str(people.npc(contact.npc_id)) == f"{contact.npc.name} (#{contact.npc_id})"
    named = people.player("testworld", contact.player_id)
    assert str(named) == f"{contact.npc.name} (#{contact.npc_id})" and named.npc_id == contact.npc_id
    # The world's database knows the player's villages, not its name (the seed has no player table).
    assert str(people.player("testworld", 4242)) == "player #4242 (Oakford +1 villages)"
    assert str(people.player("testworld", 9999)) == "player #9999"
    assert str(people.player("demo", contact.player_id)) == f"player #{contact.player_id}"  # not an NPC there
    assert str(people.alliance("testworld", 702)) == "[IRON] Iron Pact (#702)" and alliance
    assert str(people.alliance("testworld", 703)) == "alliance #703"


def test_people_named_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    pairs = [("testworld", _contact().player_id) for _ in range(5)] + [("demo", 1), ("testworld", 2)]
    # one for the players that are NPCs, one for alliances (default database); the world hints
    # are one query per world on the world databases.
    with django_assert_max_num_queries(2):
        people_named(players=pairs, alliances=[("testworld", 1), ("demo", 2)])


def _npc_with_contacts(rows: int):
    npc = NPCFactory(name="Hero")
    NPCWorldStateFactory(npc=npc, world_id="testworld", alliance_id=702)
    NPCAllianceFactory(world_id="testworld", alliance_id=702, name="Iron Pact", tag="IRON", npc_leader=npc,
                       diplomatic_stance={"allied_alliances": [703], "enemy_alliances": [704]})
    NPCAllianceFactory(world_id="testworld", alliance_id=703, name="Golden Road", tag="GOLD")
    contacts = [_contact() for _ in range(rows)]
    for state in contacts:
        NPCRelationshipFactory(npc=npc, world_id="testworld", target_player_id=state.player_id)
        NPCMessageFactory(from_npc=npc, world_id="testworld", to_player_id=state.player_id)
        NPCBattleFactory(npc=npc, world_id="testworld", npc_role="attacker", defender_id=state.player_id)
        NPCTradeFactory(npc=npc, world_id="testworld", partner_id=state.player_id)
        NPCMemoryFactory(npc=npc, world_id="testworld", related_player_ids=[state.player_id])
    return npc, contacts


@pytest.mark.parametrize("rows", [4, 8])
def test_npc_page_names_every_contact_without_a_query_per_row(admin_client, django_assert_max_num_queries, rows):
    npc, contacts = _npc_with_contacts(rows)
    with django_assert_max_num_queries(18):
        response = admin_client.get(reverse("admin:npcs_npc_overview", args=[npc.pk]))
    html = response.content.decode()
    for state in contacts:
        label = f"{state.npc.name} (#{state.npc_id})"
        # relationships, messages, battles, trades and memories each name the contact
        assert html.count(label) >= 5, label
    assert "[GOLD] Golden Road (#703)" in html and "alliance #704" in html
    assert "[IRON] Iron Pact (#702)" in html  # the NPC's own alliance in its world states


CHANGELISTS = {
    "npcrelationship": lambda npc, state: NPCRelationshipFactory(npc=npc, world_id="testworld",
                                                                 target_player_id=state.player_id),
    "npcmessage": lambda npc, state: NPCMessageFactory(from_npc=npc, world_id="testworld",
                                                       to_player_id=state.player_id),
    "npcbattle": lambda npc, state: NPCBattleFactory(npc=npc, world_id="testworld", defender_id=state.player_id),
    "npctrade": lambda npc, state: NPCTradeFactory(npc=npc, world_id="testworld", partner_id=state.player_id),
    "npcmemory": lambda npc, state: NPCMemoryFactory(npc=npc, world_id="testworld",
                                                     related_player_ids=[state.player_id]),
}


@pytest.mark.parametrize("model", sorted(CHANGELISTS))
@pytest.mark.parametrize("rows", [5, 10])
def test_changelists_name_players_in_one_lookup(admin_client, django_assert_max_num_queries, model, rows):
    npc = NPCFactory()
    NPCWorldStateFactory(npc=npc, world_id="testworld")
    contacts = [_contact() for _ in range(rows)]
    for state in contacts:
        CHANGELISTS[model](npc, state)
    with django_assert_max_num_queries(9):
        response = admin_client.get(reverse(f"admin:npcs_{model}_changelist"))
    html = response.content.decode()
    assert response.status_code == 200
    for state in contacts:
        assert f"{state.npc.name} (#{state.npc_id})" in html


@pytest.mark.parametrize("rows", [3, 6])
def test_alliance_stances_are_named(admin_client, django_assert_max_num_queries, rows):
    others = [NPCAllianceFactory(world_id="testworld") for _ in range(rows)]
    for index in range(rows):
        NPCAllianceFactory(world_id="testworld", diplomatic_stance={
            "allied_alliances": [others[index].alliance_id], "enemy_alliances": [9000 + index]})
    with django_assert_max_num_queries(9):
        html = admin_client.get(reverse("admin:npcs_npcalliance_changelist")).content.decode()
    for index, other in enumerate(others):
        full, short = f"[{other.tag}] {other.name} (#{other.alliance_id})", f"[{other.tag}] #{other.alliance_id}"
        assert f'title="{full}">allied: {short}' in html
        assert f"enemy: alliance #{9000 + index}" in html
    change = admin_client.get(reverse("admin:npcs_npcalliance_change", args=[others[0].pk + rows])).content.decode()
    assert f"[{others[0].tag}] {others[0].name} (#{others[0].alliance_id})" in change


def test_detail_pages_name_their_players(admin_client):
    npc, contacts = _npc_with_contacts(1)
    label = f"{contacts[0].npc.name} (#{contacts[0].npc_id})"
    for model, row in (("npcrelationship", npc.relationships.get()), ("npcmessage", npc.messages_sent_set.get()),
                       ("npcbattle", npc.battles.get()), ("npctrade", npc.trades.get())):
        html = admin_client.get(reverse(f"admin:npcs_{model}_change", args=[row.pk])).content.decode()
        assert label in html, model


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_a_world_that_is_down_leaves_ids(admin_client):
    npc = NPCFactory()
    NPCWorldStateFactory(npc=npc, world_id="demo")
    VillageFactory(world="demo", player_id=4242, name="Oakford")
    NPCRelationshipFactory(npc=npc, world_id="demo", target_player_id=4242)
    page = reverse("admin:npcs_npc_overview", args=[npc.pk])
    assert "player #4242 (Oakford)" in admin_client.get(page).content.decode()
    with outage.world_down("demo"):
        response = admin_client.get(page)
        assert response.status_code == 200
        assert "player #4242" in response.content.decode() and "player #4242 (Oakford)" not in response.content.decode()


def test_a_decision_trace_names_its_target_and_the_battles_opponents(admin_client):
    from tests.factories.npcs import NPCDecisionFactory

    npc, contacts = _npc_with_contacts(1)
    target = contacts[0]
    decision = NPCDecisionFactory(npc=npc, world_id="testworld", created_at=npc.battles.get().occurred_at,
                                  final_decision={"action": "attack", "target_player_id": target.player_id})
    html = admin_client.get(reverse("mind:decision_trace", args=[decision.pk])).content.decode()
    label = f"{target.npc.name} (#{target.npc_id})"
    assert f"<dt>Target</dt><dd>{label}</dd>" in html
    assert html.count(label) >= 2  # the target, and the battle's opponent around it
