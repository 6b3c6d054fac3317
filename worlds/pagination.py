"""A page of a big table without `COUNT(*)`: fetch one row more than the page to know if there is a next."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass
class Page:
    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


MAX_PAGE = 10_000_000


def page_without_count(queryset: QuerySet, page: str | int | None, per_page: int) -> Page:
    """Rows of page `page` (1-based; anything invalid is page 1), in one query."""
    try:
        number = max(1, int(page or 1))
    except (TypeError, ValueError):
        number = 1
    # OFFSET is a bigint: a page past MAX_PAGE cannot exist, so it is clamped rather than sent.
    number = min(number, MAX_PAGE)
    offset = (number - 1) * per_page
    rows = list(queryset[offset:offset + per_page + 1])
    return Page(rows=rows[:per_page], number=number, has_next=len(rows) > per_page)
