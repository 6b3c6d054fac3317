"""Changelists filter by what their filters show and nothing else; junk in the query is a 400.

Django's default `lookup_allowed` accepts any lookup on any local column, so
`?llm_prompt__regex=(` ran an invalid regular expression over the decision log (a 500), and
`?tribe__exact=%00` handed PostgreSQL a NUL byte (another 500). Every admin of the console
mixes `StrictLookupsMixin` in: a parameter that is not read by a filter on the page is refused
with the admin's own `DisallowedModelAdminLookup` (400 Bad Request), as is a value the database
cannot compare; a well-formed but wrong value keeps the admin's usual `?e=1` redirect.
"""

from __future__ import annotations

from django.contrib.admin.filters import SimpleListFilter
from django.core.exceptions import BadRequest

# The parameters Django's field filters read (exact/boolean/choices/all-values, dates, relations).
FIELD_FILTER_LOOKUPS = ("exact", "isnull", "gte", "lt", "id__exact")


def storable_text(value: str) -> bool:
    """Whether PostgreSQL can compare with `value`: no NUL character, no lone surrogate."""
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


class StrictLookupsMixin:
    """For a `ModelAdmin`: only the lookups of `list_filter` and `date_hierarchy`; no NUL bytes."""

    def allowed_lookups(self, request) -> set[str]:
        """The query parameters the filters shown on this changelist read."""
        allowed = set()
        if self.date_hierarchy:
            allowed |= {f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day")}
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                allowed.add(item.parameter_name)
                continue
            field = item[0] if isinstance(item, list | tuple) else item
            allowed |= {f"{field}__{lookup}" for lookup in FIELD_FILTER_LOOKUPS}
        return allowed

    def lookup_allowed(self, lookup, value, request):
        return lookup in self.allowed_lookups(request)

    def changelist_view(self, request, extra_context=None):
        for key, values in request.GET.lists():
            if not all(storable_text(text) for text in (key, *values)):
                raise BadRequest("A filter value holds a character the database cannot compare (NUL).")
        return super().changelist_view(request, extra_context)
