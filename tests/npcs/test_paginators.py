"""The estimating paginator: exact for small results, statistics or the planner beyond, never COUNT(*)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from npcadmin.paginators import EstimatedCountPaginator, table_row_estimate
from npcs.models import NPCMemory
from tests.factories.npcs import NPCFactory, NPCMemoryFactory
from tests.npcs.conftest import full_counts

pytestmark = pytest.mark.django_db


class TinyPaginator(EstimatedCountPaginator):
    exact_up_to = 5


def test_small_results_are_counted_exactly_without_count(count_queries):
    NPCMemoryFactory.create_batch(4, npc=NPCFactory())
    paginator = EstimatedCountPaginator(NPCMemory.objects.order_by("-occurred_at", "-id"), 2)
    count, queries = count_queries(lambda: paginator.count)
    assert count == 4 and not paginator.estimated and not full_counts(queries)


def test_big_unfiltered_table_uses_partition_statistics(count_queries):
    NPCMemoryFactory.create_batch(9, npc=NPCFactory())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE npc_memory")
    assert table_row_estimate("npc_memory") == 9
    paginator = TinyPaginator(NPCMemory.objects.order_by("-occurred_at", "-id"), 2)
    count, queries = count_queries(lambda: paginator.count)
    assert paginator.estimated and count == 9 and not full_counts(queries)
    assert "pg_partition_tree" in queries[-1]
    # Pages are not cut at the estimate.
    assert len(paginator.page(5).object_list) == 1 and len(paginator.page(9).object_list) == 0


def test_big_filtered_result_uses_the_planner(count_queries):
    npc = NPCFactory()
    NPCMemoryFactory.create_batch(7, npc=npc)
    paginator = TinyPaginator(NPCMemory.objects.filter(npc=npc), 2)
    count, queries = count_queries(lambda: paginator.count)
    assert paginator.estimated and count >= 6 and "EXPLAIN" in queries[-1] and not full_counts(queries)


def test_changelist_says_about_when_estimated(admin_client, monkeypatch):
    NPCMemoryFactory.create_batch(8, npc=NPCFactory())
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 5)
    html = admin_client.get(reverse("admin:npcs_npcmemory_changelist")).content.decode()
    assert "about " in html and "memories" in html
