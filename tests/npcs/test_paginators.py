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


# --- keyset pages (npcadmin.paginators.KeysetChangeList) ----------------------------------------


def _decisions_with_ties(count: int):
    """`count` decisions of one NPC, pairs of them at the same instant (ties broken by id)."""
    import datetime

    from django.utils import timezone

    from npcs.models import NPCDecision
    from tests.factories.npcs import NPCDecisionFactory

    npc = NPCFactory()
    start = timezone.now() - datetime.timedelta(days=1)
    for n in range(count):
        NPCDecisionFactory(npc=npc, created_at=start + datetime.timedelta(minutes=n // 2))
    return npc, list(NPCDecision.objects.order_by("-created_at", "-id").values_list("pk", flat=True))


def _page_ids(html: str) -> list[int]:
    import re

    return [int(pk) for pk in re.findall(r'/admin/npcs/npcdecision/(\d+)/change/', html)]


def test_cursor_pages_walk_every_row_once_in_order(admin_client, count_queries, monkeypatch):
    import html as html_lib

    from npcs.admin.logs import NPCDecisionAdmin

    monkeypatch.setattr(NPCDecisionAdmin, "list_per_page", 3)
    _, expected = _decisions_with_ties(8)
    url, seen, pages = reverse("admin:npcs_npcdecision_changelist"), [], 0
    query = ""
    while True:
        response, queries = count_queries(admin_client.get, url + query)
        assert response.status_code == 200 and not full_counts(queries)
        content = response.content.decode()
        seen += _page_ids(content)
        pages += 1
        if 'class="next-cursor"' not in content:
            break
        query = html_lib.unescape(content.split('class="next-cursor"')[0].rsplit('href="', 1)[1].split('"')[0])
        assert "cursor=" in query and "p=" not in query
    assert seen == expected and pages == 3


def test_cursor_keeps_filters_and_page_links_drop_it(admin_client, monkeypatch):
    from npcadmin.paginators import encode_cursor
    from npcs.admin.logs import NPCDecisionAdmin
    from npcs.models import NPCDecision

    monkeypatch.setattr(NPCDecisionAdmin, "list_per_page", 2)
    npc, expected = _decisions_with_ties(6)
    _decisions_with_ties(4)  # another NPC's rows, filtered out
    mine = list(NPCDecision.objects.filter(npc=npc).order_by("-created_at", "-id"))
    cursor = encode_cursor(mine[1].created_at, mine[1].pk)
    response = admin_client.get(reverse("admin:npcs_npcdecision_changelist"), {"npc": npc.pk, "cursor": cursor})
    content = response.content.decode()
    assert _page_ids(content) == [mine[2].pk, mine[3].pk]
    import re

    paginator = content.split('<p class="paginator">', 1)[1].split("</p>", 1)[0]
    links = re.findall(r"<a [^>]*>", paginator)
    assert any("next-cursor" in link and "cursor=" in link and "npc=" in link for link in links)
    page_links = [link for link in links if "next-cursor" not in link]
    assert page_links and not [link for link in page_links if "cursor=" in link]


@pytest.mark.parametrize("cursor", ["junk", "2026-01-01T00:00:00~x", "2026-01-01T00:00:00~5"])
def test_malformed_cursor_is_refused_like_a_bad_filter(admin_client, cursor):
    response = admin_client.get(reverse("admin:npcs_npcdecision_changelist"), {"cursor": cursor})
    assert response.status_code == 302 and "e=1" in response["Location"]


def test_seek_page_breaks_ties_of_one_instant_and_refuses_other_orderings(db):
    from django.utils import timezone

    from npcadmin.paginators import seek_page
    from npcs.models import NPCDecision
    from tests.factories.npcs import NPCDecisionFactory

    moment = timezone.now()
    made = [NPCDecisionFactory(created_at=moment).pk for _ in range(5)]
    decisions = NPCDecision.objects.filter(pk__in=made).order_by("-created_at", "-id")
    first = seek_page(decisions, None, 2)
    second = seek_page(decisions, first.next_cursor, 2)
    third = seek_page(decisions, second.next_cursor, 2)
    assert [d.pk for d in first.rows + second.rows + third.rows] == sorted(made, reverse=True)
    assert first.is_first and not second.is_first and third.next_cursor is None
    with pytest.raises(ValueError):
        seek_page(decisions.order_by("id"), None, 2)
