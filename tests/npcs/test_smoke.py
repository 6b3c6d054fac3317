"""The skeleton works end to end: factories write through the ORM into PostgreSQL."""

import pytest

from npcs.models import NPC, NPCMemory
from tests.factories.npcs import NPCMemoryFactory, NPCWorldStateFactory

pytestmark = pytest.mark.django_db


def test_factory_graph_lands_in_the_npcs_world():
    state = NPCWorldStateFactory(world_id="demo")
    memory = NPCMemoryFactory(npc=state.npc)
    assert memory.world_id == "demo"
    assert NPCMemory.objects.filter(npc=state.npc).count() == 1
    assert NPC.objects.get(pk=state.npc.pk).uuid is not None
