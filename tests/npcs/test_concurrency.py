"""Two game masters save the same NPC at the same moment: exactly one wins, the other is told."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from npcs import services
from npcs.models import NPC
from npcs.selectors import npc_edit_token
from tests.factories.npcs import NPCFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_saves_with_the_same_token_let_exactly_one_through():
    npc = NPCFactory(llm_temperature=0.7)
    token = npc_edit_token(npc)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def save(label: str, temperature: float):
        try:
            barrier.wait(timeout=5)
            services.npc_update(npc=NPC(pk=npc.pk), data={"llm_temperature": temperature}, expected_token=token)
            results[label] = "saved"
        except services.ConcurrentEditError:
            results[label] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=("a", 1.1)), threading.Thread(target=save, args=("b", 1.9))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(results.values()) == ["refused", "saved"]
    winner = next(label for label, outcome in results.items() if outcome == "saved")
    npc.refresh_from_db()
    assert npc.llm_temperature == {"a": 1.1, "b": 1.9}[winner]
