"""Changelist filters that stay cheap on tables of tens of millions of rows.

None of them lists choices from the table itself (no `SELECT DISTINCT` over a log table):
worlds come from settings, NPCs from the one selected, dates are ranges on indexed columns.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import admin
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from npcs.choices import AllianceStrategy
from npcs.models import NPC


class WorldFilter(admin.SimpleListFilter):
    """The configured game worlds (NPCADMIN_WORLDS), filtering on `field`."""

    title = "world"
    parameter_name = "world"
    field = "world_id"

    def lookups(self, request, model_admin):
        return [(world, world) for world in settings.NPCADMIN_WORLDS]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class NPCWorldFilter(WorldFilter):
    """NPCs that play in a world."""

    title = "plays in world"
    field = "world_states__world_id"


class NPCFilter(admin.SimpleListFilter):
    """Rows of one NPC (`?npc=<id>`), the target of the NPC page's links; lists only that NPC."""

    title = "NPC"
    parameter_name = "npc"
    field = "npc_id"

    def lookups(self, request, model_admin):
        value = self.value()
        if value and str(value).isdigit():
            npc = NPC.objects.filter(pk=int(value)).only("id", "name").first()
            if npc:
                return [(str(npc.pk), npc.name)]
        return []

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            if not str(value).isdigit():
                return queryset.none()
            return queryset.filter(**{self.field: int(value)})
        return queryset


class SenderFilter(NPCFilter):
    title = "sender NPC"
    field = "from_npc_id"


class IdleFilter(admin.SimpleListFilter):
    """Active, unpaused NPCs with no activity for more than N hours."""

    title = "idle for more than"
    parameter_name = "idle_hours"
    periods = ((1, "1 hour"), (6, "6 hours"), (24, "24 hours"), (72, "3 days"), (168, "7 days"))

    def lookups(self, request, model_admin):
        return [(str(hours), label) for hours, label in self.periods]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:  # a hand-typed ?idle_hours=inf / nan / 1e20 overflowed timedelta: a 500
            return queryset.idle(hours=float(value))
        except (ValueError, OverflowError):
            return queryset.none()


def _aware(value):
    """A date or datetime typed in the filter, as an aware datetime in the current time zone."""
    raw = value[-1] if isinstance(value, list) else value
    if not isinstance(raw, str):
        return value
    try:  # well-formed but impossible ("2026-13-45") raises ValueError: that was a 500
        parsed = parse_datetime(raw)
        if parsed is None:
            day = parse_date(raw)
            parsed = datetime.datetime.combine(day, datetime.time()) if day else None
    except ValueError:
        parsed = None
    if parsed is None:
        return value  # the changelist reports the bad lookup (?e=1)
    if settings.USE_TZ and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return [parsed] if isinstance(value, list) else parsed


class DateRangeFilter(admin.DateFieldListFilter):
    """Quick ranges plus a from/to form; always `>= start AND < end` on the indexed column."""

    template = "admin/npcs/filters/date_range.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        # An empty "From"/"Before" box means no bound, not an invalid date.
        self.used_parameters = {key: _aware(value) for key, value in self.used_parameters.items()
                                if value not in ("", None, [""], [])}
        now = timezone.localtime() if settings.USE_TZ else datetime.datetime.now()
        self.links = (
            self.links[:1]
            + (("Last hour", {self.lookup_kwarg_since: (now - datetime.timedelta(hours=1)).isoformat(
                timespec="minutes")}),
               ("Last 24 hours", {self.lookup_kwarg_since: (now - datetime.timedelta(hours=24)).isoformat(
                   timespec="minutes")}))
            + self.links[1:]
        )
        own = set(self.expected_parameters())
        self.hidden_params = [(key, value) for key, values in request.GET.lists() if key not in own
                              for value in values if key not in ("p",)]
        self.since_value = request.GET.get(self.lookup_kwarg_since, "")[:10]
        self.until_value = request.GET.get(self.lookup_kwarg_until, "")[:10]


class AllianceStrategyFilter(admin.SimpleListFilter):
    """`alliance_strategy` is free text in the seed; offer its known values without a DISTINCT scan."""

    title = "strategy"
    parameter_name = "strategy"

    def lookups(self, request, model_admin):
        return AllianceStrategy.choices

    def queryset(self, request, queryset):
        return queryset.filter(alliance_strategy=self.value()) if self.value() else queryset
