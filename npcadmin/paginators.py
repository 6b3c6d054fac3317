"""Pagination for tables with tens of millions of rows: never `COUNT(*)` them.

Django's changelist asks its paginator for `count`, which is a `SELECT COUNT(*)` over the
whole (filtered) table: seconds on `npc_memory` or `npc_decisions`. `EstimatedCountPaginator`
answers instead with

1. an exact count when the result is small, found by fetching at most `exact_up_to + 1`
   primary keys (an index-only `LIMIT`, no aggregate);
2. otherwise, for the unfiltered table, PostgreSQL's statistics (`pg_class.reltuples`, summed
   over the leaves of a partitioned table such as `npc_memory`);
3. otherwise the planner's row estimate for the filtered query (`EXPLAIN`).

Estimates can be wrong both ways, so pages are never cut at the estimated end: a page past the
estimate is simply short or empty. `estimated` tells templates to say "about".
"""

from __future__ import annotations

import json

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.utils.functional import cached_property


def table_row_estimate(table: str, *, using: str = "default") -> int | None:
    """Rows in `table` according to PostgreSQL's statistics (all partitions); None if never analysed."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT sum(c.reltuples)::bigint, bool_or(c.reltuples < 0)
            FROM pg_class c
            WHERE c.oid IN (SELECT relid FROM pg_partition_tree(%s::regclass) WHERE isleaf)
               OR (c.oid = %s::regclass AND c.relkind = 'r')
            """,
            [table, table],
        )
        total, unknown = cursor.fetchone()
    if total is None or unknown:
        return None
    return int(total)


def planner_row_estimate(queryset) -> int | None:
    """The planner's estimate of how many rows `queryset` returns (EXPLAIN, nothing executed)."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (LookupError, TypeError, ValueError):
        return None


class EstimatedCountPaginator(Paginator):
    """A paginator whose `count` costs a bounded probe or an estimate, never a table scan."""

    exact_up_to = 1000
    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return len(queryset)
        probe = list(queryset.order_by().values_list("pk", flat=True)[: self.exact_up_to + 1])
        if len(probe) <= self.exact_up_to:
            self.estimated = False
            return len(probe)
        self.estimated = True
        estimate = None
        if not queryset.query.where and not queryset.query.distinct:
            estimate = table_row_estimate(queryset.model._meta.db_table, using=queryset.db)
        if estimate is None:
            estimate = planner_row_estimate(queryset)
        return max(estimate or 0, len(probe))

    def validate_number(self, number):
        """Any page from 1 on is valid: the last page of an estimate may lie beyond it."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.count or not self.estimated:
            return super().page(number)
        return self._get_page(self.object_list[bottom:bottom + self.per_page], number, self)
