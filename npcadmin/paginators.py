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
from dataclasses import dataclass

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Q
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


# --- keyset ("seek") pagination for deep pages ------------------------------------------------

CURSOR_VAR = "cursor"


def encode_cursor(moment, pk) -> str:
    return f"{moment.isoformat()}~{pk}"


def decode_cursor(value: str):
    """`<ISO datetime>~<id>` → (aware datetime, int); ValueError when malformed."""
    from django.utils.dateparse import parse_datetime

    moment, sep, pk = value.rpartition("~")
    parsed = parse_datetime(moment) if sep else None
    if parsed is None or parsed.tzinfo is None or not pk.isdigit():
        raise ValueError(f"not a cursor: {value!r}")
    return parsed, int(pk)


def keyset_order(queryset):
    """(time field, descending) when `queryset` is ordered by (time, id) one way, else None."""
    ordering = [str(o) for o in queryset.query.order_by]
    if len(ordering) < 2:
        return None
    first, second = ordering[0], ordering[1]
    descending = first.startswith("-")
    if second.lstrip("-") not in ("id", "pk") or second.startswith("-") != descending:
        return None
    return first.lstrip("-"), descending


def after_cursor(queryset, order, cursor):
    """The rows of `queryset` after the (time, id) `cursor` in its `order` (see `keyset_order`)."""
    field, descending = order
    moment, pk = cursor
    op = "lt" if descending else "gt"
    # The bound on the time column alone is what the index range starts from; the OR only
    # breaks ties between rows of the same instant.
    return queryset.filter(Q(**{f"{field}__{op}e": moment}),
                           Q(**{f"{field}__{op}": moment}) | Q(**{field: moment, f"pk__{op}": pk}))


@dataclass
class SeekPage:
    """One page of a big list outside the admin: its rows and the cursor of the rows after it."""

    rows: list
    next_cursor: str | None
    is_first: bool

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def seek_page(queryset, cursor: str | None, per_page: int) -> SeekPage:
    """The page of `queryset` (ordered by (time, id) one way) after `cursor`, in one query, no COUNT.

    The same seek as `KeysetChangeList`, for the pages outside the admin (a world's build history,
    an NPC's decision timeline). A malformed cursor raises ValueError; views answer 400 or page 1.
    """
    order = keyset_order(queryset)
    if order is None:
        raise ValueError("seek_page needs a (time, id) ordering")
    if cursor:
        queryset = after_cursor(queryset, order, decode_cursor(cursor))
    rows = list(queryset[: per_page + 1])
    following = None
    if len(rows) > per_page:
        last = rows[per_page - 1]
        following = encode_cursor(getattr(last, order[0]), last.pk)
    return SeekPage(rows=rows[:per_page], next_cursor=following, is_first=not cursor)


class KeysetChangeList(ChangeList):
    """A changelist whose "older/newer" link seeks instead of counting rows with OFFSET.

    Page numbers (`?p=N`) cost `OFFSET (N-1) × per_page`: reading and discarding every row
    before the page, seconds deep into a table of 10M rows. `?cursor=<time>~<id>` instead
    starts right after that row of the (time, id) ordering, so every page costs the same
    index read as the first one (`WHERE (created_at, id) < (:t, :id) ORDER BY created_at
    DESC, id DESC LIMIT 50`, served by `idx_decisions_created` / `npc_decisions_npc_created_idx`
    and their `npc_memory` counterparts). Used when the admin's ordering is (`[-]<time>`, `[-]id`)
    in one direction, i.e. the console's engine logs.
    """

    def __init__(self, request, *args, **kwargs):
        raw = request.GET.get(CURSOR_VAR)
        self.cursor = None
        if raw:
            try:
                self.cursor = decode_cursor(raw)
            except ValueError as exc:
                raise IncorrectLookupParameters(str(exc)) from exc
        super().__init__(request, *args, **kwargs)

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(CURSOR_VAR, None)
        return lookup_params

    def get_query_string(self, new_params=None, remove=None):
        # Page numbers, filters and sorting restart from the top: a cursor never outlives them.
        new_params = dict(new_params or {})
        remove = list(remove or [])
        if CURSOR_VAR not in new_params:
            remove.append(CURSOR_VAR)
        return super().get_query_string(new_params, remove)

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        columns = getattr(self.model_admin, "changelist_columns", None)
        columns = columns(request) if columns else None
        if columns:
            queryset = queryset.only(*columns)
        if self.cursor is None:
            return queryset
        order = keyset_order(queryset)
        if order is None:
            raise IncorrectLookupParameters("this ordering cannot be paged by cursor")
        return after_cursor(queryset, order, self.cursor)

    def get_results(self, request):
        if self.cursor is not None:
            self.page_num = 1
        super().get_results(request)

    @cached_property
    def next_cursor_url(self) -> str | None:
        """The link to the rows after this page (None on a short page or another ordering)."""
        order = keyset_order(self.queryset)
        if order is None or self.show_all:
            return None
        rows = list(self.result_list)  # the page's own rows, already fetched for the table
        if len(rows) < self.list_per_page:
            return None
        last = rows[-1]
        return self.get_query_string({CURSOR_VAR: encode_cursor(getattr(last, order[0]), last.pk)},
                                     remove=[PAGE_VAR])
